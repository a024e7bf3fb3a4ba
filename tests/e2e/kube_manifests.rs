//! Kubernetes manifests in a repository: workload hardening and image pinning, end to end.

use crate::harness::{finding, fixture, message, scan_json};

#[test]
fn manifests_list_and_kustomize_output_are_judged_with_lines() {
    let (code, report) = scan_json(&fixture("repos/k8s-manifests"), &[]);
    assert_eq!(code, 1, "the privileged DaemonSet fails the gate");

    let cron = "jobs/CronJob/report";
    for check in [
        "k8s-run-as-non-root",
        "k8s-no-privileged",
        "k8s-read-only-root-fs",
        "k8s-secrets-not-in-env",
    ] {
        assert_eq!(finding(&report, check, cron)["status"], "pass", "{check}");
    }
    let digest = "registry.example.com/report@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    assert_eq!(
        finding(&report, "image-digest-pinned", digest)["location"]["line"],
        19
    );

    let agent = "monitoring/DaemonSet/node-agent";
    let privileged = finding(&report, "k8s-no-privileged", agent);
    assert_eq!(privileged["status"], "fail");
    assert_eq!(privileged["location"]["path"], "rendered/all.yaml");
    assert_eq!(privileged["location"]["line"], 6);
    let msg = message(privileged);
    for reason in [
        "hostPID",
        "hostNetwork",
        "hostPath volume proc: /proc",
        "agent is privileged",
    ] {
        assert!(msg.contains(reason), "{reason} in {msg}");
    }
    let secret = finding(&report, "k8s-secrets-not-in-env", agent);
    assert_eq!(secret["status"], "fail");
    assert_eq!(secret["severity"], "critical");
    assert_eq!(secret["location"]["line"], 28);
    assert_eq!(
        finding(&report, "image-digest-pinned", "vendor/node-agent:5.1")["status"],
        "fail"
    );

    let text = serde_json::to_string(&report).unwrap();
    assert!(
        !text.contains("not-a-real-key-but-a-literal"),
        "literal env values never reach the report"
    );
    assert!(
        !text.contains("charts/agent/templates/deployment.yaml"),
        "Helm chart templates are skipped, not reported"
    );
}

#[test]
fn demo_shows_hardened_and_unhardened_workloads() {
    let (_, report) = scan_json(&fixture("demo"), &[]);
    assert_eq!(
        finding(&report, "k8s-no-privileged", "prod/Deployment/api")["status"],
        "pass"
    );
    assert_eq!(
        finding(&report, "k8s-run-as-non-root", "prod/Deployment/worker")["status"],
        "fail"
    );
    assert_eq!(
        finding(&report, "k8s-read-only-root-fs", "prod/Deployment/worker")["status"],
        "fail"
    );
    let info = finding(&report, "k8s-secrets-not-in-env", "prod/Deployment/api");
    assert_eq!(info["severity"], "info", "secretKeyRef is informational");
    assert_eq!(
        finding(&report, "image-digest-pinned", "ghcr.io/acme/worker:2.3.1")["status"],
        "fail"
    );
}

#[test]
fn a_broken_manifest_is_an_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deploy.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: [\n",
    )
    .unwrap();
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let f = finding(&report, "k8s-no-privileged", "deploy.yaml");
    assert_eq!(f["status"], "error");
    assert!(message(f).contains("invalid YAML"));
}
