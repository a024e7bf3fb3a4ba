//! The `Link` header (RFC 8288 §3), as far as the referrers API's pages need it: the target
//! of the link whose `rel` holds `next`.
//!
//! ```text
//! Link       = #link-value
//! link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
//! link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
//! ```
//!
//! A quoted-string may hold `<`, `>`, `;`, `,` and `\`-escaped quotes (`title="a <b>; rel=next"`
//! is a title, not a link nor a relation), and a target may hold `,` and `;`: both are read
//! whole before what follows is looked at. Parameter names and relation types are compared
//! case-insensitively; of several `rel` parameters the first counts (§3.3).
//!
//! Bytes, not text: a header value may carry obs-text (bytes above 0x7F) in a quoted-string,
//! where HTTP allows it (RFC 9110 §5.6.4) and where vouch never reads it (a `title`); elsewhere
//! (a target, which is a URI, a token) a non-ASCII byte is an error. The crates that parse
//! `Link` (`parse_link_header`, `http-link`) split on characters without following quotes, or
//! are unmaintained, hence this small reader.

/// One link-value: its target and its parameters (names in lower case; `None` for a
/// parameter without `=`), in order.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Link<'a> {
    pub target: &'a [u8],
    pub params: Vec<(String, Option<Vec<u8>>)>,
}

impl Link<'_> {
    /// Whether the first `rel` parameter lists `relation` (a space-separated list).
    pub fn has_rel(&self, relation: &str) -> bool {
        self.params
            .iter()
            .find(|(name, _)| name == "rel")
            .and_then(|(_, value)| value.as_deref())
            .is_some_and(|rels| {
                rels.split(u8::is_ascii_whitespace)
                    .any(|rel| rel.eq_ignore_ascii_case(relation.as_bytes()))
            })
    }
}

/// Every link-value of one `Link` field value, or why it does not parse.
pub(super) fn parse(field: &[u8]) -> Result<Vec<Link<'_>>, String> {
    let mut reader = Reader {
        bytes: field,
        at: 0,
    };
    let mut links = Vec::new();
    loop {
        // `#rule`: empty list elements (`, ,`) are allowed and ignored.
        while reader.peek().is_some_and(|b| b == b',' || is_ows(b)) {
            reader.at += 1;
        }
        if reader.peek().is_none() {
            return Ok(links);
        }
        if !reader.eat(b'<') {
            return Err(reader.expected("`<` opening a link target"));
        }
        let start = reader.at;
        while reader.peek().is_some_and(|b| b != b'>') {
            reader.at += 1;
        }
        let target = &field[start..reader.at];
        if !reader.eat(b'>') {
            return Err(reader.expected("`>` closing the link target"));
        }
        if let Some(bad) = target.iter().find(|b| !b.is_ascii_graphic()) {
            return Err(format!(
                "a link target holds the byte 0x{bad:02x}, which no URI holds"
            ));
        }
        let mut params = Vec::new();
        loop {
            reader.skip_ows();
            match reader.peek() {
                None | Some(b',') => break,
                Some(b';') => reader.at += 1,
                Some(_) => {
                    return Err(reader.expected("`;` or `,` after a link's target or parameter"));
                }
            }
            reader.skip_ows();
            let name = reader.token();
            if name.is_empty() {
                // A trailing `;` (`<a>; , <b>`) names no parameter: tolerated.
                if matches!(reader.peek(), None | Some(b',' | b';')) {
                    continue;
                }
                return Err(reader.expected("a parameter name"));
            }
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            reader.skip_ows();
            let value = if reader.eat(b'=') {
                reader.skip_ows();
                Some(if reader.peek() == Some(b'"') {
                    reader.quoted_string()?
                } else {
                    let value = reader.token();
                    if value.is_empty() {
                        return Err(reader.expected("a token or a quoted string"));
                    }
                    value.to_vec()
                })
            } else {
                None
            };
            params.push((name, value));
        }
        links.push(Link { target, params });
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let here = self.peek() == Some(byte);
        if here {
            self.at += 1;
        }
        here
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.at += 1;
        }
    }

    /// `1*tchar` (RFC 9110 §5.6.2), possibly empty here.
    fn token(&mut self) -> &[u8] {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        &self.bytes[start..self.at]
    }

    /// A quoted-string's content, its `\`-escapes undone; the reader is on its `"`.
    fn quoted_string(&mut self) -> Result<Vec<u8>, String> {
        self.at += 1;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => return Err("a quoted string is not closed".to_owned()),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(value);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escaped = self.peek().ok_or("a quoted string ends in a lone `\\`")?;
                    value.push(escaped);
                    self.at += 1;
                }
                Some(byte) => {
                    value.push(byte);
                    self.at += 1;
                }
            }
        }
    }

    /// `expected X at byte N`, quoting nothing of the header.
    fn expected(&self, what: &str) -> String {
        format!("expected {what} at byte {}", self.at + 1)
    }
}

