//! The statically readable part of procedural code: `DO` blocks and function bodies.
//!
//! A PL/pgSQL body is a sequence of `;`-terminated statements wrapped in control structure
//! (`BEGIN … END`, `IF … THEN … END IF`, `EXCEPTION WHEN … THEN`). The control words are
//! peeled off and each remaining statement is read like a top-level one, so `CREATE TYPE …
//! AS ENUM` in a `DO` block changes nothing, and `CREATE ROLE … BYPASSRLS` or `CREATE POLICY …
//! USING (true)` is folded rather than reported as unreadable. Conditions are not evaluated:
//! a statement under `IF` is taken as run (the common guard is "create it if it does not
//! exist yet", which holds on a fresh database).
//!
//! `EXECUTE` of one constant string is read as the statement it holds; any other `EXECUTE`
//! builds SQL at run time and is summarised from its constant fragments
//! ([`super::targeted::dynamic`]).

use std::borrow::Cow;

use super::split::{is_ident_byte, opens_escape_string};

/// A quoted body and the number of lines before it in the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body<'a> {
    /// The body as PostgreSQL reads it: an `E'…'` body with its escapes undone.
    pub text: Cow<'a, str>,
    pub line_offset: u32,
}

/// Words that open PL/pgSQL control structure in front of a statement.
const CONTROL: &[&str] = &[
    "IF",
    "ELSIF",
    "ELSEIF",
    "ELSE",
    "WHEN",
    "CASE",
    "LOOP",
    "FOR",
    "FOREACH",
    "WHILE",
    "BEGIN",
    "DECLARE",
    "EXCEPTION",
];
/// Words after which control structure ends and a statement starts.
const STATEMENT_STARTS_AFTER: &[&str] = &["THEN", "ELSE", "LOOP", "BEGIN", "DECLARE", "EXCEPTION"];

/// PL/pgSQL statements that cannot change a judged property.
const INERT: &[&str] = &[
    "RAISE", "RETURN", "NULL", "END", "EXIT", "CONTINUE", "GET", "OPEN", "FETCH", "CLOSE", "MOVE",
    "ASSERT", "COMMIT", "ROLLBACK",
];

/// Functions that only build strings: their arguments are the SQL's fragments.
const STRING_BUILDERS: &[&str] = &[
    "format",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "concat",
    "concat_ws",
    "e",
];

/// The body of `DO [LANGUAGE l] <string> [LANGUAGE l]` or of `CREATE FUNCTION … AS <string>`;
/// `None` when there is no quoted body or its language is not PL/pgSQL or SQL.
pub fn body(statement: &str) -> Option<Body<'_>> {
    let (start, end, inner, escaped) = longest_literal(statement)?;
    let outside = format!("{} {}", &statement[..start], &statement[end..]).to_ascii_lowercase();
    let words: Vec<&str> = outside
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    if let Some(i) = words.iter().position(|w| *w == "language") {
        let language = words.get(i + 1).copied().unwrap_or("");
        if language != "plpgsql" && language != "sql" {
            return None;
        }
    }
    let inner_start = inner.as_ptr() as usize - statement.as_ptr() as usize;
    let line_offset = count_lines(&statement[..inner_start]);
    Some(Body {
        text: if escaped {
            Cow::Owned(unescape(inner))
        } else {
            Cow::Borrowed(inner)
        },
        line_offset,
    })
}

fn count_lines(s: &str) -> u32 {
    u32::try_from(s.bytes().filter(|b| *b == b'\n').count()).unwrap_or(u32::MAX)
}

