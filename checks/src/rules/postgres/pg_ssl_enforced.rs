use serde_json::json;

use super::pg_live_common::{live_databases, readable, target_location};
use crate::facts::pg::Database;
use crate::facts::pg_live::{HbaRule, LiveState};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgSslEnforced;

impl Rule for PgSslEnforced {
    const META: Meta = Meta {
        id: "pg-ssl-enforced",
        title: "The database server refuses unencrypted connections",
        severity: Severity::High,
        controls: &["TLS-02"],
        source: Source::Postgres,
        docs: r#"
## Why
A client that connects without TLS sends its password exchange and every row in clear. Turning
`ssl = on` only offers encryption: as long as `pg_hba.conf` has a `host` line (which matches
both TLS and plain TCP), a misconfigured client or a downgrade attack still gets a plain
connection. Only `hostssl` lines (and `reject` for everything else) enforce it.

## What is judged
Each live PostgreSQL target (subject: the target's name):
- `ssl` must be `on`, otherwise the check fails;
- no `pg_hba.conf` rule of type `host` or `hostnossl` may admit a connection (any method but
  `reject`). `local` (Unix socket) and `hostgssenc` lines are fine.

Reading `pg_hba_file_rules` needs a grant (see docs/guide/postgres.md); when it cannot be read the check
reports `error`: `ssl = on` alone does not prove that plain connections are refused.

## How to fix
Set `ssl = on` with a certificate, replace every `host` line of `pg_hba.conf` with `hostssl`
(or add `hostnossl all all 0.0.0.0/0 reject` first), and reload. On managed services use the
provider's switch (`rds.force_ssl = 1`, `require_secure_transport`).

## Evidence
The `ssl` setting and each `pg_hba.conf` rule that admits non-TLS connections (line, type,
databases, users, address, method), at the target's `postgres://HOST:PORT/DB` URI.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for db in live_databases(cx) {
            if let Some(live) = readable(db, out) {
                judge(db, live, out);
            }
        }
    }
}

fn judge(db: &Database, live: &LiveState, out: &mut Findings) {
    let subject = db.name.clone();
    let location = target_location(db);
    let ssl = live.setting("ssl");
    match (ssl, &live.settings_error) {
        (Some("on"), _) => {}
        (Some(other), _) => {
            let evidence = json!({ "ssl": other });
            let msg = format!("ssl is `{other}`: the server accepts only unencrypted connections");
            return out.fail(subject, location, msg, evidence);
        }
        (None, cause) => {
            let cause = cause.clone().unwrap_or_else(|| "not collected".to_owned());
            let msg = format!("the `ssl` setting could not be read: {cause}");
            return out.error(subject, location, msg, json!({ "cause": cause }));
        }
    }
    if let Some(cause) = &live.hba_error {
        let msg = format!(
            "ssl is on, but pg_hba.conf could not be read, so plain connections may still be admitted: {cause}"
        );
        return out.error(
            subject,
            location,
            msg,
            json!({ "ssl": "on", "hba_error": cause }),
        );
    }
    // PostgreSQL keeps its previous rules while pg_hba.conf has an error, and this view does
    // not show those: what is admitted cannot be told.
    if let Some(bad) = live.hba_rules.iter().find(|r| r.error.is_some()) {
        let cause = bad.error.as_deref().unwrap_or_default();
        let msg = format!(
            "ssl is on, but pg_hba.conf line {} does not parse ({cause}), so the server still \
             enforces earlier rules this audit cannot see",
            bad.line
        );
        return out.error(
            subject,
            location,
            msg,
            json!({ "ssl": "on", "hba_rule": bad }),
        );
    }
    let plain: Vec<&HbaRule> = live
        .hba_rules
        .iter()
        .filter(|r| admits_plain_tcp(r))
        .collect();
    let evidence = json!({ "ssl": "on", "rules_admitting_plain_tcp": plain });
    if plain.is_empty() {
        let msg = format!(
            "ssl is on and none of the {} pg_hba.conf rules admits a non-TLS host connection",
            live.hba_rules.len()
        );
        out.pass(subject, location, msg, evidence);
    } else {
        let lines: Vec<String> = plain.iter().map(|r| r.line.to_string()).collect();
        let msg = format!(
            "pg_hba.conf admits non-TLS host connections (line {})",
            lines.join(", ")
        );
        out.fail(subject, location, msg, evidence);
    }
}

/// `host` matches TLS and plain TCP alike; `hostnossl` only plain. A `reject` line admits
/// nobody.
fn admits_plain_tcp(rule: &HbaRule) -> bool {
    matches!(rule.kind.as_str(), "host" | "hostnossl") && rule.auth_method != "reject"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: &str, method: &str) -> HbaRule {
        HbaRule {
            line: 1,
            kind: kind.to_owned(),
            databases: vec!["all".to_owned()],
            users: vec!["all".to_owned()],
            address: None,
            auth_method: method.to_owned(),
            error: None,
        }
    }

    #[test]
    fn plain_tcp_rules() {
        assert!(admits_plain_tcp(&rule("host", "scram-sha-256")));
        assert!(admits_plain_tcp(&rule("hostnossl", "trust")));
        assert!(!admits_plain_tcp(&rule("hostnossl", "reject")));
        assert!(!admits_plain_tcp(&rule("hostssl", "scram-sha-256")));
        assert!(!admits_plain_tcp(&rule("local", "trust")));
        assert!(!admits_plain_tcp(&rule("hostgssenc", "gss")));
    }
}
