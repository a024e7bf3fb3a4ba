//! Secret detection and redaction, shared by collection (which must redact before anything
//! reaches Facts) and by checks (which judge the redacted hits).
//!
//! Detectors are deliberately few and specific: a token format with a fixed prefix (AWS, GitHub,
//! Slack, Stripe, Google, npm, PyPI), a PEM private key header, and a generic
//! `password = "…"` assignment that only counts when the quoted value is long and high-entropy.
//! False positives teach people to ignore a gate, so anything ambiguous is left out.
//!
//! [`scan_text`] runs over every text file of a repository, so each detector first looks for a
//! cheap literal (`contains`, vectorised) and only files containing it pay for the regex.

use std::sync::LazyLock;

use regex::Regex;

use crate::facts::repo::{RepoFacts, SecretHit, Workflow};
use crate::secret_context::{
    MIN_KEY_BODY_CHARS, classify, is_local_default_dsn, is_vendored_or_generated, key_body_chars,
};

/// One token format.
struct Detector {
    /// Stable kind name, shown in findings (`aws-access-key-id`).
    kind: &'static str,
    /// At least one of these literals must occur in the text before the regex runs.
    prefilter: &'static [&'static str],
    regex: LazyLock<Regex>,
    /// How many leading characters of a match identify the format without revealing the
    /// secret (`AKIA`, `ghp_`); kept in previews.
    prefix_len: usize,
}

macro_rules! detector {
    ($kind:expr, $prefilter:expr, $re:expr, $prefix:expr) => {
        Detector {
            kind: $kind,
            prefilter: $prefilter,
            regex: LazyLock::new(|| Regex::new($re).expect("detector regexes are valid")),
            prefix_len: $prefix,
        }
    };
}

/// Most specific first: a line is reported once, by the first detector that matches it.
static DETECTORS: [Detector; 11] = [
    detector!(
        "private-key-json",
        &["\"private_key\""],
        r#""private_key"\s*:\s*"-----BEGIN [A-Z ]*PRIVATE KEY-----"#,
        0
    ),
    detector!(
        "private-key",
        &["PRIVATE KEY"],
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        10
    ),
    detector!(
        "aws-access-key-id",
        &["AKIA", "ASIA"],
        r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
        4
    ),
    detector!(
        "github-token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b",
        4
    ),
    detector!(
        "github-fine-grained-token",
        &["github_pat_"],
        r"\bgithub_pat_[A-Za-z0-9_]{50,255}\b",
        11
    ),
    detector!(
        "slack-token",
        &["xox"],
        r"\bxox[abposr]-[A-Za-z0-9-]{10,250}",
        5
    ),
    detector!(
        "stripe-live-key",
        &["_live_"],
        r"\b[sr]k_live_[A-Za-z0-9]{20,247}\b",
        8
    ),
    detector!("google-api-key", &["AIza"], r"\bAIza[0-9A-Za-z_\-]{35}", 4),
    detector!("npm-token", &["npm_"], r"\bnpm_[A-Za-z0-9]{36}\b", 4),
    detector!(
        "pypi-token",
        &["pypi-AgE"],
        r"\bpypi-AgE[A-Za-z0-9_\-]{50,}",
        8
    ),
    detector!(
        "password-assignment",
        &[
            "password", "PASSWORD", "Password", "passwd", "PASSWD", "secret", "SECRET", "Secret",
        ],
        // `password = "…"`, `"db_password": "…"`, `SECRET: '…'`: a secret-named key assigned a
        // quoted literal. The value is judged afterwards (length, entropy, placeholders).
        r#"(?i)(?:password|passwd|secret)[a-z0-9_\-]*["']?\s*(?::|=|:=|=>)\s*["']([^"'\s]{12,200})["']"#,
        0
    ),
];

/// A secret found in a value: its kind and where it sits in the value (byte range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub kind: &'static str,
    pub start: usize,
    pub end: usize,
    prefix_len: usize,
}

