//! Questionnaires, attestations, the trust page and the claims gate, end to end.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use umya_spreadsheet::{Spreadsheet, Worksheet};

use crate::browser;
use crate::harness::{demo_copy, element, finding_of, git, strings, vouch};

const PINNED: &str = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n      - run: npm audit --audit-level=high\n";
const UNPINNED: &str = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm audit --audit-level=high\n";

const ATTESTATIONS: &str = r#"
[[attestation]]
control = "LOG-01"
statement = "All services log JSON with a request id propagated by the gateway."
attested_by = "cto@example.com"
date = "2025-12-01"
expires = "2099-12-31"
evidence = "https://wiki.example.com/logging"

[[attestation]]
control = "APP-03"
statement = "Idempotency keys on every POST."
attested_by = "cto@example.com"
date = "2024-01-01"
expires = "2025-01-01"
"#;

const CLAIMS: &str = r#"
title = "Example security"
company = "Example Inc."

[[claim]]
id = "pinned-ci"
section = "Supply chain"
text = "Every CI action is pinned to an immutable commit."
controls = ["SUP-05"]

[[claim]]
id = "structured-logs"
text = "Logs are structured and correlated across services."
controls = ["LOG-01"]

[[claim]]
id = "isolation"
text = "Tenant data is isolated in the database engine."
controls = ["TEN-01", "SUP-05"]
"#;

/// A tiny repository with one workflow, attestations and claims; returns (dir, report path).
fn scanned_repo(workflow: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
    std::fs::write(root.join(".github/workflows/ci.yml"), workflow).unwrap();
    std::fs::write(root.join("attestations.toml"), ATTESTATIONS).unwrap();
    std::fs::write(dir.path().join("claims.toml"), CLAIMS).unwrap();
    let report = dir.path().join("report.json");
    scan_to(&root, &report);
    (dir, report)
}

/// `vouch gate --claims CLAIMS --report REPORT`; the caller adds `--strict` and asserts.
fn gate(claims: impl AsRef<Path>, report: &Path) -> Command {
    let mut cmd = vouch();
    cmd.arg("gate")
        .arg("--claims")
        .arg(claims.as_ref())
        .arg("--report")
        .arg(report);
    cmd
}

/// Runs the gate `cmd` and asserts that it fails (exit 1) saying `says`.
fn assert_gate_fails(cmd: &mut Command, says: &str) {
    cmd.assert().code(1).stdout(predicates::str::contains(says));
}

/// `vouch trust --claims CLAIMS --report REPORT --out OUT`.
fn trust(claims: impl AsRef<Path>, report: &Path, out: impl AsRef<Path>) -> Command {
    let mut cmd = vouch();
    cmd.arg("trust")
        .arg("--claims")
        .arg(claims.as_ref())
        .arg("--report")
        .arg(report)
        .arg("--out")
        .arg(out.as_ref());
    cmd
}

/// `vouch answer --workbook WORKBOOK --report REPORT`; the caller adds the output and options.
fn answer(workbook: &Path, report: &Path) -> Command {
    let mut cmd = vouch();
    cmd.arg("answer")
        .arg("--workbook")
        .arg(workbook)
        .arg("--report")
        .arg(report);
    cmd
}

/// `vouch answer` of the CSV questionnaire `questions` (written to DIR/NAME.csv) with the
/// question map `map` (DIR/map.toml); the rows it wrote to DIR/NAME-filled.csv.
fn answer_with_map(
    dir: &Path,
    name: &str,
    report: &Path,
    questions: &str,
    map: &str,
) -> Vec<csv::StringRecord> {
    let input = dir.join(format!("{name}.csv"));
    std::fs::write(&input, questions).unwrap();
    let map_file = dir.join("map.toml");
    std::fs::write(&map_file, map).unwrap();
    let out = dir.join(format!("{name}-filled.csv"));
    answer(&input, report)
        .arg("--map")
        .arg(map_file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let mut rows = csv::Reader::from_path(out).unwrap();
    rows.records().map(Result::unwrap).collect()
}

fn control<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    element(report, "controls", "id", id)
}

