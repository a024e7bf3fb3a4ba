//! `vouch scan --target` against a REAL kube-apiserver v1.20.2 and etcd, both started by the
//! test on free ports in a temp dir and stopped on drop. The test creates workloads through the
//! API with kubectl and an admin token (test setup may write; vouch only reads), then checks that
//! the five workload checks judge the live objects, that faults (403 in one namespace, an
//! unreachable server, a rejected token, an unknown context) are one-line `error` findings while
//! the rest of the scan completes, and that no secret reaches the output. The workload checks'
//! `cluster-unreachable` and `list-forbidden` facts fixtures are cut from the faults scan.
//!
//! kube-apiserver is built once by `scripts/kube-apiserver` (which `scripts/test` runs); the path
//! comes from `VOUCH_KUBE_APISERVER` or the cache. Without it (or etcd, kubectl, openssl) the test
//! skips with a loud message, except under `CI=true`, where it fails.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{
    array, element, findings_by_key, keyed, message, printed, strings, text, vouch,
};
use crate::harness::{free_port, run};
use crate::live_fixtures::Fragment;

const ADMIN_TOKEN: &str = "vouch-e2e-admin-token-Ld83kQ7";
const VIEWER_TOKEN: &str = "vouch-e2e-viewer-token-p2Xw7Tn";
/// A literal value of a secret-named env var in a live workload: it must appear nowhere.
const SECRET_VALUE: &str = "s3cr3t-live-value-Zq9vB4";
/// The digest-pinned image of the hardened workloads.
const PINNED: &str = "registry.example/acme/api@sha256:4b1f3c2d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c";

/// How long etcd and the apiserver may take to become ready (5–6 s idle for the apiserver).
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// The programs the test needs, or `None` after a loud message (a panic under CI).
pub(crate) fn programs() -> Option<(PathBuf, PathBuf)> {
    let cache = std::env::var_os("VOUCH_TEST_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/vouch")))
        .unwrap_or_default();
    let apiserver = std::env::var_os("VOUCH_KUBE_APISERVER")
        .map_or_else(|| cache.join("kube/kube-apiserver-v1.20.2"), PathBuf::from);
    let mut missing = Vec::new();
    if !apiserver.is_file() {
        missing.push(format!("kube-apiserver ({})", apiserver.display()));
    }
    for tool in ["etcd", "kubectl", "openssl"] {
        if which(tool).is_none() {
            missing.push(tool.to_owned());
        }
    }
    if missing.is_empty() {
        return Some((apiserver, which("etcd").unwrap()));
    }
    let message = format!(
        "kube_live: missing {}: run scripts/kube-apiserver (or scripts/test), which builds \
         kube-apiserver v1.20.2 once and installs etcd and kubectl",
        missing.join(", ")
    );
    assert!(!crate::harness::in_ci(), "{message}");
    eprintln!("\n!!!!! SKIPPED: {message} !!!!!\n");
    None
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// etcd + kube-apiserver in a temp dir; killed (apiserver first) when dropped.
pub(crate) struct KubeServer {
    dir: tempfile::TempDir,
    port: u16,
    /// A port nobody listens on: the `gone` cluster's.
    gone: u16,
    etcd: Child,
    apiserver: Option<Child>,
}

