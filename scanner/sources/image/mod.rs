//! Registry images (`[image]`, `[[target.image]]`): each distinct reference is resolved to its
//! digest once, then the cosign signatures (`sha256-<hex>.sig`) and attestations
//! (`sha256-<hex>.att`) attached to each distinct digest are read once and verified against the
//! configured keys. Registry 2.8 has no referrers API, so the cosign tag scheme is the way in.
//!
//! Read-only: vouch only pulls manifests and blobs. Credentials come from the docker config and
//! never enter the facts: errors name the image and the cause, never a header or a password.

#[cfg(feature = "image")]
pub(crate) mod bundle;
mod collect;
#[cfg(feature = "image")]
mod docker_config;
#[cfg(feature = "image")]
pub(crate) mod keyless;
#[cfg(feature = "image")]
mod link_header;
#[cfg(feature = "image")]
mod provenance;
#[cfg(feature = "image")]
mod registry;
mod source;
#[cfg(feature = "image")]
pub(crate) mod verify;

use std::collections::BTreeMap;

use checks::Facts;
use checks::facts::image::Image;
use checks::resolve::ImageOptions;
use checks::settings::ImageTarget;

#[cfg(feature = "image")]
pub use collect::collect;
pub use source::Images;

/// Every image reference the scan should verify, each once, with who refers to it (workload
/// subjects, `target.image NAME`, Dockerfile paths), in reference order.
pub fn wanted(
    facts: &Facts,
    settings: &ImageOptions,
    targets: &[&ImageTarget],
) -> BTreeMap<String, Vec<String>> {
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |reference: &str, user: String| {
        let users = wanted.entry(reference.trim().to_owned()).or_default();
        if !users.contains(&user) {
            users.push(user);
        }
    };
    if settings.workload_images {
        for workload in facts.workloads() {
            for container in workload.containers.iter().filter(|c| !c.image.is_empty()) {
                add(&container.image, workload.subject());
            }
        }
    }
    if settings.dockerfile_images {
        for dockerfile in facts.repo.iter().flat_map(|r| r.dockerfiles.iter()) {
            if let Some(image) = final_image(dockerfile) {
                add(image, dockerfile.path.clone());
            }
        }
    }
    for target in targets {
        add(&target.reference, format!("target.image {}", target.name()));
    }
    wanted.retain(|reference, _| !reference.is_empty());
    wanted
}

/// Only the images `[[target.image]]` entries name, as [`wanted`] lists them.
pub fn wanted_targets(targets: &[&ImageTarget]) -> BTreeMap<String, Vec<String>> {
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for target in targets {
        let users = wanted
            .entry(target.reference.trim().to_owned())
            .or_default();
        let user = format!("target.image {}", target.name());
        if !users.contains(&user) {
            users.push(user);
        }
    }
    wanted.retain(|reference, _| !reference.is_empty());
    wanted
}

/// The registry image the final stage builds on, following `FROM <earlier stage>` links to
/// the real base; `None` for `scratch` or an unresolved `${ARG}`.
fn final_image(dockerfile: &checks::facts::repo::Dockerfile) -> Option<&str> {
    let base = dockerfile.final_chain().last()?.base.as_str();
    let usable = !base.eq_ignore_ascii_case("scratch") && !base.contains('$');
    usable.then_some(base)
}

/// The `[image]` trust: every key of `keys` and, when a trust root or identities are
/// configured, the keyless verifier. Any unusable file is an error (fail closed). Shared by the
/// release artifacts (`sources/artifact`), which are verified against the same trust.
#[cfg(feature = "image")]
pub(crate) fn trust(
    settings: &ImageOptions,
) -> Result<(Vec<verify::Key>, Option<keyless::Keyless>), String> {
    let keys = verify::load_keys(&settings.keys)?;
    let keyless = keyless::load(settings)?;
    Ok((keys, keyless))
}

/// What one collection run produced.
pub struct Outcome {
    pub images: Vec<Image>,
    /// Registry HTTP operations issued (manifest HEAD/GET, blob GET; token exchanges not
    /// included), for `Collection.origin` and the benchmark.
    pub requests: u64,
    /// A failure that stopped every image (no async runtime, unreadable key or config file).
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use checks::facts::kube::{Container, Workload};
    use checks::facts::repo::{Dockerfile, RepoFacts, Stage};

    use super::*;

    fn stage(base: &str, alias: Option<&str>) -> Stage {
        Stage {
            base: base.to_owned(),
            alias: alias.map(str::to_owned),
            ..Stage::default()
        }
    }

    #[test]
    fn each_reference_is_wanted_once_with_all_its_users() {
        let workload = |name: &str, image: &str| Workload {
            namespace: "prod".to_owned(),
            kind: "Deployment".to_owned(),
            name: name.to_owned(),
            containers: vec![Container {
                image: image.to_owned(),
                ..Container::default()
            }],
            ..Workload::default()
        };
        let facts = Facts {
            repo: Some(RepoFacts {
                workloads: vec![workload("a", "r/x:1"), workload("b", "r/x:1")],
                dockerfiles: vec![Dockerfile {
                    path: "Dockerfile".to_owned(),
                    stages: vec![stage("golang:1", Some("build")), stage("r/base:2", None)],
                    ..Dockerfile::default()
                }],
                ..RepoFacts::default()
            }),
            ..Facts::default()
        };
        let options = ImageOptions {
            dockerfile_images: true,
            ..ImageOptions::default()
        };
        let target = ImageTarget {
            name: "api".to_owned(),
            reference: "r/x:1".to_owned(),
        };
        let wanted = wanted(&facts, &options, &[&target]);
        assert_eq!(
            wanted["r/x:1"],
            ["prod/Deployment/a", "prod/Deployment/b", "target.image api"]
        );
        assert_eq!(wanted["r/base:2"], ["Dockerfile"]);
        assert_eq!(wanted.len(), 2);
    }

    #[test]
    fn the_final_image_follows_stage_links_and_skips_scratch_and_unresolved_bases() {
        let file = |stages| Dockerfile {
            stages,
            ..Dockerfile::default()
        };
        assert_eq!(final_image(&file(vec![stage("scratch", None)])), None);
        let staged = file(vec![stage("golang:1", Some("build")), stage("build", None)]);
        assert_eq!(final_image(&staged), Some("golang:1"));
        let distilled = file(vec![
            stage("golang:1", Some("build")),
            stage("scratch", None),
        ]);
        assert_eq!(final_image(&distilled), None);
        assert_eq!(final_image(&file(vec![stage("${BASE}", None)])), None);
    }
}