impl Match {
    /// A preview that identifies the format without the secret: `AKIA…(20 chars)`.
    pub fn preview(&self, text: &str) -> String {
        preview(&text[self.start..self.end], self.prefix_len)
    }
}

/// `AKIA…(20 chars)`: the format's fixed prefix, then only the length.
pub fn preview(secret: &str, prefix_len: usize) -> String {
    let chars = secret.chars().count();
    let prefix: String = secret.chars().take(prefix_len.min(chars / 2)).collect();
    format!("{prefix}…({chars} chars)")
}

/// The replacement stored instead of a secret value: `<redacted github-token, 40 chars>`.
pub fn redaction(kind: &str, value: &str) -> String {
    format!("<redacted {kind}, {} chars>", value.chars().count())
}

/// Every secret-looking span of `text`, in order, non-overlapping.
pub fn find_all(text: &str) -> Vec<Match> {
    let mut found: Vec<Match> = Vec::new();
    for d in &DETECTORS {
        if !d.prefilter.iter().any(|lit| text.contains(lit)) {
            continue;
        }
        for caps in d.regex.captures_iter(text) {
            // The generic detector reports only the quoted value (group 1), and only when it
            // does not look like a placeholder and is random enough to be a real credential.
            let m = caps.get(1).unwrap_or_else(|| caps.get(0).expect("group 0"));
            if d.kind == "password-assignment" && !looks_random(m.as_str()) {
                continue;
            }
            if d.kind == "aws-access-key-id" && m.as_str().ends_with("EXAMPLE") {
                continue; // AWS's documented example key, everywhere in docs and tests.
            }
            // A PEM header is a key only with key material after it: not in a comment, a
            // schema description or a docs placeholder (`-----BEGIN RSA PRIVATE KEY-----\n...`).
            let is_pem = d.kind == "private-key" || d.kind == "private-key-json";
            if is_pem && key_body_chars(&text[m.end()..]) < MIN_KEY_BODY_CHARS {
                continue;
            }
            let overlaps = found.iter().any(|f| m.start() < f.end && f.start < m.end());
            if !overlaps {
                found.push(Match {
                    kind: d.kind,
                    start: m.start(),
                    end: m.end(),
                    prefix_len: d.prefix_len,
                });
            }
        }
    }
    found.sort_by_key(|m| m.start);
    found
}

/// `text` with every secret-looking span replaced by its redaction, and the kinds found.
pub fn redact(text: &str) -> (String, Vec<&'static str>) {
    let found = find_all(text);
    if found.is_empty() {
        return (text.to_owned(), Vec::new());
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in &found {
        out.push_str(&text[at..m.start]);
        out.push_str(&redaction(m.kind, &text[m.start..m.end]));
        at = m.end;
    }
    out.push_str(&text[at..]);
    (out, found.iter().map(|m| m.kind).collect())
}

/// Redacts token-shaped values in a workflow's `run:` scripts and `uses:`/image values before
/// they are stored in facts (`run: curl -H "Authorization: token ghp_…"`).
pub fn redact_workflow(wf: &mut Workflow) {
    for item in wf.runs.iter_mut().chain(&mut wf.uses).chain(&mut wf.images) {
        if !find_all(&item.value).is_empty() {
            item.value = redact(&item.value).0;
        }
    }
}

/// Scans a text file for secret-looking values. Values are redacted in the returned hits: only
/// the kind and a preview such as `AKIA…(20 chars)` are kept. One hit per line.
pub fn scan_text(path: &str, text: &str) -> Vec<SecretHit> {
    let mut hits = Vec::new();
    let mut line_of = LineCounter::new(text);
    let mut last_line = 0;
    for m in find_all(text) {
        let line = line_of.line_at(m.start);
        if line == last_line {
            continue;
        }
        last_line = line;
        hits.push(SecretHit {
            path: path.to_owned(),
            line,
            kind: m.kind.to_owned(),
            preview: m.preview(text),
            class: classify(
                path,
                line_text(text, m.start),
                m.kind,
                &text[m.start..m.end],
            ),
        });
    }
    if is_dotenv_with_values(path) {
        for (line, key, value) in dotenv_assignments(text) {
            if hits.iter().any(|h| h.line == line) {
                continue;
            }
            // A local development database with its image's default password is not a secret.
            let local_default = is_local_default_dsn(value);
            let secret = !local_default
                && ((is_secret_name(key) && !is_placeholder(value))
                    || url_password(value).is_some_and(|p| !is_placeholder(p)));
            if secret {
                hits.push(SecretHit {
                    path: path.to_owned(),
                    line,
                    kind: "dotenv-value".to_owned(),
                    preview: preview(value, 0),
                    class: classify(path, "", "dotenv-value", value),
                });
            }
        }
        hits.sort_by_key(|h| h.line);
    }
    hits
}

/// Searches one committed text file: vendored and generated files are recorded as skipped, the
/// others' hits are added to the facts.
pub fn search_file(path: &str, text: &str, facts: &mut RepoFacts) {
    if is_vendored_or_generated(path) {
        facts.secrets_skipped.push(path.to_owned());
    } else {
        facts.secrets.extend(scan_text(path, text));
    }
}

/// The whole line around byte `offset`.
fn line_text(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    &text[start..end]
}

/// Maps byte offsets to 1-based lines, for offsets given in increasing order.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> u32 {
        let skipped = self.text[self.offset..offset].matches('\n').count();
        self.line += u32::try_from(skipped).unwrap_or(u32::MAX);
        self.offset = offset;
        self.line
    }
}

