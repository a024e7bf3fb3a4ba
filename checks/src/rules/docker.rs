//! Helpers shared by the `docker-*` checks: following stage references and reading image
//! references. Judgements stay in the checks.

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
