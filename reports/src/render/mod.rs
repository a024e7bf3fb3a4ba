//! Renderers: each turns a finished [`crate::Report`] into one output format.

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod oscal;
pub mod sarif;
pub mod templates;
pub mod text;

#[cfg(test)]
pub(crate) mod sample;

/// The repository in one line: remote, branch, commit, dirty state; or how a plain directory
/// was read.
pub fn repository_line(repo: &crate::RepositoryProvenance) -> String {
    let Some(git) = &repo.git else {
        return "not a git work tree: every file under the scanned path was read".to_owned();
    };
    let mut parts = vec![
        git.remote
            .clone()
            .unwrap_or_else(|| "git work tree without a remote".to_owned()),
    ];
    if let Some(branch) = &git.branch {
        parts.push(format!("branch {branch}"));
    }
    parts.push(match &git.commit {
        Some(commit) => format!("commit {commit}"),
        None => "no commit yet".to_owned(),
    });
    parts.push(if git.dirty {
        format!(
            "dirty: {} tracked path(s) differ from the commit, judged as in the working tree",
            git.modified.len()
        )
    } else {
        "clean".to_owned()
    });
    parts.join(", ")
}
