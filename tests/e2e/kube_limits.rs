//! A Kubernetes API server that misbehaves in ways a real apiserver does not: it answers a LIST
//! with the same continue token for ever, or drips its answer slowly enough that no single read
//! times out. Each list must end as a fault (`error` findings for that kind) within its
//! deadline, and the other lists must complete. Served by a small in-test HTTP server.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_http::{Answer, FakeHttp, Request};
use crate::harness::{array, findings, text, vouch};

/// `/version`, batch/v1 discovery (CronJob), and empty lists, except: Deployments always answer
/// the continue token `again`, and Pods are dripped.
fn api_server() -> FakeHttp {
    FakeHttp::start(|request: &Request, answer: &mut Answer<'_>| {
        let body = match request.route() {
            "/version" => json!({
                "major": "1", "minor": "30", "gitVersion": "v1.30.0-fake", "gitCommit": "",
                "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                "goVersion": "go1.22", "compiler": "gc", "platform": "linux/amd64"
            }),
            "/apis/batch/v1" => json!({
                "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "batch/v1",
                "resources": [{"name": "cronjobs", "singularName": "cronjob", "namespaced": true,
                               "kind": "CronJob", "verbs": ["get", "list"]}]
            }),
            // Spaces are JSON whitespace: the answer stays valid for as long as it drips.
            "/api/v1/pods" => return answer.drip("application/json", "{"),
            "/apis/apps/v1/deployments" => list(Some("again")),
            _ => list(None),
        };
        let body = serde_json::to_vec(&body).unwrap();
        answer.send(request, "200 OK", "application/json", "", &body);
    })
}

fn list(continue_token: Option<&str>) -> Value {
    json!({"kind": "List", "apiVersion": "v1",
           "metadata": {"resourceVersion": "1", "continue": continue_token}, "items": []})
}

#[test]
fn an_endless_continue_token_and_a_dripped_list_are_faults_within_the_deadline() {
    let server = api_server();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  \
             cluster:\n    server: http://{}\ncontexts:\n- name: fake\n  context:\n    \
             cluster: fake\n    user: nobody\nusers:\n- name: nobody\n  user: {{}}\n",
            server.host
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("vouch.toml"),
        format!(
            "[image]\nworkload_images = false\n\n[[target.kube]]\nname = \"fake\"\n\
             kubeconfig = \"{}\"\ntimeout = 1\n",
            kubeconfig.display()
        ),
    )
    .unwrap();
    let facts_path = dir.path().join("facts.json");
    let started = Instant::now();
    let out = vouch()
        .arg("scan")
        .arg(dir.path())
        .args(["--target", "fake", "--format", "json", "--dump-facts"])
        .arg(&facts_path)
        .env_remove("KUBECONFIG")
        // A vouch without the deadlines would list Deployments for ever: end the test instead.
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let took = started.elapsed();
    server.stop();
    let facts: Value = serde_json::from_str(&std::fs::read_to_string(&facts_path).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let cluster = &facts["kube"][0];
    assert_eq!(cluster["error"], Value::Null, "{cluster}");
    assert_eq!(cluster["version"], "v1.30.0-fake", "{cluster}");
    let cause = |kind: &str| -> String {
        let fault = array(cluster, "faults")
            .iter()
            .find(|f| f["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} fault: {cluster}"));
        text(fault, "cause").to_owned()
    };
    let deployments = cause("Deployment");
    assert!(
        deployments.contains("the same continue token twice"),
        "{deployments}"
    );
    let pods = cause("Pod");
    assert!(
        pods.contains("did not finish answering within 2 s"),
        "{pods}"
    );
    // A slow but legitimate LIST ends the same way: the cause names the setting that bounds it.
    assert!(pods.contains("2 times the target's `timeout`"), "{pods}");
    // The other kinds were read: only these two lists are faults.
    assert_eq!(array(cluster, "faults").len(), 2, "{cluster}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // All namespaces were listed: each fault is one `error` per k8s check on `k8s://fake/*/KIND`.
    for kind in ["Deployment", "Pod"] {
        let subject = format!("k8s://fake/*/{kind}");
        let statuses: Vec<&Value> = findings(&report)
            .iter()
            .filter(|f| f["subject"] == subject.as_str())
            .map(|f| &f["status"])
            .collect();
        assert!(!statuses.is_empty(), "no finding for {subject}");
        assert!(
            statuses.iter().all(|s| *s == "error"),
            "{subject}: {statuses:?}"
        );
    }
    // The drip lasts a minute: a scan that ended well before was cut by the deadline.
    assert!(took < Duration::from_secs(50), "the scan took {took:?}");
}
