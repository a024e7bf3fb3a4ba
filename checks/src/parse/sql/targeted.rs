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
        "GRANT" | "REVOKE" if grants_on_unjudged_objects(&upper) => Some(Vec::new()),
        "GRANT" | "REVOKE" if !upper.iter().any(|w| w == "ON") => {
            membership(first == "REVOKE", &words, &upper)
        }
        // Mappings of users to foreign servers: no role attribute or membership.
        "CREATE" | "ALTER" | "DROP"
            if upper.get(1).is_some_and(|w| w == "USER")
                && upper.get(2).is_some_and(|w| w == "MAPPING") =>
        {
            Some(Vec::new())
        }
        "ALTER" if upper.get(1).is_some_and(|w| w == "GROUP") => alter_group(&words, &upper),
        "DROP" if upper.get(1).is_some_and(|w| w == "GROUP") => {
            let start = if upper.get(2).is_some_and(|w| w == "IF") {
                4
            } else {
                2
            };
            let dropped = list(words.get(start..).unwrap_or_default());
            (!dropped.is_empty()).then_some(vec![Change::DropRoles(dropped)])
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

/// `ALTER GROUP g ADD USER u1, u2` (= `GRANT g TO u1, u2`), `ALTER GROUP g DROP USER u`
/// (= `REVOKE g FROM u`), `ALTER GROUP g RENAME TO h`. A group written as `CURRENT_USER`,
/// `CURRENT_ROLE` or `SESSION_USER` is not known here: `None` (unparsed).
fn alter_group(words: &[String], upper: &[String]) -> Option<Vec<Change>> {
    let group = words.get(2)?;
    if matches!(
        upper[2].as_str(),
        "CURRENT_USER" | "CURRENT_ROLE" | "SESSION_USER"
    ) {
        return None;
    }
    let group = word(group);
    match (upper.get(3)?.as_str(), upper.get(4)?.as_str()) {
        (verb @ ("ADD" | "DROP"), "USER") => {
            let grantees = list(&words[5..]);
            if grantees.is_empty() {
                return None;
            }
            Some(vec![Change::Membership {
                revoke: verb == "DROP",
                roles: vec![group],
                grantees,
            }])
        }
        ("RENAME", "TO") if words.len() == 6 => Some(vec![Change::RenameRole {
            name: group,
            to: word(&words[5]),
        }]),
        _ => None,
    }
}

/// PostgreSQL's older spellings of `CREATE ROLE`, as `CREATE ROLE` text sqlparser reads:
/// `CREATE USER` (a role with LOGIN unless it says NOLOGIN: the `bool`) and `CREATE GROUP`
/// (NOLOGIN, as `CREATE ROLE`). The noise word `ENCRYPTED` before `PASSWORD` is dropped in
/// these and in `CREATE ROLE`, `ALTER ROLE`/`ALTER USER` (sqlparser does not know it).
/// `None`: nothing to rewrite.
pub fn role_statement_rewrite(text: &str) -> Option<(String, bool)> {
    let spans = token_spans(text);
    let upper: Vec<String> = (spans.iter())
        .map(|&(a, b)| text[a..b].to_ascii_uppercase())
        .collect();
    let at = |i: usize| upper.get(i).map_or("", String::as_str);
    let (rename, login) = match (at(0), at(1)) {
        ("CREATE", "USER") if at(2) != "MAPPING" => (true, true),
        ("CREATE", "GROUP") => (true, false),
        ("CREATE" | "ALTER", "ROLE") | ("ALTER", "USER") => (false, false),
        _ => return None,
    };
    let encrypted: Vec<usize> = (0..upper.len())
        .filter(|&i| at(i) == "ENCRYPTED" && at(i + 1) == "PASSWORD")
        .collect();
    if !rename && encrypted.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for (i, &(a, b)) in spans.iter().enumerate() {
        let replacement = if rename && i == 1 {
            "ROLE"
        } else if encrypted.contains(&i) {
            ""
        } else {
            continue;
        };
        out.push_str(&text[from..a]);
        out.push_str(replacement);
        from = b;
    }
    out.push_str(&text[from..]);
    Some((out, login))
}

/// `GRANT r1, r2 TO g1, g2 [WITH …] [GRANTED BY …]`, `REVOKE r FROM g`. `REVOKE ADMIN OPTION
/// FOR r FROM g` (also `INHERIT`/`SET OPTION FOR`, PostgreSQL 16) takes an option away and
/// leaves the membership: it changes nothing judged here.
fn membership(revoke: bool, words: &[String], upper: &[String]) -> Option<Vec<Change>> {
    let split = if revoke { "FROM" } else { "TO" };
    let at = upper.iter().position(|w| w == split)?;
    let option_for = upper.get(2).is_some_and(|w| w == "OPTION");
    if revoke && option_for {
        return Some(Vec::new());
    }
    let roles = list(&words[1.min(at)..at]);
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

/// Skips a (nested) block comment whose `/` was just read.
fn skip_block_comment(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    let mut depth = 0usize;
    let mut previous = '/';
    for (_, c) in chars.by_ref() {
        match (previous, c) {
            ('/', '*') => {
                depth += 1;
                previous = ' ';
                continue;
            }
            ('*', '/') => {
                depth -= 1;
                if depth == 0 {
                    return;
                }
                previous = ' ';
                continue;
            }
            _ => {}
        }
        previous = c;
    }
}

/// Words of a statement: identifiers (dotted, quoted parts kept) and single punctuation
/// characters; string literals are dropped.
pub fn tokens(text: &str) -> Vec<String> {
    token_spans(text)
        .into_iter()
        .map(|(a, b)| text[a..b].to_owned())
        .collect()
}

/// The byte ranges of [`tokens`] in `text`.
fn token_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '-' && chars.peek().is_some_and(|(_, d)| *d == '-') {
            // A line comment: never a word of the statement.
            for (_, d) in chars.by_ref() {
                if d == '\n' {
                    break;
                }
            }
        } else if c == '/' && chars.peek().is_some_and(|(_, d)| *d == '*') {
            skip_block_comment(&mut chars);
        } else if c == '\'' {
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
            out.push((i, end));
        } else if !c.is_whitespace() {
            out.push((i, i + c.len_utf8()));
        }
    }
    out
}

