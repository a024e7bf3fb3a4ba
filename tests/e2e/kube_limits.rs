//! A Kubernetes API server that misbehaves in ways a real apiserver does not: it answers a LIST
//! with the same continue token for ever, or drips its answer slowly enough that no single read
//! times out. Each list must end as a fault (`error` findings for that kind) within its
//! deadline, and the other lists must complete. Served by a small in-test HTTP server.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::vouch;

struct FakeApiServer {
    host: String,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl FakeApiServer {
    fn start() -> FakeApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(stream) = stream else { return };
                let stopping = Arc::clone(&stopping);
                std::thread::spawn(move || answer(stream, &stopping));
            }
        });
        FakeApiServer { host, stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(&self.host);
        self.thread.join().unwrap();
    }
}

/// `/version`, batch/v1 discovery (CronJob), and empty lists, except: Deployments always answer
/// the continue token `again`, and Pods are dripped.
fn answer(mut stream: TcpStream, stopping: &AtomicBool) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let path = first.split_whitespace().nth(1).unwrap_or_default();
    let route = path.split('?').next().unwrap_or_default();
    let body = match route {
        "/version" => json!({
            "major": "1", "minor": "30", "gitVersion": "v1.30.0-fake", "gitCommit": "",
            "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.22",
            "compiler": "gc", "platform": "linux/amd64"
        }),
        "/apis/batch/v1" => json!({
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "batch/v1",
            "resources": [{"name": "cronjobs", "singularName": "cronjob", "namespaced": true,
                           "kind": "CronJob", "verbs": ["get", "list"]}]
        }),
        "/api/v1/pods" => return drip(&mut stream, stopping),
        "/apis/apps/v1/deployments" => list(Some("again")),
        _ => list(None),
    };
    let body = serde_json::to_vec(&body).unwrap();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

fn list(continue_token: Option<&str>) -> Value {
    json!({"kind": "List", "apiVersion": "v1",
           "metadata": {"resourceVersion": "1", "continue": continue_token}, "items": []})
}

/// Headers promising 100 kB, then a space every 200 ms (still valid JSON whitespace): each read
/// completes well inside the request timeout. Stops when the client hangs up, or after a minute.
fn drip(stream: &mut TcpStream, stopping: &AtomicBool) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\
                Connection: close\r\n\r\n{";
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let started = Instant::now();
    while !stopping.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
        if stream
            .write_all(b" ")
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
    }
}

#[test]
fn an_endless_continue_token_and_a_dripped_list_are_faults_within_the_deadline() {
    let server = FakeApiServer::start();
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
        let faults = cluster["faults"].as_array().unwrap();
        let fault = faults
            .iter()
            .find(|f| f["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} fault: {cluster}"));
        fault["cause"].as_str().unwrap().to_owned()
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
    // The other kinds were read: only these two lists are faults.
    assert_eq!(cluster["faults"].as_array().unwrap().len(), 2, "{cluster}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    // All namespaces were listed: each fault is one `error` per k8s check on `k8s://fake/*/KIND`.
    for kind in ["Deployment", "Pod"] {
        let subject = format!("k8s://fake/*/{kind}");
        let statuses: Vec<&Value> = findings
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