#[test]
fn attestations_make_manual_controls_attested_until_they_expire() {
    let (_dir, report_path) = scanned_repo(PINNED);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(control(&report, "LOG-01")["status"], "attested");
    assert_eq!(
        control(&report, "LOG-01")["attestation"]["attested_by"],
        "cto@example.com"
    );
    assert_eq!(
        control(&report, "APP-03")["status"],
        "manual",
        "expired attestation is missing"
    );
    assert_eq!(
        strings(&report, "attestations", "state"),
        ["applied", "expired"]
    );
}

#[test]
fn gate_passes_when_claims_hold_and_fails_when_a_claimed_control_fails() {
    let (dir, good) = scanned_repo(PINNED);
    let claims = dir.path().join("claims.toml");
    gate(&claims, &good)
        .assert()
        .success()
        .stdout(predicates::str::contains("all 3 published claims hold"));
    assert_gate_fails(
        gate(&claims, &good).arg("--strict"),
        "claim `isolation` is PartlyVerified: TEN-01 is ",
    );

    let (bad_dir, bad) = scanned_repo(UNPINNED);
    assert_gate_fails(
        &mut gate(bad_dir.path().join("claims.toml"), &bad),
        "claim `pinned-ci` is Failing: SUP-05 is fail",
    );
}

#[test]
fn trust_page_states_each_claim_and_renders_in_a_browser() {
    let (dir, report) = scanned_repo(PINNED);
    let out = dir.path().join("trust");
    trust(dir.path().join("claims.toml"), &report, &out)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "3 claims: 1 verified, 1 attested, 1 partly verified, 0 unverified, 0 failing",
        ));
    let md = std::fs::read_to_string(out.join("trust.md")).unwrap();
    assert!(
        md.contains("## Supply chain: Every CI action is pinned"),
        "{md}"
    );
    assert!(md.contains("**attested**: LOG-01"), "{md}");

    let html = out.join("trust.html");
    let dom = browser::dump_dom(&html);
    for (state, n) in [
        ("verified", 1),
        ("attested", 1),
        ("partly_verified", 1),
        ("failing", 0),
    ] {
        let shown = browser::count_in(&dom, state);
        assert_eq!(shown, Some(n), "{state} count on the page");
        let sections = dom.matches(&format!("data-state=\"{state}\" ")).count()
            + dom.matches(&format!("data-state=\"{state}\">")).count();
        assert!(sections >= 1 || n == 0, "{state}");
    }
    browser::assert_self_contained(&std::fs::read_to_string(&html).unwrap());
    let png = dir.path().join("trust.png");
    browser::screenshot(&html, &png);
    assert!(
        std::fs::metadata(&png).unwrap().len() > 10_000,
        "a real screenshot"
    );
}

/// A synthetic workbook in the CAIQ v4 layout: metadata in row 1, headers in row 2, questions
/// from row 3, with formatting that must survive. Placeholder question text (CAIQ text is
/// licensed and never shipped).
fn caiq_workbook(path: &Path) {
    let mut book = umya_spreadsheet::new_file();
    let sheet = book.get_sheet_mut(&0).unwrap();
    sheet.set_name("CAIQv4.0.3");
    sheet
        .get_cell_mut("A1")
        .set_value("Synthetic questionnaire for tests (placeholder text)");
    sheet.add_merge_cells("A1:F1");
    sheet.get_style_mut("A1").get_font_mut().set_bold(true);
    let headers = [
        "Question ID",
        "Question",
        "CSP CAIQ Answer",
        "SSRM Control Ownership",
        "CSP Implementation Description (Optional/Recommended)",
        "CSC Responsibilities  (Optional/Recommended)",
    ];
    for (i, h) in headers.iter().enumerate() {
        let col = u32::try_from(i).unwrap() + 1;
        sheet.get_cell_mut((col, 2)).set_value(*h);
        let style = sheet.get_style_mut((col, 2));
        style.get_font_mut().set_bold(true);
        style.set_background_color("FFDDEBF7");
    }
    sheet.get_column_dimension_mut("B").set_width(60.0);
    let rows: [(&str, &str, &str, &str); 6] = [
        (
            "CCC-04.1",
            "Placeholder question about change protection?",
            "",
            "CSP-owned",
        ),
        (
            "GRC-01.1",
            "Placeholder question about governance?",
            "",
            "CSP-owned",
        ),
        (
            "LOG-07.1",
            "Placeholder question about logging scope?",
            "",
            "Shared CSP and CSC",
        ),
        (
            "IVS-06.1",
            "Placeholder question about segmentation?",
            "Yes",
            "CSP-owned",
        ),
        (
            "BCR-08.1",
            "Placeholder question about backups?",
            "",
            "CSP-owned",
        ),
        (
            "TVM-07.1",
            "Placeholder question about vulnerability identification?",
            "",
            "CSP-owned",
        ),
    ];
    for (i, (id, q, answer, owner)) in rows.iter().enumerate() {
        let row = u32::try_from(i).unwrap() + 3;
        sheet.get_cell_mut((1, row)).set_value(*id);
        sheet.get_cell_mut((2, row)).set_value(*q);
        sheet
            .get_style_mut((2, row))
            .get_alignment_mut()
            .set_wrap_text(true);
        if !answer.is_empty() {
            sheet.get_cell_mut((3, row)).set_value(*answer);
            sheet
                .get_cell_mut((5, row))
                .set_value("Answered by the security team.");
        }
        sheet.get_cell_mut((4, row)).set_value(*owner);
        sheet
            .get_cell_mut((6, row))
            .set_value("Customer configures SSO.");
    }
    umya_spreadsheet::writer::xlsx::write(&book, path).unwrap();
}

