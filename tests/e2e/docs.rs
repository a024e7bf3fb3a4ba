//! The generated reference in `docs/reference/` is what this binary renders, and the README stays
//! the short page a new user reads first.

use crate::harness::{repo_root, vouch};

#[test]
fn generated_reference_is_current() {
    let dir = repo_root().join("docs/reference");
    let out = vouch()
        .args(["docs", "--check", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "regenerate with `cargo run -- docs`:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn docs_check_names_a_stale_page() {
    let dir = tempfile::tempdir().unwrap();
    let written = vouch()
        .args(["docs", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(written.status.success());
    std::fs::write(dir.path().join("checks.md"), "# edited by hand\n").unwrap();
    let out = vouch()
        .args(["docs", "--check", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("checks.md"), "{stderr}");
    assert!(!stderr.contains("controls.md"), "{stderr}");
}

#[test]
fn reference_documents_every_check_and_every_configuration_table() {
    let dir = repo_root().join("docs/reference");
    let checks = std::fs::read_to_string(dir.join("checks.md")).unwrap();
    let listed = vouch()
        .args(["list", "checks", "--format", "json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    for check in listed.as_array().unwrap() {
        let id = check["id"].as_str().unwrap();
        assert!(
            checks.contains(&format!("### `{id}`")),
            "{id} has no section"
        );
        // SARIF's helpUri points at this anchor.
        assert!(
            checks.contains(&format!("<a id=\"check-{id}\"></a>")),
            "{id} has no anchor"
        );
    }
    let config = std::fs::read_to_string(dir.join("configuration.md")).unwrap();
    for table in [
        "[postgres]",
        "[docker]",
        "[endpoint]",
        "[aws]",
        "[[waiver]]",
        "[[target.postgres]]",
    ] {
        assert!(
            config.contains(&format!("`{table}`")),
            "{table} is not documented"
        );
    }
}

#[test]
fn readme_is_the_short_page() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; reference belongs in docs/"
    );
}

#[test]
fn relative_links_of_the_readme_and_the_guides_resolve() {
    let mut pages = vec![
        repo_root().join("README.md"),
        repo_root().join("CONTRIBUTING.md"),
    ];
    for entry in std::fs::read_dir(repo_root().join("docs/guide")).unwrap() {
        pages.push(entry.unwrap().path());
    }
    let mut missing = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for link in text.split("](").skip(1) {
            let target = link.split([')', '#']).next().unwrap();
            if target.is_empty() || target.starts_with("http") {
                continue;
            }
            if !page.parent().unwrap().join(target).exists() {
                missing.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(missing.is_empty(), "broken links:\n{}", missing.join("\n"));
}

/// The AWS guide shows the policy `vouch iam-policy` prints; a hand-kept copy fell behind once
/// (RDS and S3 only after issue 18 added twelve services), so the page is compared with it.
#[test]
fn aws_guide_shows_the_current_iam_policy() {
    let page = std::fs::read_to_string(repo_root().join("docs/guide/aws.md")).unwrap();
    let after = &page[page
        .find("**Permissions.**")
        .expect("a Permissions paragraph")..];
    let block = after
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a closed ```json block after **Permissions.**");
    let out = vouch().args(["iam-policy", "--quiet"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        block.trim(),
        String::from_utf8_lossy(&out.stdout).trim(),
        "docs/guide/aws.md: paste the output of `vouch iam-policy`"
    );
}
