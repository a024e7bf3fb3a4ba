//! Reads what a signed SLSA provenance statement claims (builder, source, invocation), for
//! `image-provenance` to judge. Only the fields are extracted here; nothing is trusted or
//! rejected (that is the check's job, rule 2 of the design).
//!
//! - v0.2: `predicate.builder.id`, `predicate.buildType`, `predicate.invocation.configSource`
//!   (`uri` = `git+https://github.com/acme/api@refs/heads/main`, `digest.sha1`, `entryPoint`).
//! - v1: `predicate.runDetails.builder.id`, `predicate.buildDefinition.buildType`, the source
//!   from `externalParameters.workflow` (`repository`, `ref`, `path`: GitHub Actions builders)
//!   or else the first `resolvedDependencies` entry (`uri` with `@ref`, `digest.gitCommit`).

use checks::facts::image::Provenance;
use serde_json::Value;

const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
const SLSA_V1: &str = "https://slsa.dev/provenance/v1";

/// The provenance claims of an in-toto statement, `None` when it is not SLSA provenance.
pub fn read(statement: &Value) -> Option<Provenance> {
    let predicate_type = statement.get("predicateType")?.as_str()?;
    let predicate = statement.get("predicate")?;
    match predicate_type {
        SLSA_V02 => Some(v02(predicate)),
        SLSA_V1 => Some(v1(predicate)),
        _ => None,
    }
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn v02(predicate: &Value) -> Provenance {
    let (source_repository, source_ref) =
        split_uri(&text(predicate, "/invocation/configSource/uri"));
    Provenance {
        builder_id: text(predicate, "/builder/id"),
        build_type: text(predicate, "/buildType"),
        source_repository,
        source_ref,
        source_digest: text(predicate, "/invocation/configSource/digest/sha1"),
        invocation: text(predicate, "/invocation/configSource/entryPoint"),
    }
}

fn v1(predicate: &Value) -> Provenance {
    let workflow = predicate.pointer("/buildDefinition/externalParameters/workflow");
    let first_dependency = predicate.pointer("/buildDefinition/resolvedDependencies/0");
    let (source_repository, source_ref) = match workflow {
        Some(w) if w.get("repository").is_some() => (text(w, "/repository"), text(w, "/ref")),
        _ => split_uri(
            &first_dependency
                .map(|d| text(d, "/uri"))
                .unwrap_or_default(),
        ),
    };
    let source_digest = first_dependency
        .map(|d| text(d, "/digest/gitCommit"))
        .filter(|d| !d.is_empty())
        .or_else(|| first_dependency.map(|d| text(d, "/digest/sha1")))
        .unwrap_or_default();
    let entry_point = workflow.map(|w| text(w, "/path")).unwrap_or_default();
    let invocation_id = text(predicate, "/runDetails/metadata/invocationId");
    let invocation = [entry_point, invocation_id]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Provenance {
        builder_id: text(predicate, "/runDetails/builder/id"),
        build_type: text(predicate, "/buildDefinition/buildType"),
        source_repository,
        source_ref,
        source_digest,
        invocation,
    }
}

/// `git+https://github.com/acme/api@refs/heads/main` → (`git+https://github.com/acme/api`,
/// `refs/heads/main`); no `@` after the host → (uri, "").
fn split_uri(uri: &str) -> (String, String) {
    let after_scheme = uri.find("://").map_or(0, |i| i + 3);
    match uri[after_scheme..].rfind('@') {
        Some(at) => {
            let at = after_scheme + at;
            (uri[..at].to_owned(), uri[at + 1..].to_owned())
        }
        None => (uri.to_owned(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn v02_reads_builder_and_config_source() {
        let statement = json!({
            "predicateType": SLSA_V02,
            "predicate": {
                "builder": {"id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0"},
                "buildType": "https://github.com/slsa-framework/slsa-github-generator/container@v1",
                "invocation": {"configSource": {
                    "uri": "git+https://github.com/acme/api@refs/heads/main",
                    "digest": {"sha1": "0123abc"},
                    "entryPoint": ".github/workflows/release.yml"
                }}
            }
        });
        let p = read(&statement).unwrap();
        assert!(
            p.builder_id
                .ends_with("generator_container_slsa3.yml@refs/tags/v1.9.0")
        );
        assert_eq!(p.source_repository, "git+https://github.com/acme/api");
        assert_eq!(p.source_ref, "refs/heads/main");
        assert_eq!(p.source_digest, "0123abc");
        assert_eq!(p.invocation, ".github/workflows/release.yml");
    }

    #[test]
    fn v1_prefers_the_workflow_parameters_then_the_first_dependency() {
        let statement = json!({
            "predicateType": SLSA_V1,
            "predicate": {
                "buildDefinition": {
                    "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                    "externalParameters": {"workflow": {
                        "ref": "refs/tags/v1.4.0",
                        "repository": "https://github.com/acme/api",
                        "path": ".github/workflows/release.yml"
                    }},
                    "resolvedDependencies": [{"uri": "git+https://github.com/acme/api@refs/tags/v1.4.0", "digest": {"gitCommit": "feed"}}]
                },
                "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"},
                               "metadata": {"invocationId": "https://github.com/acme/api/actions/runs/1/attempts/1"}}
            }
        });
        let p = read(&statement).unwrap();
        assert_eq!(
            p.builder_id,
            "https://github.com/actions/runner/github-hosted"
        );
        assert_eq!(p.source_repository, "https://github.com/acme/api");
        assert_eq!(p.source_ref, "refs/tags/v1.4.0");
        assert_eq!(p.source_digest, "feed");
        assert!(p.invocation.contains("release.yml") && p.invocation.contains("runs/1"));

        let mut bare = statement.clone();
        bare["predicate"]["buildDefinition"]["externalParameters"] = json!({});
        let p = read(&bare).unwrap();
        assert_eq!(p.source_repository, "git+https://github.com/acme/api");
        assert_eq!(p.source_ref, "refs/tags/v1.4.0");
    }

    #[test]
    fn other_predicates_are_not_provenance() {
        assert!(
            read(&json!({"predicateType": "https://cyclonedx.org/bom", "predicate": {}})).is_none()
        );
    }
}