fn sheet(book: &Spreadsheet) -> &Worksheet {
    book.get_sheet(&0).unwrap()
}

#[test]
fn caiq_workbook_is_filled_in_place_from_the_evidence() {
    let (dir, report) = scanned_repo(UNPINNED);
    let input = dir.path().join("caiq.xlsx");
    let output = dir.path().join("caiq-filled.xlsx");
    caiq_workbook(&input);
    let assert = answer(&input, &report)
        .arg("--out")
        .arg(&output)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "answered automatically 1 of 6 questions (Yes 1); 4 need review (",
        ))
        .stdout(predicates::str::contains("1 human answers kept"));
    // The review list, printed for the person who answers.
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        stdout.contains("needs review: CCC-04.1 (draft No): SUP-05 failed a check; SUP-05 gha-action-pinned: 1 failed or errored for actions/checkout@v4"),
        "{stdout}"
    );
    assert!(
        stdout.contains("needs review: GRC-01.1: the question maps to no vouch control"),
        "{stdout}"
    );
    assert!(
        // LOG-07 is also mapped to LOG-02 (AWS logging), which the demo does not audit.
        stdout.contains("needs review: LOG-07.1: LOG-02 was not tested by this scan"),
        "{stdout}"
    );

    let before = umya_spreadsheet::reader::xlsx::read(&input).unwrap();
    let after = umya_spreadsheet::reader::xlsx::read(&output).unwrap();
    let (b, a) = (sheet(&before), sheet(&after));
    // CCC-04 maps to SUP-05, which failed: never an automatic No; a person answers, and the
    // customer-facing cell names no weakness.
    assert_eq!(a.get_value("C3"), "");
    assert_eq!(a.get_value("E3"), "needs review");
    // GRC-01 is a policy question mapped to no control: left for a human.
    assert_eq!(a.get_value("C4"), "");
    assert_eq!(a.get_value("E4"), "needs review");
    // LOG-07 → LOG-01, attested, but LOG-01 only supports LOG-07: a draft, not an answer.
    assert_eq!(a.get_value("C5"), "");
    // A human answer is kept as written.
    assert_eq!(a.get_value("C6"), "Yes");
    assert_eq!(a.get_value("E6"), "Answered by the security team.");
    // BCR-08 → BCK-01 and STO-01, live-only controls a repository scan cannot test: review.
    assert_eq!(a.get_value("C7"), "");
    // TVM-07 → VUL-01 (verifies it), and the workflow runs `npm audit`: Yes, with customer text.
    assert_eq!(a.get_value("C8"), "Yes");
    let yes_text = a.get_value("E8");
    assert!(
        yes_text.starts_with("Verified automatically by vouch ")
            && yes_text.contains("Dependencies and images are scanned for known vulnerabilities")
            && yes_text.contains("sha256 "),
        "{yes_text}"
    );
    // Nothing customer-facing names a file, a subject, a check or a failure.
    for row in 3..=8 {
        for col in [3, 5] {
            let text = a.get_value((col, row));
            for leak in [
                ".github",
                "actions/checkout",
                "ci.yml",
                "failed",
                "gha-",
                "No",
            ] {
                assert!(!text.contains(leak), "{col},{row}: {text}");
            }
        }
    }

    // The review sheet holds the drafts and the failing evidence, for internal use.
    let mut review = csv::Reader::from_path(dir.path().join("caiq-filled.review.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = review.records().map(Result::unwrap).collect();
    let ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids, ["CCC-04.1", "GRC-01.1", "LOG-07.1", "BCR-08.1"]);
    assert_eq!(&rows[0][1], "needs review");
    assert_eq!(&rows[0][2], "No");
    assert!(rows[0][5].contains("gha-action-pinned: 1 failed or errored for actions/checkout@v4"));
    // LOG-02 was not audited, so LOG-07.1 gets no drafted answer.
    assert_eq!(&rows[2][2], "");

    // Every other cell is untouched in content and format.
    let written = |col: u32, row: u32| (col == 3 || col == 5) && (3..=8).contains(&row);
    let mut compared = 0;
    for cell in b.get_cell_collection() {
        let (col, row) = (
            *cell.get_coordinate().get_col_num(),
            *cell.get_coordinate().get_row_num(),
        );
        if written(col, row) {
            continue;
        }
        let other = a
            .get_cell((col, row))
            .unwrap_or_else(|| panic!("cell {col},{row} lost"));
        assert_eq!(cell.get_value(), other.get_value(), "value of {col},{row}");
        assert_eq!(
            format!("{:?}", cell.get_style()),
            format!("{:?}", other.get_style()),
            "style of {col},{row}"
        );
        compared += 1;
    }
    assert!(compared >= 20, "compared {compared} cells");
    assert_eq!(a.get_merge_cells().len(), 1);
    assert_eq!(a.get_name(), "CAIQv4.0.3");
    let width = |s: &Worksheet| s.get_column_dimension("B").unwrap().get_width().to_bits();
    assert_eq!(width(b), width(a), "column width kept exactly");
}

