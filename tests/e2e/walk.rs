//! The repository walk end to end: what is committed is judged whatever ignore files say,
//! symlinks cannot hide or smuggle content, `SOURCE_DATE_EPOCH` never moves a verdict, and
//! every format says what was scanned (provenance) and what was left out or re-weighted (scope).

use std::path::Path;

use serde_json::Value;

use crate::formats::assert_valid_sarif;
use crate::harness::{findings_of, git, scan_json, text_pair, vouch};

/// A GitHub token shaped like a real one (no placeholder words).
const TOKEN: &str = "ghp_R8mQ2vXk7TzL4pWn9cYb3HdJ6sFa1GeUo5Ni";

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn statuses(report: &Value, check: &str) -> Vec<(String, String)> {
    findings_of(report, check)
        .iter()
        .map(|f| text_pair(f, "subject", "status"))
        .collect()
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = vouch().arg("scan").arg(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn a_gitignore_everywhere_hides_nothing_outside_git() {
    let outer = tempfile::tempdir().unwrap();
    write(outer.path(), ".gitignore", "*\n");
    let root = outer.path().join("app");
    write(&root, ".gitignore", "*\n");
    write(&root, ".ignore", "*\n");
    write(
        &root,
        "Dockerfile",
        &format!("FROM alpine:3.20\nENV GITHUB_TOKEN={TOKEN}\nUSER app\n"),
    );
    let (code, report) = scan_json(&root, &[]);
    assert_eq!(code, 1, "a baked token gates");
    assert_eq!(
        statuses(&report, "secrets-committed"),
        [("Dockerfile".to_owned(), "fail".to_owned())]
    );
    let scope = &report["scope"]["statement"];
    assert!(
        scope.as_str().unwrap().contains("no ignore file"),
        "{scope}"
    );
    assert_eq!(report["provenance"]["repository"]["listing"], "directory");
}

#[test]
fn a_force_added_ignored_env_fails_and_untracked_files_are_not_committed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, ".gitignore", ".env\n");
    write(root, ".env", &format!("GITHUB_TOKEN={TOKEN}\n"));
    write(
        root,
        "vouch.toml",
        "[report]\norganisation = \"Acme Inc.\"\nsystem = \"Billing\"\n",
    );
    git(root, &["add", ".gitignore", "vouch.toml"]);
    git(root, &["add", "-f", ".env"]);
    git(root, &["commit", "-q", "-m", "init"]);
    git(
        root,
        &[
            "remote",
            "add",
            "origin",
            "https://bot:hunter2pass@git.example.com/acme/billing.git",
        ],
    );
    let commit = git(root, &["rev-parse", "HEAD"]);
    write(root, "scratch.txt", &format!("{TOKEN}\n"));

    let (code, report) = scan_json(root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        statuses(&report, "secrets-committed"),
        [(".env".to_owned(), "fail".to_owned())],
        "the tracked .env is judged; the untracked scratch.txt is not reported as committed"
    );
    let git_state = &report["provenance"]["repository"]["git"];
    assert_eq!(git_state["commit"], commit.as_str());
    assert_eq!(git_state["branch"], "main");
    assert_eq!(
        git_state["remote"],
        "https://git.example.com/acme/billing.git"
    );
    assert_eq!(git_state["dirty"], false);
    assert_eq!(report["provenance"]["organisation"], "Acme Inc.");
    assert_eq!(report["provenance"]["system"], "Billing");
    assert_eq!(
        report["scope"]["excluded"],
        serde_json::json!([{ "path": "scratch.txt", "reason": "untracked" }])
    );

    // Every format names the repository and the commit, none carries the remote's password.
    let (_, text) = run(root, &[]);
    assert!(text.starts_with("vouch "), "{text}");
    assert!(text.contains("Acme Inc. · Billing"));
    assert!(text.contains(&format!("commit {commit}")));
    assert!(text.contains("not judged: scratch.txt (in the working tree, not committed)"));
    let (_, sarif) = run(root, &["--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_valid_sarif(&sarif);
    let vcs = &sarif["runs"][0]["versionControlProvenance"][0];
    assert_eq!(
        vcs["repositoryUri"],
        "https://git.example.com/acme/billing.git"
    );
    assert_eq!(vcs["revisionId"], commit.as_str());
    assert_eq!(vcs["branch"], "main");
    let (_, markdown) = run(root, &["--format", "markdown"]);
    assert!(markdown.contains(&commit));

    let pack = tempfile::tempdir().unwrap();
    let pack_dir = pack.path().join("pack");
    let out = vouch()
        .arg("scan")
        .arg(root)
        .arg("--pack")
        .arg(&pack_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(pack_dir.join("MANIFEST.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["provenance"]["repository"]["git"]["commit"],
        commit.as_str()
    );
    let html = std::fs::read_to_string(pack_dir.join("report.html")).unwrap();
    assert!(html.contains(&commit) && html.contains("Acme Inc."));
    for file in [
        "MANIFEST.json",
        "report.json",
        "report.html",
        "results.sarif",
        "report.md",
    ] {
        let bytes = std::fs::read_to_string(pack_dir.join(file)).unwrap();
        assert!(
            !bytes.contains("hunter2pass"),
            "{file} leaks the remote password"
        );
    }
    let verified = vouch().arg("verify").arg(&pack_dir).output().unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );

    // A local edit: judged as in the working tree, and the tree is dirty.
    write(root, ".env", "GITHUB_TOKEN=\n");
    let (code, report) = scan_json(root, &[]);
    assert_eq!(code, 0);
    let git_state = &report["provenance"]["repository"]["git"];
    assert_eq!(git_state["dirty"], true);
    assert_eq!(git_state["modified"], serde_json::json!([".env"]));
}

#[cfg(unix)]
#[test]
fn a_symlinked_migration_that_disables_rls_fails_and_links_out_of_the_tree_are_errors() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "prod.env", &format!("TOKEN={TOKEN}\n"));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "db/migrations/0001_init.sql",
        "CREATE TABLE public.orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);\n\
         ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;\n\
         ALTER TABLE public.orders FORCE ROW LEVEL SECURITY;\n\
         CREATE POLICY tenant ON public.orders USING (tenant_id = current_setting('app.tenant')::bigint);\n",
    );
    write(
        root,
        "shared/0002_fast.sql",
        "ALTER TABLE public.orders DISABLE ROW LEVEL SECURITY;\n",
    );
    symlink(
        "../../shared/0002_fast.sql",
        root.join("db/migrations/0002_fast.sql"),
    )
    .unwrap();
    symlink(outside.path().join("prod.env"), root.join(".env")).unwrap();

    let (code, report) = scan_json(root, &[]);
    assert_eq!(code, 1);
    let rls = statuses(&report, "pg-rls-enabled");
    assert!(
        rls.contains(&("public.orders".to_owned(), "fail".to_owned())),
        "{rls:?}"
    );
    let secrets = statuses(&report, "secrets-committed");
    assert!(
        secrets.contains(&(".env".to_owned(), "error".to_owned())),
        "{secrets:?}"
    );
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains("R8mQ2vXk7TzL4pWn9cYb3HdJ6sFa1GeUo5Ni"));
    assert!(
        report["scope"]["excluded"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({ "path": ".env", "reason": "symlink-outside-tree" }))
    );
}

