//! Where a secret-looking value sits, for `secrets-committed` precision: test fixtures and
//! documented examples are told apart from real secrets, vendored and generated files are not
//! searched, and a few shapes that only look like secrets (a PEM header with no key after it,
//! a local development DSN with the database's default password) are recognised.
//!
//! Everything here errs towards reporting: a real key in a real config is never let through.
//! Test fixtures and examples are still reported, at a lower severity.

pub use crate::facts::repo::HitClass;

/// Directory names whose files are tests, fixtures, mocks or examples.
const TEST_DIRS: [&str; 22] = [
    "test",
    "tests",
    "__tests__",
    "spec",
    "specs",
    "fixture",
    "fixtures",
    "__fixtures__",
    "mock",
    "mocks",
    "__mocks__",
    "example",
    "examples",
    "sample",
    "samples",
    "testdata",
    "test-data",
    "test_data",
    "testing-keys",
    "e2e",
    "integration-tests",
    "demo",
];

/// Words of a file name (split on `.`, `-`, `_`) that say it is a test or an example.
const TEST_NAME_WORDS: [&str; 14] = [
    "test", "tests", "spec", "sample", "samples", "example", "examples", "fixture", "fixtures",
    "mock", "mocks", "dummy", "fake", "conftest",
];

/// Detector kinds that are downgraded in test trees. Provider token formats (AWS, GitHub,
/// Slack, Stripe live, Google, npm, PyPI) are not: a live token is live wherever it is
/// committed, and test suites use fakes of those shapes far less than generated test keys.
const DOWNGRADED_IN_TESTS: [&str; 7] = [
    "private-key",
    "private-key-json",
    "putty-private-key",
    "password-assignment",
    "dotenv-value",
    "database-url-password",
    "jwt-hmac-secret",
];

/// The directories of a `/`-separated path, outermost first, and its file name.
fn dirs_and_name(path: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    (parts, name)
}

/// `true` for a path under a test/fixture/example directory or a file named as one.
pub fn is_test_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let (parts, name) = dirs_and_name(&lower);
    // Directory names count whole (`__mocks__`) or by their words (`unit_test`, `sample_keys`).
    let test_word = |word: &str| TEST_DIRS.contains(&word) || TEST_NAME_WORDS.contains(&word);
    if parts
        .iter()
        .any(|dir| test_word(dir) || dir.split(['.', '-', '_']).any(test_word))
    {
        return true;
    }
    name.split(['.', '-', '_'])
        .any(|word| TEST_NAME_WORDS.contains(&word))
}

/// Directory names of a local development environment (a Compose playground with its own
/// identity provider and database) whose credentials exist only on a developer's machine.
const LOCAL_DEV_DIRS: [&str; 7] = [
    "local-environment",
    "local-env",
    "local-dev",
    "localdev",
    "dev-environment",
    ".devcontainer",
    "devcontainer",
];

/// `true` for a local development environment or a framework's development-only config:
/// files under a `local-environment/`-style directory, Phoenix's `config/dev.exs`, Rails'
/// `config/environments/development.rb`, ASP.NET's `appsettings.Development.json`.
pub fn is_local_development_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let (parts, name) = dirs_and_name(&lower);
    if parts.iter().any(|dir| LOCAL_DEV_DIRS.contains(dir)) {
        return true;
    }
    let parent = parts.last().copied().unwrap_or_default();
    (parent == "config" && name == "dev.exs")
        || (parent == "environments" && name == "development.rb")
        || name == "appsettings.development.json"
}

/// Vendored and generated files, not searched for secrets: third-party code and build output
/// whose strings are not the project's credentials.
pub fn is_vendored_or_generated(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let in_tree =
        |dir: &str| lower.starts_with(&format!("{dir}/")) || lower.contains(&format!("/{dir}/"));
    let vendored = in_tree(".yarn/releases")
        || in_tree(".yarn/plugins")
        || in_tree(".yarn/sdks")
        || in_tree("node_modules")
        || in_tree("vendor")
        || in_tree("bower_components");
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let minified = [
        ".min.js", ".min.mjs", ".min.cjs", ".min.css", "-min.js", ".js.map", ".css.map",
    ]
    .iter()
    .any(|suffix| name.ends_with(suffix));
    let plug_n_play = name == ".pnp.cjs" || name == ".pnp.loader.mjs" || name == ".pnp.js";
    vendored || minified || plug_n_play
}

