use serde_json::json;

use crate::facts::repo::{Dockerfile, FileKind, RepoFacts};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::rules::unreadable_files;
use crate::secrets;

pub struct DockerNoSecrets;

impl Rule for DockerNoSecrets {
    const META: Meta = Meta {
        id: "docker-no-secrets",
        title: "Dockerfiles bake no secrets into images",
        severity: Severity::Critical,
        controls: &["SEC-01"],
        source: Source::Repo,
        docs: r#"
## Why
Everything a Dockerfile puts in an image stays there: an `ENV` or `ARG` value is readable with
`docker history` or `docker inspect` by anyone who can pull the image, and a copied key file
survives in its layer even if a later step deletes it. Images get pushed to registries, cached
on CI runners and shared; a secret baked into one is a leaked secret.

## What is judged
Each Dockerfile, all stages:
- `ENV` and `ARG` values (global `ARG`s included) that match a token format (AWS, GitHub,
  Slack, Stripe, Google, npm, PyPI, private keys) or sit under a secret-looking name
  (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`, `*PRIVATE_KEY*`, `*ACCESS_KEY*`,
  `*CREDENTIAL*`; not `*_FILE`, `*_PATH`, `*_URL`, `*_ARN`…) with a literal value that is not
  empty, a `$VAR` reference or a placeholder (`changeme`, `<token>`, `xxxx`…), or that spell
  out a connection string's password (`postgres://app:…@db`, JDBC `?password=…`, libpq
  `password=…`);
- `RUN` lines containing a token-shaped value;
- files written by `COPY`/`ADD` heredocs (`COPY <<EOF /app/.env`), and by a `RUN` whose one
  heredoc goes into one file (`RUN cat > /app/.env <<EOF`, `tee FILE <<EOF`), or whose script
  heredoc (`RUN <<EOF`) has such a line: each body is judged as a
  committed file at its destination path would be by `secrets-committed` — token formats
  anywhere, and a `.env`-style destination's `KEY=value` lines under a secret-looking name;
- `COPY`/`ADD` of secret files: `.env`, `.env.production`, `production.env` (not
  `.env.example` / `.sample` / `.template`),
  private keys (`*.key`, `*.pem` unless named like a certificate or CA bundle, `id_rsa`,
  `id_ed25519`…), keystores (`*.p12`, `*.pfx`, `*.jks`), `credentials`, `.netrc`,
  `.git-credentials`, `.pgpass`, and `.npmrc` / `.pypirc` when the committed file of that
  name holds a token; and a glob source (`COPY .env* ./`, `ADD keys/*.key /etc/app/`) that
  matches such a name but no ordinary source file (`*` and `*.json` are left to
  `.dockerignore`).

Values are redacted when the repository is read: findings name the key, the kind and the
length, never the value. Not judged: what `COPY . .` brings in (check your `.dockerignore`),
and an `ARG NPM_TOKEN` with no default whose value is passed with `--build-arg` — it still
lands in the image history, which BuildKit's `SecretsUsedInArgOrEnv` lint reports.

## How to fix
Pass build-time secrets as BuildKit secret mounts, which never enter a layer:
`RUN --mount=type=secret,id=npm_token NPM_TOKEN=$(cat /run/secrets/npm_token) npm ci`, and
runtime secrets through the orchestrator (Kubernetes Secrets, a secret manager), not `ENV`.
Then rotate the exposed credential: removing it from the Dockerfile does not remove it from
images already pushed.

## Evidence
The Dockerfile (the subject) and each problem: the instruction, key, line and kind of secret.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Dockerfile], out);
        let Some(repo) = &cx.facts.repo else { return };
        for df in &repo.dockerfiles {
            let mut problems = problems(df, repo);
            problems.sort_by_key(|p| p.0);
            let evidence = json!({
                "dockerfile": df.path,
                "problems": problems.iter().map(|(line, what)| json!({"line": line, "problem": what})).collect::<Vec<_>>(),
            });
            match problems.first() {
                None => out.pass(
                    df.path.clone(),
                    Location::file(df.path.clone(), 0),
                    "no secret-looking ENV/ARG values, RUN tokens or secret files copied",
                    evidence,
                ),
                Some((line, first)) => {
                    let more = match problems.len() {
                        1 => String::new(),
                        n => format!(" (and {} more)", n - 1),
                    };
                    out.fail(
                        df.path.clone(),
                        Location::file(df.path.clone(), *line),
                        format!("{first}{more}"),
                        evidence,
                    );
                }
            }
        }
    }
}

