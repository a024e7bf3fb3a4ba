//! `CREATE TRIGGER … EXECUTE FUNCTION f('literal', …)`: sqlparser 0.63 reads only typed
//! parameters in that position, not the literal arguments PostgreSQL passes to the trigger
//! function (`moddatetime('updated_at')`, Graphile's `tg__add_job('…')`), so such a statement
//! was left unparsed. The arguments reach the function as `TG_ARGV` and change none of the
//! trigger's recorded facts (table, timing, events, row-level, function).
//!
//! They may, however, decide whether a guard function raises (a generic guard switched by
//! its argument), and `pg-audit-append-only` credits only BEFORE row triggers whose function
//! raises. So only AFTER and INSTEAD OF triggers, which that check never credits, are read
//! without their arguments; a BEFORE trigger with arguments stays unparsed (`error`, not a
//! guess).

use super::targeted;

/// `text` with the trigger function's argument list emptied, when `text` is an AFTER or
/// INSTEAD OF `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER` whose function takes arguments.
pub fn non_guard_trigger_without_arguments(text: &str) -> Option<String> {
    if !is_non_guard_trigger(text) {
        return None;
    }
    let upper = text.to_ascii_uppercase();
    let execute = ["EXECUTE FUNCTION", "EXECUTE PROCEDURE"]
        .iter()
        .filter_map(|k| upper.rfind(k).map(|at| at + k.len()))
        .max()?;
    let open = execute + text[execute..].find('(')?;
    let close = matching_paren(text, open)?;
    if text[open + 1..close].trim().is_empty() {
        return None;
    }
    Some(format!("{}(){}", &text[..open], &text[close + 1..]))
}

/// `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER name AFTER|INSTEAD OF …`.
fn is_non_guard_trigger(text: &str) -> bool {
    let words: Vec<String> = targeted::tokens(text)
        .iter()
        .map(|w| w.to_ascii_uppercase())
        .collect();
    if words.first().map(String::as_str) != Some("CREATE") {
        return false;
    }
    let Some(trigger) = words.iter().take(5).position(|w| w == "TRIGGER") else {
        return false;
    };
    let between = &words[1..trigger];
    let prefix_ok = between
        .iter()
        .all(|w| w == "OR" || w == "REPLACE" || w == "CONSTRAINT");
    let timing = words.get(trigger + 2).map(String::as_str);
    prefix_ok && matches!(timing, Some("AFTER" | "INSTEAD"))
}

/// The index of the `)` closing the `(` at `open`, skipping string literals and nested
/// parentheses.
fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    for (i, c) in text[open..].char_indices() {
        match c {
            // A doubled quote inside a literal closes and reopens it: same effect.
            '\'' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::non_guard_trigger_without_arguments as strip;

    #[test]
    fn after_triggers_lose_only_their_literal_arguments() {
        // Graphile Starter's pg_dump (fixtures/third_party/migrations/pgdump-graphile-starter).
        assert_eq!(
            strip("CREATE TRIGGER _500_audit_added AFTER INSERT ON app_public.user_emails FOR EACH ROW EXECUTE FUNCTION app_private.tg__add_audit_job('added_email', 'user_id', 'id', 'email')").as_deref(),
            Some("CREATE TRIGGER _500_audit_added AFTER INSERT ON app_public.user_emails FOR EACH ROW EXECUTE FUNCTION app_private.tg__add_audit_job()")
        );
        assert_eq!(
            strip("create constraint trigger t after update on a for each row when ((new.x IS FALSE)) execute procedure f('a)b', 'it''s')").as_deref(),
            Some("create constraint trigger t after update on a for each row when ((new.x IS FALSE)) execute procedure f()")
        );
    }

    #[test]
    fn before_triggers_and_argumentless_ones_are_left_alone() {
        // A BEFORE trigger's arguments may decide whether a guard raises: never guessed.
        assert_eq!(
            strip(
                "CREATE TRIGGER guard BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION deny('audit_log')"
            ),
            None
        );
        assert_eq!(
            strip("CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()"),
            None
        );
        assert_eq!(strip("CREATE TABLE after (x int)"), None);
        assert_eq!(
            strip("CREATE TRIGGER t AFTER INSERT ON a EXECUTE FUNCTION f('unclosed"),
            None
        );
    }
}
