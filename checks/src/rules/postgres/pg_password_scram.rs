use serde_json::json;

use super::pg_live_common::{live_databases, readable, target_location};
use crate::facts::pg::Database;
use crate::facts::pg_live::LiveState;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgPasswordScram;

impl Rule for PgPasswordScram {
    const META: Meta = Meta {
        id: "pg-password-scram",
        title: "Database passwords are hashed with SCRAM-SHA-256, never MD5",
        severity: Severity::High,
        controls: &["ACC-02"],
        source: Source::Postgres,
        docs: r#"
## Why
An MD5 password hash in PostgreSQL is `md5(password || username)`: it is fast to brute-force,
and the hash itself is enough to log in with the MD5 challenge. Anyone who reads `pg_authid`
(a backup, a replica, a leaked dump) can impersonate the role. SCRAM-SHA-256 stores a salted,
iterated verifier that cannot be replayed.

## What is judged
For each live PostgreSQL target:
- the target (subject: its name): `password_encryption` must be `scram-sha-256`, so new and
  changed passwords are stored as SCRAM;
- each role with a password (subject: the role name): its stored verifier must be SCRAM. Only
  the method is read, on the server; the hash never leaves it.

Reading the methods needs `SELECT` on `pg_authid (rolname, rolpassword)` (see docs/guide/postgres.md); when
it cannot be read the target's finding is `error`, not a pass.

## How to fix
Set `password_encryption = 'scram-sha-256'` (the default since PostgreSQL 14), then reset the
password of every listed role (`ALTER ROLE … PASSWORD …` or `\password`), and change `md5`
lines of `pg_hba.conf` to `scram-sha-256`.

## Evidence
The `password_encryption` setting, and for each role the method its password is stored with
(`scram-sha-256`, `md5`, `other`), at `postgres://HOST:PORT/DB/role/NAME`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for db in live_databases(cx) {
            if let Some(live) = readable(db, out) {
                judge_setting(db, live, out);
                judge_roles(live, out);
            }
        }
    }
}

fn judge_setting(db: &Database, live: &LiveState, out: &mut Findings) {
    let subject = db.name.clone();
    let location = target_location(db);
    match live.setting("password_encryption") {
        Some("scram-sha-256") => {
            let evidence = json!({ "password_encryption": "scram-sha-256" });
            out.pass(
                subject.clone(),
                location.clone(),
                "password_encryption is scram-sha-256",
                evidence,
            );
        }
        Some(other) => {
            let evidence = json!({ "password_encryption": other });
            let msg = format!("password_encryption is `{other}`: new passwords are stored as MD5");
            out.fail(subject.clone(), location.clone(), msg, evidence);
        }
        None => {
            let cause = live
                .settings_error
                .clone()
                .unwrap_or_else(|| "not collected".to_owned());
            let msg = format!("password_encryption could not be read: {cause}");
            out.error(
                subject.clone(),
                location.clone(),
                msg,
                json!({ "cause": cause }),
            );
        }
    }
    if let Some(cause) = &live.passwords_error {
        let msg = format!(
            "the stored password methods could not be read, so MD5 passwords may remain: {cause}"
        );
        out.error(subject, location, msg, json!({ "passwords_error": cause }));
    }
}

fn judge_roles(live: &LiveState, out: &mut Findings) {
    for p in live.passwords.iter().filter(|p| p.method != "none") {
        let evidence = json!({ "role": p.role, "method": p.method, "login": p.login });
        if p.method == "scram-sha-256" {
            let msg = format!("role {} has a SCRAM-SHA-256 password", p.role);
            out.pass(p.role.clone(), p.location.clone(), msg, evidence);
        } else {
            let msg = format!(
                "role {} has a password stored as {}, not SCRAM-SHA-256",
                p.role, p.method
            );
            out.fail(p.role.clone(), p.location.clone(), msg, evidence);
        }
    }
}