/// Every secret baked into the Dockerfile: (line, one sentence without the value).
fn problems(df: &Dockerfile, repo: &RepoFacts) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    let settings = df
        .global_args
        .iter()
        .chain(df.stages.iter().flat_map(|s| &s.settings));
    for s in settings {
        if let Some(kind) = &s.secret_kind {
            let what = format!(
                "{} {} holds a secret ({kind}, redacted)",
                s.instruction, s.key
            );
            found.push((s.line, what));
        }
    }
    for stage in &df.stages {
        for run in &stage.runs {
            if run.value.contains("<redacted ") {
                found.push((run.line, "RUN embeds a token (redacted)".to_owned()));
            }
        }
        for hit in &stage.heredoc_secrets {
            let what = match &hit.key {
                Some(key) => format!("`{key}=…`"),
                None => "a value".to_owned(),
            };
            found.push((
                hit.line,
                format!(
                    "a heredoc writes {what} into `{}` in the image ({}, redacted)",
                    hit.destination, hit.kind
                ),
            ));
        }
        for copy in &stage.copies {
            // A glob is judged as written too (`*.pem`, `*.pfx` name key files themselves).
            let why = secret_file(&copy.value, repo)
                .map(str::to_owned)
                .or_else(|| {
                    let (name, why) = secret_glob(&glob_of(&copy.value)?, repo)?;
                    Some(format!("the pattern matches `{name}`: {why}"))
                });
            if let Some(why) = why {
                found.push((copy.line, format!("COPY/ADD of `{}`: {why}", copy.value)));
            }
        }
    }
    found
}

/// Why copying this source bakes a secret into the image, if it does.
fn secret_file(source: &str, repo: &RepoFacts) -> Option<&'static str> {
    let trimmed = source.trim_end_matches('/');
    let name = trimmed
        .rsplit('/')
        .next()
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    if secrets::is_dotenv_with_values(&name) {
        return Some("a dotenv file holds environment secrets");
    }
    let key_ext = [".key", ".p12", ".pfx", ".jks", ".keystore"];
    if key_ext.iter().any(|e| name.ends_with(e)) {
        return Some("a private key or keystore");
    }
    let named_key = name.contains("key") || name.contains("priv");
    if name.ends_with(".pem") && (named_key || !looks_like_certificate(&name)) {
        return Some("a PEM file that may hold a private key");
    }
    if ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"].contains(&name.as_str()) {
        return Some("an SSH private key");
    }
    let credential_files = [
        "credentials",
        "credentials.json",
        ".git-credentials",
        ".netrc",
        ".pgpass",
    ];
    if credential_files.contains(&name.as_str()) {
        return Some("a credentials file");
    }
    if (name == ".npmrc" || name == ".pypirc") && committed_with_token(&name, repo) {
        return Some("the committed file of that name holds a token");
    }
    None
}

/// Names of secret files, one or two of each kind [`secret_file`] knows, that a glob source is
/// tried against.
const SECRET_NAMES: [&str; 17] = [
    ".env",
    ".env.production",
    "production.env",
    "id_rsa",
    "id_ed25519",
    "id_dsa",
    "id_ecdsa",
    "server.key",
    "keystore.jks",
    "store.p12",
    "credentials",
    "credentials.json",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
];

/// Names of ordinary sources: a glob that matches one of them copies sources in general
/// (`*`, `*.json`), and what it brings in is for `.dockerignore` to decide, as for `COPY . .`.
const ORDINARY_NAMES: [&str; 8] = [
    "main.go",
    "app.py",
    "index.js",
    "package.json",
    "README.md",
    "Dockerfile",
    "config.yaml",
    "server.crt",
];

/// The last path component of a `COPY`/`ADD` source as a glob (Docker matches sources with Go's
/// `filepath.Match`: `*`, `?`, `[…]`), when it is one.
fn glob_of(source: &str) -> Option<globset::GlobMatcher> {
    let trimmed = source.trim_end_matches('/');
    let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if !name.contains(['*', '?', '[']) {
        return None;
    }
    let glob = globset::GlobBuilder::new(name)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .ok()?;
    Some(glob.compile_matcher())
}

/// The secret file a glob source copies when one is in the build context (`COPY .env* ./`,
/// `ADD keys/*.key /etc/app/`), and why that bakes a secret in; none for a glob that copies
/// ordinary sources too.
fn secret_glob(
    glob: &globset::GlobMatcher,
    repo: &RepoFacts,
) -> Option<(&'static str, &'static str)> {
    if ORDINARY_NAMES.iter().any(|name| glob.is_match(name)) {
        return None;
    }
    (SECRET_NAMES.iter())
        .filter(|name| glob.is_match(name))
        .find_map(|name| Some((*name, secret_file(name, repo)?)))
}

fn looks_like_certificate(name: &str) -> bool {
    [
        "cert", "crt", "ca.", "ca-", "chain", "bundle", "pub", "root",
    ]
    .iter()
    .any(|c| name.contains(c))
}