/// A `.env` file meant to hold real values: `.env`, `.env.local`, `prod.env`…, but not the
/// templates committed on purpose (`.env.example`, `.env.sample`, `.env.template`,
/// `.env.dist`, `.env.defaults`). Token formats are still detected in templates.
pub fn is_dotenv_with_values(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let is_env = name == ".env" || name.starts_with(".env.") || name.ends_with(".env");
    let template = [
        "example", "sample", "template", "dist", "defaults", "tmpl", "tpl",
    ]
    .iter()
    .any(|t| name.contains(t));
    is_env && !template
}

/// `KEY=value` lines of a dotenv file (with optional `export`), values unquoted.
fn dotenv_assignments(text: &str) -> impl Iterator<Item = (u32, &str, &str)> {
    text.lines().enumerate().filter_map(|(i, raw)| {
        let line = raw.trim();
        if line.starts_with('#') {
            return None;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (key, value) = line.split_once('=')?;
        let value = value.trim();
        let value = strip_quotes(value.split(" #").next().unwrap_or(value).trim());
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        Some((n, key.trim(), value))
    })
}

/// The password of a `scheme://user:password@host` URL (`DATABASE_URL=postgres://…`).
pub fn url_password(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let authority = rest.split('/').next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    Some(password)
}

fn strip_quotes(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// A key whose value is a credential by name: `DB_PASSWORD`, `STRIPE_SECRET`, `GITHUB_TOKEN`,
/// `API_KEY`… but not a pointer to one (`PASSWORD_FILE`, `TOKEN_URL`, `SECRET_ARN`).
pub fn is_secret_name(key: &str) -> bool {
    let k = key.to_ascii_uppercase().replace('-', "_");
    let named = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|n| k.contains(n));
    let pointer = [
        "_FILE", "_PATH", "_DIR", "_URL", "_URI", "_ARN", "_NAME", "_ID", "_REF", "_ENV", "_TTL",
        "_LENGTH",
    ]
    .iter()
    .any(|s| k.ends_with(s));
    named && !pointer
}

/// A value that stands in for a secret rather than being one: empty, a variable reference,
/// a template, or a well-known dummy word.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || v.starts_with('$') || v.contains("${") || v.contains("{{") {
        return true;
    }
    if v.starts_with('<') && v.ends_with('>') {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let dummy = [
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "example",
        "placeholder",
        "dummy",
        "redacted",
        "your-",
        "your_",
        "todo",
        "tbd",
        "replace",
        "secret",
        "password",
        "xxxx",
        "****",
        "....",
        "…",
        // Keyboard-run dummies (`sk-proj-…-1234567890`): no generator emits these runs.
        "1234567890",
        "0123456789",
        "abcdefghij",
    ];
    if dummy.iter().any(|d| lower.contains(d)) {
        return true;
    }
    let first = v.chars().next().unwrap_or(' ');
    v.chars().all(|c| c == first)
        || matches!(lower.as_str(), "none" | "null" | "test" | "true" | "false")
}