impl KubeServer {
    pub(crate) fn start(apiserver: &Path, etcd: &Path) -> KubeServer {
        let dir = tempfile::Builder::new()
            .prefix("vouch-kube")
            .tempdir()
            .unwrap();
        let (client, peer) = (free_port(), free_port());
        let etcd = spawn_logged(
            Command::new(etcd).args([
                "--name=t",
                &format!("--data-dir={}", dir.path().join("etcd").display()),
                &format!("--listen-client-urls=http://127.0.0.1:{client}"),
                &format!("--advertise-client-urls=http://127.0.0.1:{client}"),
                &format!("--listen-peer-urls=http://127.0.0.1:{peer}"),
                &format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer}"),
                &format!("--initial-cluster=t=http://127.0.0.1:{peer}"),
            ]),
            &dir.path().join("etcd.log"),
        );
        let mut server = KubeServer {
            port: free_port(),
            gone: free_port(),
            etcd,
            apiserver: None,
            dir,
        };
        server.wait_for("etcd", || http_get_ok(client, "/health"));
        server.write_credentials();
        let d = server.dir.path();
        let child = spawn_logged(
            Command::new(apiserver).args([
                format!("--etcd-servers=http://127.0.0.1:{client}"),
                "--bind-address=127.0.0.1".to_owned(),
                "--advertise-address=127.0.0.1".to_owned(),
                format!("--secure-port={}", server.port),
                "--insecure-port=0".to_owned(),
                format!("--cert-dir={}", d.join("certs").display()),
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local".to_owned(),
                format!("--service-account-key-file={}", d.join("sa.pub").display()),
                format!(
                    "--service-account-signing-key-file={}",
                    d.join("sa.key").display()
                ),
                "--service-cluster-ip-range=10.96.0.0/24".to_owned(),
                format!("--token-auth-file={}", d.join("tokens.csv").display()),
                "--authorization-mode=Node,RBAC".to_owned(),
                "--disable-admission-plugins=ServiceAccount".to_owned(),
                "--endpoint-reconciler-type=none".to_owned(),
                "--allow-privileged=true".to_owned(),
                "--anonymous-auth=false".to_owned(),
                format!(
                    "--audit-policy-file={}",
                    d.join("audit-policy.yaml").display()
                ),
                format!("--audit-log-path={}", d.join("audit.log").display()),
            ]),
            &d.join("apiserver.log"),
        );
        server.apiserver = Some(child);
        server.write_kubeconfig();
        server.wait_for("kube-apiserver", || {
            server
                .kubectl(&["get", "--raw", "/readyz"])
                .is_ok_and(|out| out.trim() == "ok")
        });
        server
    }

    fn wait_for(&self, what: &str, ready: impl Fn() -> bool) {
        let start = Instant::now();
        while !ready() {
            assert!(
                start.elapsed() < READY_TIMEOUT,
                "{what} not ready within {READY_TIMEOUT:?}\netcd log: {}\napiserver log: {}",
                self.log("etcd.log"),
                self.log("apiserver.log")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(30).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// Service-account keys (required flags) and the token file: admin in system:masters, and a
    /// viewer whose rights the test grants with RBAC.
    fn write_credentials(&self) {
        let d = self.dir.path();
        run(
            Command::new("openssl")
                .args(["genrsa", "-out"])
                .arg(d.join("sa.key"))
                .arg("2048"),
            "openssl genrsa",
        );
        run(
            Command::new("openssl")
                .args(["rsa", "-in"])
                .arg(d.join("sa.key"))
                .args(["-pubout", "-out"])
                .arg(d.join("sa.pub")),
            "openssl rsa",
        );
        // Every request is logged with its verb and user agent: the proof that vouch only reads.
        std::fs::write(
            d.join("audit-policy.yaml"),
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n",
        )
        .unwrap();
        std::fs::write(
            d.join("tokens.csv"),
            format!("{ADMIN_TOKEN},admin,1,\"system:masters\"\n{VIEWER_TOKEN},viewer,2\n"),
        )
        .unwrap();
    }

    /// Contexts: admin and viewer on the server, a server nobody listens on, an unknown token.
    fn write_kubeconfig(&self) {
        let ca = self.dir.path().join("certs/apiserver.crt");
        let ca = ca.display();
        let (port, gone) = (self.port, self.gone);
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: admin-ctx\nclusters:\n\
             - name: live\n  cluster: {{server: 'https://127.0.0.1:{port}', certificate-authority: '{ca}'}}\n\
             - name: gone\n  cluster: {{server: 'https://127.0.0.1:{gone}', certificate-authority: '{ca}'}}\n\
             users:\n- name: admin\n  user: {{token: {ADMIN_TOKEN}}}\n\
             - name: viewer\n  user: {{token: {VIEWER_TOKEN}}}\n\
             - name: stranger\n  user: {{token: not-a-known-token}}\n\
             contexts:\n\
             - name: admin-ctx\n  context: {{cluster: live, user: admin}}\n\
             - name: viewer-ctx\n  context: {{cluster: live, user: viewer}}\n\
             - name: gone-ctx\n  context: {{cluster: gone, user: admin}}\n\
             - name: stranger-ctx\n  context: {{cluster: live, user: stranger}}\n"
        );
        std::fs::write(self.kubeconfig(), text).unwrap();
    }

    pub(crate) fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// kubectl as the admin; `Err(stderr)` when it fails.
    fn kubectl(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(self.kubeconfig())
            .args(["--context", "admin-ctx", "--request-timeout=10s"])
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    pub(crate) fn apply(&self, name: &str, yaml: &str) {
        let path = self.dir.path().join(name);
        std::fs::write(&path, yaml).unwrap();
        if let Err(e) = self.kubectl(&["apply", "-f", &path.display().to_string()]) {
            panic!(
                "kubectl apply {name} failed: {e}\napiserver log: {}",
                self.log("apiserver.log")
            );
        }
    }
}

impl Drop for KubeServer {
    fn drop(&mut self) {
        if let Some(apiserver) = &mut self.apiserver {
            let _ = apiserver.kill();
            let _ = apiserver.wait();
        }
        let _ = self.etcd.kill();
        let _ = self.etcd.wait();
    }
}

fn spawn_logged(cmd: &mut Command, log: &Path) -> Child {
    let file = std::fs::File::create(log).unwrap();
    cmd.stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"))
}

/// `true` when `GET path` on 127.0.0.1:port answers 200 (plain HTTP; etcd's /health).
fn http_get_ok(port: u16, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.starts_with("HTTP/1.1 200")
}

/// A pod spec: hardened (non-root, read-only root, no escalation, digest image) or not.
fn pod_spec(hardened: bool, image: &str, extra_container: &str, extra_pod: &str) -> String {
    let security = if hardened {
        "securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, \
         capabilities: {drop: [ALL]}}"
    } else {
        "securityContext: {privileged: true}"
    };
    let pod_security = if hardened {
        "securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}"
    } else {
        "hostNetwork: true"
    };
    format!(
        "{pod_security}\n{extra_pod}containers:\n- name: main\n  image: {image}\n  {security}\n{extra_container}"
    )
}

/// Indents a block by `n` spaces (the pod spec goes under different parents per kind).
fn indent(block: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    block
        .lines()
        .flat_map(|l| [pad.as_str(), l, "\n"])
        .collect()
}

fn with_template(
    kind: &str,
    api: &str,
    name: &str,
    ns: &str,
    spec_extra: &str,
    pod: &str,
) -> String {
    format!(
        "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n\
         {spec_extra}  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    \
         metadata: {{labels: {{app: {name}}}}}\n    spec:\n{}",
        indent(pod, 6)
    )
}

/// The workloads of namespace `shop` (and one in `vault`), good and bad, of every kind.
fn workloads_yaml() -> String {
    let hardened = pod_spec(
        true,
        PINNED,
        "  env: [{name: LOG_LEVEL, value: info}]\n",
        "",
    );
    let privileged = pod_spec(
        false,
        "busybox:1.36",
        &format!("  env: [{{name: DB_PASSWORD, value: {SECRET_VALUE}}}]\n"),
        "",
    );
    let root_db = "securityContext: {runAsUser: 0}\ncontainers:\n- name: db\n  image: postgres:15\n  \
                   securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}\n";
    let host_path = pod_spec(
        true,
        PINNED,
        "  volumeMounts: [{name: root, mountPath: /host}]\n",
        "volumes: [{name: root, hostPath: {path: /}}]\n",
    );
    let job_pod = format!("restartPolicy: Never\n{hardened}");
    let cron_pod = "restartPolicy: OnFailure\ncontainers:\n- name: report\n  image: busybox:1.36\n";
    let debug_pod = pod_spec(
        true,
        PINNED,
        &format!("  env: [{{name: API_TOKEN, value: {SECRET_VALUE}}}]\n"),
        "",
    );
    let owned_pod = pod_spec(false, "busybox:1.36", "", "");
    [
        with_template("Deployment", "apps/v1", "hardened", "shop", "", &hardened),
        with_template("Deployment", "apps/v1", "privileged", "shop", "", &privileged),
        with_template("StatefulSet", "apps/v1", "db", "shop", "  serviceName: db\n", root_db),
        with_template("DaemonSet", "apps/v1", "agent", "shop", "", &host_path),
        with_template("Deployment", "apps/v1", "vault-api", "vault", "", &hardened),
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: migrate, namespace: shop}}\nspec:\n  \
             template:\n    spec:\n{}",
            indent(&job_pod, 6)
        ),
        format!(
            "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {{name: nightly, namespace: shop}}\n\
             spec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n{}",
            indent(cron_pod, 10)
        ),
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: debug, namespace: shop}}\nspec:\n{}",
            indent(&debug_pod, 2)
        ),
        // A ReplicaSet made without a Deployment: judged itself (its pods are skipped).
        with_template("ReplicaSet", "apps/v1", "standalone", "shop", "", &privileged),
        // A Deployment's ReplicaSet (no controller-manager runs here, so it is made by hand):
        // judged on the Deployment, never itself.
        format!(
            "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: hardened-7d9f\n  namespace: shop\n  \
             ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: hardened, \
             uid: 5f0c1a52-6d1e-4a57-9a8e-0d4c2b7e9f11, controller: true}}]\nspec:\n  \
             selector: {{matchLabels: {{app: hardened}}}}\n  template:\n    metadata: {{labels: {{app: hardened}}}}\n    \
             spec:\n{}",
            indent(&owned_pod, 6)
        ),
        // Run by a ReplicaSet (as a Deployment's pods are): judged on its owner, never itself.
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hardened-7d9f-x2x4\n  namespace: shop\n  \
             ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: hardened-7d9f, \
             uid: d9607e19-f88f-11e6-a518-42010a800195, controller: true}}]\nspec:\n{}",
            indent(&owned_pod, 2)
        ),
    ]
    .join("---\n")
}