/// Documentation, or a configuration file that documents defaults or examples: a commented
/// line there is an example, not a credential in use.
fn is_docs_or_default_config(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let docs_ext = [".md", ".markdown", ".rst", ".adoc", ".txt", ".mdx"]
        .iter()
        .any(|ext| name.ends_with(ext));
    let in_docs =
        lower.starts_with("docs/") || lower.starts_with("doc/") || lower.contains("/docs/");
    let default_config = name.split(['.', '-', '_']).any(|word| {
        matches!(
            word,
            "default" | "defaults" | "example" | "sample" | "template" | "dist" | "tmpl"
        )
    });
    docs_ext || in_docs || default_config
}

/// A line that is a comment in the usual config and doc syntaxes.
fn is_comment_line(line: &str) -> bool {
    let t = line.trim_start();
    // `-- ` with its space: a PEM `-----BEGIN` line is no SQL comment.
    ["#", "//", ";", "-- ", "<!--", "* ", "/*", "%"]
        .iter()
        .any(|marker| t.starts_with(marker))
}

/// The class of one hit: `line` is the whole line it was found on, `value` the matched text.
pub fn classify(path: &str, line: &str, kind: &str, value: &str) -> HitClass {
    if is_documented_example(kind, line, value) {
        return HitClass::Example;
    }
    // Only the generic kinds: a provider token (`ghp_…`, `AKIA…`) is live wherever it is
    // written, a commented line of the docs included.
    let generic = DOWNGRADED_IN_TESTS.contains(&kind);
    if generic && is_comment_line(line) && is_docs_or_default_config(path) {
        return HitClass::Example;
    }
    if generic && (is_test_path(path) || is_local_development_path(path)) {
        return HitClass::TestFixture;
    }
    HitClass::Secret
}

/// A token of a provider format whose variable part is a placeholder (`ghp_xxxx…`,
/// `xoxb-1234567890-…`, `…EXAMPLE…`): the shape of a token as documentation shows it.
fn is_documented_example(kind: &str, line: &str, value: &str) -> bool {
    match kind {
        "jwt-hmac-secret" => return crate::secret_jwt::DOCUMENTED_EXAMPLE_SECRETS.contains(&value),
        "azure-storage-key" => return value == AZURITE_ACCOUNT_KEY,
        "database-url-password" => return is_example_database_url(line, value),
        k if DOWNGRADED_IN_TESTS.contains(&k) => return false,
        _ => {}
    }
    let body = value
        .split_once('_')
        .or_else(|| value.split_once('-'))
        .map_or(value, |(_, rest)| rest);
    let upper = body.to_ascii_uppercase();
    upper.contains("EXAMPLE")
        || upper.contains("XXXXXXXX")
        || upper.contains("1234567890")
        || upper.contains("0123456789")
        || upper.contains("ABCDEFGHIJ")
}

