//! The README's checks table is the one `vouch list checks --format markdown` prints.

use crate::harness::{repo_root, vouch};

const BEGIN: &str = "<!-- checks:begin -->\n";
const END: &str = "<!-- checks:end -->";

#[test]
fn readme_checks_table_matches_the_binary() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("README has <!-- checks:begin -->")
        + BEGIN.len();
    let end = readme.find(END).expect("README has <!-- checks:end -->");
    let in_readme = &readme[start..end];
    let out = vouch()
        .args(["list", "checks", "--format", "markdown"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("| `gha-action-pinned` |"));
    assert!(
        in_readme == table,
        "the README checks table is stale: regenerate it with `scripts/readme-checks`\n\
         --- README ---\n{in_readme}\n--- vouch list checks --format markdown ---\n{table}"
    );
}