#[test]
fn internal_answers_keep_the_detailed_text() {
    let (dir, report) = scanned_repo(UNPINNED);
    let input = dir.path().join("caiq.xlsx");
    let output = dir.path().join("caiq-internal.xlsx");
    caiq_workbook(&input);
    answer(&input, &report)
        .arg("--internal")
        .arg("--out")
        .arg(&output)
        .arg("--review")
        .arg(dir.path().join("review.csv"))
        .assert()
        .success();
    let after = umya_spreadsheet::reader::xlsx::read(&output).unwrap();
    let a = sheet(&after);
    assert_eq!(
        a.get_value("C3"),
        "",
        "never an automatic No, even internally"
    );
    assert!(
        a.get_value("E3").contains("Drafted answer: No")
            && a.get_value("E3")
                .contains("gha-action-pinned: 1 failed or errored for actions/checkout@v4"),
        "{}",
        a.get_value("E3")
    );
    assert!(
        a.get_value("E8").contains("ci-vuln-scan passed for ."),
        "{}",
        a.get_value("E8")
    );
    assert!(dir.path().join("review.csv").is_file());
}

#[test]
fn csv_questionnaire_with_a_custom_map() {
    let (dir, report) = scanned_repo(UNPINNED);
    let rows = answer_with_map(
        dir.path(),
        "vendor",
        &report,
        "Ques Num,Question Text,Response,Additional Information\n\
         A.1,\"Placeholder: are CI dependencies pinned?\",,\n\
         A.2,\"Placeholder: are logs structured?\",,\n\
         A.3,\"Placeholder: unmapped\",,\n\
         A.4,\"Placeholder: is there a logging policy?\",,\n",
        "[columns]\nid = \"Ques Num\"\nanswer = \"Response\"\ndescription = \"Additional Information\"\n\n[questions]\n\"A.1\" = [\"SUP-05\"]\n\"A.2\" = [\"LOG-01\"]\n\"A.4\" = { controls = [\"LOG-01\"], policy = true }\n",
    );
    assert_eq!(
        &rows[0][2], "",
        "a failing control is a draft for review, never No"
    );
    assert_eq!(&rows[0][3], "needs review");
    assert_eq!(&rows[1][2], "Yes");
    assert_eq!(&rows[2][2], "");
    assert_eq!(&rows[2][3], "needs review");
    assert_eq!(
        &rows[3][2], "",
        "a policy question is never answered from a finding"
    );
    assert_eq!(&rows[0][1], "Placeholder: are CI dependencies pinned?");
}

