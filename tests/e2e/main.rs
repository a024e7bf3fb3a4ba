//! End-to-end tests of the `vouch` binary. One test binary; one module per area.

mod cli;
#[cfg(feature = "endpoint")]
mod endpoints;
mod harness;
#[cfg(feature = "endpoint")]
mod tls_servers;
