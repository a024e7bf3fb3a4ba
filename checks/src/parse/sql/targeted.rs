//! A small parser for the judged statement forms sqlparser 0.63 does not parse, and the
//! mention extraction for statements nobody could parse.
//!
//! sqlparser 0.63 (PostgreSQL dialect) parses CREATE POLICY, ALTER TABLE … [NO] FORCE ROW
//! LEVEL SECURITY, GRANT/REVOKE on tables and schemas, CREATE/ALTER ROLE and CREATE TRIGGER,
//! but not role membership (`GRANT admin TO app_user`, `REVOKE admin FROM app_user`) nor
//! `ALTER DEFAULT PRIVILEGES`. Both matter (membership can confer BYPASSRLS; default privileges
//! grant on every later table), and both have a simple, regular grammar, so they are parsed
//! here from words. Anything else goes to sqlparser.

use super::names::{Resolver, split_dotted, word};
use super::{Change, TABLE_PRIVILEGES};
use crate::facts::pg::Unparsed;
use crate::model::Location;

/// The changes of a statement this parser owns, or `None` to let sqlparser try.
pub fn parse(text: &str, names: &Resolver) -> Option<Vec<Change>> {
    let words = tokens(text);
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let first = upper.first()?.as_str();
    match first {
        "GRANT" | "REVOKE" if !upper.iter().any(|w| w == "ON") => {
            membership(first == "REVOKE", &words, &upper)
        }
        "ALTER"
            if upper.get(1).map(String::as_str) == Some("DEFAULT")
                && upper.get(2).map(String::as_str) == Some("PRIVILEGES") =>
        {
            default_privileges(&words, &upper, names)
        }
        _ => None,
    }
}

/// `GRANT r1, r2 TO g1, g2 [WITH …] [GRANTED BY …]`, `REVOKE [ADMIN OPTION FOR] r FROM g`.
fn membership(revoke: bool, words: &[String], upper: &[String]) -> Option<Vec<Change>> {
    let split = if revoke { "FROM" } else { "TO" };
    let at = upper.iter().position(|w| w == split)?;
    let admin_option_for =
        upper.get(1).is_some_and(|w| w == "ADMIN") && upper.get(2).is_some_and(|w| w == "OPTION");
    let start = if admin_option_for { 4 } else { 1 };
    let roles = list(&words[start.min(at)..at]);
    let end = upper[at..]
        .iter()
        .position(|w| w == "WITH" || w == "GRANTED" || w == "CASCADE" || w == "RESTRICT")
        .map_or(words.len(), |i| at + i);
    let grantees = list(&words[at + 1..end]);
    if roles.is_empty() || grantees.is_empty() {
        return None;
    }
    Some(vec![Change::Membership {
        revoke,
        roles,
        grantees,
    }])
}

/// `ALTER DEFAULT PRIVILEGES [FOR ROLE r] [IN SCHEMA s, …] GRANT|REVOKE privs ON TABLES
/// TO|FROM grantees`. Only `ON TABLES` is judged; other object kinds change nothing here.
fn default_privileges(words: &[String], upper: &[String], names: &Resolver) -> Option<Vec<Change>> {
    let verb = upper.iter().position(|w| w == "GRANT" || w == "REVOKE")?;
    let revoke = upper[verb] == "REVOKE";
    let schemas = match upper[..verb].iter().position(|w| w == "SCHEMA") {
        Some(i) => list(&words[i + 1..verb]),
        None => Vec::new(),
    };
    let on = verb + upper[verb..].iter().position(|w| w == "ON")?;
    if upper.get(on + 1).map(String::as_str) != Some("TABLES") {
        return Some(Vec::new());
    }
    let privileges: Vec<String> = upper[verb + 1..on]
        .iter()
        .filter(|w| {
            *w != "," && *w != "PRIVILEGES" && *w != "GRANT" && *w != "OPTION" && *w != "FOR"
        })
        .flat_map(|w| {
            if w == "ALL" {
                TABLE_PRIVILEGES.iter().map(|p| (*p).to_owned()).collect()
            } else {
                vec![w.clone()]
            }
        })
        .collect();
    let to = on + upper[on..].iter().position(|w| w == "TO" || w == "FROM")?;
    let end = upper[to..]
        .iter()
        .position(|w| w == "WITH" || w == "CASCADE" || w == "RESTRICT")
        .map_or(words.len(), |i| to + i);
    let grantees = list(&words[to + 1..end])
        .into_iter()
        .map(|g| {
            if g == "public" {
                "PUBLIC".to_owned()
            } else {
                g
            }
        })
        .collect();
    let _ = names;
    Some(vec![Change::DefaultPrivileges {
        revoke,
        schemas,
        privileges,
        grantees,
    }])
}

/// Comma-separated identifiers, normalised; `GROUP`/`ROLE` noise words dropped.
fn list(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| {
            *w != "," && !w.eq_ignore_ascii_case("group") && !w.eq_ignore_ascii_case("role")
        })
        .map(|w| word(w))
        .collect()
}