/// A repository whose SEC-01 carries only an informational note (a `secretKeyRef`, which
/// Kubernetes recommends) beside a clean secrets scan, and whose SUP-05 has a pinned action but
/// an unpinned job container.
fn noted_repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
    std::fs::create_dir_all(root.join("deploy")).unwrap();
    std::fs::write(
        root.join(".github/workflows/ci.yml"),
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    container: node:20\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n",
    )
    .unwrap();
    std::fs::write(
        root.join("deploy/api.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: prod\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: nginx:1.27\n          env:\n            - name: API_TOKEN\n              valueFrom:\n                secretKeyRef:\n                  name: api\n                  key: token\n",
    )
    .unwrap();
    let report = dir.path().join("report.json");
    scan_to(&root, &report);
    (dir, report)
}

const NOTED_CLAIMS: &str = r#"
[[claim]]
id = "no-secrets"
text = "No secret is committed to source code or written into manifests."
controls = ["SEC-01"]

[[claim]]
id = "pinned-actions"
text = "Every CI action is pinned to an immutable commit."
checks = ["gha-action-pinned"]

[[claim]]
id = "pinned-actions-by-control"
text = "Every CI action is pinned to an immutable commit."
controls = ["SUP-05"]
except = ["gha-image-pinned"]
"#;

#[test]
fn an_info_note_and_an_unrelated_check_change_no_claim_and_no_answer() {
    let (dir, report_path) = noted_repo();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    let note = finding_of(&report, "k8s-secrets-not-in-env");
    assert_eq!(note["severity"], "info", "{note}");
    assert_eq!(control(&report, "SEC-01")["status"], "pass");
    assert_eq!(control(&report, "SEC-01")["notes"], 1);
    assert_eq!(
        control(&report, "SUP-05")["status"],
        "fail",
        "gha-image-pinned fails"
    );

    let claims = dir.path().join("claims.toml");
    std::fs::write(&claims, NOTED_CLAIMS).unwrap();
    trust(&claims, &report_path, dir.path().join("trust"))
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "3 claims: 3 verified, 0 attested, 0 partly verified, 0 unverified, 0 failing",
        ));
    gate(&claims, &report_path)
        .arg("--strict")
        .assert()
        .success()
        .stdout(predicates::str::contains("all 3 published claims hold"));

    // Bound to the whole control, the unpinned container contradicts the claim.
    std::fs::write(
        &claims,
        "[[claim]]\nid = \"ci\"\ntext = \"CI is pinned.\"\ncontrols = [\"SUP-05\"]\n",
    )
    .unwrap();
    assert_gate_fails(
        &mut gate(&claims, &report_path),
        "claim `ci` is Failing: SUP-05 is fail",
    );

    // The same for answers: the note and the container change neither.
    let rows = answer_with_map(
        dir.path(),
        "q",
        &report_path,
        "Question ID,Answer,Comment\nS.1,,\nS.2,,\nS.3,,\n",
        "[questions]\n\"S.1\" = [\"SEC-01\"]\n\"S.2\" = { checks = [\"gha-action-pinned\"] }\n\"S.3\" = [\"SUP-05\"]\n",
    );
    assert_eq!(
        &rows[0][1], "Yes",
        "the secretKeyRef note changes no answer"
    );
    assert_eq!(
        &rows[1][1], "Yes",
        "the container check is not behind this question"
    );
    assert_eq!(
        &rows[2][1], "",
        "the whole control failed: a person decides"
    );
}

#[test]
fn strict_gate_flags_a_claim_naming_what_its_checks_do_not_verify() {
    let (dir, report) = scanned_repo(PINNED);
    let claims = dir.path().join("hsts.toml");
    std::fs::write(
        &claims,
        "[[claim]]\nid = \"ci\"\ntext = \"Every CI action is pinned, and every response carries HSTS.\"\nchecks = [\"gha-action-pinned\"]\n",
    )
    .unwrap();
    gate(&claims, &report).assert().success();
    assert_gate_fails(
        gate(&claims, &report).arg("--strict"),
        "claim `ci` names HSTS but none of its checks verifies that",
    );
}