/// Object kinds after `GRANT … ON` / `REVOKE … ON` whose privileges no check judges
/// (`GRANT EXECUTE ON FUNCTION f(slug text) TO authenticated`): such a statement changes no
/// table, schema or role property.
const UNJUDGED_GRANT_OBJECTS: &[&str] = &[
    "FUNCTION",
    "FUNCTIONS",
    "PROCEDURE",
    "PROCEDURES",
    "ROUTINE",
    "ROUTINES",
    "SEQUENCE",
    "SEQUENCES",
    "TYPE",
    "DOMAIN",
    "LANGUAGE",
    "LARGE",
    "FOREIGN",
    "TABLESPACE",
    "PARAMETER",
];

/// `GRANT|REVOKE … ON FUNCTION|SEQUENCE|TYPE|… ` (also `ON ALL FUNCTIONS IN SCHEMA`).
fn grants_on_unjudged_objects(upper: &[String]) -> bool {
    let Some(on) = upper.iter().position(|w| w == "ON") else {
        return false;
    };
    let kind = match upper.get(on + 1).map(String::as_str) {
        Some("ALL") => upper.get(on + 2),
        _ => upper.get(on + 1),
    };
    kind.is_some_and(|k| UNJUDGED_GRANT_OBJECTS.contains(&k.as_str()))
}

/// The judged properties a statement's words say it may change (comments and string
/// literals are not words): `rls` (enable/disable), `force`, `policy`, `grant`, `owner`,
/// `role`, `trigger`, `function`, `table` (a CREATE TABLE).
fn topics_of_words(upper: &[String]) -> Vec<String> {
    let at = |i: usize| upper.get(i).map_or("", String::as_str);
    let mut topics: Vec<&str> = Vec::new();
    if matches!(at(0), "CREATE" | "ALTER") && is_function_definition(upper) {
        // A function's definition changes only the function (its body runs when called).
        return vec!["function".to_owned()];
    }
    for (i, w) in upper.iter().enumerate() {
        match w.as_str() {
            "ROW" if at(i + 1) == "LEVEL" && at(i + 2) == "SECURITY" => match at(i.wrapping_sub(1))
            {
                "ENABLE" | "DISABLE" => topics.push("rls"),
                "FORCE" => topics.push("force"),
                _ => topics.extend(["rls", "force"]),
            },
            "POLICY" | "POLICIES" => topics.push("policy"),
            "GRANT" | "REVOKE" if i == 0 || upper[..i].iter().any(|p| p == "PRIVILEGES") => {
                let on_objects = upper.iter().any(|x| x == "ON");
                if on_objects && !grants_on_unjudged_objects(upper) {
                    topics.push("grant");
                } else if !on_objects {
                    topics.push("role");
                }
            }
            "OWNER" if at(i + 1) == "TO" => topics.push("owner"),
            "ROLE" | "USER" | "GROUP"
                if matches!(at(i.wrapping_sub(1)), "CREATE" | "ALTER" | "DROP") =>
            {
                topics.push("role");
            }
            "BYPASSRLS" | "NOBYPASSRLS" | "SUPERUSER" | "NOSUPERUSER" | "CREATEROLE"
            | "INHERIT" => topics.push("role"),
            "TRIGGER" | "TRIGGERS" => topics.push("trigger"),
            "DEFINER" | "SEARCH_PATH" => topics.push("function"),
            "TABLE" if i <= 3 && at(0) == "CREATE" => topics.push("table"),
            _ => {}
        }
    }
    let mut topics: Vec<String> = topics.into_iter().map(str::to_owned).collect();
    topics.sort();
    topics.dedup();
    topics
}