/// Words of a statement: identifiers (dotted, quoted parts kept) and single punctuation
/// characters; string literals are dropped.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            // Skip a string literal ('' escapes included).
            while let Some((_, d)) = chars.next() {
                if d == '\'' {
                    if chars.peek().is_some_and(|(_, e)| *e == '\'') {
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
        } else if c == '"' || c.is_alphanumeric() || c == '_' {
            let mut end = i + c.len_utf8();
            let mut in_quotes = c == '"';
            while let Some(&(j, d)) = chars.peek() {
                let part_of_word = in_quotes
                    || d == '"'
                    || d.is_alphanumeric()
                    || d == '_'
                    || d == '.'
                    || d == '$';
                if !part_of_word {
                    break;
                }
                if d == '"' {
                    in_quotes = !in_quotes;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            out.push(text[i..end].to_owned());
        } else if !c.is_whitespace() {
            out.push(c.to_string());
        }
    }
    out
}

/// Keywords that say which judged property an unparsed statement may change.
const TOPICS: &[(&str, &str)] = &[
    ("row level security", "rls"),
    ("policy", "policy"),
    ("grant", "grant"),
    ("revoke", "grant"),
    ("owner", "owner"),
    ("role", "role"),
    ("user", "role"),
    ("bypassrls", "role"),
    ("superuser", "role"),
    ("trigger", "trigger"),
    ("security definer", "function"),
    ("search_path", "function"),
];

/// The unparsed record of a statement nobody could parse, when it may change a judged
/// property: a `CREATE TABLE` (topic `table`) or any statement mentioning one of [`TOPICS`].
pub fn unparsed(text: &str, location: Location, names: &Resolver) -> Option<Unparsed> {
    let squashed = text
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut topics: Vec<String> = TOPICS
        .iter()
        .filter(|(k, _)| squashed.contains(k))
        .map(|(_, t)| (*t).to_owned())
        .collect();
    let creates = created_table(text, names);
    if creates.is_some() {
        topics.push("table".to_owned());
    }
    topics.sort();
    topics.dedup();
    if topics.is_empty() {
        return None;
    }
    let mut mentions = Vec::new();
    for w in tokens(text) {
        if !(w.starts_with('"') || w.chars().next().is_some_and(char::is_alphabetic)) {
            continue;
        }
        let parts = split_dotted(&w);
        if parts.len() > 1 {
            let q = names.dotted(&w);
            mentions.push(format!("{}.{}", q.schema, q.name));
            mentions.push(q.name);
        } else {
            mentions.push(word(&w));
        }
    }
    mentions.sort();
    mentions.dedup();
    Some(Unparsed {
        location,
        excerpt: text
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(120)
            .collect(),
        mentions,
        topics,
        creates,
    })
}

/// `CREATE [UNLOGGED] TABLE [IF NOT EXISTS] name …` → `schema.name`.
fn created_table(text: &str, names: &Resolver) -> Option<String> {
    let words = tokens(text);
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    if upper.first().map(String::as_str) != Some("CREATE") {
        return None;
    }
    let at = upper.iter().take(3).position(|w| w == "TABLE")?;
    let mut i = at + 1;
    if upper.get(i).map(String::as_str) == Some("IF") {
        i += 3;
    }
    let q = names.dotted(words.get(i)?);
    Some(format!("{}.{}", q.schema, q.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_role_membership() {
        let r = Resolver::default();
        assert_eq!(
            parse("GRANT admin, \"Ops\" TO app_user WITH ADMIN OPTION", &r),
            Some(vec![Change::Membership {
                revoke: false,
                roles: vec!["admin".into(), "Ops".into()],
                grantees: vec!["app_user".into()],
            }])
        );
        assert_eq!(
            parse("REVOKE admin FROM app_user", &r),
            Some(vec![Change::Membership {
                revoke: true,
                roles: vec!["admin".into()],
                grantees: vec!["app_user".into()],
            }])
        );
        assert_eq!(parse("GRANT SELECT ON t TO app_user", &r), None);
    }

    #[test]
    fn parses_default_privileges() {
        let r = Resolver::default();
        assert_eq!(
            parse(
                "ALTER DEFAULT PRIVILEGES FOR ROLE migrator IN SCHEMA app GRANT SELECT, INSERT ON TABLES TO app_user",
                &r
            ),
            Some(vec![Change::DefaultPrivileges {
                revoke: false,
                schemas: vec!["app".into()],
                privileges: vec!["SELECT".into(), "INSERT".into()],
                grantees: vec!["app_user".into()],
            }])
        );
        assert_eq!(
            parse(
                "ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO app_user",
                &r
            ),
            Some(Vec::new())
        );
    }

    #[test]
    fn keeps_mentions_and_topics_of_unparsed_statements() {
        let u = unparsed(
            "DO $$ BEGIN EXECUTE 'ALTER TABLE public.Orders DISABLE ROW LEVEL SECURITY'; END $$",
            Location::file("m.sql", 3),
            &Resolver::default(),
        )
        .unwrap();
        assert_eq!(u.topics, vec!["rls".to_owned()]);
        assert!(
            !u.mentions.iter().any(|m| m.contains("orders")),
            "strings are not mentions: {:?}",
            u.mentions
        );
        let u = unparsed(
            "CREATE POLICY p ON public.Orders USING (weird syntax",
            Location::file("m.sql", 3),
            &Resolver::default(),
        )
        .unwrap();
        assert!(
            u.mentions.contains(&"public.orders".to_owned()),
            "{:?}",
            u.mentions
        );
        assert!(
            unparsed(
                "CREATE VIEW v AS SELECT 1",
                Location::file("m", 1),
                &Resolver::default()
            )
            .is_none()
        );
    }
}
