//! Every parser family's error on a malformed file says where and why, never what: a secret on
//! the bad line (a password no detector knows, a token) stays out of the message, which
//! reaches the facts and every report.

use super::{bake, compose, kube, lockfile, manifest, sbom, update_config, vuln, workflow};

/// A password no secret detector recognises.
const PASSWORD: &str = "Pw-9f3kQz";

/// A GitHub token, built at run time so this file holds no token-shaped literal.
fn token() -> String {
    format!("ghp_{}", "Ab3dEf6h".repeat(5).get(..36).unwrap_or_default())
}

/// Runs `parse` on `text` (its `{password}` and `{token}` filled in), which must fail, and
/// checks the message quotes neither.
fn assert_unquoted<T: std::fmt::Debug>(
    family: &str,
    text: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) {
    let token = token();
    let text = text
        .replace("{password}", PASSWORD)
        .replace("{token}", &token);
    let error = parse(&text).expect_err(&format!("{family}: the malformed file parsed"));
    assert!(
        !error.contains(PASSWORD) && !error.contains(&token) && !error.contains("ghp_"),
        "{family}: {error}"
    );
    assert!(error.contains("line "), "{family}: no line in {error}");
}

#[test]
fn yaml_errors_quote_no_input() {
    // An unclosed flow mapping, the secrets on its line.
    let workflow_text = "on: push\njobs:\n  b:\n    runs-on: x\n    env: {TOKEN: {token}, \
                         PASSWORD: {password}\n    steps: []\n";
    assert_unquoted("workflow", workflow_text, |t| {
        workflow::parse(".github/workflows/ci.yml", t)
    });
    // A duplicate key: serde_norway quotes it (`duplicate entry with key "…"`).
    let duplicate = "on: push\njobs:\n  b:\n    runs-on: x\n    env:\n      {password}: 1\n      \
                     {password}: 2\n    steps: []\n";
    assert_unquoted("workflow (duplicate key)", duplicate, |t| {
        workflow::parse(".github/workflows/ci.yml", t)
    });
    assert_unquoted(
        "compose",
        "services:\n  db:\n    environment: [POSTGRES_PASSWORD={password}, T={token}\n  x: 1\n",
        |t| compose::parse("compose.yaml", t),
    );
    assert_unquoted(
        "kube manifest",
        "apiVersion: v1\nkind: Secret\nstringData: {password: {password}, token: {token}\n",
        |t| kube::parse("k8s/secret.yaml", t),
    );
    assert_unquoted(
        "dependabot",
        "version: 2\nregistries:\n  npm: {token: {token}, password: {password}\nupdates: []\n",
        |t| update_config::parse(".github/dependabot.yml", t),
    );
    assert_unquoted(
        "pnpm-lock",
        "lockfileVersion: '9.0'\nsettings: {authToken: {token}, p: {password}\n",
        |t| lockfile::parse("pnpm-lock.yaml", t),
    );
    assert_unquoted(
        "pubspec",
        "name: app\ndependencies: {private: {hosted: {token: {password}}\n",
        |t| manifest::parse("pubspec.yaml", t),
    );
}

#[test]
fn toml_errors_quote_no_input() {
    assert_unquoted(
        "Cargo.toml",
        "[package]\nname = \"x\"\n[registries.private]\ntoken = {password} {token}\n",
        |t| manifest::parse("Cargo.toml", t),
    );
    assert_unquoted(
        "pyproject",
        "[tool.poetry]\nname = \"x\"\npassword = \"{password} {token}\n",
        |t| manifest::parse("pyproject.toml", t),
    );
    assert_unquoted(
        "Pipfile",
        "[[source]]\nurl = \"https://u:{password}@pypi.example/simple\" {token}\n",
        |t| manifest::parse("Pipfile", t),
    );
    assert_unquoted(
        "Cargo.lock",
        "version = 4\n[[package]]\nname = {password}\n",
        |t| lockfile::parse("Cargo.lock", t),
    );
}

#[test]
fn json_and_json5_errors_quote_no_input() {
    assert_unquoted(
        "package.json",
        "{\n  \"name\": \"x\",\n  \"token\": {password} {token}\n}",
        |t| manifest::parse("package.json", t),
    );
    assert_unquoted(
        "package-lock",
        "{\n  \"lockfileVersion\": 3,\n  \"p\": \"{password}\" \"{token}\"\n}",
        |t| lockfile::parse("package-lock.json", t),
    );
    assert_unquoted(
        "renovate (JSON5)",
        "{\n  hostRules: [{token: {password} {token}}]\n}",
        |t| update_config::parse("renovate.json", t),
    );
    assert_unquoted(
        "bake (JSON)",
        "{\"target\": {\"a\": {\"args\": {\"T\": {password}}}}}",
        |t| bake::parse("docker-bake.json", t),
    );
    assert_unquoted(
        "SBOM",
        "{\"bomFormat\": \"CycloneDX\",\n \"x\": {password}}",
        |t| sbom::parse("bom.json", t),
    );
    assert_unquoted("vulnerability report", "{\n\"t\": {password}}", |t| {
        vuln::parse(t, &mut crate::facts::vuln::VulnReport::default())
    });
}

#[test]
fn hcl_and_xml_errors_quote_no_input() {
    assert_unquoted(
        "bake (HCL)",
        "target \"a\" {\n  args = { T = {password} {token} }\n}\n",
        |t| bake::parse("docker-bake.hcl", t),
    );
    // quick-xml names the entity it cannot expand: here a part of the password.
    assert_unquoted(
        "pom.xml (entity)",
        "<project>\n<server password=\"a&{password};b\"/>\n</project>\n",
        |t| manifest::parse("pom.xml", t),
    );
    // …and the tags that do not match.
    assert_unquoted(
        "pom.xml (tags)",
        "<project>\n<{password}></{token}>\n</project>\n",
        |t| manifest::parse("pom.xml", t),
    );
    assert_unquoted(
        "NuGet project",
        "<Project>\n<add key=\"ClearTextPassword\" value=\"&{password};\"/>\n</Project>\n",
        |t| manifest::parse("app.csproj", t),
    );
}
