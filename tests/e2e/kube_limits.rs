//! A Kubernetes API server that misbehaves in ways a real apiserver does not: it answers a LIST
//! with the same continue token for ever, or drips its answer slowly enough that no single read
//! times out. Each list must end as a fault (`error` findings for that kind) within its
//! deadline, and the other lists must complete. Served by a small in-test HTTP server.

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_http::{Answer, FakeHttp, Request};
use crate::harness::{array, element, findings, text, text_pair, vouch};

/// `/version`, batch/v1 discovery (CronJob), and empty lists, except the routes `special`
/// answers itself (it returns whether it did).
fn fake_api(
    special: impl Fn(&Request, &mut Answer<'_>) -> bool + Send + Sync + 'static,
) -> FakeHttp {
    FakeHttp::start(move |request: &Request, answer: &mut Answer<'_>| {
        if special(request, answer) {
            return;
        }
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
            _ => list(None),
        };
        let body = serde_json::to_vec(&body).unwrap();
        answer.send(request, "200 OK", "application/json", "", &body);
    })
}

/// Deployments always answer the continue token `again`, and Pods are dripped.
fn api_server() -> FakeHttp {
    fake_api(|request, answer| match request.route() {
        // Spaces are JSON whitespace: the answer stays valid for as long as it drips.
        "/api/v1/pods" => {
            answer.drip("application/json", "{");
            true
        }
        "/apis/apps/v1/deployments" => {
            let body = serde_json::to_vec(&list(Some("again"))).unwrap();
            answer.send(request, "200 OK", "application/json", "", &body);
            true
        }
        _ => false,
    })
}

fn list(continue_token: Option<&str>) -> Value {
    json!({"kind": "List", "apiVersion": "v1",
           "metadata": {"resourceVersion": "1", "continue": continue_token}, "items": []})
}

/// A kubeconfig whose current context `fake` reaches the server at `host`, without credentials.
fn kubeconfig_for(host: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  \
         cluster:\n    server: http://{host}\ncontexts:\n- name: fake\n  context:\n    \
         cluster: fake\n    user: nobody\nusers:\n- name: nobody\n  user: {{}}\n"
    )
}

/// The `[[target.kube]]` named `fake`, with `timeout` seconds, whose kubeconfig (written into
/// `dir`) reaches the fake server at `host`.
fn fake_target(dir: &std::path::Path, host: &str, timeout: u64) -> String {
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, kubeconfig_for(host)).unwrap();
    format!(
        "[[target.kube]]\nname = \"fake\"\nkubeconfig = \"{}\"\ntimeout = {timeout}\n",
        kubeconfig.display()
    )
}

/// `vouch scan DIR --target T…` with `targets` (TOML) as the configuration, cut after two
/// minutes: the facts, the report, and how long it took.
fn scan(dir: &std::path::Path, targets: &str, names: &[&str]) -> (Value, Value, Duration) {
    std::fs::write(
        dir.join("vouch.toml"),
        format!("[image]\nworkload_images = false\n\n{targets}"),
    )
    .unwrap();
    let facts_path = dir.join("facts.json");
    let started = Instant::now();
    let out = vouch()
        .arg("scan")
        .arg(dir)
        .args(names.iter().flat_map(|n| ["--target", n]))
        .args(["--format", "json", "--dump-facts"])
        .arg(&facts_path)
        .env_remove("KUBECONFIG")
        // A vouch without its bounds would read for ever: end the test instead.
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let took = started.elapsed();
    let facts: Value = serde_json::from_str(&std::fs::read_to_string(&facts_path).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (facts, report, took)
}

/// Scans the one target `fake` (the fake `server`, with `timeout` seconds) from a fresh
/// directory, then stops the server: the facts, the report, and how long the scan took.
fn scan_fake(server: FakeHttp, timeout: u64) -> (Value, Value, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let target = fake_target(dir.path(), &server.host, timeout);
    let scanned = scan(dir.path(), &target, &["fake"]);
    server.stop();
    scanned
}

/// The statuses of the findings on `subject`, by check.
fn statuses(report: &Value, subject: &str) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"] == subject)
        .map(|f| text_pair(f, "check", "status"))
        .collect()
}

