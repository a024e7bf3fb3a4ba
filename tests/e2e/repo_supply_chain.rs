//! Supply-chain checks over real repository layouts (`fixtures/repos/supply-chain-*`): the
//! binary walks the files, the parsers read them, the checks judge them.

use serde_json::Value;

use crate::harness::{assert_finding, finding, findings, fixture, scan_json};

const SUPPLY_CHAIN_CHECKS: [&str; 6] = [
    "lockfile-present",
    "lockfile-in-sync",
    "lockfile-frozen-install",
    "dep-update-config",
    "sbom-present",
    "sbom-valid",
];

#[test]
fn locked_monorepo_passes_every_supply_chain_check() {
    let (_, report) = scan_json(&fixture("repos/supply-chain-locked"), &[]);
    let ours: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| SUPPLY_CHAIN_CHECKS.contains(&f["check"].as_str().unwrap_or_default()))
        .collect();
    // 9 manifests judged for presence, 6 for sync (`tools/go.mod` against its go.sum), 1
    // workflow, 5 ecosystems, 1 repo, 1 SBOM.
    assert_eq!(ours.len(), 23, "{ours:#?}");
    let not_passing: Vec<_> = ours.iter().filter(|f| f["status"] != "pass").collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");

    // Workspace members are covered by the root lockfile (Cargo, npm) or by pnpm's importers.
    let member = finding(&report, "lockfile-present", "crates/core/Cargo.toml");
    assert_eq!(member["evidence"]["lockfile"], "Cargo.lock");
    let ui = finding(&report, "lockfile-in-sync", "packages/ui/package.json");
    assert_eq!(ui["evidence"]["lockfile"], "package-lock.json");
    let docs = finding(&report, "lockfile-in-sync", "site/apps/docs/package.json");
    assert_eq!(docs["evidence"]["lockfile"], "site/pnpm-lock.yaml");
    // PEP 503: `Pydantic_Core` is `pydantic-core` in uv.lock.
    assert_eq!(
        finding(&report, "lockfile-in-sync", "svc/pyproject.toml")["evidence"]["declared"],
        3
    );
    let hashed = finding(&report, "lockfile-present", "requirements.txt");
    assert_eq!(hashed["evidence"]["hashed"], 2);
    let installs = finding(
        &report,
        "lockfile-frozen-install",
        ".github/workflows/ci.yml",
    );
    assert_eq!(
        installs["evidence"]["installs"].as_array().map(Vec::len),
        Some(6)
    );
    // JSON5 Renovate config covers every ecosystem found.
    assert_finding(
        &report,
        "dep-update-config",
        "go",
        ("pass", "renovate.json5", 0),
    );
    let sbom = finding(&report, "sbom-valid", "sbom/app.spdx.json");
    let coverage = sbom["evidence"]["lockfile_coverage"]
        .as_array()
        .expect("coverage");
    let cargo = coverage
        .iter()
        .find(|c| c["lockfile"] == "Cargo.lock")
        .expect("Cargo.lock coverage");
    assert_eq!(
        (cargo["covered"].as_u64(), cargo["packages"].as_u64()),
        (Some(1), Some(2))
    );
}

#[test]
fn drifted_repository_fails_with_locations_and_errors_on_unreadable_lockfiles() {
    let (code, report) = scan_json(&fixture("repos/supply-chain-drift"), &[]);
    assert_eq!(code, 1, "high-severity supply-chain failures gate");

    // A dependency added to package.json but not to the lockfile: pointed at its line.
    assert_finding(
        &report,
        "lockfile-in-sync",
        "web/package.json",
        ("fail", "web/package.json", 8),
    );
    let missing = &finding(&report, "lockfile-in-sync", "web/package.json")["evidence"]["missing"];
    assert_eq!(missing[0]["name"], "zod");
    // Poetry project without poetry.lock: the expected lockfile path, line 0.
    assert_finding(
        &report,
        "lockfile-present",
        "ml/pyproject.toml",
        ("fail", "ml/poetry.lock", 0),
    );
    assert_finding(
        &report,
        "lockfile-present",
        "worker/requirements.txt",
        ("fail", "worker/requirements.txt", 3),
    );
    // Binary bun.lockb: present, but its contents cannot prove sync.
    assert_finding(
        &report,
        "lockfile-present",
        "site/package.json",
        ("pass", "site/package.json", 0),
    );
    assert_finding(
        &report,
        "lockfile-in-sync",
        "site/package.json",
        ("error", "site/package.json", 0),
    );
    // A truncated package-lock.json is an error, never a pass.
    assert_finding(
        &report,
        "lockfile-in-sync",
        "admin/package.json",
        ("error", "admin/package.json", 0),
    );
    assert_finding(
        &report,
        "lockfile-present",
        "admin/package-lock.json",
        ("error", "admin/package-lock.json", 0),
    );
    // `npm install` on line 11 of the workflow (inside a `run: |` block).
    assert_finding(
        &report,
        "lockfile-frozen-install",
        ".github/workflows/ci.yml",
        ("fail", ".github/workflows/ci.yml", 11),
    );
    assert_finding(
        &report,
        "dep-update-config",
        "npm",
        ("pass", ".github/dependabot.yml", 0),
    );
    assert_finding(
        &report,
        "dep-update-config",
        "python",
        ("fail", ".github/dependabot.yml", 0),
    );
    assert_finding(
        &report,
        "dep-update-config",
        "github-actions",
        ("fail", ".github/dependabot.yml", 0),
    );
    // An invalid CycloneDX serial number fails schema validation; a 1.6 document validates.
    assert_finding(&report, "sbom-valid", "bom.json", ("fail", "bom.json", 0));
    assert!(
        finding(&report, "sbom-valid", "bom.json")["message"]
            .as_str()
            .is_some_and(|m| m.contains("serialNumber")),
    );
    assert_finding(
        &report,
        "sbom-valid",
        "sbom/future.cdx.json",
        ("pass", "sbom/future.cdx.json", 0),
    );
    assert_finding(&report, "sbom-present", ".", ("pass", "bom.json", 0));
}

#[test]
fn demo_mixes_passing_and_failing_supply_chain_findings() {
    let (_, report) = scan_json(&fixture("demo"), &[]);
    assert_finding(
        &report,
        "lockfile-in-sync",
        "web/package.json",
        ("pass", "web/package.json", 0),
    );
    assert_finding(
        &report,
        "lockfile-present",
        "api/Cargo.toml",
        ("pass", "api/Cargo.toml", 0),
    );
    assert_finding(
        &report,
        "lockfile-present",
        "worker/requirements.txt",
        ("fail", "worker/requirements.txt", 5),
    );
    assert_finding(
        &report,
        "lockfile-frozen-install",
        ".github/workflows/release.yml",
        ("fail", ".github/workflows/release.yml", 19),
    );
    assert_finding(
        &report,
        "sbom-valid",
        "sbom/web.cdx.json",
        ("pass", "sbom/web.cdx.json", 0),
    );
    let coverage =
        &finding(&report, "sbom-valid", "sbom/web.cdx.json")["evidence"]["lockfile_coverage"];
    let web = coverage
        .as_array()
        .and_then(|c| c.iter().find(|x| x["lockfile"] == "web/package-lock.json"))
        .expect("web lockfile coverage");
    assert_eq!(web["share_percent"], "100.0");
    assert_finding(
        &report,
        "dep-update-config",
        "cargo",
        ("fail", ".github/dependabot.yml", 0),
    );
    assert_finding(
        &report,
        "dep-update-config",
        "npm",
        ("pass", ".github/dependabot.yml", 0),
    );
}
