//! End-to-end tests of the `vouch` binary. One test binary; one module per area.

mod cli;
mod harness;
mod pg_fold_vs_server;
mod pg_server;
mod pg_static;