#[test]
fn unreadable_or_headerless_workbooks_exit_2() {
    let (dir, report) = scanned_repo(PINNED);
    let headerless = dir.path().join("x.csv");
    std::fs::write(&headerless, "a,b\nc,d\n").unwrap();
    answer(&headerless, &report)
        .arg("--out")
        .arg(dir.path().join("y.csv"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("has no recognisable header row"));
    let garbage = dir.path().join("x.xlsx");
    std::fs::write(&garbage, "not a zip").unwrap();
    answer(&garbage, &report)
        .arg("--out")
        .arg(dir.path().join("y.xlsx"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not an .xlsx (zip) file"));
}

fn scan_to(repo: &Path, report: &Path) {
    vouch()
        .arg("scan")
        .arg(repo)
        .args(["--format", "json", "--output"])
        .arg(report)
        .assert()
        .code(predicates::ord::lt(2));
}

#[test]
fn demo_trust_page_renders_and_the_gate_fails_when_a_claimed_control_fails() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo_copy(dir.path());
    let report = dir.path().join("report.json");
    scan_to(&demo, &report);
    trust(demo.join("claims.toml"), &report, dir.path())
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "7 claims: 4 verified, 2 attested, 0 partly verified, 1 unverified, 0 failing",
        ));
    let html = dir.path().join("trust.html");
    let dom = browser::dump_dom(&html);
    assert_eq!(browser::count_in(&dom, "verified"), Some(4));
    assert_eq!(browser::count_in(&dom, "unverified"), Some(1));
    browser::assert_self_contained(&std::fs::read_to_string(&html).unwrap());
    gate(demo.join("claims.toml"), &report).assert().success();

    // A migration lets the runtime role bypass row-level security: the published
    // "least-privilege role" claim is now contradicted, and the gate says so.
    std::fs::write(
        demo.join("db/migrations/0005_reporting_shortcut.sql"),
        "ALTER ROLE app_user BYPASSRLS;\n",
    )
    .unwrap();
    scan_to(&demo, &report);
    assert_gate_fails(
        &mut gate(demo.join("claims.toml"), &report),
        "claim `db-role` is Failing: ACC-01 is fail",
    );
}

/// The trust page says what its evidence is about: organisation, system, repository without
/// credentials, branch, commit, dirty flag, live targets, vouch version and the paths left out.
#[test]
fn trust_page_carries_the_provenance_of_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
    std::fs::create_dir_all(root.join("node_modules/left-pad")).unwrap();
    std::fs::write(root.join(".github/workflows/ci.yml"), PINNED).unwrap();
    std::fs::write(root.join("node_modules/left-pad/index.js"), "x\n").unwrap();
    std::fs::write(
        root.join("vouch.toml"),
        "[report]\norganisation = \"Acme Inc.\"\nsystem = \"Billing\"\n",
    )
    .unwrap();
    git(&root, &["init", "-q", "-b", "trunk"]);
    git(&root, &["add", "-A"]);
    git(&root, &["add", "-f", "node_modules/left-pad/index.js"]);
    git(&root, &["commit", "-q", "-m", "init"]);
    let remote = "https://bot:hunter2pass@git.example.com/acme/billing.git";
    git(&root, &["remote", "add", "origin", remote]);
    let commit = git(&root, &["rev-parse", "HEAD"]);
    std::fs::write(dir.path().join("claims.toml"), CLAIMS).unwrap();
    let report = dir.path().join("report.json");
    scan_to(&root, &report);
    let out = dir.path().join("trust");
    trust(dir.path().join("claims.toml"), &report, &out)
        .assert()
        .success();
    for name in ["trust.html", "trust.md"] {
        // Markdown escapes `_` and friends outside code spans: compare what a reader sees.
        let page = std::fs::read_to_string(out.join(name))
            .unwrap()
            .replace('\\', "");
        for shown in [
            "Acme Inc.",
            "Billing",
            "git.example.com/acme/billing.git",
            "trunk",
            commit.trim(),
            "(clean)",
            "node_modules",
            env!("CARGO_PKG_VERSION"),
        ] {
            assert!(page.contains(shown), "{name} lacks {shown}:\n{page}");
        }
        assert!(
            !page.contains("hunter2pass"),
            "{name} leaks the remote's password"
        );
        assert!(!page.contains("bot:"), "{name} leaks the remote's user");
    }
}
