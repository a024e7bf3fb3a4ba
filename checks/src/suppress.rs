//! Inline suppressions: `# vouch:ignore[check-id] reason` in the file that carries a finding.
//!
//! The comment may start with `#` (Dockerfiles, YAML, TOML, shell), `--` (SQL) or `//`, stand on
//! its own line or after code, and name several checks (`vouch:ignore[a, b]`). It waives a
//! failing finding of a named check on its own line or on the line below. The reason is
//! required; a suppression without one, or naming an unknown check, is reported as invalid and
//! waives nothing. They are collected here (pure, from file text) and applied when the report
//! is built.

use serde::{Deserialize, Serialize};

const MARKER: &str = "vouch:ignore[";

/// One `vouch:ignore[...]` comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineSuppression {
    /// Relative path of the file, forward slashes.
    pub path: String,
    /// 1-based line of the comment.
    pub line: u32,
    /// The check ids between the brackets, as written.
    pub checks: Vec<String>,
    /// The text after the brackets (empty when none was given).
    pub reason: String,
}

/// Documentation describes the syntax; only files that can carry findings hold suppressions.
fn is_documentation(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".md", ".markdown", ".rst", ".adoc"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Every suppression comment in a file's text.
pub fn scan_text(path: &str, text: &str) -> Vec<InlineSuppression> {
    if !text.contains(MARKER) || is_documentation(path) {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| parse_line(line).map(|(checks, reason)| (i, checks, reason)))
        .map(|(i, checks, reason)| InlineSuppression {
            path: path.to_owned(),
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            checks,
            reason,
        })
        .collect()
}

/// `(checks, reason)` when the line holds a suppression comment.
fn parse_line(line: &str) -> Option<(Vec<String>, String)> {
    let at = line.find(MARKER)?;
    let before = line[..at].trim_end();
    if !(before.ends_with('#') || before.ends_with("--") || before.ends_with("//")) {
        return None;
    }
    let rest = &line[at + MARKER.len()..];
    let close = rest.find(']')?;
    let checks = rest[..close]
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    let reason = rest[close + 1..]
        .trim()
        .trim_start_matches([':', '-'])
        .trim()
        .to_owned();
    Some((checks, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_comment_style_with_its_line_and_reason() {
        let text = "FROM node:20 # vouch:ignore[docker-base-pinned] rebuilt nightly\n\
                    -- vouch:ignore[pg-rls-enabled, pg-rls-forced]: lookup table\n\
                    x: 1\n\
                    // vouch:ignore[gha-action-pinned]\n";
        let found = scan_text("a/Dockerfile", text);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].line, 1);
        assert_eq!(found[0].checks, ["docker-base-pinned"]);
        assert_eq!(found[0].reason, "rebuilt nightly");
        assert_eq!(found[1].checks, ["pg-rls-enabled", "pg-rls-forced"]);
        assert_eq!(found[1].reason, "lookup table");
        assert_eq!(found[2].line, 4);
        assert_eq!(found[2].reason, "", "kept, to be reported as invalid");
    }

    #[test]
    fn a_mention_outside_a_comment_or_in_docs_is_not_a_suppression() {
        assert!(scan_text("x.yml", "run: echo vouch:ignore[gha-action-pinned] x\n").is_empty());
        assert!(scan_text("README.md", "# vouch:ignore[gha-action-pinned] example\n").is_empty());
        assert!(scan_text("x.yml", "# vouch:ignore[gha-action-pinned unclosed\n").is_empty());
    }
}
