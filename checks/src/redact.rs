//! The one redaction layer: every message, location and evidence string passes through
//! [`Redactor::text`] before it is stored in facts, and so before it can reach any output.
//!
//! Three kinds of secret are removed, wherever they sit in a string:
//! - tokens the secret detectors recognise ([`crate::secrets::find_all`]);
//! - the user-info of a URL (`scheme://user:password@host`), wholly, found the way a URL parser
//!   finds it: everything before the *last* `@` of the authority, so a password holding an
//!   unencoded `@` is removed entirely;
//! - the values of secret-named query and fragment parameters (`?access_token=…`, `&sig=…`).
//!
//! Parser errors get their own treatment ([`ParseError`]): they are reduced to a position and a
//! short reason and never quote the source line, which may hold a secret no detector knows.
//! The absolute path of the scanned root is replaced by a relative one ([`Redactor::for_root`]).

use std::borrow::Cow;
use std::fmt;

use crate::secrets;

/// What replaces a URL's user-info and a secret parameter's value.
pub const REDACTED: &str = "<redacted>";

/// Longest reason kept from a parser's message; the rest is cut.
const MAX_REASON_CHARS: usize = 300;

/// Longest `` `…` `` span a reason may keep: serde, `toml` and `quick-xml` put grammar tokens
/// (`` `=` ``), key names and element names there; longer spans are input, and are dropped.
const MAX_QUOTED_CHARS: usize = 24;

/// Longest `'…'` span a reason may keep: libyaml's grammar tokens (`did not find expected ','
/// or ']'`); anything longer is input.
const MAX_SINGLE_QUOTED_CHARS: usize = 2;

/// A parser error reduced to where it happened and why, without any of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was being parsed: `TOML`, `JSON`, `JSON5`, `YAML`.
    pub format: &'static str,
    /// 1-based; 0 when the parser did not say.
    pub line: usize,
    /// 1-based; 0 when the parser did not say.
    pub column: usize,
    /// A bounded, single-line reason with no quoted input and no secret.
    pub reason: String,
}

impl ParseError {
    /// Builds one from a parser's own message and position.
    pub fn new(format: &'static str, line: usize, column: usize, message: &str) -> Self {
        ParseError {
            format,
            line,
            column,
            reason: bounded_reason(message),
        }
    }

    /// A TOML error (the `toml` crate's message quotes the offending line; only its first
    /// line, the reason, is kept).
    pub fn toml(e: &toml::de::Error, text: &str) -> Self {
        let (line, column) = e
            .span()
            .map_or((0, 0), |span| line_column(text, span.start));
        Self::new("TOML", line, column, e.message())
    }

    /// A JSON error from `serde_json`.
    pub fn json(e: &serde_json::Error) -> Self {
        let message = e.to_string();
        Self::new("JSON", e.line(), e.column(), strip_position(&message))
    }

    /// A YAML error from `serde_norway`.
    pub fn yaml(e: &serde_norway::Error) -> Self {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        let message = e.to_string();
        Self::new("YAML", line, column, strip_position(&message))
    }

    /// An XML error (`quick-xml`): its message names tags and entities of the input in
    /// `` `…` ``, which are all dropped (`expected `…`, but `…` was found`).
    pub fn xml(line: usize, e: &dyn fmt::Display) -> Self {
        ParseError {
            format: "XML",
            line,
            column: 0,
            reason: reason_without(&e.to_string(), 0),
        }
    }

    /// An HCL error (`hcl-rs`): its display draws the offending source line; only the
    /// parser's message and position are kept.
    pub fn hcl(e: &hcl::Error) -> Self {
        match e {
            hcl::Error::Parse(parse) => {
                let at = parse.location();
                Self::new("HCL", at.line(), at.column(), parse.message())
            }
            other => Self::new("HCL", 0, 0, &other.to_string()),
        }
    }

    /// A JSON5 error: the `json5` crate's message is a whole pest report with the source line
    /// drawn in it; only the `= expected …` line is kept.
    pub fn json5(e: &json5::Error) -> Self {
        let json5::Error::Message { msg, location } = e;
        let (line, column) = location.as_ref().map_or((0, 0), |l| (l.line, l.column));
        let reason = msg
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix("= "))
            .unwrap_or_else(|| msg.lines().next().unwrap_or_default());
        Self::new("JSON5", line, column, reason)
    }
}

