//! Splits a SQL script into statements, the way psql reads it.
//!
//! Our own splitter, not sqlparser's, so that one statement sqlparser cannot parse (a `DO`
//! block, a dialect corner) never hides the statements after it, and so that statements that
//! cannot change a judged property are skipped without being tokenised. It understands:
//! `--` and nested `/* */` comments, `'…'` strings with `''` escapes, `E'…'` strings with
//! backslash escapes, `"…"` identifiers, dollar quoting (`$$…$$`, `$tag$…$tag$`), psql
//! meta-commands at the start of a statement (`\connect`, `\restrict`), and the inline data
//! of `COPY … FROM stdin;` up to its `\.` line (pg_dump output).

/// One statement: its text without the terminating `;`, and the 1-based line where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawStatement<'a> {
    pub text: &'a str,
    pub line: u32,
    /// `SET standard_conforming_strings = off` was in effect: `'…'` strings take backslash
    /// escapes, which sqlparser does not read that way.
    pub backslash_strings: bool,
    /// Ended by psql's `\gexec`: every value the query returns is run as a statement.
    pub gexec: bool,
}

/// A comment, string or dollar quote still open at the end of the input: psql would run none
/// of what follows it, and neither can vouch know what the author meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unterminated {
    pub what: &'static str,
    pub line: u32,
}

/// Every non-empty statement of `sql`, in order.
pub fn split(sql: &str) -> Vec<RawStatement<'_>> {
    split_checked(sql).0
}

/// Every non-empty statement of `sql`, in order, and the construct left open at the end, if
/// any.
pub fn split_checked(sql: &str) -> (Vec<RawStatement<'_>>, Option<Unterminated>) {
    let mut splitter = Splitter {
        src: sql.as_bytes(),
        text: sql,
        pos: 0,
        line: 1,
        out: Vec::new(),
        standard_strings: true,
        unterminated: None,
    };
    splitter.run();
    (splitter.out, splitter.unterminated)
}

struct Splitter<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    out: Vec<RawStatement<'a>>,
    /// `standard_conforming_strings` as the session has it (on unless a `SET` turned it off).
    standard_strings: bool,
    unterminated: Option<Unterminated>,
}