/// The viewer may list workloads in `shop` only.
const VIEWER_RBAC: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: workload-reader, namespace: shop}
rules:
- apiGroups: ['', apps, batch]
  resources: [pods, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs]
  verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewer-reads-workloads, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: workload-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: viewer}
";

fn seed(server: &KubeServer) {
    server.apply(
        "namespaces.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
         apiVersion: v1\nkind: Namespace\nmetadata: {name: vault}\n",
    );
    server.apply("rbac.yaml", VIEWER_RBAC);
    server.apply("workloads.yaml", &workloads_yaml());
}

fn write_config(server: &KubeServer) -> PathBuf {
    let repo = server.dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let kubeconfig = server.kubeconfig().display().to_string();
    let target = |name: &str, context: &str, extra: &str| {
        format!(
            "[[target.kube]]\nname = \"{name}\"\nkubeconfig = \"{kubeconfig}\"\n\
             context = \"{context}\"\n{extra}\n"
        )
    };
    let config = [
        // Registry verification of workload images is tests/e2e/images.rs' subject; this test
        // stays off the network (busybox would be looked up on Docker Hub).
        "[image]\nworkload_images = false\n\n".to_owned(),
        target("admin", "admin-ctx", ""),
        target(
            "viewer",
            "viewer-ctx",
            "namespaces = [\"shop\", \"vault\"]\n",
        ),
        target("gone", "gone-ctx", "timeout = 5\n"),
        target("stranger", "stranger-ctx", ""),
        target("typo", "no-such-ctx", ""),
    ]
    .concat();
    std::fs::write(repo.join("vouch.toml"), config).unwrap();
    std::fs::write(repo.join("Dockerfile"), "FROM debian:12\n").unwrap();
    repo
}

