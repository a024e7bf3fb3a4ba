//! The one state model every source fills.
//!
//! A repository and a live system fill the SAME records (a PostgreSQL table rebuilt from
//! migrations and one read from `pg_class` are both a [`pg::Table`]), so one check judges both.
//! `Facts` is serde: `vouch scan --dump-facts` writes it and `vouch check --facts` re-judges it.
//! Every field defaults, so a fixture may be a small fragment.
//!
//! Secrets never enter Facts: sources redact at collection (see [`crate::secrets`]).

pub mod artifact;
pub mod attestation;
pub mod aws;
pub mod aws_edge;
pub mod aws_infra;
pub mod endpoint;
pub mod image;
pub mod kube;
pub mod pg;
pub mod pg_live;
pub mod repo;
pub mod vuln;

use serde::{Deserialize, Serialize};

use crate::settings::Settings;

pub const FACTS_SCHEMA: &str = "vouch.facts/v1";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Facts {
    pub schema: String,
    /// The effective configuration the scan ran with, so re-judging saved facts needs nothing
    /// else. Contains no secrets: targets name environment variables, never values.
    pub settings: Settings,
    /// Who collected what, from where.
    pub collections: Vec<Collection>,
    pub repo: Option<repo::RepoFacts>,
    pub postgres: Vec<pg::Database>,
    /// Human attestations for controls vouch cannot verify (`attestations.toml`).
    pub attestations: Vec<attestation::Attestation>,
    /// Live HTTPS endpoints (`[[target.endpoint]]`, `scan --endpoint`).
    pub endpoints: Vec<endpoint::Endpoint>,
    /// Live AWS accounts (`[[target.aws]]`).
    pub aws: Vec<aws::Account>,
    /// Live Kubernetes clusters (`[[target.kube]]`).
    pub kube: Vec<kube::Cluster>,
    /// Container images resolved in their registries, with their signatures and attestations.
    pub images: Vec<image::Image>,
    /// Release artifacts (`[[target.artifact]]`) with their sigstore bundles, verified.
    pub artifacts: Vec<artifact::Artifact>,
    /// Vulnerability scanner outputs named in `[[evidence.vulnerabilities]]`.
    pub vulnerabilities: Vec<vuln::VulnReport>,
}

impl Facts {
    /// Every Kubernetes workload collected: manifests in the repository, then live clusters.
    pub fn workloads(&self) -> impl Iterator<Item = &kube::Workload> {
        let manifests = self.repo.iter().flat_map(|r| r.workloads.iter());
        manifests.chain(self.kube.iter().flat_map(|c| c.workloads.iter()))
    }
}

/// One source's run over one target.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Collection {
    /// `repo`, `postgres`, `aws`, `endpoint`, `image`, `kube`.
    pub source: String,
    /// The target's name, or the scanned path for a repository.
    pub target: String,
    /// Where it was read from, without secrets (a path, a redacted URI, an account/region).
    pub origin: String,
    /// RFC 3339; from the injected clock (SOURCE_DATE_EPOCH honoured).
    pub collected_at: String,
    /// A source-level failure (unreachable, denied…); the checks turn it into `error` findings.
    pub error: Option<String>,
}