#[test]
fn source_date_epoch_never_revives_an_expired_waiver() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: legacy/tool@v1\n",
    );
    // Expired in real time (this test was written in December 2026), but still in force on the
    // pinned 2026-01-01 of the test harness's SOURCE_DATE_EPOCH.
    write(
        dir.path(),
        "vouch.toml",
        "[[waiver]]\ncheck = \"gha-action-pinned\"\nsubject = \"legacy/*\"\nreason = \"old\"\nexpires = \"2026-06-30\"\napproved_by = \"sec@example.com\"\n",
    );
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(
        report["generated_at"], "2026-01-01T00:00:00Z",
        "the printed time is pinned"
    );
    assert_eq!(report["waivers"][0]["state"], "expired");
    assert_eq!(
        statuses(&report, "gha-action-pinned"),
        [("legacy/tool@v1".to_owned(), "fail".to_owned())]
    );
    assert_eq!(code, 1);
}

#[test]
fn severity_overrides_and_narrowing_settings_are_shown_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "config/app.env", &format!("GITHUB_TOKEN={TOKEN}\n"));
    write(
        root,
        "db/migrations/0001_init.sql",
        "CREATE TABLE public.orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);\n",
    );
    write(
        root,
        "vouch.toml",
        "[severity]\nsecrets-committed = \"info\"\n\n[postgres]\nexclude_tables = [\"*\"]\n",
    );
    let (_, report) = scan_json(root, &[]);
    let secret = findings_of(&report, "secrets-committed")[0];
    assert_eq!(secret["severity"], "info");
    assert_eq!(secret["severity_overridden_from"], "critical");
    assert_eq!(
        report["scope"]["severity_overrides"],
        serde_json::json!([{ "check": "secrets-committed", "default": "critical", "configured": "info" }])
    );
    let narrowed = report["scope"]["narrowed"][0]["effect"].as_str().unwrap();
    assert!(narrowed.starts_with("every table (1 of 1)"), "{narrowed}");

    let (_, text) = run(root, &[]);
    assert!(text.contains(
        "severity override: secrets-committed is info by [severity] (its own severity: critical)"
    ));
    // The overridden finding is now an info note, so its control is not listed with findings;
    // the header line above is where the text view says what the override did.
    assert!(text.contains("narrowed by [postgres] exclude_tables"));
    let (_, markdown) = run(root, &["--format", "markdown"]);
    assert!(markdown.contains("`[severity]` sets `secrets-committed` to info"));
    let (_, sarif) = run(root, &["--format", "sarif"]);
    assert!(sarif.contains("\"severityOverriddenFrom\": \"critical\""));
    assert!(sarif.contains("[severity] sets secrets-committed to info"));
    let (_, junit) = run(root, &["--format", "junit"]);
    assert!(
        junit.contains("info set by [severity], the check&apos;s own is critical")
            || junit.contains("info set by [severity], the check's own is critical")
    );
}
