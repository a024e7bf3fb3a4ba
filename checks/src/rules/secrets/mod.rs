//! Secrets committed to the repository.

pub mod secrets_committed;
