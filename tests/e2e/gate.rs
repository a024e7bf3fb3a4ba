//! The pull-request gate: baselines (`--baseline`, `--write-baseline`, `--since REF`), inline
//! suppressions, scope settings and the CI output conventions, end to end on a git copy of the
//! demo.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{
    array, demo_copy, demo_git_repo, finding_about, findings, findings_of, fixture, git, scan_json,
    scan_refused, text_pair, vouch,
};

/// The step the second commit adds: one unpinned action.
const ADDED_STEP: &str = "      - uses: evil-corp/deploy-action@v2\n";
const ADDED_SUBJECT: &str = "evil-corp/deploy-action@v2";

/// The demo copied into a fresh git repository with one commit.
fn demo_repo(into: &Path) -> PathBuf {
    let repo = into.join("demo");
    demo_git_repo(&repo);
    repo
}

/// Adds `lines` after the unpinned setup-node step of the demo's ci.yml (line 11).
fn add_after_setup_node(repo: &Path, lines: &str) {
    let path = repo.join(".github/workflows/ci.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let anchor = "      - uses: actions/setup-node@v4\n";
    assert!(text.contains(anchor));
    std::fs::write(&path, text.replace(anchor, &format!("{anchor}{lines}"))).unwrap();
}

fn new_problems(report: &Value) -> Vec<(String, String)> {
    findings(report)
        .iter()
        .filter(|f| f["baseline_state"] == "new")
        .map(|f| text_pair(f, "check", "subject"))
        .collect()
}

#[test]
fn since_head_1_gates_only_the_one_action_the_commit_added() {
    let dir = tempfile::tempdir().unwrap();
    let repo = demo_repo(dir.path());

    // Nothing changed since HEAD: the demo's own failures are all existing and do not gate.
    let (code, report) = scan_json(&repo, &["--since", "HEAD"]);
    assert_eq!(code, 0, "{}", report["baseline"]);
    assert!(report["summary"]["fail"].as_u64().unwrap() > 0);
    assert_eq!(report["baseline"]["new"], 0);
    assert!(
        report["baseline"]["source"]
            .as_str()
            .unwrap()
            .starts_with("git HEAD (")
    );

    add_after_setup_node(&repo, ADDED_STEP);
    git(&repo, &["commit", "-q", "-am", "add a deploy step"]);
    let (code, report) = scan_json(&repo, &["--since", "HEAD~1"]);
    assert_eq!(code, 1);
    assert_eq!(
        new_problems(&report),
        [("gha-action-pinned".to_owned(), ADDED_SUBJECT.to_owned())]
    );
    let setup_node = finding_about(&report, "actions/setup-node@v4");
    assert_eq!(setup_node["status"], "fail");
    assert_eq!(setup_node["baseline_state"], "unchanged");
    // Every other problem the demo already had is existing, whatever its status.
    let known: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["status"] != "pass" && f["subject"] != ADDED_SUBJECT)
        .collect();
    assert!(known.len() >= 2);
    for f in known {
        assert_eq!(f["baseline_state"], "unchanged", "{f}");
    }
    let b = &report["baseline"];
    assert_eq!(b["new"], 1);
    assert_eq!(b["absent"], 0);
    assert!(b["unchanged"].as_u64().unwrap() >= 2);

    // `--gate all` gates every failure again; `--fail-on none` gates nothing.
    let (code, _) = scan_json(&repo, &["--since", "HEAD~1", "--gate", "all"]);
    assert_eq!(code, 1);
    let (code, _) = scan_json(&repo, &["--fail-on", "none"]);
    assert_eq!(code, 0);
}