#[test]
fn an_endless_continue_token_and_a_dripped_list_are_faults_within_the_deadline() {
    // Without the deadlines vouch would list Deployments for ever: `scan` ends the test instead.
    let (facts, report, took) = scan_fake(api_server(), 1);
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

/// Asserts `subject` has one `error` finding per k8s check, and more than one check.
fn one_error_per_check(report: &Value, subject: &str) {
    let found = statuses(report, subject);
    assert!(found.len() > 1, "{subject}: {found:?}");
    assert!(
        found.iter().all(|(_, s)| s == "error"),
        "{subject}: {found:?}"
    );
    let mut checks: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    checks.sort_unstable();
    checks.dedup();
    assert_eq!(checks.len(), found.len(), "{subject}: {found:?}");
}

#[test]
fn a_kubeconfig_that_is_a_fifo_or_oversized_is_an_error_and_the_scan_goes_on() {
    let server = fake_api(|_, _| false);
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("kubeconfig");
    std::fs::write(&good, kubeconfig_for(&server.host)).unwrap();
    // A blocking read of a FIFO waits for a writer for ever.
    let fifo = dir.path().join("kubeconfig.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // A valid kubeconfig for the same server, padded with comments past the 16 MiB limit: read
    // whole, it would be a working cluster.
    let big = dir.path().join("kubeconfig.big");
    let mut text = kubeconfig_for(&server.host);
    let comment = format!("# {}\n", "x".repeat(1021));
    text.push_str(&comment.repeat(17 * 1024));
    std::fs::write(&big, text).unwrap();
    // A kubeconfig whose cluster's certificate authority is a FIFO (kube-rs reads it whole).
    let ca = dir.path().join("kubeconfig.ca");
    let text = kubeconfig_for(&server.host).replace("fake", "ca").replace(
        "    server:",
        "    certificate-authority: ca.fifo\n    server:",
    );
    std::fs::write(&ca, text).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("ca.fifo"))
        .status()
        .unwrap();
    assert!(made.success());
    let targets = format!(
        "[[target.kube]]\nname = \"good\"\nkubeconfig = \"{}\"\ntimeout = 5\n\n\
         [[target.kube]]\nname = \"fifo\"\nkubeconfig = \"{}\"\ntimeout = 5\n\n\
         [[target.kube]]\nname = \"big\"\nkubeconfig = \"{}\"\ntimeout = 5\n\n\
         [[target.kube]]\nname = \"ca\"\nkubeconfig = \"{}\"\ntimeout = 5\n",
        good.display(),
        fifo.display(),
        big.display(),
        ca.display()
    );
    let (facts, report, took) = scan(dir.path(), &targets, &["good", "fifo", "big", "ca"]);
    server.stop();
    let cluster = |name: &str| element(&facts, "kube", "target", name);
    // The working kubeconfig still works, next to the two refused ones.
    assert_eq!(cluster("good")["error"], Value::Null, "{}", cluster("good"));
    assert_eq!(cluster("good")["version"], "v1.30.0-fake");
    let error = |name: &str| {
        cluster(name)["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // The facts name files below the scanned directory relative to it.
    let fifo_error = error("fifo");
    assert_eq!(
        fifo_error,
        "kubeconfig kubeconfig.fifo: is a FIFO, not a regular file"
    );
    let big_error = error("big");
    assert!(
        big_error.starts_with("kubeconfig kubeconfig.big: is ")
            && big_error.ends_with("bytes or more, over the limit of 16 MiB"),
        "{big_error}"
    );
    let ca_error = error("ca");
    assert!(
        ca_error.starts_with(
            "kubeconfig kubeconfig.ca, context `ca`: cannot read certificate-authority "
        ) && ca_error.ends_with("ca.fifo: is a FIFO, not a regular file"),
        "{ca_error}"
    );
    // Each finding says why, naming the file.
    for (subject, says) in [
        ("k8s://fifo", fifo_error.as_str()),
        ("k8s://big", "kubeconfig.big: is "),
        ("k8s://ca", "ca.fifo: is a FIFO"),
    ] {
        for finding in report["findings"].as_array().unwrap() {
            if finding["subject"] == subject {
                assert!(finding.to_string().contains(says), "{finding}");
            }
        }
    }
    // A cluster that cannot be read is one `error` per k8s check on `k8s://TARGET`.
    one_error_per_check(&report, "k8s://fifo");
    one_error_per_check(&report, "k8s://big");
    one_error_per_check(&report, "k8s://ca");
    // The working cluster (context `fake`, no workloads) has no `error` finding.
    for finding in report["findings"].as_array().unwrap() {
        let on_good = finding["subject"]
            .as_str()
            .unwrap()
            .starts_with("k8s://fake");
        assert!(!(on_good && finding["status"] == "error"), "{finding}");
    }
    assert!(took < Duration::from_secs(60), "the scan took {took:?}");
}

/// More than the 64 MiB a response may have: a valid, empty Pod list padded with JSON
/// whitespace, sent as fast as the client reads it.
const OVERSIZED_LIST_BYTES: usize = 65 * 1024 * 1024;

#[test]
fn an_oversized_list_answer_is_a_fault_naming_the_limit() {
    let server = fake_api(|request, answer| {
        if request.route() != "/api/v1/pods" {
            return false;
        }
        let json = serde_json::to_vec(&list(None)).unwrap();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {OVERSIZED_LIST_BYTES}\r\n\
             Connection: close\r\n\r\n"
        );
        let spaces = vec![b' '; 1024 * 1024];
        let mut sent = json.len();
        let mut write = |bytes: &[u8]| answer.stream.write_all(bytes).is_ok();
        if write(head.as_bytes()) && write(&json) {
            while sent < OVERSIZED_LIST_BYTES {
                let n = spaces.len().min(OVERSIZED_LIST_BYTES - sent);
                if !write(&spaces[..n]) {
                    break;
                }
                sent += n;
            }
        }
        true
    });
    // A deadline long enough that only the size bound can end the Pod list.
    let (facts, report, took) = scan_fake(server, 15);
    let cluster = &facts["kube"][0];
    assert_eq!(cluster["error"], Value::Null, "{cluster}");
    let faults = cluster["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{cluster}");
    assert_eq!(faults[0]["kind"], "Pod", "{cluster}");
    let cause = faults[0]["cause"].as_str().unwrap();
    assert!(cause.contains("over the limit of 64 MiB"), "{cause}");
    assert!(!cause.contains("did not finish answering"), "{cause}");
    one_error_per_check(&report, "k8s://fake/*/Pod");
    assert!(took < Duration::from_secs(30), "the scan took {took:?}");
}

/// A kubeconfig whose context `context` reaches `host` as a user that gets its credential
/// from the exec plugin `plugin` (a script).
fn kubeconfig_with_exec(context: &str, host: &str, plugin: &std::path::Path) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {context}\nclusters:\n- name: fake\n  \
         cluster:\n    server: http://{host}\ncontexts:\n- name: {context}\n  context:\n    \
         cluster: fake\n    user: plugin\nusers:\n- name: plugin\n  user:\n    exec:\n      \
         apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      \
         interactiveMode: Never\n",
        plugin.display()
    )
}