fn is_function_definition(upper: &[String]) -> bool {
    upper
        .iter()
        .take(4)
        .any(|w| w == "FUNCTION" || w == "PROCEDURE")
}

/// The objects a statement of a well-known shape acts on, read from its words when sqlparser
/// could not parse the rest: `ALTER TABLE [IF EXISTS] [ONLY] t`, `CREATE|ALTER|DROP POLICY p
/// ON t`, `CREATE TRIGGER … ON t`, `GRANT|REVOKE … ON [TABLE] a, b TO|FROM r, …`,
/// `CREATE|ALTER|DROP ROLE|USER|GROUP r`. `None` when the shape is not one of these.
fn targets(words: &[String], upper: &[String], names: &Resolver) -> Option<Vec<String>> {
    let at = |i: usize| upper.get(i).map_or("", String::as_str);
    let table = |i: usize| -> Option<Vec<String>> {
        let raw = words.get(i)?;
        if !is_identifier(raw) {
            return None;
        }
        let q = names.dotted(raw);
        Some(vec![format!("{}.{}", q.schema, q.name), q.name])
    };
    let skip_noise = |mut i: usize| {
        while matches!(at(i), "IF" | "EXISTS" | "NOT" | "ONLY") {
            i += 1;
        }
        i
    };
    match (at(0), at(1)) {
        ("ALTER", "TABLE") => {
            let mut out = table(skip_noise(2))?;
            // `… OWNER TO role`: the role becomes the owner, so the statement affects it too
            // (pg-role-not-owner and pg-role-no-ddl look up unparsed statements by role name).
            // An owner that is not a plain name (`:owner`, `CURRENT_USER`) is not targeted.
            for i in 0..upper.len() {
                if at(i) == "OWNER" && at(i + 1) == "TO" {
                    let raw = words.get(i + 2).filter(|w| is_identifier(w))?;
                    if matches!(at(i + 2), "CURRENT_USER" | "CURRENT_ROLE" | "SESSION_USER") {
                        return None;
                    }
                    out.push(word(raw));
                }
            }
            Some(out)
        }
        ("CREATE" | "ALTER" | "DROP", "POLICY") | ("CREATE" | "DROP", "TRIGGER") => {
            let on = upper.iter().position(|w| w == "ON")?;
            table(skip_noise(on + 1))
        }
        ("CREATE" | "ALTER" | "DROP", "ROLE" | "USER" | "GROUP") => {
            let i = skip_noise(2);
            let raw = words.get(i).filter(|w| is_identifier(w))?;
            Some(vec![word(raw)])
        }
        ("GRANT" | "REVOKE", _) => grant_targets(words, upper, names),
        _ => None,
    }
}

/// `GRANT privs ON [TABLE] a, b TO r1, r2`: the tables and the grantees.
fn grant_targets(words: &[String], upper: &[String], names: &Resolver) -> Option<Vec<String>> {
    let on = upper.iter().position(|w| w == "ON")?;
    let mut i = on + 1;
    if upper.get(i).is_some_and(|w| w == "TABLE") {
        i += 1;
    }
    if upper.get(i).is_some_and(|w| w == "ALL") {
        return None;
    }
    let to = on + upper[on..].iter().position(|w| w == "TO" || w == "FROM")?;
    let mut out = Vec::new();
    for raw in words[i..to].iter().filter(|w| *w != ",") {
        if !is_identifier(raw) {
            return None;
        }
        let q = names.dotted(raw);
        out.push(format!("{}.{}", q.schema, q.name));
        out.push(q.name);
    }
    let end = upper[to..]
        .iter()
        .position(|w| w == "WITH" || w == "GRANTED" || w == "CASCADE" || w == "RESTRICT")
        .map_or(words.len(), |k| to + k);
    out.extend(list(&words[to + 1..end]));
    Some(out)
}

