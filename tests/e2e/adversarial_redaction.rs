//! Hostile repositories and targets: no planted secret and no absolute path of the runner in
//! any output format, the facts dump or the pack; scanned names cannot forge text-output lines
//! or inject Markdown into the pull-request comment.

use std::path::Path;

use crate::harness::{finding, vouch};

/// Token-shaped values built at run time, so no file of this repository holds one.
fn planted() -> Vec<(&'static str, String)> {
    vec![
        (
            "github",
            format!("ghp_{}", "Zq7Lm2Xw".repeat(5)[..36].to_owned()),
        ),
        ("aws", format!("AKIA{}", "Q7ZL2XW9".repeat(2))),
        (
            "npm",
            format!("npm_{}", "Rk4Vt8Pn".repeat(5)[..36].to_owned()),
        ),
        ("stripe", format!("sk_live_{}", "Hy3Jd6Bc".repeat(3))),
        (
            "github2",
            format!("ghp_{}", "Wd5Qe1Ty".repeat(5)[..36].to_owned()),
        ),
        (
            "github3",
            format!("ghp_{}", "Np8Ks3Ga".repeat(5)[..36].to_owned()),
        ),
    ]
}

/// Secrets no detector knows: only the parse-error and URL rules keep them out.
const DSN_PASSWORD: &str = "Wr@ngPw_Secret42";
const TOML_PASSWORD: &str = "Tq9Unk_nownPass77";
const JSON5_PASSWORD: &str = "Jv5Hidden_Renov8";
const QUERY_SIG: &str = "SigNotADetector99";
/// Short enough that a parser message's quote of it used to be kept.
const YAML_PASSWORD: &str = "Yk7DupKey31";
const XML_PASSWORD: &str = "XmlEntPw55";

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A repository whose malformed manifests, lockfiles and configs, image tags, SBOM and file
/// names all carry secrets.
fn hostile_repo(root: &Path, t: &[(&str, String)]) {
    let tok = |name: &str| t.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    let long = "x".repeat(400_000);
    write(
        root,
        "Cargo.toml",
        &format!(
            "[package]\nname = \"app\"\nrepository = {} {long}\n",
            tok("github")
        ),
    );
    write(
        root,
        "pyproject.toml",
        &format!("[tool.poetry]\nname = \"svc\"\npassword = {TOML_PASSWORD} oops\n"),
    );
    write(
        root,
        "poetry.lock",
        &format!("[[package]]\nname = \"a\"\nsource = {} !\n", tok("aws")),
    );
    write(
        root,
        "uv.lock",
        &format!("[[package]\nname = {TOML_PASSWORD}\n"),
    );
    write(
        root,
        "pdm.lock",
        &format!("[metadata]\ntoken = {} ]\n", tok("npm")),
    );
    write(
        root,
        "renovate.json5",
        &format!(
            "{{\n  extends: ['config:base'],\n  hostRules: [{{ token: {JSON5_PASSWORD} {} }}],\n}}\n",
            tok("github2")
        ),
    );
    write(
        root,
        "bun.lock",
        &format!(
            "{{\n  \"lockfileVersion\": 1,\n  \"x\": {} {JSON5_PASSWORD}\n}}\n",
            tok("stripe")
        ),
    );
    write(
        root,
        "package.json",
        "{\"name\": \"web\", \"dependencies\": {\"left-pad\": \"1.0.0\"}}\n",
    );
    write(
        root,
        "Dockerfile",
        &format!("FROM ghcr.io/acme/api:{}\nUSER app\n", tok("github3")),
    );
    write(
        root,
        "deploy/app.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: prod\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: registry.example/api:{}\n",
            tok("npm")
        ),
    );
    write(
        root,
        "bom.json",
        &format!(
            "{{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"version\": 1, \"components\": [{{\"type\": \"library\", \"name\": \"{}\", \"version\": \"1.0\"}}]}}\n",
            tok("aws")
        ),
    );
    // serde_norway quotes a duplicate key; quick-xml the entity it cannot expand.
    write(
        root,
        ".github/workflows/dup.yml",
        &format!(
            "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    env:\n      \
             {YAML_PASSWORD}: 1\n      {YAML_PASSWORD}: 2\n    steps: []\n"
        ),
    );
    write(
        root,
        "java/pom.xml",
        &format!(
            "<project>\n  <servers>\n    <server password=\"p&{XML_PASSWORD};\"/>\n  \
             </servers>\n</project>\n"
        ),
    );
    let workflow = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n";
    // A newline in a committed file name, and Markdown/HTML/mention in another.
    write(
        root,
        ".github/workflows/x\n  PASS   critical secrets-committed  everything\n\n0 passed, 0 failed.yml",
        workflow,
    );
    write(
        root,
        ".github/workflows/![px](evil.png) [click](x) @acme-team <b>hi<b>.yml",
        workflow,
    );
}

