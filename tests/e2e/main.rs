//! End-to-end tests of the `vouch` binary. One test binary; one module per area.

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action;
mod adversarial;
mod adversarial_redaction;
#[cfg(feature = "artifact")]
mod artifacts;
#[cfg(feature = "aws")]
mod aws;
#[cfg(feature = "aws")]
mod aws_edge;
mod browser;
mod cli;
mod corpus;
mod determinism;
mod distribution;
mod docs;
#[cfg(feature = "endpoint")]
mod endpoints;
#[cfg(any(feature = "image", feature = "kube"))]
mod fake_http;
mod formats;
mod gate;
mod harness;
#[cfg(feature = "image")]
mod image_bundles;
#[cfg(feature = "image")]
mod images;
#[cfg(feature = "kube")]
mod kube_limits;
#[cfg(feature = "kube")]
mod kube_live;
mod kube_manifests;
mod live_fixtures;
#[cfg(all(feature = "kube", feature = "image"))]
mod live_images;
#[cfg(feature = "image")]
mod misbehaving_registry;
#[cfg(feature = "aws")]
mod moto;
mod pack;
mod pg_corpus;
mod pg_fold_vs_server;
mod pg_live;
mod pg_live_harness;
mod pg_live_schemes;
mod pg_policy_oracle;
mod pg_server;
mod pg_static;
mod pg_tenant_isolation;
mod pre_commit;
#[cfg(feature = "endpoint")]
mod rate_limit;
mod repo_containers;
mod repo_supply_chain;
mod snapshots;
#[cfg(feature = "endpoint")]
mod tls_servers;
mod trust;
mod vuln_evidence;
mod waivers;
mod walk;
