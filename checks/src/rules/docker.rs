//! Helpers shared by the `docker-*` checks: following stage references and reading image
//! references. Judgements stay in the checks.

use crate::facts::repo::{Dockerfile, Stage};

/// The index of the earlier stage that stage `index` builds on (`FROM build`, by alias,
/// case-insensitively as BuildKit does, or `FROM 0` by index); `None` for a real image.
pub(crate) fn earlier_stage(df: &Dockerfile, index: usize) -> Option<usize> {
    let base = &df.stages.get(index)?.base;
    if let Ok(n) = base.parse::<usize>() {
        return (n < index).then_some(n);
    }
    df.stages[..index].iter().rposition(|s| {
        s.alias
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(base))
    })
}

/// The final stage and, following `FROM <earlier stage>` links, the stages it builds on, the
/// last of which names a real image (or `scratch`). Empty when there are no stages.
pub(crate) fn final_chain(df: &Dockerfile) -> Vec<&Stage> {
    let mut chain = Vec::new();
    let Some(mut index) = df.stages.len().checked_sub(1) else {
        return chain;
    };
    loop {
        chain.push(&df.stages[index]);
        match earlier_stage(df, index) {
            // Indices strictly decrease, so this ends.
            Some(prev) => index = prev,
            None => return chain,
        }
    }
}

pub(crate) fn is_scratch(base: &str) -> bool {
    base.eq_ignore_ascii_case("scratch")
}

/// A base that still holds a `$VAR` reference: which image it is cannot be proven.
pub(crate) fn is_unresolved(base: &str) -> bool {
    base.contains('$')
}

/// The reference without its `@digest`: `node:20@sha256:…` → `node:20`.
pub(crate) fn without_digest(reference: &str) -> &str {
    reference.split_once('@').map_or(reference, |(r, _)| r)
}

/// The repository name and tag of a reference (`gcr.io/distroless/static:nonroot` →
/// (`gcr.io/distroless/static`, `nonroot`)); the tag is empty when none is given.
pub(crate) fn name_and_tag(reference: &str) -> (&str, &str) {
    let r = without_digest(reference);
    let last_slash = r.rfind('/').map_or(0, |i| i + 1);
    match r[last_slash..].rfind(':') {
        Some(colon) => (&r[..last_slash + colon], &r[last_slash + colon + 1..]),
        None => (r, ""),
    }
}

pub(crate) fn is_distroless(reference: &str) -> bool {
    reference.starts_with("gcr.io/distroless/")
}

pub(crate) fn is_chainguard(reference: &str) -> bool {
    reference.starts_with("cgr.dev/chainguard/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(base: &str, alias: Option<&str>) -> Stage {
        Stage {
            base: base.to_owned(),
            alias: alias.map(str::to_owned),
            ..Stage::default()
        }
    }

    #[test]
    fn follows_stage_references_to_the_real_base() {
        let df = Dockerfile {
            stages: vec![
                stage("node:20", Some("Deps")),
                stage("deps", Some("build")),
                stage("0", None),
                stage("build", None),
            ],
            ..Dockerfile::default()
        };
        let bases: Vec<_> = final_chain(&df).iter().map(|s| s.base.as_str()).collect();
        assert_eq!(bases, vec!["build", "deps", "node:20"]);
        assert_eq!(earlier_stage(&df, 2), Some(0));
        assert_eq!(earlier_stage(&df, 0), None);
    }

    #[test]
    fn splits_references() {
        assert_eq!(name_and_tag("node:20"), ("node", "20"));
        assert_eq!(
            name_and_tag("localhost:5000/app"),
            ("localhost:5000/app", "")
        );
        assert_eq!(
            name_and_tag("gcr.io/distroless/static:nonroot@sha256:ab"),
            ("gcr.io/distroless/static", "nonroot")
        );
    }
}