/// The Azurite storage emulator's fixed account key, published in Microsoft's documentation
/// ("Use the Azurite emulator", well-known storage account and key): not a credential.
const AZURITE_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Passwords that only stand in for one in documentation (`user:pass@host`, SQLAlchemy's
/// `scott:tiger`), wherever the host is.
const DUMMY_URL_PASSWORDS: [&str; 8] = [
    "pass", "pwd", "pw", "passw0rd", "p4ssw0rd", "tiger", "mypass", "hunter2",
];

/// A database URL of documentation: its host is a reserved example name (RFC 2606, RFC 6761:
/// `example.com`, `*.example`, `*.test`, `*.invalid`), its password a dummy word
/// (`user:pass@`, `scott:tiger@`).
fn is_example_database_url(line: &str, password: &str) -> bool {
    let Some(at) = line.find(&format!(":{password}@")) else {
        return false;
    };
    let host: String = line[at + password.len() + 2..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect::<String>()
        .to_ascii_lowercase();
    let reserved = ["example.com", "example.org", "example.net"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
        || [".example", ".test", ".invalid"]
            .iter()
            .any(|t| host.ends_with(t))
        || matches!(host.as_str(), "host" | "hostname" | "your-host" | "server");
    // A default password on a real host stays a secret: it is a weak credential in use.
    let dummy = DUMMY_URL_PASSWORDS.contains(&password.to_ascii_lowercase().as_str());
    reserved || dummy
}

/// Hosts that are the developer's own machine or a compose service on it.
fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    matches!(
        host,
        "localhost" | "127.0.0.1" | "::1" | "0.0.0.0" | "host.docker.internal"
    ) || host.ends_with(".localhost")
        || matches!(
            host,
            "db" | "database"
                | "postgres"
                | "postgresql"
                | "mysql"
                | "mariadb"
                | "redis"
                | "mongo"
                | "mongodb"
                | "rabbitmq"
                | "pg"
        )
}

/// Passwords that database images and tutorials use by default.
const DEFAULT_PASSWORDS: [&str; 17] = [
    "tiger",
    "postgres",
    "password",
    "pass",
    "root",
    "admin",
    "mysql",
    "secret",
    "guest",
    "dev",
    "development",
    "test",
    "testing",
    "local",
    "docker",
    "example",
    "changeme",
];

/// A `scheme://user:password@host…` URL for a local development database whose password is the
/// image default or the user name (`postgres://postgres:postgres@localhost:5432/app`). Any other
/// host, or a password that is neither, is not one.
pub fn is_local_default_dsn(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((userinfo, hostport)) = authority.rsplit_once('@') else {
        return false;
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return false;
    };
    let host = match hostport.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => hostport,
    };
    let default =
        DEFAULT_PASSWORDS.contains(&password.to_ascii_lowercase().as_str()) || password == user;
    is_local_host(&host.to_ascii_lowercase()) && default
}

/// A connection string in keyword form pointing at a local database with its image's default
/// password (`host=localhost user=postgres password=postgres`, JDBC
/// `//localhost:5432/app?user=postgres&password=postgres`, `Server=localhost;Uid=root;Pwd=root`):
/// as [`is_local_default_dsn`] judges a URL's user-info.
pub fn is_local_default_keywords(value: &str, password: &str) -> bool {
    // The URL form only when the value is one (`jdbc:postgresql://…`), not when a URL sits in
    // some keyword's value (`Application Name=http://localhost`).
    let url = value.split_once("://").filter(|(scheme, _)| {
        scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-' | b':'))
    });
    let host = match url {
        Some((_, rest)) => {
            let authority = rest.split(['/', '?', '#', ';']).next().unwrap_or_default();
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            hostport.split(':').next().unwrap_or_default().to_owned()
        }
        None => keyword(value, &["host", "server", "data source", "addr", "address"])
            .unwrap_or_default()
            .to_owned(),
    };
    let host = host.trim_start_matches("tcp:");
    // Every host of a list (`host=a,b`) must be local; a named instance (`srv\\sql`) is its
    // host's.
    // (`Server=tcp:db,1433` gives a port after the comma).
    let mut hosts = (host.split(','))
        .filter(|h| !h.bytes().all(|b| b.is_ascii_digit()))
        .map(|h| h.split('\\').next().unwrap_or_default());
    let user = keyword(value, &["user", "uid", "user id", "username", "userid"]).unwrap_or("");
    let default = DEFAULT_PASSWORDS.contains(&password.to_ascii_lowercase().as_str())
        || (!user.is_empty() && password == user);
    hosts.all(|h| is_local_host(&h.to_ascii_lowercase())) && default
}

/// The value of the first of `keys` (any case) written as `key=value` at the start of the text
/// or after a space, `?`, `&` or `;`: up to the next of those.
fn keyword<'v>(value: &'v str, keys: &[&str]) -> Option<&'v str> {
    let lower = value.to_ascii_lowercase();
    keys.iter().find_map(|key| {
        let probe = format!("{key}=");
        lower.match_indices(&probe).find_map(|(i, _)| {
            let before = i.checked_sub(1).map(|b| lower.as_bytes()[b]);
            if !matches!(before, None | Some(b' ' | b'?' | b'&' | b';')) {
                return None;
            }
            let rest = &value[i + probe.len()..];
            let end = rest.find([' ', '&', ';']).unwrap_or(rest.len());
            Some(rest[..end].trim_matches(['\'', '"']))
        })
    })
}

/// How many characters of key material follow a PEM `-----BEGIN … PRIVATE KEY-----` header:
/// base64 runs of at least 20 characters up to the `-----END` line, after optional RFC 1421
/// headers (`Proc-Type:`, `DEK-Info:`). Escaped newlines (`\n` in JSON and code), comment
/// markers and string quotes around each line are looked through, so a real key is found in a
/// YAML block, a JSON string or a commented-out config line alike.
pub fn key_body_chars(after_header: &str) -> usize {
    let window: String = after_header.chars().take(8192).collect();
    let normalized = window.replace("\\r", "").replace("\\n", "\n");
    let mut count = 0;
    for raw in normalized.lines() {
        let line = strip_line_decoration(raw);
        if line.is_empty() {
            continue;
        }
        if line.starts_with("-----END") {
            break;
        }
        if count == 0 && line.contains(':') {
            continue; // an RFC 1421 header such as `Proc-Type: 4,ENCRYPTED`
        }
        for token in line.split_whitespace() {
            let base64 = token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
            if !base64 || token.len() < 20 {
                return count;
            }
            count += token.len();
        }
    }
    count
}