#[test]
fn since_reads_committed_state_not_the_work_tree_and_refuses_bad_revisions() {
    let dir = tempfile::tempdir().unwrap();
    let repo = demo_repo(dir.path());
    // An uncommitted change is compared against HEAD: it is new.
    add_after_setup_node(&repo, ADDED_STEP);
    let (code, report) = scan_json(&repo, &["--since", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(new_problems(&report).len(), 1);

    scan_refused(
        &repo,
        &["--since", "no-such-branch"],
        "vouch: error: --since no-such-branch: no such revision",
    );
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    scan_refused(&plain, &["--since", "HEAD"], "is not in a git repository");
}

#[test]
fn baseline_file_and_report_json_give_the_same_split_as_since() {
    let dir = tempfile::tempdir().unwrap();
    let repo = demo_repo(dir.path());
    let slim = dir.path().join("baseline.json");
    let full = dir.path().join("report.json");
    vouch()
        .arg("scan")
        .arg(&repo)
        .args(["--format", "json", "--output"])
        .arg(&full)
        .arg("--write-baseline")
        .arg(&slim)
        .assert()
        .code(1);
    let written: Value = serde_json::from_slice(&std::fs::read(&slim).unwrap()).unwrap();
    assert_eq!(written["schema"], "vouch.baseline/v1");
    assert!(
        findings(&written).iter().all(|f| f["status"] != "pass"),
        "only problems are kept"
    );

    add_after_setup_node(&repo, ADDED_STEP);
    for baseline in [&slim, &full] {
        let (code, report) = scan_json(&repo, &["--baseline", baseline.to_str().unwrap()]);
        assert_eq!(code, 1, "{}", baseline.display());
        assert_eq!(
            new_problems(&report),
            [("gha-action-pinned".to_owned(), ADDED_SUBJECT.to_owned())]
        );
    }

    // Text and Markdown put the new problem first.
    for (format, heading) in [
        ("text", "New since baseline file "),
        ("markdown", "**1 new** since baseline file "),
    ] {
        let out = vouch()
            .arg("scan")
            .arg(&repo)
            .args(["--format", format, "--baseline"])
            .arg(&slim)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let head = text.find(heading).expect(format);
        let added = text.find(ADDED_SUBJECT).expect(format);
        let known = text.find("actions/setup-node@v4").expect(format);
        assert!(head < added && added < known, "{format}:\n{text}");
    }

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"schema\": \"something/v9\"}").unwrap();
    scan_refused(
        &repo,
        &["--baseline", bad.to_str().unwrap()],
        "is neither a vouch report",
    );
}

#[test]
fn inserting_lines_above_a_failing_from_keeps_its_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = dir.path().join("Dockerfile");
    std::fs::write(&dockerfile, "FROM node:20\nUSER node\n").unwrap();
    let base = dir.path().join("base.json");
    let fingerprint_and_line = |report: &Value| {
        let f = findings(report)
            .iter()
            .find(|f| f["check"] == "docker-base-pinned" && f["status"] == "fail")
            .unwrap();
        (f["fingerprint"].clone(), f["location"]["line"].clone())
    };
    let (_, before) = scan_json(dir.path(), &["--write-baseline", base.to_str().unwrap()]);
    std::fs::write(
        &dockerfile,
        "# syntax=docker/dockerfile:1\n# build image\n\nFROM node:20\nUSER node\n",
    )
    .unwrap();
    let (_, after) = scan_json(dir.path(), &["--baseline", base.to_str().unwrap()]);
    let (fp_before, line_before) = fingerprint_and_line(&before);
    let (fp_after, line_after) = fingerprint_and_line(&after);
    assert_eq!((line_before, line_after), (1.into(), 4.into()));
    assert_eq!(fp_before, fp_after);
    assert_eq!(after["baseline"]["new"], 0, "{}", after["baseline"]);
}

