use std::collections::BTreeMap;

use serde_json::json;

use crate::facts::repo::{FileKind, HitClass, RepoFacts, SecretHit};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source, Status};

pub struct SecretsCommitted;

impl Rule for SecretsCommitted {
    const META: Meta = Meta {
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
- private keys: every PEM label (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY` (PKCS#8), `RSA`/`EC`/
  `DSA PRIVATE KEY`, `OPENSSH PRIVATE KEY`, `PGP PRIVATE KEY BLOCK`, SSH.com `SSH2 ENCRYPTED
  PRIVATE KEY`) with key material after the header, PuTTY `.ppk` keys, and Google Cloud
  service-account JSON (`"private_key": "-----BEGIN`);
- provider token formats, each from the provider's documented format: AWS access key ids
  (`AKIA`/`ASIA` + 16; AWS's documented `…EXAMPLE` key is ignored), GitHub tokens (`ghp_`,
  `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), GitLab tokens (`glpat-`, `gldt-`, `glrt-`,
  `gloas-`, `glptt-`, `glft-`, `glimt-`, `glagent-`, `glsoat-`, `GR1348941…`), Slack tokens
  (`xoxb-`, `xoxp-`, `xoxe.xoxp-`, `xapp-`…) and incoming/workflow webhooks
  (`hooks.slack.com/services/T…/B…/…`), Stripe live secret and restricted keys (`sk_live_`,
  `rk_live_`), Google API keys (`AIza…`), SendGrid keys (`SG.<22>.<43>`), Twilio credentials
  (an `AC…`/`SK…` SID with a 32-hex token within a few lines; a SID alone is an identifier),
  npm tokens (`npm_…` and `.npmrc` `:_authToken=`), PyPI tokens (`pypi-AgE…`), Azure storage
  account keys (`AccountKey=` + 88 base64 characters; the Azurite emulator's published key is an
  example), Service Bus/Event Hubs `SharedAccessKey=`, and Azure SAS URLs (a query with `sv=` and
  a `sig=` that decodes to an HMAC-SHA256);
- JWT signing secrets, proven: a string in the file that verifies an `HS256`/`HS384`/`HS512`
  JWT also in the file (a JWT alone is not reported; jwt.io's `your-256-bit-secret` is an
  example);
- database and broker URLs with a password (`postgres://`, `mysql://`, `mongodb+srv://`,
  `redis://`, `amqps://`…): templates (`%s`, `${VAR}`, `{password}`, `<password>`) and a local
  database with its image's default password are not reported; a reserved example host
  (`example.com`, `*.test`) or a dummy password (`user:pass@`, `scott:tiger@`) is an example;
- `password = "…"` / `secret: '…'` assignments, only when the quoted value is at least 12
  characters of three character classes with high entropy and not a placeholder: a deliberate
  trade of recall for precision;
- `.env` files (`.env`, `.env.local`, `prod.env`…) assigning a literal value to a
  secret-looking key (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`…) or a URL with a
  password (`DATABASE_URL=postgres://app:…@db/app`). Templates committed on purpose — `.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `.env.defaults` — are
  only searched for token formats, and values such as `changeme`, `<token>`, `${VAR}` or empty
  never count;
- files a Dockerfile writes with a `COPY`/`ADD` heredoc (`COPY <<EOF /app/.env`) or a `RUN`
  that sends its one heredoc into one file (`RUN cat > /app/.env <<EOF`): each body is
  searched as a file at its destination path (a `.env` destination's assignments count as in a
  committed `.env`), and reported at its line of the Dockerfile.

Not secrets: a PEM header with no key material after it (comments, JSON-schema descriptions,
docs placeholders such as `-----BEGIN RSA PRIVATE KEY-----\n...`), quoted values in another
script or made of `\uXXXX` escapes (translation files), keyboard-run dummies
(`sk-…-1234567890`), and in `.env` files a local development database URL whose password is the
image default or the user name (`postgres://postgres:postgres@localhost/app_test`; any other host
or password still counts).

Reported apart, never dropped: a private key, password assignment or `.env` value in a test tree
(`test/`, `tests/`, `spec/`, `fixtures/`, `mocks/`, `examples/`, `testdata/`, `e2e/`…) or a file
whose name says `test`, `spec`, `sample`, `example`, `fixture`, `mock`, `fake` or `dummy`, or in a
local development environment (`local-environment/`, `.devcontainer/`, Phoenix's `config/dev.exs`,
Rails' `config/environments/development.rb`, `appsettings.Development.json`) fails
at `low` severity, and so does a database URL password, a JWT signing secret or a PuTTY key
there; provider tokens (AWS, GitHub, GitLab, Slack, Stripe live, Google, SendGrid, Twilio, npm,
PyPI, Azure) stay critical wherever they are. A token whose variable part is a documented placeholder
(`…EXAMPLE…`, `xxxxxxxx`, `1234567890`) and a commented line in documentation (`*.md`, `docs/`)
or in a default or example config (`config.default.toml`, `settings.example.yml`) are `info`. A
commented line in any other file still counts: a commented-out key is still committed.

Not searched, and listed in the repository-wide finding: vendored and generated files
(`.yarn/releases/`, `.yarn/plugins/`, `node_modules/`, `vendor/`, `bower_components/`, Yarn PnP
loaders, `*.min.js`/`*.min.css`, source maps).

Only the kind and a preview such as `AKIA…(20 chars)` are recorded: the value never enters
facts, reports or logs. Binary files (keystores such as `.p12`) are not read. The subject is
the file, judged by its most serious hit; with no secret outside test fixtures and examples, one
passing finding for the repository (`.`). A directory the scan could not enter is an `error`:
it may hide a secret.

## How to fix
Revoke and rotate the credential first (it is already exposed), then remove it from the file
and load it from the environment or a secret manager; add the file to `.gitignore`. Rewriting
history (`git filter-repo`) limits further spread but does not un-leak it.

## Evidence
Per file: each hit's line, detector kind, redacted preview and class (`secret`, `test-fixture`,
`example`); for the repository, the files not searched.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let Some(repo) = &cx.facts.repo else { return };
        let mut by_file: BTreeMap<&str, Vec<&SecretHit>> = BTreeMap::new();
        for hit in &repo.secrets {
            by_file.entry(hit.path.as_str()).or_default().push(hit);
        }
        let mut real_files = 0;
        for (path, hits) in &by_file {
            // The file is judged by its most serious hit: one real secret makes it critical.
            let class = hits.iter().map(|h| h.class).min().unwrap_or_default();
            real_files += usize::from(class.is_secret());
            report_file(path, hits, class, out);
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
        if real_files == 0 && unscanned.is_empty() {
            report_clean(repo, by_file.len(), out);
        }
    }
}

fn report_file(path: &str, hits: &[&SecretHit], class: HitClass, out: &mut Findings) {
    let first = hits.iter().find(|h| h.class == class).unwrap_or(&hits[0]);
    let kinds: Vec<&str> = hits.iter().map(|h| h.kind.as_str()).collect();
    let (what, severity, tail) = match class {
        HitClass::Secret => ("secret-looking value(s) committed", Severity::Critical, ""),
        HitClass::TestFixture => (
            if crate::secret_context::is_local_development_path(path)
                && !crate::secret_context::is_test_path(path)
            {
                "secret-looking value(s) in local development configuration"
            } else {
                "secret-looking value(s) in test fixtures"
            },
            Severity::Low,
            " (reported apart at low severity; rotate it if it was ever used outside tests)",
        ),
        HitClass::Example => (
            "documented example value(s)",
            Severity::Info,
            " (not credentials)",
        ),
    };
    let message = format!(
        "{} {what} ({}), first at line {}: {}{tail}",
        hits.len(),
        dedup(&kinds).join(", "),
        first.line,
        first.preview
    );
    let evidence = json!({
        "class": class,
        "hits": hits.iter().map(|h| json!({"line": h.line, "kind": h.kind, "preview": h.preview, "class": h.class})).collect::<Vec<_>>(),
    });
    out.push_with_severity(
        Status::Fail,
        severity,
        path,
        Location::file(path, first.line),
        message,
        evidence,
    );
}

/// The repository-wide pass: no real secret, with what was reported apart and what was not
/// searched (vendored and generated files) named, so the scope is explicit.
fn report_clean(repo: &RepoFacts, files_reported_apart: usize, out: &mut Findings) {
    const LISTED: usize = 20;
    let skipped = &repo.secrets_skipped;
    let apart = if files_reported_apart > 0 {
        format!(
            " outside test fixtures and documented examples ({files_reported_apart} file(s) reported apart)"
        )
    } else {
        String::new()
    };
    let not_searched = if skipped.is_empty() {
        String::new()
    } else {
        format!(
            "; {} vendored or generated file(s) not searched",
            skipped.len()
        )
    };
    let message = format!(
        "no secret-looking values in {} files{apart}{not_searched}",
        repo.files_scanned
    );
    out.pass(
        ".",
        Location::file(".", 0),
        message,
        json!({
            "files_scanned": repo.files_scanned,
            "not_searched": {
                "why": "vendored or generated (.yarn/releases, node_modules/, vendor/, minified bundles)",
                "count": skipped.len(),
                "first": skipped.iter().take(LISTED).collect::<Vec<_>>(),
            },
        }),
    );
}

fn dedup<'a>(kinds: &[&'a str]) -> Vec<&'a str> {
    let mut v = kinds.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}