fn is_ows(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The target of the first `rel=next` link of `field`.
    fn next(field: &str) -> Option<String> {
        parse(field.as_bytes())
            .unwrap()
            .into_iter()
            .find(|link| link.has_rel("next"))
            .map(|link| String::from_utf8(link.target.to_vec()).unwrap())
    }

    #[test]
    fn quoted_strings_hide_what_would_otherwise_be_links_or_relations() {
        // A title holding a target-like `<…>` and a relation-like `; rel=next`.
        assert_eq!(next(r#"<p1>; title="a <b> c"; rel="prev""#), None);
        assert_eq!(next(r#"<p1>; title="x; rel=next"; rel=prev"#), None);
        assert_eq!(next(r#"<p1>; title="x, <p2>; rel=next""#), None);
        // An escaped quote does not close the string.
        assert_eq!(
            next(r#"<p1>; title="say \"hi\", <p2>; rel=next"; rel=last"#),
            None
        );
        assert_eq!(
            next(r#"<p1>; title="say \"hi\""; rel=next"#),
            Some("p1".to_owned())
        );
        // After a title with a comma, the next link-value is still read.
        assert_eq!(
            next(r#"<p1>; title="a, b"; rel=prev, <p2>; rel="next""#),
            Some("p2".to_owned())
        );
    }

    #[test]
    fn targets_may_hold_commas_and_semicolons() {
        assert_eq!(
            next(r#"</p?a=1,2;x>; rel="prev", </p?n=2;b,c>; type="x"; rel="next""#),
            Some("/p?n=2;b,c".to_owned())
        );
    }

    #[test]
    fn the_first_rel_counts_and_relations_are_a_case_insensitive_list() {
        assert_eq!(next("<p1>; rel=prev; rel=next"), None);
        assert_eq!(next("<p1>; REL=\"last NEXT\""), Some("p1".to_owned()));
        assert_eq!(next("<p1>;rel=next"), Some("p1".to_owned()));
        assert_eq!(next("<p1> ; rel = next"), Some("p1".to_owned()));
        // `nextpage` and `next-archive` are other relations; `rel*` is not `rel`.
        assert_eq!(next("<p1>; rel=nextpage, <p2>; rel=next-archive"), None);
        assert_eq!(next("<p1>; rel*=UTF-8''next"), None);
        // A parameter with no value, empty elements and a trailing `;` are tolerated.
        assert_eq!(
            next(", <p1>; crossorigin; rel=next;, ,"),
            Some("p1".to_owned())
        );
    }

    #[test]
    fn what_does_not_parse_is_an_error_not_an_answer_without_a_next_page() {
        for bad in [
            "p1; rel=next",
            "<p1; rel=next",
            "<p1>; title=\"open, <p2>; rel=next",
            "<p1>; title=\"ends in \\",
            "<p1> rel=next",
            "<p1>; rel=next garbage",
            "<p1>; =next",
            "<p1>; rel=",
            "<p 1>; rel=next",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn non_ascii_is_read_inside_quoted_strings_only() {
        let field = b"<p1>; title=\"caf\xe9\"; rel=next";
        let links = parse(field).unwrap();
        assert!(links[0].has_rel("next"));
        assert_eq!(links[0].params[0].1.as_deref(), Some(&b"caf\xe9"[..]));
        assert!(parse(b"<p\xe9>; rel=next").is_err());
        assert!(parse(b"<p1>; rel=n\xe9xt").is_err());
    }
}