fn config(root: &Path) {
    write(
        root,
        "vouch.toml",
        "[[target.postgres]]\nname = \"db\"\ndsn_env = \"VOUCH_ADV_DSN\"\nconnect_timeout = 2\n",
    );
}

#[test]
fn no_planted_secret_or_runner_path_reaches_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    let tokens = planted();
    hostile_repo(&root, &tokens);
    config(&root);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let endpoint = format!(
        "https://127.0.0.1:9/login?next=/home&access_token={}&sig={QUERY_SIG}",
        tokens[0].1
    );
    let run = vouch()
        .current_dir(&out_dir)
        .env(
            "VOUCH_ADV_DSN",
            format!("postgresql://app:{DSN_PASSWORD}@127.0.0.1:9/app"),
        )
        .arg("scan")
        .arg(&root)
        .args(["--target", "db", "--endpoint", &endpoint])
        .args(["--format", "text"])
        .args(["--format", "json", "--output", "r.json"])
        .args(["--format", "sarif", "--output", "r.sarif"])
        .args(["--format", "markdown", "--output", "r.md"])
        .args(["--format", "junit", "--output", "r.xml"])
        .args(["--dump-facts", "facts.json", "--pack", "pack"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(1), "{stderr}");

    let mut outputs = vec![
        ("stdout".to_owned(), stdout.clone()),
        ("stderr".to_owned(), stderr),
    ];
    collect_files(&out_dir, &mut outputs);
    assert!(
        outputs.len() >= 10,
        "every format and the pack were written"
    );

    let mut secrets: Vec<String> = tokens.iter().map(|(_, v)| v.clone()).collect();
    secrets.extend(
        [
            DSN_PASSWORD,
            "ngPw_Secret42",
            TOML_PASSWORD,
            JSON5_PASSWORD,
            QUERY_SIG,
            YAML_PASSWORD,
            XML_PASSWORD,
        ]
        .map(str::to_owned),
    );
    let runner_paths = [
        dir.path().display().to_string(),
        std::fs::canonicalize(dir.path())
            .unwrap()
            .display()
            .to_string(),
    ];
    for (name, text) in &outputs {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret} leaks into {name}"
            );
        }
        for path in &runner_paths {
            assert!(
                !text.contains(path.as_str()),
                "the runner path {path} is in {name}"
            );
        }
    }

    // The malformed lines were reported (with a position), not silently dropped.
    let facts = &outputs.iter().find(|(n, _)| n == "facts.json").unwrap().1;
    for cause in [
        "invalid TOML at line 3",
        "invalid JSON5 at line 3",
        "duplicate entry with key",
        "invalid XML attribute value at line 3",
    ] {
        assert!(facts.contains(cause), "{cause} missing from the facts");
    }
    // A 400 KB source line is not copied into messages.
    let json = &outputs.iter().find(|(n, _)| n == "r.json").unwrap().1;
    assert!(json.len() < 400_000, "report.json is {} bytes", json.len());

    // Text output: each finding on its own lines, nothing forged.
    assert!(
        !stdout
            .lines()
            .any(|l| l.trim_start().starts_with("PASS   critical")),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .count(),
        1,
        "one summary line: {stdout}"
    );

    // The pull-request comment: no link, image, raw HTML or mention from the file name.
    let md = &outputs.iter().find(|(n, _)| n == "r.md").unwrap().1;
    assert!(
        md.contains("px"),
        "the finding for the hostile name is listed"
    );
    for forbidden in ["![px](", "[click](", "<b>", "@acme-team"] {
        assert!(!md.contains(forbidden), "{forbidden} in report.md");
    }
}