struct Scan {
    code: i32,
    report: Value,
    facts: Value,
    /// stdout + stderr + facts file, for the secret search.
    everything: String,
}

fn scan(repo: &Path, selection: &[&str]) -> Scan {
    let facts_path = repo.join("facts.json");
    let out = vouch()
        .arg("scan")
        .arg(repo)
        .args(selection)
        .args(["--format", "json", "--dump-facts"])
        .arg(&facts_path)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let facts_text = std::fs::read_to_string(&facts_path).unwrap();
    Scan {
        code: out.status.code().unwrap_or(-1),
        report,
        facts: serde_json::from_str(&facts_text).unwrap(),
        everything: printed(&out) + &facts_text,
    }
}

/// Every request vouch (user agent `vouch/…`) sent was a GET or LIST; returns their count.
fn assert_vouch_only_read(server: &KubeServer) -> usize {
    let log = std::fs::read_to_string(server.dir.path().join("audit.log")).unwrap();
    let requests: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| {
            e["userAgent"]
                .as_str()
                .is_some_and(|ua| ua.starts_with("vouch/"))
        })
        .collect();
    for request in &requests {
        assert!(
            matches!(request["verb"].as_str(), Some("get" | "list")),
            "vouch sent a {} {}",
            request["verb"],
            request["requestURI"]
        );
    }
    requests.len()
}