fn is_identifier(raw: &str) -> bool {
    raw.starts_with('"')
        || raw
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// The unparsed record of a statement nobody could parse, when it may change a judged
/// property (see [`topics`]). When the statement's shape names its objects (see [`targets`]),
/// it affects only those; otherwise every identifier it mentions is kept, and a statement
/// naming nothing known may affect every subject of its topics.
pub fn unparsed(text: &str, location: Location, names: &Resolver) -> Option<Unparsed> {
    let words = tokens(text);
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let topics = topics_of_words(&upper);
    if topics.is_empty() {
        return None;
    }
    let creates = created_table(text, names);
    let targeted = targets(&words, &upper, names);
    let mut mentions = match &targeted {
        Some(t) => t.clone(),
        None => identifiers(&words, names),
    };
    mentions.sort();
    mentions.dedup();
    Some(Unparsed {
        location,
        excerpt: excerpt(text),
        mentions,
        topics,
        creates,
        targeted: targeted.is_some(),
        decided_later: Vec::new(),
    })
}

/// Every identifier among `words`, bare and (for dotted names) `schema.name`.
fn identifiers(words: &[String], names: &Resolver) -> Vec<String> {
    let mut mentions = Vec::new();
    for w in words.iter().filter(|w| is_identifier(w)) {
        let parts = split_dotted(w);
        if parts.len() > 1 {
            let q = names.dotted(w);
            mentions.push(format!("{}.{}", q.schema, q.name));
            mentions.push(q.name);
        } else {
            mentions.push(word(w));
        }
    }
    mentions
}

/// The first line of a statement, at most 120 characters, for messages.
pub fn excerpt(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(120)
        .collect()
}

/// SQL built at run time (`EXECUTE format('ALTER TABLE %I …', t)`, `EXECUTE v_sql`, a query
/// whose rows psql runs with `\gexec`): what its constant fragments say it may change. The
/// objects are narrowed to those the fragments name only when nothing is substituted into
/// them; `None` when the fragments show it changes no judged property.
pub fn dynamic(
    fragments: &[String],
    substituted: bool,
    location: Location,
    excerpt_of: &str,
) -> Option<Unparsed> {
    let joined = fragments.join(" ");
    let words = tokens(&joined);
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let topics = topics_of_words(&upper);
    if topics.is_empty() {
        let readable = !fragments.is_empty()
            && fragments
                .iter()
                .all(|f| super::classify::classify(f) == super::classify::Kind::Skip);
        if readable {
            return None;
        }
        // Nothing readable: every judged property (an empty topic list means all).
    }
    let resolver = Resolver::default();
    let mut mentions = if substituted {
        Vec::new()
    } else {
        identifiers(&words, &resolver)
    };
    mentions.sort();
    mentions.dedup();
    Some(Unparsed {
        location,
        excerpt: excerpt(excerpt_of),
        mentions,
        topics,
        creates: None,
        targeted: false,
        decided_later: Vec::new(),
    })
}

/// `CREATE [OR REPLACE] FUNCTION|PROCEDURE name(…` → `schema.name`.
pub fn defined_function(text: &str, names: &Resolver) -> Option<super::QName> {
    let words = tokens(text);
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    if upper.first().map(String::as_str) != Some("CREATE") {
        return None;
    }
    let at = upper
        .iter()
        .take(4)
        .position(|w| w == "FUNCTION" || w == "PROCEDURE")?;
    let raw = words.get(at + 1).filter(|w| is_identifier(w))?;
    Some(names.dotted(raw))
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
        // Topics come from words: neither strings nor comments are words.
        assert!(
            unparsed(
                "SELECT x FROM t WHERE y = 'ALTER TABLE public.Orders DISABLE ROW LEVEL SECURITY' -- grant owner to role",
                Location::file("m.sql", 3),
                &Resolver::default(),
            )
            .is_none()
        );
        let u = unparsed(
            "ALTER TABLE public.Orders DISABLE ROW LEVEL SECURITY, bogus",
            Location::file("m.sql", 3),
            &Resolver::default(),
        )
        .unwrap();
        assert_eq!(u.topics, vec!["rls".to_owned()]);
        assert!(u.targeted);
        assert_eq!(u.mentions, vec!["orders", "public.orders"]);
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
