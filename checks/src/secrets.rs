//! Secret detection and redaction, shared by collection (which must redact before anything
//! reaches Facts) and by checks (which judge the redacted hits).
//!
//! Detectors are deliberately specific: a provider token format as the provider documents it
//! (AWS, GitHub, GitLab, Slack, Stripe, Google, SendGrid, Twilio, npm, PyPI, Azure), a private
//! key with key material after its header, a database URL with a password, a JWT signing secret
//! proven by the token it verifies (`crate::secret_jwt`), and a generic `password = "…"`
//! assignment that only counts when the quoted value is long and high-entropy.
//! False positives teach people to ignore a gate, so anything ambiguous is left out.
//!
//! [`scan_text`] runs over every text file of a repository, so each detector first looks for a
//! cheap literal (`contains`, vectorised) and only files containing it pay for the regex.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::facts::repo::{HitClass, RepoFacts, SecretHit, Workflow};
use crate::secret_context::{
    MIN_KEY_BODY_CHARS, classify, is_local_default_dsn, is_local_default_keywords,
    is_vendored_or_generated, key_body_chars,
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
///
/// Each provider format is written from the provider's own documentation, cited beside it. A
/// detector with a capture group reports only the group (the secret part of a longer match).
static DETECTORS: [Detector; 21] = [
    // Google Cloud service-account key files: the `private_key` member holds a PKCS#8 PEM
    // (cloud.google.com/iam/docs/keys-create-delete, "service account key file" format).
    detector!(
        "private-key-json",
        &["\"private_key\""],
        r#""private_key"\s*:\s*"-----BEGIN [A-Z ]*PRIVATE KEY-----"#,
        0
    ),
    // RFC 7468 labels (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`), the legacy OpenSSL labels
    // (`RSA`, `EC`, `DSA PRIVATE KEY`), OpenSSH's `OPENSSH PRIVATE KEY` (PROTOCOL.key), OpenPGP's
    // `PGP PRIVATE KEY BLOCK` (RFC 4880 §6.2) and the SSH.com `---- BEGIN SSH2 ENCRYPTED
    // PRIVATE KEY ----` (RFC 4716 framing).
    detector!(
        "private-key",
        &["PRIVATE KEY"],
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----",
        10
    ),
    // PuTTY's `.ppk` format (the PuTTY manual, appendix C): a header line, then `Private-Lines:`.
    detector!(
        "putty-private-key",
        &["PuTTY-User-Key-File-"],
        r"PuTTY-User-Key-File-[23]: [a-z0-9-]+",
        20
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
    // GitLab's documented token prefixes (docs.gitlab.com/security/tokens/, "Token prefixes"):
    // personal/project/group access `glpat-`, deploy `gldt-`, runner authentication `glrt-`,
    // OAuth application secret `gloas-`, pipeline trigger `glptt-`, feed `glft-`, incoming mail
    // `glimt-`, agent `glagent-`, SCIM `glsoat-`, and the runner registration token `GR1348941`.
    detector!(
        "gitlab-token",
        &[
            "glpat-",
            "gldt-",
            "glrt-",
            "gloas-",
            "glptt-",
            "glft-",
            "glimt-",
            "glagent-",
            "glsoat-",
            "GR1348941"
        ],
        r"\b(?:gl(?:pat|dt|rt|oas|ptt|ft|imt|agent|soat)-[0-9A-Za-z_\-]{20,255}|GR1348941[0-9A-Za-z_\-]{20,64})",
        6
    ),
    // Slack (api.slack.com/authentication/token-types): bot `xoxb-`, user `xoxp-`, workspace
    // `xoxa-`, legacy `xoxr-`/`xoxs-`/`xoxo-`, rotating refresh `xoxe-` and configuration
    // `xoxe.xoxp-` tokens, app-level `xapp-` tokens.
    detector!(
        "slack-token",
        &["xox", "xapp-"],
        r"\b(?:xoxe\.)?(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,250}",
        5
    ),
    // Slack incoming webhooks (api.slack.com/messaging/webhooks):
    // `https://hooks.slack.com/services/T…/B…/<24 alphanumerics>`, and workflow-builder
    // webhooks `hooks.slack.com/workflows|triggers/T…/A…/<digits>/<32 hex>`.
    detector!(
        "slack-webhook",
        &["hooks.slack.com/"],
        r"hooks\.slack\.com/(?:services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{24}\b|(?:workflows|triggers)/T[A-Z0-9]{6,12}/A[A-Z0-9]{6,12}/[0-9]{6,24}/[a-f0-9]{32}\b)",
        16
    ),
    // Stripe secret `sk_live_` and restricted `rk_live_` keys (docs.stripe.com/keys); test-mode
    // keys (`sk_test_`) cannot move money and are not reported.
    detector!(
        "stripe-live-key",
        &["_live_"],
        r"\b[sr]k_live_[A-Za-z0-9]{20,247}\b",
        8
    ),
    detector!("google-api-key", &["AIza"], r"\bAIza[0-9A-Za-z_\-]{35}", 4),
    // SendGrid API keys (docs.sendgrid.com, API keys): `SG.` + 22-character id + `.` +
    // 43-character secret, base64url.
    detector!(
        "sendgrid-api-key",
        &["SG."],
        r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b",
        3
    ),
    // Twilio (twilio.com/docs/iam/api-keys, /docs/glossary/what-is-a-sid): an Account SID
    // (`AC` + 32 hex) or API key SID (`SK` + 32 hex) with a 32-hex auth token or key secret
    // beside it (within a few lines, either order). A SID alone is an identifier, not a
    // credential, and is not reported.
    detector!(
        "twilio-credentials",
        &["AC", "SK"],
        r"\b(?:AC|SK)[0-9a-f]{32}\b",
        2
    ),
    detector!("npm-token", &["npm_"], r"\bnpm_[A-Za-z0-9]{36}\b", 4),
    // `.npmrc` registry credentials (docs.npmjs.com/cli/configuring-npm/npmrc, "Auth related
    // configuration"): `//registry.npmjs.org/:_authToken=<token>`; `${NPM_TOKEN}` is not one.
    detector!(
        "npmrc-auth-token",
        &["_authToken"],
        r#":_authToken\s*=\s*["']?([^\s"']{16,512})"#,
        0
    ),
    detector!(
        "pypi-token",
        &["pypi-AgE"],
        r"\bpypi-AgE[A-Za-z0-9_\-]{50,}",
        8
    ),
    // Azure Storage connection strings (learn.microsoft.com, "Configure Azure Storage
    // connection strings"): `AccountKey=` + the 512-bit account key, 88 characters of base64.
    detector!(
        "azure-storage-key",
        &["AccountKey="],
        r"AccountKey=([A-Za-z0-9+/]{86}==)",
        0
    ),
    // Service Bus / Event Hubs / IoT Hub connection strings: `SharedAccessKey=` + a 256-bit key,
    // 44 characters of base64.
    detector!(
        "azure-shared-access-key",
        &["SharedAccessKey="],
        r"SharedAccessKey=([A-Za-z0-9+/]{43}=)",
        0
    ),
    // Azure shared access signatures (learn.microsoft.com, "Create a service SAS"): a query with
    // the signed version `sv=` and `sig=`, the base64 HMAC-SHA256 signature (32 bytes), usually
    // percent-encoded. Judged in [`accept`]: the signature must decode to 32 bytes and the query
    // must carry `sv=`.
    detector!(
        "azure-sas-token",
        &["sig="],
        r"\bsig=([A-Za-z0-9%+/]{40,70}(?:=|%3[dD])?)",
        0
    ),
    // A URL of a database or broker with a password in its user-info
    // (`postgres://app:<password>@db.internal:5432/app`, RFC 3986 §3.2.1; the libpq, MySQL,
    // MongoDB, Redis and AMQP URI forms). The password is the reported span.
    detector!(
        "database-url-password",
        &[
            "postgres",
            "mysql",
            "mariadb",
            "mongodb",
            "redis",
            "amqp",
            "mssql",
            "sqlserver",
            "clickhouse",
            "cockroach"
        ],
        r#"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb)://[^:/\s"'@<>]{0,128}:([^\s"'/<>]{1,256})@[A-Za-z0-9.\-\[\]_]+"#,
        0
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
    let mut push = |kind, span: Range<usize>, prefix_len| {
        let overlaps = found
            .iter()
            .any(|f| span.start < f.end && f.start < span.end);
        if !overlaps {
            found.push(Match {
                kind,
                start: span.start,
                end: span.end,
                prefix_len,
            });
        }
    };
    // A JWT signing key is proven by the token it verifies: more specific than any format.
    for span in crate::secret_jwt::hmac_secrets(text) {
        push(crate::secret_jwt::KIND, span, 0);
    }
    for d in &DETECTORS {
        if !d.prefilter.iter().any(|lit| text.contains(lit)) {
            continue;
        }
        for caps in d.regex.captures_iter(text) {
            // A detector with a capture group reports only the group (the secret part).
            let whole = caps.get(0).expect("group 0");
            let value = caps.get(1).unwrap_or(whole);
            if let Some(span) = secret_span(d.kind, text, whole.range(), value.range()) {
                push(d.kind, span, d.prefix_len);
            }
        }
    }
    found.sort_by_key(|m| m.start);
    found
}

/// The span to report for one regex match, or `None` when the match is not a secret after all
/// (a placeholder, a documented example key, a header with no key after it…).
fn secret_span(
    kind: &str,
    text: &str,
    whole: Range<usize>,
    value: Range<usize>,
) -> Option<Range<usize>> {
    let v = &text[value.clone()];
    let accepted = match kind {
        // The generic detector reports only a value random enough to be a real credential.
        "password-assignment" => looks_random(v),
        // AWS's documented example key, everywhere in docs and tests.
        "aws-access-key-id" => !v.ends_with("EXAMPLE"),
        // A PEM header is a key only with key material after it: not in a comment, a schema
        // description or a docs placeholder (`-----BEGIN RSA PRIVATE KEY-----\n...`).
        "private-key" | "private-key-json" => {
            key_body_chars(&text[whole.end..]) >= MIN_KEY_BODY_CHARS
        }
        "putty-private-key" => text[whole.end..]
            .get(..4096.min(text.len() - whole.end))
            .is_some_and(|after| after.contains("Private-Lines:")),
        "twilio-credentials" => return twilio_span(text, value),
        "npmrc-auth-token" => !is_placeholder(v) && !v.contains('$'),
        "azure-sas-token" => is_sas_signature(text, whole.start, v),
        "database-url-password" => !is_template(v) && !is_local_default_dsn(&text[whole.clone()]),
        _ => true,
    };
    accepted.then_some(value)
}

/// A Twilio SID with its 32-hex token within 240 bytes on either side: the span covers both,
/// so redaction removes the token too. A SID alone is an identifier and not reported.
fn twilio_span(text: &str, sid: Range<usize>) -> Option<Range<usize>> {
    static TOKEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b[0-9a-f]{32}\b").expect("valid"));
    let lo = floor_char_boundary(text, sid.start.saturating_sub(240));
    let hi = ceil_char_boundary(text, (sid.end + 240).min(text.len()));
    let sid_hex = &text[sid.start + 2..sid.end];
    let token = TOKEN
        .find_iter(&text[lo..hi])
        .map(|m| (lo + m.start())..(lo + m.end()))
        .filter(|t| t.end <= sid.start || t.start >= sid.end)
        .find(|t| &text[t.clone()] != sid_hex)?;
    Some(sid.start.min(token.start)..sid.end.max(token.end))
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// An Azure SAS signature: the query it sits in (the run of text between whitespace or quotes)
/// carries the signed version `sv=`, and the signature decodes to an HMAC-SHA256 (32 bytes).
fn is_sas_signature(text: &str, sig_at: usize, sig: &str) -> bool {
    let delimiter = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>');
    let start = text[..sig_at].rfind(delimiter).map_or(0, |i| i + 1);
    let end = text[sig_at..]
        .find(delimiter)
        .map_or(text.len(), |i| sig_at + i);
    let query = &text[start..end];
    let signed_version =
        query.starts_with("sv=") || query.contains("&sv=") || query.contains("?sv=");
    signed_version && crate::secret_jwt::base64_len(&percent_decode(sig)) == Some(32)
}

/// `%2B` → `+`, `%2F` → `/`, `%3D` → `=` (the only escapes base64 needs in a query).
fn percent_decode(s: &str) -> String {
    s.replace("%2B", "+")
        .replace("%2b", "+")
        .replace("%2F", "/")
        .replace("%2f", "/")
        .replace("%3D", "=")
        .replace("%3d", "=")
}

/// A password slot filled by a template rather than a value (`%s`, `{password}`, `<pw>`,
/// `$PW`, `***`), or a placeholder word.
fn is_template(password: &str) -> bool {
    password.contains(['{', '}', '$', '<', '>', '*'])
        || ["%s", "%v", "%(", "%d"]
            .iter()
            .any(|f| password.contains(f))
        || is_placeholder(password)
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
    // A committed `.env` template shows the shape of its URLs; only token formats count there.
    let template = is_dotenv_template(path);
    for m in find_all(text) {
        if template && m.kind == "database-url-password" {
            continue;
        }
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
            let local_default = is_local_default_dsn(value)
                || connection_password(value)
                    .is_some_and(|(_, p)| is_local_default_keywords(value, p));
            let secret = !local_default
                && ((is_secret_name(key) && !is_placeholder(value))
                    || connection_password(value).is_some_and(|(_, p)| !is_placeholder(p)));
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
        let mut hits = scan_text(path, text);
        if crate::parse::classify(path) == crate::facts::repo::FileKind::Dockerfile {
            hits.extend(heredoc_file_hits(path, text, &hits));
            hits.sort_by_key(|h| h.line);
        }
        facts.secrets.extend(hits);
    }
}

/// Hits in the files a Dockerfile's `COPY`/`ADD` heredocs write (`COPY <<EOF /app/.env`):
/// each body is searched as a file at its destination path (so a `.env` destination's
/// `KEY=value` lines count), and reported at its line of the Dockerfile. Lines `found` already
/// has a hit on are not repeated.
fn heredoc_file_hits(path: &str, text: &str, found: &[SecretHit]) -> Vec<SecretHit> {
    let in_tests = crate::secret_context::is_test_path(path);
    let mut hits = Vec::new();
    for file in crate::parse::dockerfile::inline_files(text) {
        for mut hit in scan_text(&file.destination, &file.body) {
            hit.line = file.first_line.saturating_add(hit.line.saturating_sub(1));
            if found.iter().any(|h| h.line == hit.line) {
                continue;
            }
            path.clone_into(&mut hit.path);
            if in_tests && hit.class == HitClass::Secret {
                hit.class = HitClass::TestFixture;
            }
            hits.push(hit);
        }
    }
    hits
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

/// A `.env` template committed on purpose (`.env.example`, `docs/.env.sample`).
fn is_dotenv_template(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    (name == ".env" || name.starts_with(".env.") || name.ends_with(".env"))
        && !is_dotenv_with_values(path)
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

/// Detector kind of a value that is a URL with a password (`postgres://app:pw@db/app`).
pub const URL_PASSWORD: &str = "url-password";
/// Detector kind of a connection string with a `password=` keyword (libpq, JDBC, ADO.NET).
pub const KEYWORD_PASSWORD: &str = "connection-string-password";

/// The password a connection string spells out, with its detector kind: the first of
/// [`connection_passwords`].
pub fn connection_password(value: &str) -> Option<(&'static str, &str)> {
    (connection_passwords(value).into_iter())
        .next()
        .map(|(kind, span)| (kind, &value[span]))
}

/// Every password a connection string spells out, with its detector kind and its byte range:
/// a URL's `user:password@` ([`URL_PASSWORD`]), and each `password=` or `pwd=` keyword (any
/// case; [`KEYWORD_PASSWORD`]) that starts the text or follows a space, `?`, `&` or `;`. A
/// keyword's value runs as its format says: inside `{…}` (ODBC) or quotes; to the next `;` in
/// a `;`-separated string (ADO.NET, ODBC, JDBC properties: spaces included); to the next `&`,
/// `;` or space in a URL query; to the next space in a libpq `key=value` list.
pub fn connection_passwords(value: &str) -> Vec<(&'static str, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    if let Some(password) = url_password(value) {
        let start = password.as_ptr() as usize - value.as_ptr() as usize;
        out.push((URL_PASSWORD, start..start + password.len()));
    }
    // ASCII lower-casing keeps every byte offset.
    let lower = value.to_ascii_lowercase();
    for key in ["password=", "pwd="] {
        for (i, _) in lower.match_indices(key) {
            let before = i.checked_sub(1).map(|b| lower.as_bytes()[b]);
            if !matches!(before, None | Some(b' ' | b'\t' | b'?' | b'&' | b';')) {
                continue;
            }
            let from = i + key.len();
            let separated = before == Some(b';') || (before.is_none() && value.contains(';'));
            let span = keyword_value(value, from, separated, matches!(before, Some(b'?' | b'&')));
            if !span.is_empty() && !is_password_slot(&value[span.clone()]) {
                out.push((KEYWORD_PASSWORD, span));
            }
        }
    }
    out.sort_by_key(|(_, span)| span.start);
    // A keyword inside another password's value (`u:x password=y@h`) is part of it.
    let mut end = 0;
    out.retain(|(_, span)| {
        let apart = span.start >= end;
        end = end.max(span.end);
        apart
    });
    out
}

/// A keyword value that only stands in for a password: a placeholder ([`is_placeholder`]) or a
/// format slot (`%s`, `{pwd}`, `#{DbPass}#`, `__DB_PASS__`, `%DB_PASS%`).
fn is_password_slot(password: &str) -> bool {
    let p = password.trim();
    let wrapped = |open: &str, close: &str| {
        p.len() > open.len() + close.len() && p.starts_with(open) && p.ends_with(close)
    };
    is_placeholder(p)
        || ["%s", "%v", "%d"].contains(&p)
        || wrapped("{", "}")
        || wrapped("#{", "}#")
        || wrapped("__", "__")
        || wrapped("%", "%")
}

/// The byte range of the keyword value starting at `from` (see [`connection_passwords`]).
fn keyword_value(value: &str, from: usize, separated: bool, query: bool) -> std::ops::Range<usize> {
    let rest = &value[from..];
    let inner = |open: usize, close: Option<usize>| from + open..from + close.unwrap_or(rest.len());
    match rest.as_bytes().first() {
        // ODBC: `{…}`, a `}}` inside standing for `}`.
        Some(b'{') if separated => {
            let bytes = rest.as_bytes();
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'}' {
                    if bytes.get(i + 1) == Some(&b'}') {
                        i += 2;
                        continue;
                    }
                    return inner(1, Some(i));
                }
                i += 1;
            }
            // Never closed: the value is not quoted after all; it runs to the next `;`.
            inner(0, rest.find(';'))
        }
        Some(&q @ (b'\'' | b'"')) => inner(1, rest[1..].find(char::from(q)).map(|e| e + 1)),
        _ => {
            let end = if separated {
                rest.find(';')
            } else if query {
                rest.find(['&', ';', '#', ' ', '\t'])
            } else {
                rest.find([' ', '\t'])
            };
            let span = inner(0, end);
            let trimmed = value[span.clone()].trim_end().len();
            span.start..span.start + trimmed
        }
    }
}

/// The password of a `scheme://user:password@host` URL (`DATABASE_URL=postgres://…`).
pub fn url_password(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let mut authority = rest.split(['/', '?', '#']).next()?;
    // JDBC (SQL Server) properties follow the host: `host:1433;user=app@server;password=…`.
    // A `;` inside a password is followed by no `key=`.
    if let Some((host, properties)) = authority.split_once(';')
        && properties.split_once('=').is_some_and(|(key, _)| {
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
        })
    {
        authority = host;
    }
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

/// The words (upper case) by which a key or variable name says it holds a credential.
pub(crate) const SECRET_NAME_PARTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

/// A key whose value is a credential by name: `DB_PASSWORD`, `STRIPE_SECRET`, `GITHUB_TOKEN`,
/// `API_KEY`… but not a pointer to one (`PASSWORD_FILE`, `TOKEN_URL`, `SECRET_ARN`).
pub fn is_secret_name(key: &str) -> bool {
    let k = key.to_ascii_uppercase().replace('-', "_");
    let named = SECRET_NAME_PARTS.iter().any(|n| k.contains(n));
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
        let remote = "DATABASE_URL=postgres://postgres:postgres@db.prod.internal/app\n";
        assert_eq!(scan_text(".env", remote).len(), 1);
        let random = "DATABASE_URL=postgres://app:Xk9fQ2mL7pW4@localhost/app\n";
        assert_eq!(scan_text(".env", random).len(), 1);
    }

    #[test]
    fn dockerfile_heredoc_files_are_searched_at_their_destination() {
        let text = "FROM node:20\nCOPY <<EOF /app/.env\nNODE_ENV=production\nDATABASE_PASSWORD=Xk9mQ2vL8pR4tW7zY1qa\nEOF\nRUN echo \"<<EOF\"\nUSER node\n";
        let mut facts = RepoFacts::default();
        search_file("Dockerfile", text, &mut facts);
        let got: Vec<_> = facts
            .secrets
            .iter()
            .map(|h| (h.path.as_str(), h.line, h.kind.as_str()))
            .collect();
        assert_eq!(got, vec![("Dockerfile", 4, "dotenv-value")]);
        assert!(!facts.secrets[0].preview.contains("Xk9mQ2"));
        // The same text in a file that is not a Dockerfile is not read as one.
        let mut facts = RepoFacts::default();
        search_file("notes.txt", text, &mut facts);
        assert!(facts.secrets.is_empty());
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

    /// One hit of `kind` and class `class` for `text` in `path`.
    fn assert_hit(path: &str, text: &str, kind: &str, class: HitClass) {
        let hits = scan_text(path, text);
        assert_eq!(hits.len(), 1, "{kind} in {text:?}: {hits:?}");
        assert_eq!(
            (hits[0].kind.as_str(), hits[0].class),
            (kind, class),
            "{text}"
        );
    }

    fn assert_quiet(path: &str, text: &str) {
        let hits = scan_text(path, text);
        assert!(hits.is_empty(), "{text:?}: {hits:?}");
    }

    /// A 32-byte HMAC-shaped signature, base64 then percent-encoded as SAS URLs carry it.
    fn sas_signature() -> String {
        let raw = "Qm9ndXNTaWduYXR1cmVGb3JUZXN0c09ubHkxMjM0NTY="; // 32 bytes
        raw.replace('=', "%3D")
    }

    #[test]
    fn provider_formats_each_with_a_near_miss() {
        let secret = HitClass::Secret;
        let example = HitClass::Example;
        // GitLab: a personal access token; the docs' x-filled token; a truncated one.
        assert_hit(
            "ci.sh",
            &format!("T={}\n", fake("glpat-", "Qw3rT7yU", 20)),
            "gitlab-token",
            secret,
        );
        assert_hit(
            "ci.sh",
            &format!("T={}\n", fake("glrt-", "Zk4Lm8Np", 26)),
            "gitlab-token",
            secret,
        );
        assert_hit(
            "README",
            &format!("T={}\n", fake("glpat-", "x", 20)),
            "gitlab-token",
            example,
        );
        assert_quiet("ci.sh", "T=glpat-Qw3rT7yU\n");
        // Slack app-level and configuration tokens; a webhook; the docs' webhook; a truncated one.
        assert_hit(
            "a.py",
            &format!("t='{}'\n", fake("xapp-1-", "A0B1C2D3-", 40)),
            "slack-token",
            secret,
        );
        assert_hit(
            "a.py",
            &format!("t='{}'\n", fake("xoxe.xoxp-1-", "Mi0xLTE2-", 60)),
            "slack-token",
            secret,
        );
        let hook = format!(
            "https://hooks.slack.com/services/T0AB12CD3/B0CD45EF6/{}",
            fake("", "Gh7Jk2Lq", 24)
        );
        assert_hit(
            "notify.py",
            &format!("URL = \"{hook}\"\n"),
            "slack-webhook",
            secret,
        );
        let docs_hook = format!(
            "https://hooks.slack.com/services/T00000000/B00000000/{}",
            "X".repeat(24)
        );
        assert_hit(
            "notify.py",
            &format!("URL = \"{docs_hook}\"\n"),
            "slack-webhook",
            example,
        );
        assert_quiet(
            "notify.py",
            &format!("URL = \"{}\"\n", &hook[..hook.len() - 6]),
        );
        // Stripe restricted live key; a test-mode key is not reported.
        assert_hit(
            "pay.rb",
            &format!("k='{}'\n", fake("rk_live_", "Tz8Vb2Nc", 32)),
            "stripe-live-key",
            secret,
        );
        assert_quiet(
            "pay.rb",
            &format!("k='{}'\n", fake("sk_test_", "Tz8Vb2Nc", 32)),
        );
        // SendGrid: id.secret; one part short is not a key.
        let sg = format!(
            "SG.{}.{}",
            fake("", "Aq1Ws2Ed", 22),
            fake("", "Rf3Tg4Yh", 43)
        );
        assert_hit(
            "mail.js",
            &format!("key: '{sg}'\n"),
            "sendgrid-api-key",
            secret,
        );
        assert_quiet("mail.js", &format!("key: '{}'\n", &sg[..sg.len() - 2]));
        // Twilio: SID with its auth token on the next line; the SID alone is an identifier.
        let sid = fake("AC", "3f9a1c7e", 32);
        let token = fake("", "b4e8d2a6", 32);
        assert_hit(
            "sms.py",
            &format!("sid = '{sid}'\nauth_token = '{token}'\n"),
            "twilio-credentials",
            secret,
        );
        assert_quiet(
            "sms.py",
            &format!("sid = '{sid}'\nauth_token = os.environ['TWILIO_AUTH_TOKEN']\n"),
        );
        // npm registry auth in .npmrc; an environment reference is not a token.
        assert_hit(
            ".npmrc",
            "//registry.npmjs.org/:_authToken=5f0c2b1e-8a4d-4c7e-9b3f-2d6a1e8c4b7f\n",
            "npmrc-auth-token",
            secret,
        );
        assert_quiet(".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n");
        // Azure storage account key; the Azurite emulator's published key; a truncated key.
        let account_key = format!("{}==", fake("", "Lp0Ok9Ij8Uh7Yg6T", 86));
        let conn = format!(
            "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey={account_key};EndpointSuffix=core.windows.net"
        );
        assert_hit(
            "appsettings.json",
            &format!("\"Storage\": \"{conn}\"\n"),
            "azure-storage-key",
            secret,
        );
        let azurite = format!(
            "{}{}",
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/",
            "K1SZFPTOtr/KBHBeksoGMGw=="
        );
        assert_hit(
            "appsettings.json",
            &format!("\"Storage\": \"AccountName=devstoreaccount1;AccountKey={azurite}\"\n"),
            "azure-storage-key",
            example,
        );
        assert_quiet(
            "appsettings.json",
            "\"Storage\": \"AccountName=acme;AccountKey=Lp0Ok9Ij8Uh7==\"\n",
        );
        // Service Bus shared access key.
        let sak = format!("{}=", fake("", "Mn5Bv6Cx7Za8", 43));
        assert_hit(
            "bus.cs",
            &format!(
                "\"Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={sak}\"\n"
            ),
            "azure-shared-access-key",
            secret,
        );
        // SAS: a signed URL; the same signature without a signed version; a docs placeholder.
        let sas = format!(
            "https://acme.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2030-01-01T00:00:00Z&sr=b&sig={}",
            sas_signature()
        );
        assert_hit(
            "deploy.sh",
            &format!("curl '{sas}'\n"),
            "azure-sas-token",
            secret,
        );
        assert_quiet(
            "deploy.sh",
            &format!("curl 'https://x.example/?sig={}'\n", sas_signature()),
        );
        assert_quiet(
            "deploy.sh",
            "curl 'https://acme.blob.core.windows.net/c?sv=2022-11-02&sig=<signature>'\n",
        );
        assert_quiet(
            "deploy.sh",
            "curl 'https://acme.blob.core.windows.net/c?sv=2022-11-02&sig=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA%3D%3D'\n",
        );
    }

    #[test]
    fn connection_strings_spell_out_passwords() {
        for (value, want) in [
            (
                "postgres://app:Xk9fQ2@db/app",
                Some((URL_PASSWORD, "Xk9fQ2")),
            ),
            (
                "jdbc:postgresql://db:5432/app?user=app&password=Xk9fQ2&ssl=true",
                Some((KEYWORD_PASSWORD, "Xk9fQ2")),
            ),
            (
                "host=db port=5432 user=app password='Xk 9fQ2' dbname=app",
                Some((KEYWORD_PASSWORD, "Xk 9fQ2")),
            ),
            (
                "Server=db;Database=app;User Id=app;Password=Xk9fQ2;",
                Some((KEYWORD_PASSWORD, "Xk9fQ2")),
            ),
            (
                "Server=db;Uid=app;Pwd=Xk9fQ2",
                Some((KEYWORD_PASSWORD, "Xk9fQ2")),
            ),
            // ADO.NET runs a value to the `;`, spaces included; ODBC quotes with braces.
            (
                "Server=tcp:db,1433;User ID=app;Password=Leak two Words9;Encrypt=True;",
                Some((KEYWORD_PASSWORD, "Leak two Words9")),
            ),
            (
                "Driver={ODBC Driver 18};Server=db;UID=sa;PWD={Lk3;Brace}}Leak}",
                Some((KEYWORD_PASSWORD, "Lk3;Brace}}Leak")),
            ),
            // Azure SQL's `user=name@server` is no URL user-info.
            (
                "jdbc:sqlserver://srv.database.windows.net:1433;database=db;user=adm@srv;password=Qz7Leak9;encrypt=true",
                Some((KEYWORD_PASSWORD, "Qz7Leak9")),
            ),
            ("postgres://u:p;w@db/app", Some((URL_PASSWORD, "p;w"))),
            // Not a keyword of its own, or no value.
            ("-Dspring.datasource.password=Xk9fQ2", None),
            ("user_password=x", None),
            ("host=db password= dbname=app", None),
            ("host=%s user=%s password=%s", None),
            ("host=db password={pwd}", None),
            (
                "Server=db;PWD={Xk9fQ2;Uid=a",
                Some((KEYWORD_PASSWORD, "{Xk9fQ2")),
            ),
            ("host=db password=#{DbPass}# dbname=app", None),
            ("jdbc:postgresql://db:5432/app?user=app", None),
        ] {
            assert_eq!(connection_password(value), want, "{value}");
        }
        // Every password of a string is found, not only the first.
        let both = "postgres://u:Ab9xQ2@db/app?sslmode=require&password=Ur9LeakTen";
        let spans: Vec<&str> = (connection_passwords(both).into_iter())
            .map(|(_, span)| &both[span])
            .collect();
        assert_eq!(spans, ["Ab9xQ2", "Ur9LeakTen"]);
        // Spans never overlap, so they can be replaced one after another.
        let nested = ";pwd={a;pwd={b;pwd={c";
        let spans = connection_passwords(nested);
        assert!(
            spans.windows(2).all(|w| w[0].1.end <= w[1].1.start),
            "{spans:?}"
        );
    }

    #[test]
    fn database_urls_with_passwords_in_any_file() {
        let url = "postgres://billing:Xk9fQ2mL7pW4@db.prod.internal:5432/billing";
        assert_hit(
            "config/settings.py",
            &format!("DSN = \"{url}\"\n"),
            "database-url-password",
            HitClass::Secret,
        );
        assert_hit(
            "tests/conftest.py",
            &format!("DSN = \"{url}\"\n"),
            "database-url-password",
            HitClass::TestFixture,
        );
        for (text, class) in [
            (
                "mongodb+srv://app:Rq7Lp2Xw9Zk4@cluster0.ab1cd.mongodb.net/db",
                HitClass::Secret,
            ),
            (
                "redis://:Rq7Lp2Xw9Zk4@cache.internal:6379/0",
                HitClass::Secret,
            ),
            (
                "amqps://svc:Rq7Lp2Xw9Zk4@mq.internal/vhost",
                HitClass::Secret,
            ),
            (
                "mysql://root:Wr@ngPw_Zq42x9@db.internal/app",
                HitClass::Secret,
            ),
            ("postgres://user:pass@host/db", HitClass::Example),
            (
                "postgresql://app:Xk9fQ2mL7pW4@db.example.com/app",
                HitClass::Example,
            ),
        ] {
            assert_hit(
                "app.rs",
                &format!("let u = \"{text}\";\n"),
                "database-url-password",
                class,
            );
        }
        for quiet in [
            "postgres://%s:%s@%s:%d/%s",
            "postgres://app:${DB_PASSWORD}@db/app",
            "postgres://app:{password}@db/app",
            "postgres://app:<password>@db/app",
            "postgres://postgres:postgres@localhost:5432/app",
            "postgresql://scott:tiger@localhost/test",
            "postgres://app@db.internal/app",
            "postgres://db.internal:5432/app",
        ] {
            assert_quiet("app.rs", &format!("let u = \"{quiet}\";\n"));
        }
        // The password, not the URL, is what is redacted, and all of it (an `@` inside too).
        let (out, _) = redact("mysql://root:Wr@ngPw_Zq42x9@db.internal/app");
        assert_eq!(
            out,
            "mysql://root:<redacted database-url-password, 14 chars>@db.internal/app"
        );
    }

    #[test]
    fn every_private_key_label() {
        let body = fake_key_body("\n");
        for label in [
            "-----BEGIN PRIVATE KEY-----",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----",
            "-----BEGIN DSA PRIVATE KEY-----",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
            "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----",
        ] {
            assert_hit(
                "deploy/key",
                &format!("{label}\n{body}\n-----END-----\n"),
                "private-key",
                HitClass::Secret,
            );
            assert_quiet("deploy/key", &format!("{label}\n...\n"));
        }
        let ppk = format!(
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 2\n{body}\nPrivate-Lines: 1\n{body}\n"
        );
        assert_hit(
            "deploy/admin.ppk",
            &ppk,
            "putty-private-key",
            HitClass::Secret,
        );
        assert_quiet(
            "docs/putty.txt",
            "Files start with PuTTY-User-Key-File-3: followed by the algorithm\n",
        );
    }

    #[test]
    fn jwt_signing_secrets_are_proven_by_the_token() {
        let key = "Hq3Zr8Wm1Lp6Xv2Nb9Tc";
        let token = crate::secret_jwt::tests::signed("HS256", key);
        let text = format!("JWT_SECRET = \"{key}\"\nSAMPLE = \"{token}\"\n");
        assert_hit("api/auth.py", &text, "jwt-hmac-secret", HitClass::Secret);
        assert_hit(
            "tests/test_auth.py",
            &text,
            "jwt-hmac-secret",
            HitClass::TestFixture,
        );
        let jwt_io = crate::secret_jwt::tests::signed("HS256", "your-256-bit-secret");
        assert_hit(
            "README.md",
            &format!("token: {jwt_io}\nsecret: 'your-256-bit-secret'\n"),
            "jwt-hmac-secret",
            HitClass::Example,
        );
        assert_quiet(
            "api/auth.py",
            &format!("SAMPLE = \"{token}\"\nJWT_SECRET = os.environ['JWT_SECRET']\n"),
        );
    }

    #[test]
    fn new_kinds_never_leave_the_value_in_a_redaction_or_a_preview() {
        let sid = fake("AC", "3f9a1c7e", 32);
        let twilio_token = fake("", "b4e8d2a6", 32);
        let jwt_key = "Hq3Zr8Wm1Lp6Xv2Nb9Tc".to_owned();
        let jwt = crate::secret_jwt::tests::signed("HS512", &jwt_key);
        let values = [
            fake("glpat-", "Qw3rT7yU", 20),
            format!(
                "SG.{}.{}",
                fake("", "Aq1Ws2Ed", 22),
                fake("", "Rf3Tg4Yh", 43)
            ),
            format!("{}==", fake("", "Lp0Ok9Ij8Uh7Yg6T", 86)),
            twilio_token.clone(),
            "Xk9fQ2mL7pW4".to_owned(),
            jwt_key.clone(),
        ];
        let text = format!(
            "a = '{}'\nb = '{}'\nc = 'AccountKey={}'\nd = '{sid}' e = '{twilio_token}'\nf = 'postgres://a:Xk9fQ2mL7pW4@db.internal/a'\ng = '{jwt_key}' h = '{jwt}'\n",
            values[0], values[1], values[2]
        );
        let (out, kinds) = redact(&text);
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        let hits = scan_text("app.py", &text);
        let shown = format!("{out}\n{hits:?}");
        for v in &values {
            assert!(!shown.contains(v.as_str()), "{v} leaks: {shown}");
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
                (7, "database-url-password")
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
            column: None,
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