fn assert_no_secrets(scan: &Scan) {
    for secret in [SECRET_VALUE, ADMIN_TOKEN, VIEWER_TOKEN, "not-a-known-token"] {
        assert!(
            !scan.everything.contains(secret),
            "{secret} leaked into vouch's output or facts"
        );
    }
}

/// Every workload kind the collector reads.
const WORKLOAD_KINDS: [&str; 7] = [
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Pod",
];

/// (check, subject that must pass, subject that must fail) on the admin's live workloads.
const EXPECTED: &[(&str, &str, &str)] = &[
    (
        "k8s-run-as-non-root",
        "shop/Deployment/hardened",
        "shop/Deployment/privileged",
    ),
    (
        "k8s-run-as-non-root",
        "shop/Job/migrate",
        "shop/StatefulSet/db",
    ),
    (
        "k8s-no-privileged",
        "shop/Deployment/hardened",
        "shop/Deployment/privileged",
    ),
    (
        "k8s-no-privileged",
        "shop/Pod/debug",
        "shop/DaemonSet/agent",
    ),
    (
        "k8s-read-only-root-fs",
        "shop/Deployment/hardened",
        "shop/Deployment/privileged",
    ),
    (
        "k8s-read-only-root-fs",
        "shop/StatefulSet/db",
        "shop/CronJob/nightly",
    ),
    (
        "k8s-secrets-not-in-env",
        "shop/Deployment/hardened",
        "shop/Deployment/privileged",
    ),
    (
        "k8s-secrets-not-in-env",
        "shop/Job/migrate",
        "shop/Pod/debug",
    ),
    ("image-digest-pinned", PINNED, "busybox:1.36"),
];

fn assert_admin_view(scan: &Scan) {
    let by_key = findings_by_key(&scan.report);
    for (check, pass, fail) in EXPECTED {
        for (subject, status) in [(pass, "pass"), (fail, "fail")] {
            let f = keyed(&by_key, check, subject);
            assert_eq!(f["status"], status, "{check} {subject}: {f}");
            let uri = f["location"]["uri"].as_str().unwrap_or_default();
            assert!(
                uri.starts_with("k8s://admin-ctx/shop/"),
                "{check} {subject}: {f}"
            );
        }
    }
    assert_eq!(
        keyed(&by_key, "k8s-no-privileged", "shop/Deployment/hardened")["location"]["uri"],
        "k8s://admin-ctx/shop/Deployment/hardened"
    );
    // The controller-owned Pod and the Deployment's ReplicaSet are judged on their owner only;
    // the ReplicaSet made without a Deployment is judged itself.
    assert!(!by_key.keys().any(|(_, s)| s.contains("hardened-7d9f")));
    let standalone = keyed(&by_key, "k8s-no-privileged", "shop/ReplicaSet/standalone");
    assert_eq!(standalone["status"], "fail", "{standalone}");
    // All namespaces: the admin also sees `vault`.
    assert!(by_key.contains_key(&(
        "k8s-run-as-non-root".to_owned(),
        "vault/Deployment/vault-api".to_owned()
    )));
    assert!(
        !by_key.keys().any(|(_, s)| s.starts_with("k8s://")),
        "no fault for the admin"
    );
    let cluster = &scan.facts["kube"][0];
    assert_eq!(cluster["version"], "v1.20.2");
    assert_eq!(cluster["context"], "admin-ctx");
    assert!(array(cluster, "faults").is_empty(), "{cluster}");
    let kinds = strings(cluster, "workloads", "kind");
    for kind in WORKLOAD_KINDS {
        assert!(kinds.contains(&kind), "{kind} not read: {kinds:?}");
    }
    assert!(
        array(&scan.facts, "collections")
            .iter()
            .any(|c| c["source"] == "kube" && c["target"] == "admin" && c.get("error").is_none())
    );
}

