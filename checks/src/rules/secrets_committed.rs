use std::collections::BTreeMap;

use serde_json::json;

use crate::facts::repo::{FileKind, SecretHit};
use crate::model::{Check, Context, Findings, Location, Meta, Severity, Source};

pub struct SecretsCommitted;

static META: Meta = Meta {
    id: "secrets-committed",
    title: "No secrets are committed to the repository",
    severity: Severity::Critical,
    controls: &["SEC-01"],
    source: Source::Repo,
    docs: r#"
## Why
A credential in a repository is readable by everyone with access to it, now and in every clone
and fork, forever: deleting the line does not remove it from history. Leaked keys are found by
automated scanners within minutes of a public push.

## What is judged
Every text file the scan reads (honouring `.gitignore`, skipping vendored trees), for:
- PEM private keys (`-----BEGIN … PRIVATE KEY-----`, including OpenSSH, encrypted and PGP
  blocks) and service-account JSON (`"private_key": "-----BEGIN`);
- AWS access key ids (`AKIA`/`ASIA` + 16; AWS's documented `…EXAMPLE` key is ignored), GitHub
  tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Slack tokens (`xoxb-`…),
  Stripe live keys (`sk_live_`, `rk_live_`), Google API keys (`AIza…`), npm (`npm_`) and PyPI
  (`pypi-AgE…`) tokens;
- `password = "…"` / `secret: '…'` assignments, only when the quoted value is at least 12
  characters of three character classes with high entropy and not a placeholder: a deliberate
  trade of recall for precision;
- `.env` files (`.env`, `.env.local`, `prod.env`…) assigning a literal value to a
  secret-looking key (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`…) or a URL with a
  password (`DATABASE_URL=postgres://app:…@db/app`). Templates committed on purpose — `.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `.env.defaults` — are
  only searched for token formats, and values such as `changeme`, `<token>`, `${VAR}` or empty
  never count.

Only the kind and a preview such as `AKIA…(20 chars)` are recorded: the value never enters
facts, reports or logs. Binary files (keystores such as `.p12`) are not read. The subject is
the file; with no hit at all, one passing finding for the repository (`.`). A directory the
scan could not enter is an `error`: it may hide a secret.

## How to fix
Revoke and rotate the credential first (it is already exposed), then remove it from the file
and load it from the environment or a secret manager; add the file to `.gitignore`. Rewriting
history (`git filter-repo`) limits further spread but does not un-leak it.

## Evidence
Per file: each hit's line, detector kind and redacted preview.
"#,
};

impl Check for SecretsCommitted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let Some(repo) = &cx.facts.repo else { return };
        let mut by_file: BTreeMap<&str, Vec<&SecretHit>> = BTreeMap::new();
        for hit in &repo.secrets {
            by_file.entry(hit.path.as_str()).or_default().push(hit);
        }
        for (path, hits) in &by_file {
            let first = hits[0];
            let kinds: Vec<&str> = hits.iter().map(|h| h.kind.as_str()).collect();
            let message = format!(
                "{} secret-looking value(s) committed ({}), first at line {}: {}",
                hits.len(),
                dedup(&kinds).join(", "),
                first.line,
                first.preview
            );
            let evidence = json!({
                "hits": hits.iter().map(|h| json!({"line": h.line, "kind": h.kind, "preview": h.preview})).collect::<Vec<_>>(),
            });
            out.fail(*path, Location::file(*path, first.line), message, evidence);
        }
        let unscanned: Vec<_> = repo
            .unreadable
            .iter()
            .filter(|u| u.kind == FileKind::Text)
            .collect();
        for u in &unscanned {
            out.error(
                u.path.clone(),
                Location::file(u.path.clone(), 0),
                format!("{} could not be searched for secrets: {}", u.path, u.cause),
                json!({ "path": u.path, "cause": u.cause }),
            );
        }
        if by_file.is_empty() && unscanned.is_empty() {
            out.pass(
                ".",
                Location::file(".", 0),
                format!("no secret-looking values in {} files", repo.files_scanned),
                json!({ "files_scanned": repo.files_scanned }),
            );
        }
    }
}

fn dedup<'a>(kinds: &[&'a str]) -> Vec<&'a str> {
    let mut v = kinds.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}
