//! Container images as found in their registries: the digest a reference resolves to, and the
//! cosign signatures and in-toto attestations attached to that digest, each already verified
//! (or not) by the collector against the configured keys or identities. Checks only judge.

use serde::{Deserialize, Serialize};

/// One distinct image reference (as written in a workload, `[[target.image]]` or Dockerfile).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Image {
    /// The reference as written (`registry.example.com/api:1.4`, `…@sha256:…`).
    pub reference: String,
    /// Who refers to it: workload subjects (`NS/Kind/name`), `target.image NAME`, Dockerfile
    /// paths.
    pub used_by: Vec<String>,
    /// `sha256:…` the reference resolved to in its registry; `None` when it could not be.
    pub digest: Option<String>,
    /// `oci://REGISTRY/REPO@sha256:…` once resolved, else `oci://REGISTRY/REPO:TAG`.
    pub uri: String,
    /// The image could not be read (registry unreachable, authentication failed, manifest not
    /// found): every image check reports `error`.
    pub error: Option<String>,
    pub signatures: Evidence,
    pub attestations: Evidence,
}

/// What was found under one cosign tag (`sha256-<digest>.sig` or `.att`).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Evidence {
    /// The tag or artifact was looked up (a `None` error and no entries means none attached).
    pub checked: bool,
    /// The lookup itself failed (not "absent": absent is an empty `entries`).
    pub error: Option<String>,
    pub entries: Vec<Verified>,
}

/// One signature or attestation and the outcome of verifying it.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Verified {
    /// Layer digest of the signature/attestation in the registry.
    pub digest: String,
    /// Attestations: the in-toto `predicateType` (CycloneDX, SPDX, SLSA provenance…).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub predicate_type: String,
    /// It verified against a trusted key or identity.
    pub verified: bool,
    /// Who signed: the configured key's name, or the certificate identity and issuer.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub signer: String,
    /// Why it did not verify (bad signature, untrusted key, subject digest mismatch…).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// How it was attached: `cosign-tag` (`.sig`/`.att` tags, the default when empty) or
    /// `sigstore-bundle` (a referrer or artifact bundle, with its media type version).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub format: String,
    /// A SLSA provenance statement's claims, as read from the signed payload (judged by
    /// `image-provenance`); `None` for any other predicate.
    pub provenance: Option<Provenance>,
}

/// What a SLSA provenance predicate (v0.2 or v1) says about the build. Read, not judged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Provenance {
    /// `builder.id` (v0.2) / `runDetails.builder.id` (v1).
    pub builder_id: String,
    /// `buildType` (v0.2) / `buildDefinition.buildType` (v1).
    pub build_type: String,
    /// The source repository as named in the predicate (`git+https://github.com/acme/api`).
    pub source_repository: String,
    /// The source ref (`refs/heads/main`, `refs/tags/v1.4.0`).
    pub source_ref: String,
    /// The source commit (`gitCommit` / `sha1` digest) when given.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source_digest: String,
    /// The invocation: entry point / workflow path and invocation id when given.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub invocation: String,
}