/// The first string literal (`'…'`, `E'…'` or `$tag$…$tag$`) of `text`: its byte range, its
/// inner text (escapes not undone; `''` inside a body is rare and harmless for reading) and
/// whether it is an `E'…'` string, whose backslash escapes are still to undo.
fn first_literal(text: &str) -> Option<(usize, usize, &str, bool)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i += text[i..].find('\n').unwrap_or(text.len() - i);
            }
            b'"' => i += 1 + text[i + 1..].find('"').unwrap_or(text.len() - i - 1) + 1,
            b'\'' => {
                let escaped = opens_escape_string(bytes, i);
                let end = string_end(bytes, i)?;
                return Some((i, end, &text[i + 1..end - 1], escaped));
            }
            b'$' if i == 0 || !is_ident_byte(bytes[i - 1]) => {
                if let Some((end, tag_len)) = dollar_end(text, i) {
                    return Some((i, end, &text[i + tag_len..end - tag_len], false));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// The longest string literal of `text` (a function's body, not a default argument value).
fn longest_literal(text: &str) -> Option<(usize, usize, &str, bool)> {
    let mut best: Option<(usize, usize, &str, bool)> = None;
    let mut offset = 0;
    while let Some((start, end, inner, escaped)) = first_literal(&text[offset..]) {
        if best.is_none_or(|b| inner.len() > b.2.len()) {
            best = Some((offset + start, offset + end, inner, escaped));
        }
        offset += end;
    }
    best
}

/// Every string literal in `text`, inner text only.
pub fn literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some((_, end, inner, escaped)) = first_literal(rest) {
        out.push(if escaped {
            unescape(inner)
        } else {
            inner.replace("''", "'")
        });
        rest = &rest[end..];
    }
    out
}

fn quote_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut j = open + 1;
    while j < bytes.len() {
        if bytes[j] == b'\'' {
            if bytes.get(j + 1) == Some(&b'\'') {
                j += 2;
                continue;
            }
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

/// The end of the dollar quote opening at `at`, and the delimiter's length.
fn dollar_end(text: &str, at: usize) -> Option<(usize, usize)> {
    let rest = &text[at + 1..];
    let tag_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80)
        .count();
    if rest.as_bytes().get(tag_len) != Some(&b'$')
        || rest.as_bytes().first().is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    let delimiter = &text[at..at + tag_len + 2];
    let body_start = at + delimiter.len();
    let close = text[body_start..].find(delimiter)?;
    Some((body_start + close + delimiter.len(), delimiter.len()))
}

/// The control structure around the statements of a body, followed piece by piece, so a
/// statement under `IF`, `CASE`, a loop or an exception handler is known to be conditional.
#[derive(Debug, Default)]
pub struct Nesting {
    frames: Vec<Frame>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// `BEGIN … END`; `true` once its `EXCEPTION` handlers start.
    Block(bool),
    /// `IF … END IF` or `CASE … END CASE`; `true` when its condition is an existence test
    /// (`IF NOT EXISTS (SELECT FROM pg_roles …)`), the "create it unless it exists" guard.
    Branch(bool),
    /// `LOOP`, `WHILE … LOOP`, `FOR … LOOP`: may run any number of times, zero included.
    Loop,
}

impl Nesting {
    /// Follows the control words of `control` (a piece's text before its statement, or a
    /// whole control-only piece such as `END IF`).
    pub fn track(&mut self, control: &str) {
        let words = control_words(control);
        let mut i = 0;
        while i < words.len() {
            match words[i].as_str() {
                "END" => {
                    self.frames.pop();
                    // `END IF`, `END LOOP`, `END CASE`: the second word closes nothing more.
                    if matches!(
                        words.get(i + 1).map(String::as_str),
                        Some("IF" | "LOOP" | "CASE")
                    ) {
                        i += 1;
                    }
                }
                "BEGIN" => self.frames.push(Frame::Block(false)),
                "IF" | "CASE" => {
                    let existence = words[i + 1..]
                        .iter()
                        .take_while(|w| *w != "THEN" && *w != "WHEN")
                        .any(|w| w == "EXISTS");
                    self.frames.push(Frame::Branch(existence));
                }
                "LOOP" => self.frames.push(Frame::Loop),
                "EXCEPTION" => {
                    if let Some(Frame::Block(handlers)) = self
                        .frames
                        .iter_mut()
                        .rev()
                        .find(|f| matches!(f, Frame::Block(_)))
                    {
                        *handlers = true;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// Whether a statement here certainly runs. `creates`: the statement is a `CREATE`, which
    /// under existence guards only is taken as run (the guard holds on the fresh database the
    /// migrations build).
    pub fn certain(&self, creates: bool) -> bool {
        self.frames.iter().all(|f| match f {
            Frame::Block(handlers) => !handlers,
            Frame::Branch(existence) => creates && *existence,
            Frame::Loop => false,
        })
    }
}

/// The upper-case words of `text` at parenthesis depth 0, outside quotes (a condition's
/// subselect may hold `CASE … END` of its own).
fn control_words(text: &str) -> Vec<String> {
    words_outside_quotes(text)
        .into_iter()
        // `EXISTS` is kept at any depth: `IF (NOT EXISTS (…))` is still a guard.
        .filter(|w| w.depth == 0 || w.text.eq_ignore_ascii_case("EXISTS"))
        .map(|w| w.text.to_ascii_uppercase())
        .collect()
}

/// A word of PL/pgSQL text: where it starts (a byte offset) and its parenthesis depth.
struct Word<'a> {
    start: usize,
    depth: i32,
    text: &'a str,
}

/// Every word of `text` outside string literals, quoted identifiers, dollar-quoted strings,
/// `--` and (nested) `/* */` comments, in order: what is in those is data or prose, never a
/// keyword.
fn words_outside_quotes(text: &str) -> Vec<Word<'_>> {
    let bytes = text.as_bytes();
    let (mut depth, mut i, mut words) = (0i32, 0usize, Vec::new());
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'\'' => {
                i = string_end(bytes, i).unwrap_or(bytes.len());
                continue;
            }
            b'"' => {
                i += 1 + text[i + 1..].find('"').unwrap_or(text.len() - i - 1) + 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i += text[i..].find('\n').unwrap_or(text.len() - i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = block_comment_end(bytes, i);
                continue;
            }
            b'$' if i == 0 || !is_ident_byte(bytes[i - 1]) => {
                if let Some((end, _)) = dollar_end(text, i) {
                    i = end;
                    continue;
                }
            }
            c if (c.is_ascii_alphabetic() || c == b'_')
                && (i == 0 || !is_ident_byte(bytes[i - 1])) =>
            {
                let w = first_word(&text[i..]);
                words.push(Word {
                    start: i,
                    depth,
                    text: w,
                });
                i += w.len().max(1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    words
}

/// The end of the string whose quote opens at `open`, by the rule of its kind.
fn string_end(bytes: &[u8], open: usize) -> Option<usize> {
    if opens_escape_string(bytes, open) {
        escape_string_end(bytes, open)
    } else {
        quote_end(bytes, open)
    }
}

/// The text of an `E'…'` string's inside, as PostgreSQL reads it: `''` and `\'` are a quote,
/// `\\` a backslash, `\n`, `\t`, `\r`, `\b`, `\f` their control characters, `\ooo`, `\xhh`,
/// `\uXXXX` and `\UXXXXXXXX` the byte or character they name, and any other escaped character
/// itself. A sequence that is not UTF-8 becomes U+FFFD: it can spell no keyword.
fn unescape(inner: &str) -> String {
    let bytes = inner.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    // Up to `max` digits of `radix` from `i`: their value and count.
    let digits = |i: usize, radix: u32, max: usize| {
        let n = bytes[i..]
            .iter()
            .take(max)
            .take_while(|b| char::from(**b).is_digit(radix))
            .count();
        let value = std::str::from_utf8(&bytes[i..i + n])
            .ok()
            .and_then(|d| u32::from_str_radix(d, radix).ok());
        (value, n)
    };
    while i < bytes.len() {
        match bytes[i] {
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => {
                out.push(b'\'');
                i += 2;
            }
            b'\\' if i + 1 < bytes.len() => {
                let c = bytes[i + 1];
                i += 2;
                match c {
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'0'..=b'7' => {
                        let (value, n) = digits(i - 1, 8, 3);
                        out.push(value.and_then(|v| u8::try_from(v).ok()).unwrap_or(0xff));
                        i += n - 1;
                    }
                    b'x' if bytes.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                        let (value, n) = digits(i, 16, 2);
                        out.push(value.and_then(|v| u8::try_from(v).ok()).unwrap_or(0xff));
                        i += n;
                    }
                    b'u' | b'U' => {
                        let len = if c == b'u' { 4 } else { 8 };
                        let (value, n) = digits(i, 16, len);
                        let ch = value
                            .filter(|_| n == len)
                            .and_then(char::from_u32)
                            .unwrap_or(char::REPLACEMENT_CHARACTER);
                        out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                        i += n;
                    }
                    // Any other character (a multi-byte one too: its first byte here, the
                    // rest copied next) stands for itself.
                    other => out.push(other),
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The end of the `E'…'` string whose quote opens at `open`: a backslash escapes the next
/// byte (`\'` is a quote inside the string), `''` is a quote too.
fn escape_string_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut j = open + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'\'' if bytes.get(j + 1) == Some(&b'\'') => j += 2,
            b'\'' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// The end of the `/* … */` comment opening at `open` (PostgreSQL nests them), or the end of
/// the text when it is not closed.
fn block_comment_end(bytes: &[u8], open: usize) -> usize {
    let (mut depth, mut j) = (0usize, open);
    while j < bytes.len() {
        match (bytes[j], bytes.get(j + 1)) {
            (b'/', Some(b'*')) => {
                depth += 1;
                j += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return j;
                }
            }
            _ => j += 1,
        }
    }
    bytes.len()
}

/// What one statement of a body is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A SQL statement, read like a top-level one.
    Sql(&'a str),
    /// `EXECUTE <one constant string>`: the statement it holds.
    ExecuteConstant(String),
    /// `EXECUTE <expression>`: SQL built at run time, its constant fragments and whether
    /// anything is substituted into them.
    ExecuteDynamic {
        fragments: Vec<String>,
        substituted: bool,
    },
    /// `PERFORM …`: a query run for its side effects (the functions it calls).
    Perform(&'a str),
    /// Control flow, assignments, RAISE…: changes nothing judged.
    Inert,
}

/// A statement of a body with control words peeled off.
pub fn piece(raw: &str) -> Piece<'_> {
    let text = peel_control(raw.trim());
    let first = first_word(text).to_ascii_uppercase();
    if text.is_empty() || INERT.contains(&first.as_str()) || is_assignment(text) {
        return Piece::Inert;
    }
    match first.as_str() {
        "EXECUTE" => execute(text["EXECUTE".len()..].trim()),
        "PERFORM" => Piece::Perform(text),
        _ => Piece::Sql(text),
    }
}

fn first_word(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// `v := …` or `v = …` (PL/pgSQL assignment), `v.field := …`.
fn is_assignment(text: &str) -> bool {
    let rest = text.trim_start_matches(|c: char| {
        c.is_alphanumeric() || c == '_' || c == '.' || c == '[' || c == ']'
    });
    let rest = rest.trim_start();
    rest.starts_with(":=") || (rest.starts_with('=') && !rest.starts_with("=>"))
}

/// Strips `IF … THEN`, `ELSE`, `BEGIN`, `EXCEPTION WHEN … THEN`, `FOR … LOOP`, `<<label>>`,
/// `DECLARE` from the front of a statement.
fn peel_control(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("<<") {
            text = rest.find(">>").map_or("", |i| &rest[i + 2..]);
            continue;
        }
        let first = first_word(text).to_ascii_uppercase();
        if !CONTROL.contains(&first.as_str()) {
            return text;
        }
        match last_statement_start(text) {
            Some(cut) if cut > 0 => text = &text[cut..],
            _ => return "",
        }
    }
}

/// The byte offset just after the last control word (at parenthesis depth 0, outside quotes)
/// after which a statement starts.
fn last_statement_start(text: &str) -> Option<usize> {
    words_outside_quotes(text)
        .into_iter()
        .rev()
        .find(|w| {
            w.depth == 0
                && STATEMENT_STARTS_AFTER
                    .iter()
                    .any(|k| w.text.eq_ignore_ascii_case(k))
        })
        .map(|w| w.start + w.text.len())
}

/// `EXECUTE expr [INTO …] [USING …]`.
fn execute(expr: &str) -> Piece<'_> {
    let expr = cut_at_word(expr, &["INTO", "USING"]);
    let fragments = literals(expr);
    if let Some((start, end, inner, escaped)) = first_literal(expr)
        && start == usize::from(escaped)
        && end == expr.trim_end().len()
    {
        return Piece::ExecuteConstant(if escaped {
            unescape(inner)
        } else {
            inner.replace("''", "'")
        });
    }
    let mut outside = String::new();
    let mut rest = expr;
    while let Some((start, end, ..)) = first_literal(rest) {
        outside.push_str(&rest[..start]);
        outside.push(' ');
        rest = &rest[end..];
    }
    outside.push_str(rest);
    let substituted = outside
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
        })
        .any(|w| !STRING_BUILDERS.contains(&w.to_ascii_lowercase().as_str()));
    Piece::ExecuteDynamic {
        fragments,
        substituted: substituted || fragments_have_placeholders_without_args(expr),
    }
}

/// `format('… %I …')` with no argument after the pattern substitutes nothing known.
fn fragments_have_placeholders_without_args(expr: &str) -> bool {
    expr.contains("%I") && !expr.contains(',')
}

/// `expr` up to the first of `words` after its last string literal (the SQL expression
/// comes before `INTO`/`USING`).
fn cut_at_word<'a>(expr: &'a str, words: &[&str]) -> &'a str {
    let mut last_end = 0;
    while let Some((_, end, ..)) = first_literal(&expr[last_end..]) {
        last_end += end;
    }
    let tail = &expr[last_end..];
    let mut cut = expr.len();
    let mut word_start = None;
    for (i, c) in tail
        .char_indices()
        .chain(std::iter::once((tail.len(), ' ')))
    {
        let in_word = c.is_alphanumeric() || c == '_';
        match (in_word, word_start) {
            (true, None) => word_start = Some(i),
            (false, Some(s)) => {
                if words.iter().any(|w| tail[s..i].eq_ignore_ascii_case(w)) {
                    cut = last_end + s;
                    break;
                }
                word_start = None;
            }
            _ => {}
        }
    }
    &expr[..cut]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_body_and_its_language() {
        let b = body("DO $$\nBEGIN CREATE TYPE t AS ENUM ('a'); END $$").unwrap();
        assert_eq!(b.text, "\nBEGIN CREATE TYPE t AS ENUM ('a'); END ");
        assert!(body("DO LANGUAGE plpython3u $$ plpy.execute('x') $$").is_none());
        assert_eq!(
            body("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'SELECT 1'")
                .unwrap()
                .text,
            "SELECT 1"
        );
    }

    #[test]
    fn control_words_inside_quoted_identifiers_and_comments_do_not_cut() {
        assert_eq!(
            piece("IF x THEN UPDATE \"begin\" SET a = 1"),
            Piece::Sql("UPDATE \"begin\" SET a = 1")
        );
        assert_eq!(
            piece("IF x THEN -- else\nUPDATE t SET a = 1"),
            Piece::Sql("-- else\nUPDATE t SET a = 1")
        );
    }

    #[test]
    fn block_comments_before_the_statement_do_not_hide_it() {
        // `--` or a lone `"` inside `/* */` is comment text, not the start of a line comment or
        // of a quoted identifier that would swallow the `THEN` and leave nothing to read.
        assert_eq!(
            piece("IF x /* see -- below */ THEN GRANT admin TO app"),
            Piece::Sql("GRANT admin TO app")
        );
        assert_eq!(
            piece("IF x /* a 12\" pipe */ THEN GRANT admin TO app"),
            Piece::Sql("GRANT admin TO app")
        );
        // Nested, with an apostrophe and a control word inside.
        assert_eq!(
            piece("IF x /* outer /* don't */ then */ THEN GRANT admin TO app"),
            Piece::Sql("GRANT admin TO app")
        );
        // Control words in a block comment after the statement do not cut it either.
        assert_eq!(
            piece("IF x THEN GRANT admin TO app /* else */"),
            Piece::Sql("GRANT admin TO app /* else */")
        );
    }

    #[test]
    fn escape_string_bodies_are_unescaped() {
        assert_eq!(
            unescape(r"a\'b''c\\d\ne\x41\101\u0041\U00000041\qz\x"),
            "a'b'c\\d\neAAAAqzx"
        );
        assert_eq!(unescape(r"\xff\u12"), "\u{fffd}\u{fffd}");
        let b = body("DO E'BEGIN RAISE NOTICE \\'a\\'; END'").unwrap();
        assert_eq!(b.text, "BEGIN RAISE NOTICE 'a'; END");
    }

    #[test]
    fn escape_strings_before_the_statement_do_not_hide_it() {
        // An `E'…'` string's `\'` is a quote inside the string, not its end: read as the end,
        // the string's real closing quote opened another that ran over THEN.
        assert_eq!(
            piece("IF v = E'it\\'s' THEN GRANT admin TO app"),
            Piece::Sql("GRANT admin TO app")
        );
        assert_eq!(
            piece("IF v = E'\\\\' THEN GRANT admin TO app"),
            Piece::Sql("GRANT admin TO app")
        );
        // A plain string keeps its rule: a backslash is a character, `''` the quote.
        assert_eq!(
            piece("IF v = 'C:\\' THEN GRANT admin TO app"),
            Piece::Sql("GRANT admin TO app")
        );
        assert_eq!(
            piece("IF v = 'it''s' THEN GRANT admin TO app"),
            Piece::Sql("GRANT admin TO app")
        );
    }

    #[test]
    fn peels_control_words() {
        assert_eq!(
            piece(
                "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'x') THEN\n CREATE ROLE x BYPASSRLS"
            ),
            Piece::Sql("CREATE ROLE x BYPASSRLS")
        );
        assert_eq!(
            piece("BEGIN CREATE TYPE a AS ENUM ('x')"),
            Piece::Sql("CREATE TYPE a AS ENUM ('x')")
        );
        assert_eq!(
            piece("EXCEPTION WHEN duplicate_object THEN null"),
            Piece::Inert
        );
        assert_eq!(piece("END IF"), Piece::Inert);
        assert_eq!(piece("v_count := v_count + 1"), Piece::Inert);
        assert_eq!(
            piece("EXECUTE 'ALTER TABLE t DISABLE ROW LEVEL SECURITY'"),
            Piece::ExecuteConstant("ALTER TABLE t DISABLE ROW LEVEL SECURITY".into())
        );
        assert_eq!(
            piece(
                "FOR r IN SELECT tablename FROM pg_tables LOOP EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', r.tablename)"
            ),
            Piece::ExecuteDynamic {
                fragments: vec!["ALTER TABLE %I DISABLE ROW LEVEL SECURITY".into()],
                substituted: true
            }
        );
        assert_eq!(
            piece("EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', 'orders')"),
            Piece::ExecuteDynamic {
                fragments: vec![
                    "ALTER TABLE %I ENABLE ROW LEVEL SECURITY".into(),
                    "orders".into()
                ],
                substituted: false
            }
        );
    }
}