fn assert_faults(scan: &Scan) {
    let by_key = findings_by_key(&scan.report);
    let error = |check: &str, subject: &str| -> String {
        let f = keyed(&by_key, check, subject);
        assert_eq!(f["status"], "error", "{f}");
        assert_eq!(f["location"]["uri"], subject, "{f}");
        let said = message(f).to_owned();
        assert!(!said.contains('\n'), "one line: {said}");
        said
    };
    let checks = EXPECTED.iter().map(|(c, _, _)| *c);
    for check in checks {
        for kind in WORKLOAD_KINDS {
            let message = error(check, &format!("k8s://viewer-ctx/vault/{kind}"));
            assert!(message.contains("forbidden (403)"), "{message}");
            assert!(message.contains("namespace vault"), "{message}");
        }
        let gone = error(check, "k8s://gone-ctx");
        assert!(
            gone.contains("cannot read the API server https://127.0.0.1:"),
            "{gone}"
        );
        let stranger = error(check, "k8s://stranger-ctx");
        assert!(stranger.contains("unauthorized (401)"), "{stranger}");
        let typo = error(check, "k8s://no-such-ctx");
        assert!(typo.contains("no context named `no-such-ctx`"), "{typo}");
        assert!(!by_key.contains_key(&(
            check.to_owned(),
            "k8s://viewer-ctx/shop/Deployment".to_owned()
        )));
    }
    // The viewer's readable namespace completed.
    let viewer = element(&scan.facts, "kube", "target", "viewer");
    let subjects: Vec<String> = array(viewer, "workloads")
        .iter()
        .map(|w| {
            format!(
                "{}/{}/{}",
                text(w, "namespace"),
                text(w, "kind"),
                text(w, "name")
            )
        })
        .collect();
    assert!(
        subjects.contains(&"shop/Deployment/privileged".to_owned()),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"shop/CronJob/nightly".to_owned()),
        "{subjects:?}"
    );
    assert!(
        !subjects.iter().any(|s| s.starts_with("vault/")),
        "{subjects:?}"
    );
    // The rest of the scan completed: the admin's findings and the repository's are there.
    assert_eq!(
        keyed(&by_key, "k8s-no-privileged", "shop/Deployment/privileged")["status"],
        "fail"
    );
    assert!(
        by_key.contains_key(&("docker-non-root".to_owned(), "Dockerfile".to_owned())),
        "the repository part of the scan ran"
    );
    assert_eq!(scan.code, 1, "errors and failures gate the scan");
}

/// The workload checks' `error` fixtures, cut from what the real apiserver answered: a cluster
/// nobody listens on (`gone`), and RBAC denying the viewer every list in `vault` while `shop`
/// is read (one of its workloads kept, so the fixture also holds what was judged).
fn assert_fixtures(server: &KubeServer, scan: &Scan) {
    const TEST: &str = "kube_live::live_cluster_workloads_are_judged_and_faults_are_errors";
    let dir = server.dir.path().display().to_string();
    let fragment = |target: &str| {
        Fragment::new(&scan.facts, "kube")
            .target(target)
            .items("/workloads", "name", &["hardened"])
            .replace(dir.as_str(), "/tmp/vouch-kube")
            .port_as(server.port, 6443)
            .port_as(server.gone, 6444)
    };
    for check in [
        "image-digest-pinned",
        "k8s-no-privileged",
        "k8s-read-only-root-fs",
        "k8s-run-as-non-root",
        "k8s-secrets-not-in-env",
    ] {
        fragment("gone").assert_fixture(TEST, &format!("{check}/error/cluster-unreachable"));
        fragment("viewer").assert_fixture(TEST, &format!("{check}/error/list-forbidden"));
    }
}

#[test]
fn live_cluster_workloads_are_judged_and_faults_are_errors() {
    let Some((apiserver, etcd)) = programs() else {
        return;
    };
    let server = KubeServer::start(&apiserver, &etcd);
    seed(&server);
    let repo = write_config(&server);

    let admin = scan(&repo, &["--target", "admin"]);
    assert_admin_view(&admin);
    assert_no_secrets(&admin);

    let all = scan(&repo, &["--all-targets"]);
    assert_faults(&all);
    assert_no_secrets(&all);
    assert_fixtures(&server, &all);

    // The saved facts re-judge offline to the same findings.
    let rejudged = vouch()
        .args(["check", "--format", "json", "--facts"])
        .arg(repo.join("facts.json"))
        .output()
        .unwrap();
    let rejudged: Value = serde_json::from_slice(&rejudged.stdout).unwrap();
    assert_eq!(findings_by_key(&rejudged), findings_by_key(&all.report));

    // 2 scans x 7 lists by the admin, 7 kinds x 2 namespaces by the viewer, plus /version and
    // discovery: every one a read.
    let reads = assert_vouch_only_read(&server);
    assert!(reads >= 24, "only {reads} vouch requests in the audit log");
}