/// Writes an executable shell script.
fn script(path: &std::path::Path, body: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn an_exec_credential_plugin_is_run_within_the_deadline_and_its_token_never_shown() {
    const TOKEN: &str = "vouch-exec-token-3f9a7c";
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let recorded = std::sync::Arc::clone(&seen);
    let server = fake_api(move |request, _| {
        if let Some(value) = &request.authorization {
            recorded.lock().unwrap().push(value.clone());
        }
        false
    });
    let dir = tempfile::tempdir().unwrap();
    // A plugin that answers, and one that waits for ever (a login nobody completes), its pid
    // written down so the test can see it was stopped.
    let answers = dir.path().join("answers.sh");
    script(
        &answers,
        &format!(
            "echo '{{\"apiVersion\": \"client.authentication.k8s.io/v1\", \
             \"kind\": \"ExecCredential\", \"status\": {{\"token\": \"{TOKEN}\"}}}}'"
        ),
    );
    let waits = dir.path().join("waits.sh");
    let pid_file = dir.path().join("waits.pid");
    script(
        &waits,
        &format!("echo $$ > {}\nexec sleep 600", pid_file.display()),
    );
    for (name, plugin) in [("answers", &answers), ("waits", &waits)] {
        std::fs::write(
            dir.path().join(format!("{name}.kubeconfig")),
            kubeconfig_with_exec(name, &server.host, plugin),
        )
        .unwrap();
    }
    let targets = ["answers", "waits"]
        .iter()
        .map(|name| {
            format!(
                "[[target.kube]]\nname = \"{name}\"\nkubeconfig = \"{}\"\ntimeout = 1\n",
                dir.path().join(format!("{name}.kubeconfig")).display()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (facts, report, took) = scan(dir.path(), &targets, &["answers", "waits"]);
    server.stop();
    // The plugin's token was sent to the API server, and the cluster was read.
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|v| v == &format!("Bearer {TOKEN}")),
        "{:?}",
        seen.lock().unwrap()
    );
    let by_context = |context: &str| element(&facts, "kube", "context", context).clone();
    let answered = by_context("answers");
    assert_eq!(answered["error"], Value::Null, "{answered}");
    assert_eq!(answered["version"], "v1.30.0-fake", "{answered}");
    // The waiting plugin is stopped at the deadline (2 × timeout): an error naming it.
    let waited = by_context("waits");
    let cause = text(&waited, "error");
    assert!(
        cause.contains("waits.sh") && cause.contains("did not answer within 2 s"),
        "{cause}"
    );
    one_error_per_check(&report, "k8s://waits");
    assert!(took < Duration::from_secs(60), "the scan took {took:?}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let alive = std::process::Command::new("kill")
        .args(["-0", pid.trim()])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!alive.success(), "the plugin (pid {pid}) still runs");
    // The token is in neither the facts nor the report.
    assert!(
        !facts.to_string().contains(TOKEN),
        "the facts carry the token"
    );
    assert!(
        !report.to_string().contains(TOKEN),
        "the report carries the token"
    );
}

/// Whether process `pid` still runs (a zombie waiting to be reaped does not).
fn runs(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

#[test]
fn an_interrupted_scan_stops_the_plugin_and_what_it_started() {
    // The plugin runs in a process group of its own, so the terminal's Ctrl-C (or a signal to
    // vouch's group) no longer reaches it: vouch kills its group before ending.
    let server = fake_api(|_, _| false);
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("hangs.sh");
    let pid_file = dir.path().join("pids");
    // Its own pid and its child's, written at once.
    script(
        &plugin,
        &format!(
            "sleep 300 & echo $$ $! > {0}.tmp; mv {0}.tmp {0}\nsleep 300",
            pid_file.display()
        ),
    );
    let kubeconfig = dir.path().join("hangs.kubeconfig");
    std::fs::write(
        &kubeconfig,
        kubeconfig_with_exec("hangs", &server.host, &plugin),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("vouch.toml"),
        format!(
            "[image]\nworkload_images = false\n\n[[target.kube]]\nname = \"hangs\"\n\
             kubeconfig = \"{}\"\ntimeout = 60\n",
            kubeconfig.display()
        ),
    )
    .unwrap();
    let mut scan = std::process::Command::new(assert_cmd::cargo::cargo_bin("vouch"))
        .arg("scan")
        .arg(dir.path())
        .args(["--target", "hangs", "--format", "json"])
        .env_remove("KUBECONFIG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !pid_file.exists() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let pids = std::fs::read_to_string(&pid_file).expect("the plugin started its child");
    let (plugin_pid, child) = pids.trim().split_once(' ').unwrap();
    std::process::Command::new("kill")
        .args(["-INT", &scan.id().to_string()])
        .status()
        .unwrap();
    let ended = Instant::now();
    let status = loop {
        if let Some(status) = scan.try_wait().unwrap() {
            break Some(status);
        }
        if ended.elapsed() > Duration::from_secs(20) {
            let _ = scan.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    while runs(child) && ended.elapsed() < Duration::from_secs(25) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let still_runs = runs(child);
    // Whatever is left (on a failure) is not left to the machine: the plugin's group and child.
    let _ = std::process::Command::new("kill")
        .args(["-9", "--", &format!("-{plugin_pid}"), plugin_pid, child])
        .stderr(std::process::Stdio::null())
        .status();
    server.stop();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(130),
        "vouch ends as SIGINT would"
    );
    assert!(!still_runs, "the plugin's child (pid {child}) still runs");
}