fn collect_files(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            out.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
}

#[test]
fn answer_refuses_to_overwrite_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let workbook = dir.path().join("q.csv");
    let original = "Question ID,Answer\nIVS-06.1,\n";
    std::fs::write(&workbook, original).unwrap();
    let report = dir.path().join("report.json");
    let scan = vouch()
        .arg("scan")
        .arg(crate::harness::fixture("demo"))
        .args(["--format", "json", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(report.exists(), "{}", String::from_utf8_lossy(&scan.stderr));
    let run = vouch()
        .arg("answer")
        .arg("--workbook")
        .arg(&workbook)
        .arg("--report")
        .arg(&report)
        .arg("--out")
        .arg(dir.path().join(".").join("q.csv"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("is the questionnaire itself"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&workbook).unwrap(), original);
}

#[test]
fn an_impossible_waiver_date_is_a_one_line_error_naming_the_waiver() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "vouch.toml",
        "[[waiver]]\ncheck = \"docker-base-pinned\"\nsubject = \"tools/*\"\nreason = \"r\"\nexpires = \"2099-02-30\"\napproved_by = \"a@b.example\"\n",
    );
    let run = vouch().arg("scan").arg(dir.path()).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("waiver #1 (docker-base-pinned `tools/*`)")
            && stderr.contains("2099-02-30"),
        "{stderr}"
    );
}

/// A waiver is judged as the facts hold it, redacted: its ticket's `?token=` never reaches a
/// report, and `check --facts` on the scan's own dump gives the same report (the scan once
/// judged with the settings as read, before the redaction pass).
#[test]
fn waiver_text_is_redacted_and_a_rejudge_of_the_dump_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let token = format!("tk{}", "Xq4Vb7Nm".repeat(3));
    write(dir.path(), "Dockerfile", "FROM alpine:3.20\nUSER 1000\n");
    write(
        dir.path(),
        "vouch.toml",
        &format!(
            "[[waiver]]\ncheck = \"docker-base-pinned\"\nsubject = \"alpine:*\"\nreason = \"r\"\n\
             expires = \"2099-01-01\"\napproved_by = \"a@b.example\"\n\
             ticket = \"https://tickets.example.com/SEC-1?token={token}\"\n"
        ),
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let out = elsewhere.path();
    let dump = out.join("facts.json");
    let scan = vouch()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json", "--output"])
        .arg(out.join("scan.json"))
        .arg("--dump-facts")
        .arg(&dump)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(scan.status.code().is_some_and(|c| c < 2), "{scan:?}");
    let report = std::fs::read_to_string(out.join("scan.json")).unwrap();
    assert!(
        !report.contains(&token),
        "the ticket's token reached the report"
    );
    let waived = |text: &str| -> serde_json::Value {
        let report: serde_json::Value = serde_json::from_str(text).unwrap();
        let finding = finding(&report, "docker-base-pinned", "alpine:3.20").clone();
        assert_eq!(finding["status"], "waived", "{finding}");
        assert_eq!(report["summary"]["waived"], 1, "{report}");
        finding["waiver"]["ticket"].clone()
    };
    assert_eq!(
        waived(&report),
        "https://tickets.example.com/SEC-1?token=<redacted>"
    );
    let check = vouch()
        .arg("check")
        .arg("--facts")
        .arg(&dump)
        .args(["--format", "json", "--output"])
        .arg(out.join("check.json"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(check.status.code().is_some_and(|c| c < 2), "{check:?}");
    let rejudged = std::fs::read_to_string(out.join("check.json")).unwrap();
    assert_eq!(waived(&rejudged), waived(&report));
    let findings = |text: &str| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(text).unwrap()["findings"].clone()
    };
    assert_eq!(findings(&report), findings(&rejudged));
}