impl fmt::Display for ParseError {
    /// `invalid TOML at line 3, column 7: invalid string`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}", self.format)?;
        if self.line > 0 {
            write!(f, " at line {}", self.line)?;
            if self.column > 0 {
                write!(f, ", column {}", self.column)?;
            }
        }
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// `message` without a trailing ` at line N column M` (serde's position suffix).
fn strip_position(message: &str) -> &str {
    message.find(" at line ").map_or(message, |i| &message[..i])
}

/// The first line of a parser's message, quoted input dropped, secrets redacted, bounded.
pub fn bounded_reason(message: &str) -> String {
    reason_without(message, MAX_QUOTED_CHARS)
}

/// [`bounded_reason`], keeping `` `…` `` spans of at most `backtick_chars` characters.
fn reason_without(message: &str, backtick_chars: usize) -> String {
    let first = message.lines().next().unwrap_or_default();
    let unquoted = drop_long_quotes(first, backtick_chars);
    let clean = Redactor::default().text(&unquoted).into_owned();
    let mut out: String = clean
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON_CHARS)
        .collect();
    if clean.chars().count() > MAX_REASON_CHARS {
        out.push('…');
    }
    out
}

/// Replaces the content of quoted spans that may be input by `…`: every `"…"` (serde quotes
/// values there, `invalid type: string "hunter2"`, and `serde_norway` keys, `duplicate entry
/// with key "…"`: input, however short), a `'…'` longer than a grammar token and a `` `…` ``
/// longer than `backtick_chars` (a key name). An unterminated quote drops the rest of the
/// message.
fn drop_long_quotes(s: &str, backtick_chars: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find(['"', '\'', '`']) {
        out.push_str(&rest[..=open]);
        let quote = rest[open..].chars().next().unwrap_or('"');
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            out.push('…');
            return out;
        };
        let inner = &after[..close];
        let kept = match quote {
            '`' => backtick_chars,
            '\'' => MAX_SINGLE_QUOTED_CHARS,
            _ => 0,
        };
        if inner.chars().count() <= kept {
            out.push_str(inner);
        } else {
            out.push('…');
        }
        out.push(quote);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Redacts strings; optionally knows the absolute path of the scanned root, which it replaces
/// by a relative one.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Absolute spellings of the root (as given, canonical), longest first, without a
    /// trailing slash.
    roots: Vec<String>,
}

impl Redactor {
    /// A redactor that also turns `ROOT/x` into `x` and `ROOT` into `.`, for every absolute
    /// spelling of the root given.
    pub fn for_root(spellings: &[String]) -> Self {
        let mut roots: Vec<String> = spellings
            .iter()
            .map(|s| s.trim_end_matches('/').to_owned())
            .filter(|s| s.starts_with('/') && s.len() > 1 || looks_like_windows_root(s))
            .collect();
        roots.sort_by_key(|r| std::cmp::Reverse(r.len()));
        roots.dedup();
        Redactor { roots }
    }