#[test]
fn an_inline_suppression_with_a_reason_waives_the_new_action() {
    let dir = tempfile::tempdir().unwrap();
    let repo = demo_repo(dir.path());
    add_after_setup_node(
        &repo,
        &format!(
            "      # vouch:ignore[gha-action-pinned] vendor pins by tag, reviewed in SEC-9\n{ADDED_STEP}"
        ),
    );
    let (code, report) = scan_json(&repo, &["--since", "HEAD"]);
    assert_eq!(code, 0, "{}", report["suppressions"]);
    let added = finding_about(&report, ADDED_SUBJECT);
    assert_eq!(added["status"], "waived");
    assert_eq!(
        added["waiver"]["reason"],
        "vendor pins by tag, reviewed in SEC-9"
    );
    assert_eq!(
        added["waiver"]["inline"],
        serde_json::json!({"path": ".github/workflows/ci.yml", "line": 12})
    );
    assert_eq!(report["suppressions"][0]["state"], "applied");

    // Without a reason, or with inline suppressions turned off, it waives nothing.
    let ci = repo.join(".github/workflows/ci.yml");
    let text = std::fs::read_to_string(&ci).unwrap();
    std::fs::write(
        &ci,
        text.replace(" vendor pins by tag, reviewed in SEC-9", ""),
    )
    .unwrap();
    let (code, report) = scan_json(&repo, &["--since", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(report["suppressions"][0]["state"], "invalid");
    assert!(
        report["suppressions"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("reason is required")
    );
    std::fs::write(&ci, text).unwrap();
    let config = repo.join("vouch.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("\n[waivers]\ninline = false\n");
    std::fs::write(&config, toml).unwrap();
    let (code, report) = scan_json(&repo, &["--since", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(report["suppressions"][0]["state"], "invalid");
}

#[test]
fn excluded_paths_and_disabled_checks_are_left_out_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("third_party/x")).unwrap();
    std::fs::write(
        dir.path().join("third_party/x/Dockerfile"),
        "FROM node:20\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM node:20\nUSER node\n").unwrap();
    std::fs::write(
        dir.path().join("vouch.toml"),
        "[scan]\nexclude = [\"third_party/**\"]\n\n[checks]\ndisable = [\"docker-minimal-base\"]\n",
    )
    .unwrap();
    let (_, report) = scan_json(dir.path(), &[]);
    let paths: Vec<_> = findings(&report)
        .iter()
        .filter_map(|f| f["location"]["path"].as_str())
        .collect();
    assert!(paths.contains(&"Dockerfile"));
    assert!(
        !paths.iter().any(|p| p.starts_with("third_party")),
        "{paths:?}"
    );
    assert!(findings_of(&report, "docker-minimal-base").is_empty());
    assert_eq!(report["scope"]["excluded_paths"][0], "third_party/**");
    assert_eq!(
        report["scope"]["excluded"],
        serde_json::json!([{ "path": "third_party/x", "reason": "configured" }]),
        "the path the glob left out is named in the scope"
    );
    assert_eq!(report["scope"]["disabled_checks"][0], "docker-minimal-base");

    std::fs::write(
        dir.path().join("vouch.toml"),
        "[checks]\ndisable = [\"docker-base-pined\"]\n",
    )
    .unwrap();
    scan_refused(
        dir.path(),
        &[],
        "[checks] disable names unknown check `docker-base-pined` (did you mean `docker-base-pinned`?)",
    );
}

#[test]
fn github_annotations_output_inference_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let out = vouch()
        .arg("scan")
        .arg(fixture("demo"))
        .args(["--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("::error file=.github/workflows/ci.yml,line=11,col=9,title=vouch gha-action-pinned (high) failed::actions/setup-node@v4"),
        "{text}"
    );
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("::notice title=vouch summary::")
    );

    // `--output x.json` with no --format writes JSON, and an unknown extension is refused.
    let json = dir.path().join("r.json");
    vouch()
        .arg("scan")
        .arg(fixture("demo"))
        .arg("--output")
        .arg(&json)
        .assert()
        .code(1);
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["schema"], "vouch.report/v1");
    let html = dir.path().join("r.html");
    scan_refused(
        &fixture("demo"),
        &["--output", html.to_str().unwrap()],
        "cannot tell the format from the file name",
    );
    assert!(!html.exists());

    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef vouch"),
        ("fish", "complete -c vouch"),
    ] {
        let out = vouch().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}");
        assert!(script.contains("--baseline"), "{shell}");
    }
}

