//! From a live cluster to the registry: the images that workloads in a REAL kube-apiserver
//! reference are resolved in a REAL docker-registry and their cosign signatures verified, with
//! the live workload named as the image's user.

use oci_client::secrets::RegistryAuth;
use serde_json::Value;

use crate::harness::{finding, vouch};
use crate::images::{Key, Pusher, Registry};
use crate::kube_live::{KubeServer, programs};

fn deployment(name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  \
         selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    \
         spec:\n      containers:\n      - {{name: main, image: '{image}'}}\n"
    )
}

#[test]
fn images_run_by_live_workloads_are_verified_in_their_registry() {
    let Some((apiserver, etcd)) = programs() else {
        return;
    };
    let server = KubeServer::start(&apiserver, &etcd);
    let registry = Registry::start(None);
    let key = Key::generate();
    let pusher = Pusher::new(&registry.host, RegistryAuth::Anonymous);
    let signed_digest = pusher.image("shop/signed", "v1");
    pusher.sign("shop/signed", &signed_digest, &signed_digest, &key);
    pusher.image("shop/unsigned", "v1");
    let signed = format!("{}/shop/signed:v1", registry.host);
    let unsigned = format!("{}/shop/unsigned:v1", registry.host);
    server.apply(
        "shop.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
    );
    let apps = [
        deployment("signed-app", &signed),
        deployment("unsigned-app", &unsigned),
    ];
    server.apply("apps.yaml", &apps.join("---\n"));

    let repo = tempfile::tempdir().unwrap();
    let public_key = repo.path().join("release.pub");
    std::fs::write(&public_key, &key.public_pem).unwrap();
    let config = format!(
        "[image]\nkeys = [\"{}\"]\ninsecure_registries = [\"{}\"]\n\n\
         [[target.kube]]\nname = \"live\"\nkubeconfig = \"{}\"\ncontext = \"admin-ctx\"\n",
        public_key.display(),
        registry.host,
        server.kubeconfig().display()
    );
    std::fs::write(repo.path().join("vouch.toml"), config).unwrap();
    let out = vouch()
        .arg("scan")
        .arg(repo.path())
        .args(["--target", "live", "--format", "json"])
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));

    let good = finding(&report, "image-signed", &signed);
    assert_eq!(good["status"], "pass", "{good:#}");
    assert_eq!(
        good["evidence"]["used_by"],
        serde_json::json!(["shop/Deployment/signed-app"])
    );
    assert_eq!(
        good["location"]["uri"],
        format!("oci://{}/shop/signed@{signed_digest}", registry.host)
    );
    let bad = finding(&report, "image-signed", &unsigned);
    assert_eq!(bad["status"], "fail", "{bad:#}");
    assert_eq!(
        bad["evidence"]["used_by"],
        serde_json::json!(["shop/Deployment/unsigned-app"])
    );
    // The same live workloads were judged for hardening, located in the cluster.
    let hardening = finding(&report, "k8s-run-as-non-root", "shop/Deployment/signed-app");
    assert_eq!(
        hardening["location"]["uri"],
        "k8s://admin-ctx/shop/Deployment/signed-app"
    );
}