    /// `text` with every secret and the root's absolute path removed; borrowed when nothing
    /// had to change.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        // URLs first: a detector's `<redacted kind, N chars>` holds spaces, which end a URL,
        // so the parameters after it would escape the URL rules.
        if out.contains("://")
            && let Some(cleaned) = redact_urls(&out)
        {
            out = Cow::Owned(cleaned);
        }
        if !secrets::find_all(&out).is_empty() {
            out = Cow::Owned(secrets::redact(&out).0);
        }
        if let Some(cleaned) = redact_sql_passwords(&out) {
            out = Cow::Owned(cleaned);
        }
        for root in &self.roots {
            if out.contains(root.as_str()) {
                out = Cow::Owned(relativise(&out, root));
            }
        }
        out
    }

    /// Every string of a JSON value (keys included), redacted in place.
    pub fn json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => {
                if let Cow::Owned(clean) = self.text(s) {
                    *s = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => {
                let dirty: Vec<String> = map
                    .keys()
                    .filter(|k| matches!(self.text(k), Cow::Owned(_)))
                    .cloned()
                    .collect();
                for key in dirty {
                    if let Some(v) = map.remove(&key) {
                        map.insert(self.text(&key).into_owned(), v);
                    }
                }
                map.values_mut().for_each(|v| self.json(v));
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Every string of the facts redacted: the single pass every scan's facts go through
    /// before they are judged, written or packed. Facts that cannot round-trip through JSON
    /// (never expected) are returned unchanged with the reason.
    pub fn facts(&self, facts: &mut crate::Facts) -> Result<(), String> {
        let mut value = serde_json::to_value(&*facts).map_err(|e| e.to_string())?;
        self.json(&mut value);
        *facts = serde_json::from_value(value).map_err(|e| e.to_string())?;
        Ok(())
    }
}

fn looks_like_windows_root(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

/// `text` with `root/` removed before relative paths and a bare `root` turned into `.`.
fn relativise(text: &str, root: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(root) {
        out.push_str(&rest[..i]);
        let after = &rest[i + root.len()..];
        match after.chars().next() {
            Some('/' | '\\') => rest = &after[1..],
            // `/work/app2` is not inside `/work/app`.
            Some(c) if c.is_alphanumeric() || c == '_' || c == '-' => {
                out.push_str(root);
                rest = after;
            }
            _ => {
                out.push('.');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `PASSWORD '…'` in SQL (`CREATE ROLE app LOGIN PASSWORD 'x'`, quoted in the excerpt of a
/// statement the fold could not parse), the literal possibly cut off by the excerpt's length.
static SQL_PASSWORD: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    // The literal may itself sit in a quoted body: opened by `''` or `\'` (a `DO '…'` body),
    // so the opening and closing quotes may be doubled or escaped; a body of `''`s and `\x`
    // escapes is skipped whole. Over-redacting a little is the safe side.
    regex::Regex::new(r"(?i)\bpassword(\s+|\s*=\s*)[eE]?(?:\\?')+(?:[^'\\]|\\.|'')*(?:\\?')*")
        .expect("the SQL password regex is valid")
});

fn redact_sql_passwords(text: &str) -> Option<String> {
    if !text.to_ascii_lowercase().contains("password") || !text.contains('\'') {
        return None;
    }
    let out = SQL_PASSWORD.replace_all(text, |caps: &regex::Captures<'_>| {
        let keyword = &caps[0][..8];
        format!("{keyword}{}'{REDACTED}'", &caps[1])
    });
    matches!(out, Cow::Owned(_)).then(|| out.into_owned())
}

/// Characters that end a URL inside free text.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '\u{0}')
}

/// `text` with every URL's user-info and secret parameters redacted; `None` when nothing
/// changed.
fn redact_urls(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut at = 0;
    while let Some(found) = text[at..].find("://") {
        let sep = at + found;
        let start = scheme_start(text, sep).max(at);
        let end = text[sep..]
            .char_indices()
            .find(|&(_, c)| ends_url(c))
            .map_or(text.len(), |(i, _)| sep + i);
        if let Cow::Owned(clean) = redact_url(&text[start..end]) {
            out.push_str(&text[at..start]);
            out.push_str(&clean);
            changed = true;
            at = end;
        } else {
            // Nothing here; a URL may still start inside it (`x://postgres://u:p@h`).
            out.push_str(&text[at..sep + 3]);
            at = sep + 3;
        }
    }
    out.push_str(&text[at.min(text.len())..]);
    changed.then_some(out)
}

/// Where the scheme before the `://` at `sep` begins.
fn scheme_start(text: &str, sep: usize) -> usize {
    text[..sep]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .last()
        .map_or(sep, |(i, _)| i)
}

/// One URL (`scheme://authority/path?query#fragment`) with its user-info replaced wholly and
/// the values of secret-named query and fragment parameters replaced.
///
/// Positions follow the WHATWG URL rules the `url` crate implements: the authority ends at the
/// first `/`, `?`, `#` (or `\`), and the user-info is everything before its last `@`. The
/// replacement is made in the original text, so the rest of the URL stays as written.
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let Some(sep) = url.find("://") else {
        return Cow::Borrowed(url);
    };
    let after = sep + 3;
    let authority_end = url[after..]
        .find(['/', '?', '#', '\\'])
        .map_or(url.len(), |i| after + i);
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..after]);
    let authority = &url[after..authority_end];
    let mut changed = false;
    match authority.rfind('@') {
        Some(at) if !is_digest(&authority[at + 1..]) && has_user_info(url) => {
            out.push_str(REDACTED);
            out.push_str(&authority[at..]);
            changed = true;
        }
        _ => out.push_str(authority),
    }
    let tail = &url[authority_end..];
    let (path, params) = match tail.find(['?', '#']) {
        Some(i) => (&tail[..i], &tail[i..]),
        None => (tail, ""),
    };
    out.push_str(path);
    let params_clean = redact_params(params);
    changed |= matches!(params_clean, Cow::Owned(_));
    out.push_str(&params_clean);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(url)
    }
}

