//! Decides from a statement's leading keywords whether it can change a judged property,
//! before any full parse: bulk data (`INSERT`, `COPY`), `SET`, comments, indexes, sequences
//! and the like are counted and skipped. This is what keeps the fold fast on dumps with data.

/// What to do with a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Cannot change a judged property.
    Skip,
    /// `SET search_path`: changes how later names resolve.
    SearchPath,
    /// `SET [SESSION | LOCAL] ROLE`, `SET SESSION AUTHORIZATION`, `RESET ROLE`: changes who
    /// owns the tables created next.
    Role,
    /// May change a judged property: parse it.
    Parse,
}

/// Leading keyword sequences (upper case) of statements that may change a judged property.
const JUDGED: &[&[&str]] = &[
    &["CREATE", "TABLE"],
    &["CREATE", "UNLOGGED", "TABLE"],
    &["CREATE", "POLICY"],
    &["CREATE", "ROLE"],
    &["CREATE", "USER"],
    &["CREATE", "GROUP"],
    &["CREATE", "TRIGGER"],
    &["CREATE", "CONSTRAINT", "TRIGGER"],
    &["CREATE", "FUNCTION"],
    &["CREATE", "PROCEDURE"],
    &["CREATE", "OR", "REPLACE", "FUNCTION"],
    &["CREATE", "OR", "REPLACE", "PROCEDURE"],
    &["CREATE", "OR", "REPLACE", "TRIGGER"],
    &["CREATE", "SCHEMA"],
    &["ALTER", "TABLE"],
    &["ALTER", "POLICY"],
    &["ALTER", "ROLE"],
    &["ALTER", "USER"],
    &["ALTER", "GROUP"],
    &["ALTER", "FUNCTION"],
    &["ALTER", "PROCEDURE"],
    // `ALTER ROUTINE f() RESET search_path` changes a function as ALTER FUNCTION does.
    &["ALTER", "ROUTINE"],
    &["ALTER", "SCHEMA"],
    &["ALTER", "DEFAULT", "PRIVILEGES"],
    &["DROP", "TABLE"],
    &["DROP", "POLICY"],
    &["DROP", "ROLE"],
    &["DROP", "USER"],
    &["DROP", "GROUP"],
    &["DROP", "TRIGGER"],
    &["DROP", "FUNCTION"],
    &["GRANT"],
    &["REVOKE"],
    &["DO"],
];

/// Words that, in a statement of an unknown kind, mean it might still change a judged
/// property (e.g. `EXECUTE 'ALTER TABLE …'` or a tool-specific wrapper): parse it, so that a
/// failure is kept as unparsed rather than silently skipped.
const SUSPICIOUS: &[&str] = &[
    "row level security",
    "policy",
    "grant ",
    "revoke ",
    "owner to",
    "bypassrls",
    "superuser",
    "security definer",
];

/// Statements whose kind is known to be irrelevant; not even searched for suspicious words.
const IRRELEVANT: &[&str] = &[
    "INSERT",
    "COPY",
    "SET",
    "SELECT",
    "UPDATE",
    "DELETE",
    "COMMENT",
    "BEGIN",
    "COMMIT",
    "START",
    "END",
    "ROLLBACK",
    "ANALYZE",
    "VACUUM",
    "VALUES",
    "WITH",
    "TRUNCATE",
    "REFRESH",
    "CLUSTER",
    "REINDEX",
    "LOCK",
    "SAVEPOINT",
    "RELEASE",
    "NOTIFY",
    "LISTEN",
];

/// Object kinds whose creation, change or removal changes no judged property (`ALTER TYPE …
/// OWNER TO postgres`, `CREATE INDEX`, `ALTER SEQUENCE … OWNED BY`): never parsed, whatever
/// words they contain.
const UNJUDGED_OBJECTS: &[&str] = &[
    "TYPE",
    "DOMAIN",
    "SEQUENCE",
    "INDEX",
    "UNIQUE",
    "VIEW",
    "MATERIALIZED",
    "EXTENSION",
    "AGGREGATE",
    "OPERATOR",
    "COLLATION",
    "CONVERSION",
    "TEXT",
    "CAST",
    "STATISTICS",
    "PUBLICATION",
    "SUBSCRIPTION",
    "SERVER",
    "LANGUAGE",
    "TABLESPACE",
    "DATABASE",
];

fn changes_an_unjudged_object(words: &[String]) -> bool {
    let verb = words.first().map_or("", String::as_str);
    if !matches!(verb, "CREATE" | "ALTER" | "DROP") {
        return false;
    }
    let kind = if words.get(1).is_some_and(|w| w == "OR") {
        words.get(3)
    } else {
        words.get(1)
    };
    kind.is_some_and(|k| UNJUDGED_OBJECTS.contains(&k.as_str()))
}

pub fn classify(statement: &str) -> Kind {
    let words = leading_words(statement, 4);
    let first = words.first().map_or("", String::as_str);
    if first == "SET" || first == "RESET" {
        let role = words
            .iter()
            .skip(1)
            .take(2)
            .any(|w| w == "ROLE" || w == "AUTHORIZATION");
        if role {
            return Kind::Role;
        }
        return if statement
            .get(..64.min(statement.len()))
            .is_some_and(|h| h.to_ascii_lowercase().contains("search_path"))
        {
            Kind::SearchPath
        } else {
            Kind::Skip
        };
    }
    if JUDGED
        .iter()
        .any(|seq| seq.len() <= words.len() && seq.iter().zip(&words).all(|(a, b)| a == b))
    {
        return Kind::Parse;
    }
    if IRRELEVANT.contains(&first) || changes_an_unjudged_object(&words) {
        return Kind::Skip;
    }
    let lower = statement.to_ascii_lowercase();
    if SUSPICIOUS.iter().any(|w| lower.contains(w)) {
        Kind::Parse
    } else {
        Kind::Skip
    }
}

/// The first `n` words, upper case (only ASCII letters and `_` count as word bytes).
fn leading_words(statement: &str, n: usize) -> Vec<String> {
    statement
        .split(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_ascii_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_data_and_parses_ddl() {
        assert_eq!(classify("INSERT INTO t VALUES (1)"), Kind::Skip);
        assert_eq!(classify("COPY t FROM stdin"), Kind::Skip);
        assert_eq!(classify("SET statement_timeout = 0"), Kind::Skip);
        assert_eq!(classify("SET search_path = app"), Kind::SearchPath);
        assert_eq!(classify("SET LOCAL ROLE app_user"), Kind::Role);
        assert_eq!(classify("RESET ROLE"), Kind::Role);
        assert_eq!(classify("SET SESSION AUTHORIZATION app_user"), Kind::Role);
        assert_eq!(classify("CREATE INDEX i ON t (a)"), Kind::Skip);
        assert_eq!(classify("create table t (a int)"), Kind::Parse);
        assert_eq!(classify("CREATE OR REPLACE FUNCTION f()"), Kind::Parse);
        assert_eq!(classify("ALTER TABLE ONLY t OWNER TO x"), Kind::Parse);
        assert_eq!(classify("DO $$ BEGIN END $$"), Kind::Parse);
        assert_eq!(
            classify("ALTER TYPE public.account_role OWNER TO postgres"),
            Kind::Skip
        );
        assert_eq!(
            classify("CREATE OR REPLACE VIEW v AS SELECT 'owner to' AS x"),
            Kind::Skip
        );
        assert_eq!(
            classify("EXECUTE 'ALTER TABLE t DISABLE ROW LEVEL SECURITY'"),
            Kind::Parse
        );
    }
}