/// A TCP listener nothing should connect to, and a way to tell whether something did.
struct Tripwire(std::net::TcpListener);

impl Tripwire {
    fn new() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Tripwire(listener)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    fn touched(&self) -> bool {
        self.0.accept().is_ok()
    }
}

/// A repository with one Dockerfile and `config` as its vouch.toml.
fn small_repo(dir: &Path, config: &str) -> PathBuf {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("Dockerfile"), "FROM node:20\nUSER node\n").unwrap();
    std::fs::write(repo.join("vouch.toml"), config).unwrap();
    repo
}

#[test]
fn static_only_probes_no_configured_endpoint_and_refuses_live_targets() {
    let dir = tempfile::tempdir().unwrap();
    let wire = Tripwire::new();
    let config = format!(
        "[endpoint]\ntimeout_ms = 1500\n\n[[target.endpoint]]\nurl = \"https://127.0.0.1:{}\"\n",
        wire.port()
    );
    let repo = small_repo(dir.path(), &config);
    let out = vouch()
        .arg("scan")
        .arg(&repo)
        .args(["--static-only", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the Dockerfile still fails");
    assert!(!wire.touched(), "--static-only connected to the endpoint");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !findings_of(&report, "docker-base-pinned").is_empty(),
        "the repository is judged"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--static-only: 1 configured live target(s) not read (endpoint 1)"),
        "{stderr}"
    );

    // Without a selection a configured endpoint is not probed either (the one rule for every
    // live target: the command line selects), and the scan says so.
    let out = vouch()
        .arg("scan")
        .arg(&repo)
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    assert!(!wire.touched(), "an unselected endpoint was probed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "1 configured live target(s) not read (endpoint 1): name them with --target NAME"
        ),
        "{stderr}"
    );
    // Selected (here by its URL), it is probed: the tripwire above can fail.
    let url = format!("https://127.0.0.1:{}", wire.port());
    vouch()
        .arg("scan")
        .arg(&repo)
        .args(["--format", "json", "--fail-on", "none", "--target", &url])
        .output()
        .unwrap();
    assert!(wire.touched(), "the control scan probes the endpoint");

    for live in [["--all-targets", ""], ["--target", "db"]] {
        let args: Vec<&str> = ["--static-only"]
            .into_iter()
            .chain(live.into_iter().filter(|a| !a.is_empty()))
            .collect();
        scan_refused(&repo, &args, "cannot be used with");
    }
}

#[test]
fn registry_images_are_not_fetched_without_keys_or_identities() {
    let dir = tempfile::tempdir().unwrap();
    let wire = Tripwire::new();
    let repo = small_repo(
        dir.path(),
        &format!(
            "[image]\ndockerfile_images = true\ninsecure_registries = [\"127.0.0.1:{0}\"]\ntimeout_ms = 1500\n",
            wire.port()
        ),
    );
    std::fs::write(
        repo.join("Dockerfile"),
        format!("FROM 127.0.0.1:{}/base:1.0\nUSER app\n", wire.port()),
    )
    .unwrap();
    let facts = dir.path().join("facts.json");
    let out = vouch()
        .arg("scan")
        .arg(&repo)
        .args(["--all-targets", "--fail-on", "none", "--dump-facts"])
        .arg(&facts)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 registry image(s) of workloads and Dockerfiles not verified: no `[image] keys` or `identities`"),
        "{stderr}"
    );
    assert!(!wire.touched(), "a registry was contacted");
    let facts: Value = serde_json::from_slice(&std::fs::read(&facts).unwrap()).unwrap();
    assert!(
        facts["images"].as_array().is_none_or(Vec::is_empty),
        "{}",
        facts["images"]
    );
}