/// `sha256:<hex>` (or sha384, sha512): after an `@`, the digest of an image reference such as
/// `docker://alpine@sha256:…`, never a host (no host has a port that is not a number).
fn is_digest(text: &str) -> bool {
    ["sha256:", "sha384:", "sha512:"].iter().any(|algo| {
        text.strip_prefix(algo)
            .is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

/// Whether the last `@` in the authority of `url` separates user-info from the host. The
/// `url` crate decides; a URL it cannot parse (an odd scheme, an unencoded character) still
/// has its user-info removed: failing closed costs a readable location, never a secret.
fn has_user_info(url: &str) -> bool {
    url::Url::parse(url).map_or(true, |parsed| {
        !parsed.username().is_empty() || parsed.password().is_some()
    })
}

/// `?a=1&token=…#access_token=…` with every secret-named parameter's value replaced.
fn redact_params(params: &str) -> Cow<'_, str> {
    if params.is_empty() {
        return Cow::Borrowed(params);
    }
    let mut out = String::with_capacity(params.len());
    let mut changed = false;
    // Separators (`?`, `#`, `&`, `;`) are kept as written; each piece between them is a pair.
    let mut piece_start = 0;
    for (i, c) in params
        .char_indices()
        .chain(std::iter::once((params.len(), '&')))
    {
        if i < params.len() && !matches!(c, '?' | '#' | '&' | ';') {
            continue;
        }
        let piece = &params[piece_start..i];
        match piece.split_once('=') {
            // Already redacted (a dump re-judged, or a value the collection redacted as
            // `<redacted KIND, N chars>`, cut at its space): left as it is.
            Some((_, value))
                if value.starts_with(REDACTED) || value == REDACTED.trim_end_matches('>') =>
            {
                out.push_str(piece);
            }
            Some((key, value)) if !value.is_empty() && is_secret_param(key) => {
                // Prose punctuation after a URL (`…?sig=abc),`) is not part of the value.
                let value_end = value.find([',', ')', ']', '}', '>']).unwrap_or(value.len());
                out.push_str(key);
                out.push('=');
                out.push_str(REDACTED);
                out.push_str(&value[value_end..]);
                changed = true;
            }
            _ => out.push_str(piece),
        }
        if i < params.len() {
            out.push(c);
        }
        piece_start = i + c.len_utf8();
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(params)
    }
}

/// A query or fragment parameter whose value is a credential by its (percent-decoded) name:
/// `access_token`, `token`, `key`, `api_key`, `sig`, `signature`, `password`, `secret`,
/// `X-Amz-Credential`, …
pub fn is_secret_param(raw_key: &str) -> bool {
    const EXACT: &[&str] = &[
        "key", "sig", "pwd", "pass", "auth", "code", "jwt", "session", "sid", "apikey", "api_key",
    ];
    const CONTAINS: &[&str] = &[
        "token",
        "secret",
        "password",
        "passwd",
        "signature",
        "credential",
        "api_key",
        "apikey",
        "private_key",
        "access_key",
        "auth",
        "session",
    ];
    let decoded: String = url::form_urlencoded::parse(format!("{raw_key}=").as_bytes())
        .next()
        .map_or_else(|| raw_key.to_owned(), |(k, _)| k.into_owned());
    let key = decoded.to_ascii_lowercase().replace('-', "_");
    EXACT.contains(&key.as_str())
        || CONTAINS.iter().any(|c| key.contains(c))
        || key.ends_with("_key")
        || key.ends_with("_sig")
}

/// Whether `text` is free of every secret the layer knows (a test helper for callers too).
pub fn is_clean(text: &str) -> bool {
    matches!(Redactor::default().text(text), Cow::Borrowed(_))
}

#[cfg(test)]
mod tests;
