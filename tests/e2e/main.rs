//! End-to-end tests of the `vouch` binary. One test binary; one module per area.

mod cli;
mod harness;
mod pack;