fn committed_with_token(name: &str, repo: &RepoFacts) -> bool {
    repo.secrets
        .iter()
        .any(|h| h.path.rsplit('/').next() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::repo::SecretHit;

    #[test]
    fn secret_files() {
        let repo = RepoFacts::default();
        for bad in [
            ".env",
            "config/.env.production",
            "deploy/production.env",
            "tls/server.key",
            "key.pem",
            "ca-key.pem",
            "id_rsa",
            "~/.aws/credentials",
            "store.p12",
        ] {
            assert!(secret_file(bad, &repo).is_some(), "{bad}");
        }
        for ok in [
            ".env.example",
            "certs/ca.pem",
            "fullchain.pem",
            "id_rsa.pub",
            "src/",
            ".npmrc",
            "package.json",
        ] {
            assert!(secret_file(ok, &repo).is_none(), "{ok}");
        }
        let with_token = RepoFacts {
            secrets: vec![SecretHit {
                path: "web/.npmrc".to_owned(),
                line: 1,
                kind: "npm-token".to_owned(),
                preview: "npm_…(40 chars)".to_owned(),
                ..SecretHit::default()
            }],
            ..RepoFacts::default()
        };
        assert!(secret_file(".npmrc", &with_token).is_some());
    }

    #[test]
    fn glob_sources_that_match_secret_files() {
        let repo = RepoFacts::default();
        let matched = |source: &str| secret_glob(&glob_of(source)?, &repo).map(|(name, _)| name);
        for (source, name) in [
            (".env*", ".env"),
            ("config/.env.*", ".env.production"),
            ("*.env", ".env"),
            ("*[a-z].env", "production.env"),
            ("keys/*.key", "server.key"),
            ("id_*", "id_rsa"),
            (".[en]*", ".env"),
        ] {
            assert_eq!(matched(source), Some(name), "{source}");
        }
        for source in [
            "*",
            "*.json",
            "src/*",
            "*.crt",
            ".env",
            "docs/*.md",
            "*.p[0-9]",
        ] {
            assert_eq!(matched(source), None, "{source}");
        }
        // `.npmrc*` copies a committed `.npmrc` holding a token.
        let with_token = RepoFacts {
            secrets: vec![SecretHit {
                path: ".npmrc".to_owned(),
                kind: "npm-token".to_owned(),
                ..SecretHit::default()
            }],
            ..RepoFacts::default()
        };
        let npmrc = glob_of(".npmrc*").unwrap();
        assert_eq!(secret_glob(&npmrc, &repo), None);
        let found = secret_glob(&npmrc, &with_token).map(|(name, _)| name);
        assert_eq!(found, Some(".npmrc"));
        // A glob naming key files is judged as written, as before globs were matched.
        for source in ["certs/*-key.pem", "*.pfx", "*.keystore"] {
            assert!(secret_file(source, &repo).is_some(), "{source}");
        }
    }

    #[test]
    fn heredoc_files_are_judged_at_their_destination() {
        let text = "FROM node:20\nCOPY <<EOF /app/.env\nNODE_ENV=production\nDATABASE_PASSWORD=Xk9mQ2vL8pR4tW7zY1qa\nEOF\n\
                    COPY <<-\"CONF\" <<app.env /etc/app/\n\tport=8080\n\tCONF\nSESSION_SECRET=f3a9c2e17b4d8e6a0c5f9b2d7e1a4c8f\napp.env\n\
                    COPY <<EOF /app/.env.example\nDATABASE_PASSWORD=Xk9mQ2vL8pR4tW7zY1qa\nEOF\nUSER node\n";
        let df = crate::parse::dockerfile::parse("Dockerfile", text).unwrap();
        let got = problems(&df, &RepoFacts::default());
        let lines: Vec<u32> = got.iter().map(|p| p.0).collect();
        assert_eq!(lines, vec![4, 9], "{got:?}");
        assert!(
            got[0].1.contains("`DATABASE_PASSWORD=…` into `/app/.env`"),
            "{got:?}"
        );
        assert!(got[1].1.contains("`/etc/app/app.env`"), "{got:?}");
        assert!(got.iter().all(|(_, s)| !s.contains("Xk9mQ2")));
        // A quoted `"<<EOF"` is an argument, not a heredoc: the lines after it are read.
        let df = crate::parse::dockerfile::parse(
            "Dockerfile",
            "FROM a\nRUN echo \"<<EOF\"\nENV DB_PASSWORD=hunter2hunter2\n",
        )
        .unwrap();
        assert_eq!(problems(&df, &RepoFacts::default()).len(), 1);
    }

    #[test]
    fn problems_come_with_lines_and_no_values() {
        let token = format!("ghp_{}", "FAKE".repeat(9));
        let text = format!(
            "ARG DB_PASSWORD=hunter2hunter2\nFROM a\nENV GH_TOKEN={token}\nENV NODE_ENV=production\nCOPY id_ed25519 /root/.ssh/\n"
        );
        let df = crate::parse::dockerfile::parse("Dockerfile", &text).unwrap();
        let got = problems(&df, &RepoFacts::default());
        let lines: Vec<u32> = got.iter().map(|p| p.0).collect();
        assert_eq!(lines, vec![1, 3, 5]);
        assert!(
            got[1].1.contains("GH_TOKEN holds a secret (github-token"),
            "{got:?}"
        );
        assert!(
            got.iter()
                .all(|(_, s)| !s.contains(&token) && !s.contains("hunter2"))
        );
    }
}
