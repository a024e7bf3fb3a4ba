//! End-to-end tests of the `vouch` binary. One test binary; one module per area.

#[cfg(feature = "aws")]
mod aws;
mod cli;
mod harness;
#[cfg(feature = "aws")]
mod moto;