/// A quoted value random enough to be a real credential: at least 12 characters of three
/// character classes with a Shannon entropy of at least 3.5 bits per character, and not a
/// placeholder. `hunter2` or `correct-horse` do not qualify; that is a deliberate trade.
pub fn looks_random(value: &str) -> bool {
    if value.chars().count() < 12 || is_placeholder(value) {
        return false;
    }
    // Credentials are ASCII; text in another script, raw or as `\uXXXX` escapes (translation
    // files: `"password": "\u041f\u0430\u0440\u043e\u043b\u044c"`), is a word.
    if !value.is_ascii() || has_unicode_escape(value) {
        return false;
    }
    // `chatkit_token_123`, `client_secret_123`: API-reference examples end in a counting run.
    if value.ends_with("123") {
        return false;
    }
    let classes = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
        value.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    classes >= 3 && shannon_entropy(value) >= 3.5
}

/// A `\uXXXX` escape (four hex digits).
fn has_unicode_escape(value: &str) -> bool {
    value.match_indices("\\u").any(|(i, _)| {
        let hex = value.get(i + 2..i + 6).unwrap_or_default();
        hex.len() == 4 && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn shannon_entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0u32) += 1;
    }
    let n = f64::from(u32::try_from(s.chars().count()).unwrap_or(u32::MAX));
    counts
        .values()
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::repo::HitClass;

    // Obviously fake values of the right shape, built at run time so this file itself holds no
    // token-shaped literal.
    fn fake(prefix: &str, filler: &str, len: usize) -> String {
        format!(
            "{prefix}{}",
            filler.repeat(len).get(..len).unwrap_or_default()
        )
    }

    #[test]
    fn finds_each_token_format_with_its_line() {
        let aws = fake("AKIA", "FAKE", 16);
        let gh = fake("ghp_", "FAKE", 36);
        let text = format!("a\nkey = \"{aws}\"\n\ntoken: {gh}\n");
        let hits = scan_text("config/app.yml", &text);
        let got: Vec<_> = hits.iter().map(|h| (h.line, h.kind.as_str())).collect();
        assert_eq!(got, vec![(2, "aws-access-key-id"), (4, "github-token")]);
        assert_eq!(hits[0].preview, "AKIA…(20 chars)");
        assert_eq!(hits[1].preview, "ghp_…(40 chars)");
    }

    /// Two lines of base64 shaped like a key body (not a key).
    fn fake_key_body(newline: &str) -> String {
        let line = fake("MIIE", "vQIBADANBgkqhkiG9w0BAQEFAASC", 60);
        format!("{line}{newline}{line}")
    }

    #[test]
    fn private_keys_and_service_account_json() {
        let body = fake_key_body("\n");
        let pem = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"
        );
        assert_eq!(scan_text("id_ed25519", &pem)[0].kind, "private-key");
        let escaped = fake_key_body("\\n");
        let json = format!(
            "{{\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{escaped}\\n-----END PRIVATE KEY-----\\n\"\n}}"
        );
        let hits = scan_text("sa.json", &json);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].line, hits[0].kind.as_str()),
            (2, "private-key-json")
        );
        assert!(scan_text("x.pem", "-----BEGIN PUBLIC KEY-----\n").is_empty());
    }

    #[test]
    fn pem_headers_without_a_key_body_are_not_keys() {
        for quiet in [
            "// Expects a PEM file starting with -----BEGIN RSA PRIVATE KEY-----\n",
            "{\"description\": \"PEM text: -----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----\"}\n",
            "```\nKEY=\"-----BEGIN RSA PRIVATE KEY-----\\n...\\n-----END RSA PRIVATE KEY-----\"\n```\n",
            "-----BEGIN EC PRIVATE KEY-----\n<paste your key here>\n-----END EC PRIVATE KEY-----\n",
            "-----BEGIN RSA PRIVATE KEY-----",
        ] {
            assert!(scan_text("docs/setup.md", quiet).is_empty(), "{quiet}");
        }
        // Near miss: the same comment style with a key body after it is a key.
        let body = fake_key_body("\n# ");
        let commented = format!(
            "# -----BEGIN RSA PRIVATE KEY-----\n# {body}\n# -----END RSA PRIVATE KEY-----\n"
        );
        let hits = scan_text("config/app.conf", &commented);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].class, HitClass::Secret);
    }

    #[test]
    fn test_fixture_keys_are_classified_not_dropped() {
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
            fake_key_body("\n")
        );
        let in_tests = scan_text("internal/tls/testdata/server.key", &pem);
        assert_eq!(in_tests[0].class, HitClass::TestFixture);
        let real = scan_text("deploy/tls/server.key", &pem);
        assert_eq!(real[0].class, HitClass::Secret);
    }

    #[test]
    fn translations_and_keyboard_dummies_are_not_passwords() {
        for quiet in [
            "\"password\": \"\\u041f\\u0430\\u0440\\u043e\\u043b\\u044c\",\n",
            "\"password_hint\": \"Пароль_для_входа_123\",\n",
            "OPENAI_SECRET = \"sk-proj-abc-1234567890\"\n",
            "\"client_secret\": \"chatkit_token_123\",\n",
        ] {
            assert!(scan_text("locales/ru.json", quiet).is_empty(), "{quiet}");
        }
        // Near miss: a random value of the same length is reported.
        assert_eq!(
            scan_text("app.py", "OPENAI_SECRET = \"sk-proj-Zx8kQ2mP9vL4w\"\n").len(),
            1
        );
    }

    #[test]
    fn local_default_database_urls_in_dotenv_are_not_secrets() {
        let text = "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app_test\n";
        assert!(scan_text(".env.test", text).is_empty());
        assert!(scan_text(".env", text).is_empty());
        // Near misses: a remote host, or a real-looking password on localhost.
        let remote = "DATABASE_URL=postgres://postgres:postgres@db.prod.example.com/app\n";
        assert_eq!(scan_text(".env", remote).len(), 1);
        let random = "DATABASE_URL=postgres://app:Xk9fQ2mL7pW4@localhost/app\n";
        assert_eq!(scan_text(".env", random).len(), 1);
    }

    #[test]
    fn vendored_files_are_skipped_and_recorded() {
        let mut facts = RepoFacts::default();
        let gh = fake("ghp_", "FAKE", 36);
        search_file(
            ".yarn/releases/yarn-4.5.0.cjs",
            &format!("t=\"{gh}\""),
            &mut facts,
        );
        search_file("src/app.js", &format!("t=\"{gh}\""), &mut facts);
        assert_eq!(facts.secrets_skipped, [".yarn/releases/yarn-4.5.0.cjs"]);
        assert_eq!(facts.secrets.len(), 1);
        assert_eq!(facts.secrets[0].path, "src/app.js");
    }

    #[test]
    fn other_token_formats() {
        for (value, kind) in [
            (fake("xoxb-", "1234567890-", 30), "slack-token"),
            (fake("sk_live_", "FAKE", 24), "stripe-live-key"),
            (fake("AIza", "FakeKey0", 35), "google-api-key"),
            (fake("npm_", "FAKE", 36), "npm-token"),
            (
                fake("github_pat_", "FAKE_", 82),
                "github-fine-grained-token",
            ),
        ] {
            let hits = scan_text("f.txt", &format!("v={value}\n"));
            assert_eq!(hits.len(), 1, "{kind}: {hits:?}");
            assert_eq!(hits[0].kind, kind);
        }
    }

    #[test]
    fn generic_passwords_only_when_random() {
        let hit = scan_text("app.py", "db_password = \"Zx8!kQ2#mP9$vL4w\"\n");
        assert_eq!(hit.len(), 1);
        assert_eq!(hit[0].preview, "…(16 chars)");
        for quiet in [
            "password = \"hunter2\"\n",
            "password = \"correcthorsebatterystaple\"\n",
            "password = \"${DB_PASSWORD}\"\n",
            "PASSWORD: \"changeme-please-123\"\n",
            "password = os.environ[\"PASSWORD\"]\n",
            "sk_test_abcdefghijklmnopqrstuvwx\n",
            "AKIAIOSFODNN7EXAMPLE\n",
        ] {
            assert!(scan_text("app.py", quiet).is_empty(), "{quiet}");
        }
    }

    #[test]
    fn dotenv_files_with_secret_values_but_not_templates() {
        let text = "# config\nPORT=3000\nDB_PASSWORD=s3cr3tvalue\nAPI_TOKEN=\nexport STRIPE_SECRET='abc123'\nTOKEN_URL=https://x\nDATABASE_URL=postgres://app:pg-8c1d@db:5432/app\nCACHE_URL=redis://:${REDIS_PASSWORD}@cache:6379\n";
        let hits = scan_text("services/api/.env", text);
        let got: Vec<_> = hits.iter().map(|h| (h.line, h.kind.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, "dotenv-value"),
                (5, "dotenv-value"),
                (7, "dotenv-value")
            ]
        );
        assert_eq!(hits[0].preview, "…(11 chars)");
        assert!(scan_text(".env.example", text).is_empty());
        assert!(scan_text("docs/.env.sample", text).is_empty());
        assert!(scan_text(".env", "DB_PASSWORD=changeme\nSECRET=<your-secret>\n").is_empty());
    }

    #[test]
    fn redact_replaces_every_span_and_keeps_the_rest() {
        let gh = fake("ghp_", "FAKE", 36);
        let (out, kinds) = redact(&format!("curl -H 'Authorization: token {gh}' x"));
        assert_eq!(kinds, vec!["github-token"]);
        assert_eq!(
            out,
            "curl -H 'Authorization: token <redacted github-token, 40 chars>' x"
        );
        assert!(!out.contains(&gh));
        assert_eq!(redact("npm ci").0, "npm ci");
    }

    #[test]
    fn workflow_runs_are_redacted() {
        let gh = fake("ghp_", "FAKE", 36);
        let mut wf = Workflow::default();
        wf.runs.push(crate::facts::repo::Located {
            value: format!("curl -H 'Authorization: token {gh}' https://api.github.com"),
            line: 9,
        });
        redact_workflow(&mut wf);
        assert!(!wf.runs[0].value.contains(&gh));
        assert!(
            wf.runs[0]
                .value
                .contains("<redacted github-token, 40 chars>")
        );
    }

    #[test]
    fn secret_names_and_placeholders() {
        assert!(is_secret_name("DB_PASSWORD"));
        assert!(is_secret_name("github-token"));
        assert!(is_secret_name("STRIPE_API_KEY"));
        assert!(!is_secret_name("PASSWORD_FILE"));
        assert!(!is_secret_name("NODE_ENV"));
        assert!(!is_secret_name("AWS_SECRET_ARN"));
        assert!(is_placeholder(""));
        assert!(is_placeholder("${TOKEN}"));
        assert!(is_placeholder("<token>"));
        assert!(is_placeholder("xxxxxxxx"));
        assert!(!is_placeholder("s3cr3tvalue"));
    }

    #[test]
    fn never_panics_on_odd_text() {
        for t in [
            "",
            "\n\n",
            "password=\"",
            "é\u{0}ghp_",
            "-----BEGIN",
            "AKIA\u{301}",
        ] {
            let _ = scan_text(".env", t);
            let _ = redact(t);
        }
    }
}
