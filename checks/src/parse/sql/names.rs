//! Identifier normalisation as PostgreSQL does it, and name resolution against the file's
//! `search_path`.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use super::QName;

/// Resolves unqualified names to the first schema of the current `search_path` (per file:
/// migration tools run each file in its own session).
#[derive(Debug, Clone)]
pub struct Resolver {
    default_schema: String,
    role: Option<String>,
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver {
            default_schema: "public".to_owned(),
            role: None,
        }
    }
}

impl Resolver {
    /// `SET [SESSION | LOCAL] search_path { = | TO } a, b`: unqualified names now go to `a`.
    /// An empty path (pg_dump's `''`) keeps the previous schema: such files qualify every name.
    pub fn set_search_path(&mut self, statement: &str) {
        let lower = statement.to_ascii_lowercase();
        let Some(at) = lower.find("search_path") else {
            return;
        };
        let rest = statement[at + "search_path".len()..].trim_start();
        let rest = rest
            .strip_prefix('=')
            .or_else(|| {
                rest.get(..2)
                    .filter(|to| to.eq_ignore_ascii_case("to"))
                    .map(|_| &rest[2..])
            })
            .unwrap_or(rest);
        let first = rest.split(',').map(str::trim).find(|s| {
            let bare = s.trim_matches('\'');
            !bare.is_empty() && bare != "\"$user\"" && bare != "$user"
        });
        if let Some(schema) = first {
            self.default_schema = word(schema.trim_matches('\''));
        }
    }

    /// `SET [SESSION | LOCAL] ROLE r`, `SET SESSION AUTHORIZATION r`; `RESET …`, `SET ROLE
    /// NONE` and `DEFAULT` go back to the role that runs the migrations.
    pub fn set_role(&mut self, statement: &str) {
        let words: Vec<&str> = statement.split_whitespace().collect();
        let last = words.last().copied().unwrap_or("").trim_matches('\'');
        let reset = words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("reset"))
            || last.eq_ignore_ascii_case("none")
            || last.eq_ignore_ascii_case("default");
        self.role = if reset { None } else { Some(word(last)) };
    }

    /// The role `SET ROLE` put in effect, if any.
    pub fn role(&self) -> Option<&str> {
        self.role.as_deref()
    }

    pub fn object(&self, name: &ObjectName) -> QName {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| match p {
                ObjectNamePart::Identifier(i) => ident(i),
                ObjectNamePart::Function(f) => f.to_string(),
            })
            .collect();
        self.parts(parts)
    }

    /// `[db.]schema.name` or `name` (in the default schema).
    pub fn parts(&self, mut parts: Vec<String>) -> QName {
        let name = parts.pop().unwrap_or_default();
        let schema = parts.pop().unwrap_or_else(|| self.default_schema.clone());
        QName { schema, name }
    }

    /// A dotted name written in SQL (`public."Orders"`), normalised.
    pub fn dotted(&self, raw: &str) -> QName {
        self.parts(split_dotted(raw).iter().map(|p| word(p)).collect())
    }
}

/// The longest identifier PostgreSQL keeps (`NAMEDATALEN - 1` bytes); longer ones are cut.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// An identifier as PostgreSQL stores it: quoted kept, unquoted folded to lower case.
pub fn ident(i: &Ident) -> String {
    if i.quote_style.is_some() {
        truncated(i.value.clone())
    } else {
        truncated(i.value.to_lowercase())
    }
}

/// PostgreSQL cuts an identifier longer than 63 bytes (at a character boundary) and uses the
/// cut name everywhere: `CREATE POLICY "<68 characters>"` creates a policy named by the first
/// 63, which a later `DROP POLICY` with a different tail also drops.
fn truncated(mut name: String) -> String {
    if name.len() > MAX_IDENTIFIER_BYTES {
        let mut end = MAX_IDENTIFIER_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// The last part of an object name (roles, policies), normalised.
pub fn last(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(i)) => ident(i),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// One raw identifier word (`"Orders"` or `orders`), normalised.
pub fn word(raw: &str) -> String {
    let raw = raw.trim();
    truncated(
        match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => raw.to_lowercase(),
        },
    )
}

/// Splits `a."b.c".d` on the dots outside quotes.
pub fn split_dotted(raw: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in raw.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => {
                parts.push(&raw[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&raw[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_postgres() {
        let r = Resolver::default();
        assert_eq!(
            r.dotted("App.\"Members\""),
            QName {
                schema: "app".into(),
                name: "Members".into()
            }
        );
        assert_eq!(r.dotted("Orders").schema, "public");
    }

    #[test]
    fn long_identifiers_are_cut_to_63_bytes_like_postgres() {
        // basejump's policy name (fixtures/third_party/migrations/supabase-basejump), as
        // PostgreSQL 15 stores it in pg_policies.
        let long = "\"Account users can be deleted by owners except primary account owner\"";
        assert_eq!(
            word(long),
            "Account users can be deleted by owners except primary account o"
        );
        // Never inside a multi-byte character.
        let cut = word(&"é".repeat(40));
        assert_eq!((cut.len(), cut.chars().count()), (62, 31));
        assert_eq!(word("short_name"), "short_name");
    }

    #[test]
    fn follows_search_path() {
        let mut r = Resolver::default();
        r.set_search_path("SET search_path TO \"$user\", billing, public");
        assert_eq!(r.dotted("invoices").schema, "billing");
        r.set_search_path("SET search_path = ''");
        assert_eq!(r.dotted("invoices").schema, "billing");
        r.set_search_path("set local search_path = App");
        assert_eq!(r.dotted("x").schema, "app");
    }
}
