//! Kubernetes workloads: privileges, root filesystem, users, secrets in the environment.

pub mod k8s_no_privileged;
pub mod k8s_read_only_root_fs;
pub mod k8s_run_as_non_root;
pub mod k8s_secrets_not_in_env;