#[test]
fn quiet_verbose_and_color() {
    let dir = tempfile::tempdir().unwrap();
    let repo = small_repo(dir.path(), "");
    let run = |args: &[&str]| {
        let out = vouch().arg("scan").arg(&repo).args(args).output().unwrap();
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // NO_COLOR is set by the harness and stdout is a pipe: `auto` means no colour.
    let (plain, _) = run(&[]);
    assert!(!plain.contains('\x1b'), "{plain}");
    let (coloured, _) = run(&["--color", "always"]);
    assert!(coloured.contains("\x1b[31m"), "{coloured}");
    let (never, _) = run(&["--color", "never"]);
    assert_eq!(never, plain);
    // Files never get colour.
    let file = dir.path().join("out.txt");
    run(&["--color", "always", "--output", file.to_str().unwrap()]);
    assert!(!std::fs::read_to_string(&file).unwrap().contains('\x1b'));

    let pack = dir.path().join("pack");
    let (_, notes) = run(&["--pack", pack.to_str().unwrap()]);
    assert!(
        notes.contains(&format!("evidence pack written to {} (", pack.display()))
            && notes.contains("files, unsigned)"),
        "{notes}"
    );
    let (report, quiet) = run(&["--quiet", "--pack", pack.to_str().unwrap()]);
    assert_eq!(quiet, "", "--quiet prints no notes");
    assert_eq!(report, plain, "--quiet keeps the report");
    let (_, verbose) = run(&["--verbose", "--output", file.to_str().unwrap()]);
    assert!(verbose.contains("read 2 file(s) under"), "{verbose}");
    assert!(
        verbose.contains(&format!("wrote {}", file.display())),
        "{verbose}"
    );
    vouch()
        .args(["scan", "--quiet", "--verbose"])
        .arg(&repo)
        .assert()
        .code(2);
}

#[test]
fn man_page_names_the_commands_and_options() {
    let out = vouch().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH vouch"), "{page}");
    for needle in ["vouch\\-scan", "\\-\\-color", "\\-\\-quiet"] {
        assert!(page.contains(needle), "{needle} missing from the man page");
    }
}

#[cfg(feature = "sign")]
#[test]
fn pack_key_previous_and_signed_pack_are_checked_before_scanning() {
    const PASSWORD: &str = "correct horse";
    let dir = tempfile::tempdir().unwrap();
    let repo = small_repo(dir.path(), "");
    let prefix = dir.path().join("signer");
    vouch()
        .arg("keygen")
        .arg("--out")
        .arg(&prefix)
        .env("VOUCH_KEY_PASSWORD", PASSWORD)
        .assert()
        .success();
    let key = prefix.with_extension("key");
    let pack = dir.path().join("pack");
    let facts = dir.path().join("facts.json");
    // Each refusal comes before collection: the facts dump is never written.
    let refused = |args: &[&std::ffi::OsStr], password: &str, why: &str| {
        vouch()
            .arg("scan")
            .arg(&repo)
            .arg("--dump-facts")
            .arg(&facts)
            .args(args)
            .env("VOUCH_KEY_PASSWORD", password)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(why));
        assert!(!facts.exists(), "scanned before refusing: {why}");
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    refused(
        &[
            os("--pack"),
            pack.as_os_str(),
            os("--sign-key"),
            key.as_os_str(),
        ],
        "wrong password",
        "signing key",
    );
    let missing = dir.path().join("missing.key");
    refused(
        &[
            os("--pack"),
            pack.as_os_str(),
            os("--sign-key"),
            missing.as_os_str(),
        ],
        PASSWORD,
        "cannot read signing key",
    );
    let nowhere = dir.path().join("no-previous");
    refused(
        &[
            os("--pack"),
            pack.as_os_str(),
            os("--previous"),
            nowhere.as_os_str(),
        ],
        PASSWORD,
        "no-previous",
    );
    assert!(!pack.exists());

    // A signed pack is written once, then only replaced with --force.
    let signed = [
        os("--pack"),
        pack.as_os_str(),
        os("--sign-key"),
        key.as_os_str(),
    ];
    let out = vouch()
        .arg("scan")
        .arg(&repo)
        .args(signed)
        .env("VOUCH_KEY_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let notes = String::from_utf8_lossy(&out.stderr);
    assert!(
        notes.contains(&format!("evidence pack written to {} (", pack.display()))
            && notes.contains(&format!("signed with {})", key.display())),
        "{notes}"
    );
    refused(
        &signed,
        PASSWORD,
        "holds a signed evidence pack: give --force",
    );
    vouch()
        .arg("scan")
        .arg(&repo)
        .args(signed)
        .arg("--force")
        .env("VOUCH_KEY_PASSWORD", PASSWORD)
        .assert()
        .code(1);
}

#[test]
fn init_writes_a_starter_config_scan_accepts_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let repo = demo_copy(dir.path());
    std::fs::remove_file(repo.join("vouch.toml")).unwrap();

    let out = vouch().arg("init").arg(&repo).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("runtime roles [app_user]"), "{said}");
    let written = std::fs::read_to_string(repo.join("vouch.toml")).unwrap();
    for detected in [
        "tenant_columns = [\"tenant_id\"]",
        "runtime_roles = [\"app_user\"]",
        "audit_tables = [\"audit_events\"]",
        "#   db/migrations (4 files)",
        "# tenant_table = \"public.tenants\"",
        ".github/workflows/ci.yml",
    ] {
        assert!(written.contains(detected), "{detected} missing:\n{written}");
    }
    assert!(written.contains("# Dockerfiles ("), "{written}");
    assert!(!written.contains("# Dockerfiles (0)"), "{written}");

    // `vouch scan` accepts it (exit 0 or 1, never a configuration error).
    let (code, report) = scan_json(&repo, &[]);
    assert!(code == 0 || code == 1, "{code}");
    assert!(report["summary"]["fail"].as_u64().is_some());

    std::fs::write(repo.join("vouch.toml"), "# mine\n").unwrap();
    vouch()
        .arg("init")
        .arg(&repo)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "already exists: vouch init never overwrites",
        ));
    assert_eq!(
        std::fs::read_to_string(repo.join("vouch.toml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn sarif_puts_live_results_in_their_own_run_or_leaves_them_out() {
    let dir = tempfile::tempdir().unwrap();
    let repo = small_repo(dir.path(), "[endpoint]\ntimeout_ms = 1500\n");
    // A port nothing listens on: the probe fails fast and its checks say `error`.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("https://127.0.0.1:{port}");
    let sarif = |extra: &[&str]| -> Value {
        let out = vouch()
            .arg("scan")
            .arg(&repo)
            .args(["--format", "sarif", "--endpoint", &endpoint])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let uri = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let doc = sarif(&[]);
    crate::formats::assert_valid_sarif(&doc);
    let runs = array(&doc, "runs");
    assert_eq!(runs.len(), 2, "{doc}");
    assert_eq!(runs[0]["automationDetails"]["id"], "vouch/files/");
    assert_eq!(runs[1]["automationDetails"]["id"], "vouch/live/");
    let files = array(&runs[0], "results");
    assert!(files.iter().any(|r| uri(r) == "Dockerfile"), "{files:?}");
    assert!(files.iter().all(|r| !uri(r).contains("127.0.0.1")));
    let live = array(&runs[1], "results");
    assert!(!live.is_empty());
    assert!(
        live.iter().all(|r| uri(r).contains("127.0.0.1")),
        "{live:?}"
    );

    let doc = sarif(&["--sarif-files-only"]);
    assert_eq!(array(&doc, "runs").len(), 1);
    assert_eq!(array(&doc["runs"][0], "results").len(), files.len());
}