/// A line without comment markers, string quotes, concatenation and trailing commas.
fn strip_line_decoration(raw: &str) -> &str {
    let mut line = raw.trim();
    for marker in ["//", "#", "*", ";", "-- "] {
        if let Some(rest) = line.strip_prefix(marker) {
            line = rest.trim_start();
            break;
        }
    }
    line.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ',' | '+' | '\\')
    })
}

/// A private key body is at least this many base64 characters (an Ed25519 PKCS#8 key, the
/// smallest in use, is 64 characters of base64).
pub const MIN_KEY_BODY_CHARS: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_paths_and_names() {
        for yes in [
            "tests/keys/server.key",
            "pkg/auth/testdata/rsa.pem",
            "src/__mocks__/config.ts",
            "examples/webhook/.env",
            "api/.env.test",
            "spec/support/fixtures/key.pem",
            "config/settings_test.py",
            "app/conftest.py",
            "unit_test/sample_key/ecp256/ca.key",
        ] {
            assert!(is_test_path(yes), "{yes}");
        }
        for no in [
            "config/production.yml",
            "src/latest.json",
            "deploy/attestation.yaml",
            "contest/keys.pem",
            ".env",
        ] {
            assert!(!is_test_path(no), "{no}");
        }
    }

    #[test]
    fn local_development_configs_are_reported_apart_but_provider_tokens_are_not() {
        for path in [
            "contrib/local-environment/oauth2-proxy-keycloak.cfg",
            "contrib/local-environment/keycloak/oauth2-proxy-realm.json",
            "src/flagd-ui/config/dev.exs",
            "config/environments/development.rb",
            "src/Api/appsettings.Development.json",
            ".devcontainer/docker-compose.yml",
        ] {
            assert!(is_local_development_path(path), "{path}");
            assert_eq!(
                classify(
                    path,
                    "client_secret = \"72341b6d7bd5\"",
                    "password-assignment",
                    "x"
                ),
                HitClass::TestFixture,
                "{path}"
            );
            assert_eq!(
                classify(path, "token = ghp_x", "github-token", "ghp_x"),
                HitClass::Secret,
                "{path}"
            );
        }
        // The near misses: production configs named like their neighbours stay secrets.
        for path in [
            "config/prod.exs",
            "config/runtime.exs",
            "config/environments/production.rb",
            "src/Api/appsettings.json",
            "deploy/local.cfg",
            "dev.exs",
        ] {
            assert!(!is_local_development_path(path), "{path}");
            assert_eq!(
                classify(
                    path,
                    "password = \"s3cr3t-Real\"",
                    "password-assignment",
                    "x"
                ),
                HitClass::Secret,
                "{path}"
            );
        }
    }

    #[test]
    fn vendored_and_generated_files() {
        for yes in [
            ".yarn/releases/yarn-4.1.0.cjs",
            "web/node_modules/x/index.js",
            "vendor/github.com/a/b/c.go",
            "static/app.min.js",
            "dist/app.js.map",
            ".pnp.cjs",
        ] {
            assert!(is_vendored_or_generated(yes), "{yes}");
        }
        for no in [
            "src/vendors.ts",
            "app/minimal.js",
            ".yarnrc.yml",
            "vendored.md",
        ] {
            assert!(!is_vendored_or_generated(no), "{no}");
        }
    }

    #[test]
    fn a_provider_token_on_a_commented_docs_line_stays_a_secret() {
        let token = "ghp_R8fK2mWq9Lx4Tz7Vb1Nc5Hd3Jg6Ps0Ya2Ue8";
        assert_eq!(
            classify(
                "docs/setup.md",
                &format!("# export GITHUB_TOKEN={token}"),
                "github-token",
                token
            ),
            HitClass::Secret
        );
    }

    #[test]
    fn comments_in_docs_and_default_configs_are_examples() {
        let secret = "whsec_8fG2kLmN0pQrStUvWx";
        let line = "# webhook_secret = \"whsec_8fG2kLmN0pQrStUvWx\"";
        for (path, text, value, class) in [
            ("config.default.toml", line, secret, HitClass::Example),
            ("docs/webhooks.md", line, secret, HitClass::Example),
            // Near misses: the same commented line in a real config, the line uncommented in docs.
            ("config.toml", line, secret, HitClass::Secret),
            ("config.default.toml", &line[2..], "x", HitClass::Secret),
        ] {
            assert_eq!(
                classify(path, text, "password-assignment", value),
                class,
                "{path}: {text}"
            );
        }
    }

    #[test]
    fn pem_lines_are_not_comments() {
        assert_eq!(
            classify(
                "test/sample_key",
                "-----BEGIN RSA PRIVATE KEY-----",
                "private-key",
                ""
            ),
            HitClass::TestFixture
        );
    }

    #[test]
    fn test_trees_downgrade_keys_but_not_provider_tokens() {
        assert_eq!(
            classify("tests/tls/server.key", "-----BEGIN", "private-key", ""),
            HitClass::TestFixture
        );
        let token = format!("ghp_{}", "Zk3".repeat(12));
        assert_eq!(
            classify("tests/api.rs", "", "github-token", &token),
            HitClass::Secret
        );
        let example = format!("ghp_{}", "x".repeat(36));
        assert_eq!(
            classify("README.md", "", "github-token", &example),
            HitClass::Example
        );
    }

    #[test]
    fn local_default_dsns() {
        assert!(is_local_default_dsn(
            "postgres://postgres:postgres@localhost:5432/app_test"
        ));
        assert!(is_local_default_dsn("mysql://root:root@127.0.0.1/app"));
        assert!(is_local_default_dsn("postgresql://app:app@db:5432/app"));
        // Near misses: a remote host, a real-looking password.
        assert!(!is_local_default_dsn(
            "postgres://postgres:postgres@db.prod.example.com/app"
        ));
        assert!(!is_local_default_dsn(
            "postgres://app:Xk9fQ2mL7pW4@localhost/app"
        ));
        assert!(!is_local_default_dsn("postgres://localhost/app"));
        for (value, password, local) in [
            (
                "host=localhost port=5432 user=postgres password=postgres dbname=app",
                "postgres",
                true,
            ),
            (
                "jdbc:postgresql://localhost:5432/app?user=postgres&password=postgres",
                "postgres",
                true,
            ),
            (
                "Server=localhost;Database=app;Uid=root;Pwd=root;",
                "root",
                true,
            ),
            (
                "Server=tcp:127.0.0.1,1433;User ID=app;Password=app;",
                "app",
                true,
            ),
            (
                "host=db.prod.internal user=postgres password=postgres",
                "postgres",
                false,
            ),
            (
                "host=localhost user=app password=Xk9fQ2mL7pW4",
                "Xk9fQ2mL7pW4",
                false,
            ),
            (
                "host=localhost,db.prod.internal user=postgres password=postgres",
                "postgres",
                false,
            ),
            (
                "Server=prod;Application Name=http://localhost;Uid=root;Pwd=root",
                "root",
                false,
            ),
        ] {
            assert_eq!(is_local_default_keywords(value, password), local, "{value}");
        }
    }

    #[test]
    fn key_bodies() {
        let line = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
        let pem = format!("\n{line}\n{line}\n-----END PRIVATE KEY-----\n");
        assert!(key_body_chars(&pem) >= MIN_KEY_BODY_CHARS);
        let escaped = format!("\\n{line}\\n{line}\\n-----END PRIVATE KEY-----\\n\"");
        assert!(key_body_chars(&escaped) >= MIN_KEY_BODY_CHARS);
        let commented = format!("\n# {line}\n# {line}\n");
        assert!(key_body_chars(&commented) >= MIN_KEY_BODY_CHARS);
        let encrypted = format!("\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17\n\n{line}\n");
        assert!(key_body_chars(&encrypted) >= MIN_KEY_BODY_CHARS);
        for placeholder in [
            "\\n...\\n-----END RSA PRIVATE KEY-----",
            "\n...\n",
            "\" and ends with -----END PRIVATE KEY-----\",",
            "\n<your key here>\n",
            "",
            "\nThe key file must contain the whole PEM block including the header lines\n",
        ] {
            assert!(
                key_body_chars(placeholder) < MIN_KEY_BODY_CHARS,
                "{placeholder}"
            );
        }
    }
}