impl Splitter<'_> {
    fn run(&mut self) {
        loop {
            self.skip_blank_and_comments();
            if self.pos >= self.src.len() {
                return;
            }
            if self.src[self.pos] == b'\\' {
                // A psql meta-command runs to the end of its line.
                self.skip_line();
                continue;
            }
            let (start, line) = (self.pos, self.line);
            self.scan_statement();
            let text = self.text[start..self.pos].trim_end();
            let mut gexec = false;
            if self.src.get(self.pos) == Some(&b'\\') {
                // psql ends the query buffer at a meta-command; `\g…` sends it.
                gexec = self.src[self.pos..].starts_with(b"\\gexec");
                self.skip_line();
            } else if self.pos < self.src.len() {
                self.pos += 1; // the `;`
            }
            if text.is_empty() {
                continue;
            }
            self.out.push(RawStatement {
                text,
                line,
                backslash_strings: !self.standard_strings,
                gexec,
            });
            if let Some(on) = standard_conforming_strings(text) {
                self.standard_strings = on;
            }
            if is_copy_from_stdin(text) {
                self.skip_copy_data();
            }
        }
    }

    /// Advances to the `;` that ends the current statement (or the end of input).
    fn scan_statement(&mut self) {
        while self.pos < self.src.len() {
            match self.src[self.pos] {
                b';' | b'\\' => return,
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b'\'' => {
                    let escape_string = opens_escape_string(self.src, self.pos);
                    self.skip_quoted(b'\'', escape_string || !self.standard_strings);
                }
                b'"' => self.skip_quoted(b'"', false),
                b'-' if self.peek(1) == Some(b'-') => self.skip_line(),
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment(),
                b'$' => self.skip_dollar_quoted(),
                _ => self.pos += 1,
            }
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn skip_blank_and_comments(&mut self) {
        while self.pos < self.src.len() {
            match self.src[self.pos] {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0c => self.pos += 1,
                b'-' if self.peek(1) == Some(b'-') => self.skip_line(),
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment(),
                _ => return,
            }
        }
    }

    /// Skips to just after the next newline.
    fn skip_line(&mut self) {
        match memchr(b'\n', &self.src[self.pos..]) {
            Some(i) => {
                self.pos += i + 1;
                self.line += 1;
            }
            None => self.pos = self.src.len(),
        }
    }

    fn open_at_end(&mut self, what: &'static str, line: u32) {
        self.unterminated.get_or_insert(Unterminated { what, line });
    }

    /// PostgreSQL block comments nest.
    fn skip_block_comment(&mut self) {
        let line = self.line;
        let mut depth = 0usize;
        while self.pos < self.src.len() {
            match (self.src[self.pos], self.peek(1)) {
                (b'/', Some(b'*')) => {
                    depth += 1;
                    self.pos += 2;
                }
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    self.pos += 2;
                    if depth == 0 {
                        return;
                    }
                }
                (b'\n', _) => {
                    self.line += 1;
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        self.open_at_end("`/*` comment", line);
    }

    /// From an opening quote to just after its closing quote; a doubled quote is an escape.
    fn skip_quoted(&mut self, quote: u8, backslash_escapes: bool) {
        let line = self.line;
        self.pos += 1;
        while self.pos < self.src.len() {
            let b = self.src[self.pos];
            if b == b'\n' {
                self.line += 1;
            } else if backslash_escapes && b == b'\\' {
                if self.peek(1) == Some(b'\n') {
                    self.line += 1;
                }
                self.pos = (self.pos + 2).min(self.src.len());
                continue;
            } else if b == quote {
                if self.peek(1) == Some(quote) {
                    self.pos += 2;
                    continue;
                }
                self.pos += 1;
                return;
            }
            self.pos += 1;
        }
        let what = if quote == b'"' {
            "quoted identifier"
        } else {
            "string"
        };
        self.open_at_end(what, line);
    }

    /// `$tag$ … $tag$`. A `$` that does not open a dollar quote (`$1`, `a$b`) is one byte.
    fn skip_dollar_quoted(&mut self) {
        if self.pos > 0 && is_ident_byte(self.src[self.pos - 1]) {
            self.pos += 1;
            return;
        }
        let rest = &self.src[self.pos + 1..];
        let tag_len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b >= 0x80)
            .count();
        let opens =
            rest.get(tag_len) == Some(&b'$') && rest.first().is_none_or(|b| !b.is_ascii_digit());
        if !opens {
            self.pos += 1;
            return;
        }
        let delimiter = &self.src[self.pos..self.pos + tag_len + 2];
        let body_start = self.pos + delimiter.len();
        let end = if let Some(i) = find(&self.src[body_start..], delimiter) {
            body_start + i + delimiter.len()
        } else {
            self.open_at_end("dollar-quoted string", self.line);
            self.src.len()
        };
        self.line += count_newlines(&self.src[self.pos..end]);
        self.pos = end;
    }

    /// COPY data: lines up to and including a line that is exactly `\.`.
    fn skip_copy_data(&mut self) {
        while self.pos < self.src.len() {
            let rest = &self.src[self.pos..];
            let line_end = memchr(b'\n', rest).unwrap_or(rest.len());
            let line = &rest[..line_end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            self.skip_line();
            if line == b"\\." {
                return;
            }
        }
    }
}

pub(super) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Whether the quote at `open` opens an `E'…'` string (an `E` that is not the end of a longer
/// word stands before it).
pub(super) fn opens_escape_string(bytes: &[u8], open: usize) -> bool {
    open > 0
        && matches!(bytes[open - 1], b'e' | b'E')
        && !(open > 1 && is_ident_byte(bytes[open - 2]))
}

fn is_copy_from_stdin(statement: &str) -> bool {
    let head = statement.get(..4).unwrap_or("");
    if !head.eq_ignore_ascii_case("copy") {
        return false;
    }
    let lower = statement.to_ascii_lowercase();
    lower.contains("from stdin")
}

/// `SET [SESSION] standard_conforming_strings {= | TO} on|off`, `RESET …`/`RESET ALL`:
/// the new setting, or `None` for any other statement.
pub(super) fn standard_conforming_strings(statement: &str) -> Option<bool> {
    let lower = statement.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == '=' || c == '\'' || c == '"')
        .filter(|w| !w.is_empty())
        .collect();
    match words.as_slice() {
        ["reset", "all" | "standard_conforming_strings"] => Some(true),
        ["set", rest @ ..] => {
            // `SET LOCAL` lasts until the transaction ends, which the splitter does not
            // follow: not a setting it knows (the reader makes it a change it cannot follow).
            if let ["local", ..] = rest {
                return None;
            }
            let rest = if let ["session", r @ ..] = rest {
                r
            } else {
                rest
            };
            match rest {
                ["standard_conforming_strings", "to", v] | ["standard_conforming_strings", v] => {
                    boolean(v)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// A boolean setting's value as PostgreSQL's `parse_bool` reads it (any unambiguous prefix of
/// `true`, `false`, `yes`, `no`; `on`, `of[f]`; `1`, `0`) or `DEFAULT` (on); `None` for
/// anything else, which the reader then treats as a change it cannot follow.
fn boolean(value: &str) -> Option<bool> {
    let prefix_of = |word: &str| !value.is_empty() && word.starts_with(value);
    match value {
        "on" | "1" | "default" => Some(true),
        "of" | "off" | "0" => Some(false),
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ => None,
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|b| *b == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// Called once per dollar-quoted body; not worth a crate.
#[allow(clippy::naive_bytecount)]
fn count_newlines(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.iter().filter(|b| **b == b'\n').count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<(&str, u32)> {
        split(sql).into_iter().map(|s| (s.text, s.line)).collect()
    }

    #[test]
    fn splits_on_semicolons_with_start_lines() {
        let sql = "-- header\nCREATE TABLE a (id int);\n\n/* c; */ ALTER TABLE a\n  ENABLE ROW LEVEL SECURITY;";
        assert_eq!(
            texts(sql),
            vec![
                ("CREATE TABLE a (id int)", 2),
                ("ALTER TABLE a\n  ENABLE ROW LEVEL SECURITY", 4)
            ]
        );
    }

    #[test]
    fn respects_quotes_and_comments() {
        let sql = "SELECT 'a;b', \"x;y\", E'it\\'s;';\n-- c;\nSELECT /* a /* nested; */ ; */ 2;";
        let got = texts(sql);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1].1, 3);
    }

    #[test]
    fn respects_dollar_quoting() {
        let sql = "DO $$ BEGIN PERFORM 1; END $$;\nCREATE FUNCTION f() RETURNS int AS $_$\nSELECT 1;\n$_$ LANGUAGE sql;\nSELECT $1, a$b;\nALTER TABLE t ENABLE ROW LEVEL SECURITY;";
        let got = texts(sql);
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[1].0.ends_with("LANGUAGE sql"));
        assert_eq!(got[3], ("ALTER TABLE t ENABLE ROW LEVEL SECURITY", 6));
    }

    #[test]
    fn skips_copy_data_and_meta_commands() {
        let sql = "\\restrict abc\nCOPY public.t (a, b) FROM stdin;\n1\t'x;\n2\t$$\n\\.\nALTER TABLE t FORCE ROW LEVEL SECURITY;\n";
        let got = texts(sql);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1], ("ALTER TABLE t FORCE ROW LEVEL SECURITY", 6));
    }

    #[test]
    fn an_unterminated_comment_is_reported_with_its_line() {
        let sql = "CREATE TABLE a (id int);\n/* hides\nALTER TABLE a DISABLE ROW LEVEL SECURITY;\n";
        let (statements, open) = split_checked(sql);
        assert_eq!(statements.len(), 1);
        assert_eq!(
            open,
            Some(Unterminated {
                what: "`/*` comment",
                line: 2
            })
        );
        assert_eq!(split_checked("/* a /* b */ c */ SELECT 1;").1, None);
        assert!(split_checked("SELECT 'open;").1.is_some());
        assert!(split_checked("DO $$ BEGIN;").1.is_some());
    }

    #[test]
    fn honours_standard_conforming_strings_off() {
        let sql = "SET standard_conforming_strings = off;\nSELECT 'x\\'';\nALTER TABLE t DISABLE ROW LEVEL SECURITY;\nSELECT '';\nRESET standard_conforming_strings;\nSELECT 'a\\';\n";
        let got = texts(sql);
        assert_eq!(
            got[2],
            ("ALTER TABLE t DISABLE ROW LEVEL SECURITY", 3),
            "{got:?}"
        );
        assert!(split(sql)[1].backslash_strings);
        assert_eq!(got.last().map(|s| s.0), Some("SELECT 'a\\'"));
    }

    #[test]
    fn gexec_ends_a_statement_and_is_marked() {
        let sql = "SELECT format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t) FROM x\\gexec\nCREATE TABLE b (id int);";
        let got = split(sql);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].gexec && !got[1].gexec);
        assert_eq!(got[1].line, 2);
    }

    #[test]
    fn unterminated_input_never_panics() {
        for sql in ["'open", "$$ open", "/* open", "E'\\", "\"x", "$a", "$"] {
            let _ = split(sql);
        }
    }
}
