//! Registry images against a REAL Debian `docker-registry` started per test on a free port:
//! images pushed with oci-client, cosign signatures (`sha256-<hex>.sig`, simple-signing payload)
//! and attestations (`sha256-<hex>.att`, DSSE envelope of a CycloneDX in-toto Statement)
//! crafted and signed here with the sigstore crate's keys, then `vouch scan --all-targets`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::manifest::{OCI_IMAGE_INDEX_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE, OciImageIndex};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sigstore::crypto::{SigStoreSigner, SigningScheme};
use tempfile::TempDir;

use crate::harness::{KillOnDrop, free_port};
use crate::harness::{array, finding, findings_of, printed, text, vouch};
use crate::live_fixtures::Fragment;

/// A secret that only the docker config holds: it must never be printed.
const DOCKER_SECRET: &str = "s3cr3t-docker-pass-7f3a";

/// `docker-registry serve` on a free port with storage in a temp dir; killed on drop.
pub(crate) struct Registry {
    child: KillOnDrop,
    pub(crate) host: String,
    dir: TempDir,
}

impl Registry {
    /// `htpasswd`: require basic authentication with this `user:bcrypt` file.
    pub(crate) fn start(htpasswd: Option<&Path>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let auth = htpasswd.map_or(String::new(), |p| {
            format!(
                "auth:\n  htpasswd:\n    realm: vouch-test\n    path: {}\n",
                p.display()
            )
        });
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {host}\n{auth}",
            dir.path().join("data").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(KillOnDrop)
            .expect("docker-registry runs (scripts/test installs it)");
        let mut registry = Registry { child, host, dir };
        registry.wait_ready(port);
        registry
    }

    /// Breaks the tag `repo:tag` in the registry's storage (its link names no digest): the
    /// registry answers 500 for it, as for a storage fault, while the rest is served.
    pub(crate) fn break_tag(&self, repo: &str, tag: &str) {
        let link = self
            .dir
            .path()
            .join("data/docker/registry/v2/repositories")
            .join(repo)
            .join("_manifests/tags")
            .join(tag)
            .join("current/link");
        assert!(link.exists(), "{} exists", link.display());
        std::fs::write(&link, "not a digest").unwrap();
    }

    fn wait_ready(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.0.try_wait() {
                panic!("docker-registry exited ({status}) before listening");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("docker-registry did not listen on {port}");
    }
}

/// A cosign-format P-256 key pair: signs here, its public PEM is written for vouch.
pub(crate) struct Key {
    signer: SigStoreSigner,
    pub(crate) public_pem: String,
}

impl Key {
    pub(crate) fn generate() -> Key {
        let signer = SigningScheme::ECDSA_P256_SHA256_ASN1
            .create_signer()
            .unwrap();
        let public_pem = signer
            .to_sigstore_keypair()
            .unwrap()
            .public_key_to_pem()
            .unwrap();
        Key { signer, public_pem }
    }

    fn sign_b64(&self, message: &[u8]) -> String {
        STANDARD.encode(self.signer.sign(message).unwrap())
    }
}

/// Pushes test content with oci-client, as a release pipeline would.
pub(crate) struct Pusher {
    client: Client,
    host: String,
    auth: RegistryAuth,
    runtime: tokio::runtime::Runtime,
}

impl Pusher {
    pub(crate) fn new(host: &str, auth: RegistryAuth) -> Pusher {
        let client = Client::new(ClientConfig {
            protocol: ClientProtocol::Http,
            ..ClientConfig::default()
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Pusher {
            client,
            host: host.to_owned(),
            auth,
            runtime,
        }
    }

    fn reference(&self, repo: &str, tag: &str) -> Reference {
        Reference::with_tag(self.host.clone(), repo.to_owned(), tag.to_owned())
    }

    /// Pushes a small image under `repo:tag` and returns its manifest digest.
    pub(crate) fn image(&self, repo: &str, tag: &str) -> String {
        let layer = ImageLayer::oci_v1(format!("layer of {repo}:{tag}").into_bytes(), None);
        let config = Config::oci_v1(
            br#"{"architecture":"amd64","os":"linux","config":{"User":"65532"}}"#.to_vec(),
            None,
        );
        self.push(repo, tag, &[layer], config)
    }

    /// Pushes a one-platform image index under `repo:tag` pointing at `repo:image_tag`.
    fn index(&self, repo: &str, tag: &str, image_tag: &str) -> String {
        let image = self.reference(repo, image_tag);
        let reference = self.reference(repo, tag);
        self.runtime.block_on(async {
            let (raw, digest) = self
                .client
                .pull_manifest_raw(&image, &self.auth, &[OCI_IMAGE_MEDIA_TYPE])
                .await
                .unwrap();
            let index: OciImageIndex = serde_json::from_value(json!({
                "schemaVersion": 2,
                "mediaType": OCI_IMAGE_INDEX_MEDIA_TYPE,
                "manifests": [{
                    "mediaType": OCI_IMAGE_MEDIA_TYPE,
                    "digest": digest,
                    "size": raw.len(),
                    "platform": {"architecture": "amd64", "os": "linux"}
                }]
            }))
            .unwrap();
            self.client
                .push_manifest_list(&reference, &self.auth, index)
                .await
                .unwrap();
        });
        self.digest(&reference)
    }

    fn push(&self, repo: &str, tag: &str, layers: &[ImageLayer], config: Config) -> String {
        let reference = self.reference(repo, tag);
        self.runtime
            .block_on(
                self.client
                    .push(&reference, layers, config, &self.auth, None),
            )
            .unwrap();
        self.digest(&reference)
    }

    /// The digest of the manifest the registry serves for `reference`.
    fn digest(&self, reference: &Reference) -> String {
        self.runtime
            .block_on(self.client.fetch_manifest_digest(reference, &self.auth))
            .unwrap()
    }

    /// A cosign signature of `signed_digest` (normally `digest` itself) under `digest`'s tag.
    pub(crate) fn sign(&self, repo: &str, digest: &str, signed_digest: &str, key: &Key) {
        let payload = self.simple_signing(repo, signed_digest);
        let signature = key.sign_b64(&payload);
        self.push_signature(repo, digest, &payload, &signature);
    }

    /// cosign's simple-signing payload naming `signed_digest`.
    fn simple_signing(&self, repo: &str, signed_digest: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "critical": {
                "identity": {"docker-reference": format!("{}/{repo}", self.host)},
                "image": {"docker-manifest-digest": signed_digest},
                "type": "cosign container image signature"
            },
            "optional": null
        }))
        .unwrap()
    }

    /// A `.sig` manifest with one simple-signing layer and its signature annotation.
    fn push_signature(&self, repo: &str, digest: &str, payload: &[u8], signature: &str) {
        self.push_signature_with(repo, digest, payload, signature, BTreeMap::new());
    }

    /// The same with more layer annotations (keyless certificate, chain, Rekor bundle). The
    /// manifest is pushed as plain JSON: oci-client's canonical JSON would leave the newlines of
    /// PEM annotations unescaped, which the registry rejects.
    fn push_signature_with(
        &self,
        repo: &str,
        digest: &str,
        payload: &[u8],
        signature: &str,
        mut annotations: BTreeMap<String, String>,
    ) {
        annotations.insert(
            "dev.cosignproject.cosign/signature".to_owned(),
            signature.to_owned(),
        );
        self.push_signature_layers(repo, digest, &[(payload.to_vec(), annotations)]);
    }

    /// One `.sig` manifest holding a layer per signature of `digest`, each key signing the
    /// same simple-signing payload (as `cosign sign` run once per key appends a layer).
    pub(crate) fn sign_by(&self, repo: &str, digest: &str, keys: &[&Key]) {
        let payload = self.simple_signing(repo, digest);
        let layers: Vec<(Vec<u8>, BTreeMap<String, String>)> = keys
            .iter()
            .map(|key| {
                let annotations = BTreeMap::from([(
                    "dev.cosignproject.cosign/signature".to_owned(),
                    key.sign_b64(&payload),
                )]);
                (payload.clone(), annotations)
            })
            .collect();
        self.push_signature_layers(repo, digest, &layers);
    }

    /// A `.sig` manifest with these (payload, annotations) layers.
    fn push_signature_layers(
        &self,
        repo: &str,
        digest: &str,
        layers: &[(Vec<u8>, BTreeMap<String, String>)],
    ) {
        let tag = format!("{}.sig", digest.replace(':', "-"));
        let reference = self.reference(repo, &tag);
        let config = b"{}".to_vec();
        let described = |data: &[u8]| format!("sha256:{:x}", Sha256::digest(data));
        let described_layers: Vec<Value> = layers
            .iter()
            .map(|(payload, annotations)| {
                json!({
                    "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                    "digest": described(payload),
                    "size": payload.len(),
                    "annotations": annotations
                })
            })
            .collect();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_IMAGE_MEDIA_TYPE,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": described(&config),
                "size": config.len()
            },
            "layers": described_layers
        }))
        .unwrap();
        let blobs: Vec<&[u8]> = std::iter::once(&config[..])
            .chain(layers.iter().map(|(payload, _)| &payload[..]))
            .collect();
        self.runtime
            .block_on(self.push_blobs_and_manifest(&reference, &blobs, manifest));
    }

    /// Pushes `blobs`, then the OCI image `manifest`, to `reference`.
    async fn push_blobs_and_manifest(
        &self,
        reference: &Reference,
        blobs: &[&[u8]],
        manifest: Vec<u8>,
    ) {
        self.client
            .store_auth_if_needed(&self.host, &self.auth)
            .await;
        for data in blobs {
            let digest = format!("sha256:{:x}", Sha256::digest(data));
            self.client
                .push_blob(reference, data.to_vec(), &digest)
                .await
                .unwrap();
        }
        self.client
            .push_manifest_raw(reference, manifest, OCI_IMAGE_MEDIA_TYPE.parse().unwrap())
            .await
            .unwrap();
    }

    /// A DSSE-enveloped in-toto Statement with a CycloneDX predicate, under `.att`.
    fn attest_sbom(&self, repo: &str, digest: &str, key: &Key) {
        let bom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []});
        self.attest(repo, digest, key, "https://cyclonedx.org/bom", &bom);
    }

    /// A DSSE-enveloped in-toto Statement of `predicate_type`, under `.att`.
    fn attest(&self, repo: &str, digest: &str, key: &Key, predicate_type: &str, predicate: &Value) {
        let statement = serde_json::to_vec(&json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": predicate_type,
            "subject": [{
                "name": format!("{}/{repo}", self.host),
                "digest": {"sha256": digest.trim_start_matches("sha256:")}
            }],
            "predicate": predicate
        }))
        .unwrap();
        let payload_type = "application/vnd.in-toto+json";
        let mut pae = format!(
            "DSSEv1 {} {payload_type} {} ",
            payload_type.len(),
            statement.len()
        )
        .into_bytes();
        pae.extend_from_slice(&statement);
        let envelope = serde_json::to_vec(&json!({
            "payloadType": payload_type,
            "payload": STANDARD.encode(&statement),
            "signatures": [{"keyid": "", "sig": key.sign_b64(&pae)}]
        }))
        .unwrap();
        let annotations = BTreeMap::from([("predicateType".to_owned(), predicate_type.to_owned())]);
        let layer = ImageLayer::new(
            envelope,
            "application/vnd.dsse.envelope.v1+json".to_owned(),
            Some(annotations),
        );
        let tag = format!("{}.att", digest.replace(':', "-"));
        self.push(repo, &tag, &[layer], empty_config());
    }
}

impl Pusher {
    /// Attaches `blob` (of `artifact_type`, e.g. a sigstore bundle) to `subject_digest` the way
    /// cosign v3 does on a registry without the referrers API: a manifest whose `subject` is the
    /// image and whose one layer is the blob, listed in the OCI index under the fallback tag
    /// `sha256-<hex>` (the index is rewritten with every referrer so far). Returns the
    /// referrer manifest's digest.
    pub(crate) fn attach_referrer(
        &self,
        repo: &str,
        subject_digest: &str,
        artifact_type: &str,
        blob: &[u8],
        listed: &mut Vec<Value>,
    ) -> String {
        let described = |data: &[u8]| format!("sha256:{:x}", Sha256::digest(data));
        let empty = b"{}".to_vec();
        let subject_size = self.runtime.block_on(async {
            let image = Reference::with_digest(
                self.host.clone(),
                repo.to_owned(),
                subject_digest.to_owned(),
            );
            let (raw, _) = self
                .client
                .pull_manifest_raw(
                    &image,
                    &self.auth,
                    &[OCI_IMAGE_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE],
                )
                .await
                .unwrap();
            raw.len()
        });
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_IMAGE_MEDIA_TYPE,
            "artifactType": artifact_type,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": described(&empty), "size": 2},
            "layers": [{"mediaType": artifact_type, "digest": described(blob), "size": blob.len()}],
            "subject": {"mediaType": OCI_IMAGE_MEDIA_TYPE, "digest": subject_digest, "size": subject_size}
        }))
        .unwrap();
        let manifest_digest = described(&manifest);
        listed.push(json!({
            "mediaType": OCI_IMAGE_MEDIA_TYPE,
            "digest": manifest_digest,
            "size": manifest.len(),
            "artifactType": artifact_type
        }));
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_IMAGE_INDEX_MEDIA_TYPE,
            "manifests": listed
        }))
        .unwrap();
        let by_digest =
            Reference::with_digest(self.host.clone(), repo.to_owned(), manifest_digest.clone());
        let fallback = self.reference(repo, &subject_digest.replace(':', "-"));
        self.runtime.block_on(async {
            self.push_blobs_and_manifest(&by_digest, &[&empty[..], blob], manifest)
                .await;
            self.client
                .push_manifest_raw(
                    &fallback,
                    index,
                    OCI_IMAGE_INDEX_MEDIA_TYPE.parse().unwrap(),
                )
                .await
                .unwrap();
        });
        manifest_digest
    }
}

fn empty_config() -> Config {
    Config::new(
        b"{}".to_vec(),
        "application/vnd.oci.image.config.v1+json".to_owned(),
        None,
    )
}

/// A repository with Deployments referencing `images`, and the scan's vouch.toml.
pub(crate) struct Workspace {
    dir: TempDir,
}

impl Workspace {
    /// A workspace deploying `HOST/REPO:1` of each repository (named REPO with `-` for `/`).
    pub(crate) fn deploying(host: &str, repos: &[&str], toml: &str) -> Workspace {
        let deployments: Vec<(String, String)> = repos
            .iter()
            .map(|r| (r.replace('/', "-"), format!("{host}/{r}:1")))
            .collect();
        let refs: Vec<(&str, &str)> = deployments
            .iter()
            .map(|(n, i)| (n.as_str(), i.as_str()))
            .collect();
        Workspace::new(&refs, toml)
    }

    pub(crate) fn new(deployments: &[(&str, &str)], toml: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let mut yaml = String::new();
        for (name, image) in deployments {
            let _ = write!(
                yaml,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  \
                 namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        \
                 - name: app\n          image: {image}\n"
            );
        }
        std::fs::create_dir_all(dir.path().join("deploy")).unwrap();
        std::fs::write(dir.path().join("deploy/app.yaml"), yaml).unwrap();
        std::fs::write(dir.path().join("vouch.toml"), toml).unwrap();
        Workspace { dir }
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub(crate) fn write(&self, rel: &str, text: &str) -> String {
        let path = self.path(rel);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// `vouch scan DIR EXTRA…` run from the workspace (key and docker config paths are relative
    /// to the working directory): (report, facts, stdout + stderr + facts text).
    pub(crate) fn scan(&self, extra: &[&str]) -> (Value, Value, String) {
        let facts_path = self.path("facts.json");
        let out = vouch()
            .current_dir(self.dir.path())
            .arg("scan")
            .arg(self.dir.path())
            .args(["--format", "json", "--dump-facts"])
            .arg(&facts_path)
            .args(extra)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        let facts_text = std::fs::read_to_string(&facts_path).unwrap();
        let all = printed(&out) + &facts_text;
        (report, serde_json::from_str(&facts_text).unwrap(), all)
    }
}

pub(crate) fn status<'a>(report: &'a Value, check: &str, subject: &str) -> &'a str {
    text(finding(report, check, subject), "status")
}

pub(crate) fn message(report: &Value, check: &str, subject: &str) -> String {
    crate::harness::message(finding(report, check, subject)).to_owned()
}

fn docker_config(host: &str, user: &str, password: &str) -> String {
    let auth = STANDARD.encode(format!("{user}:{password}"));
    format!(r#"{{"auths": {{"{host}": {{"auth": "{auth}"}}}}}}"#)
}

#[test]
fn signatures_and_sbom_attestations_verify_only_against_the_trusted_key() {
    let registry = Registry::start(None);
    let host = registry.host.clone();
    let pusher = Pusher::new(&host, RegistryAuth::Anonymous);
    let trusted = Key::generate();
    let other = Key::generate();

    let signed = pusher.image("shop/signed", "1");
    // Signed by another key first, then by the trusted one: one signature verifies.
    pusher.sign_by("shop/signed", &signed, &[&other, &trusted]);
    pusher.attest_sbom("shop/signed", &signed, &trusted);
    pusher.image("shop/unsigned", "1");
    let foreign = pusher.image("shop/foreign", "1");
    pusher.sign("shop/foreign", &foreign, &foreign, &other);
    pusher.attest_sbom("shop/foreign", &foreign, &other);
    let replayed = pusher.image("shop/replayed", "1");
    // A genuine signature, but of another image's digest, copied next to this one.
    pusher.sign("shop/replayed", &replayed, &signed, &trusted);
    // A malformed signature: not base64, not a signature.
    let garbled = pusher.image("shop/garbled", "1");
    pusher.push_signature("shop/garbled", &garbled, b"{}", "%%not-a-signature%%");
    // A multi-arch index is verified by its own digest, as cosign signs it.
    pusher.image("shop/multi", "amd64");
    let multi = pusher.index("shop/multi", "1", "amd64");
    pusher.sign("shop/multi", &multi, &multi, &trusted);
    // Build provenance attested with the trusted key, and no SBOM beside it.
    pusher.attest(
        "shop/multi",
        &multi,
        &trusted,
        "https://slsa.dev/provenance/v1",
        &json!({"runDetails": {"builder": {"id": "https://ci.example.com/builder"}}}),
    );
    // An SPDX SBOM, as `cosign attest --type spdxjson` writes it.
    let spdx = pusher.image("shop/spdx", "1");
    pusher.sign("shop/spdx", &spdx, &spdx, &trusted);
    pusher.attest(
        "shop/spdx",
        &spdx,
        &trusted,
        "https://spdx.dev/Document",
        &json!({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "shop/spdx", "packages": []}),
    );
    // A signature the registry cannot serve: its tag answers 500.
    let broken = pusher.image("shop/broken", "1");
    pusher.sign("shop/broken", &broken, &broken, &trusted);
    registry.break_tag("shop/broken", &format!("{}.sig", broken.replace(':', "-")));

    let down = format!("127.0.0.1:{}", free_port());
    let toml = format!(
        "[image]\nkeys = [\"release.pub\"]\ninsecure_registries = [\"{host}\", \"{down}\"]\n\
         docker_config = \"docker/config.json\"\ntimeout_ms = 3000\ndockerfile_images = true\n\n\
         [[target.image]]\nname = \"replayed\"\nref = \"{host}/shop/replayed:1\"\n\n\
         [[target.image]]\nref = \"{host}/shop/absent:1\"\n\n\
         [[target.image]]\nname = \"down\"\nref = \"{down}/shop/signed:1\"\n"
    );
    let ws = Workspace::new(
        &[
            ("api", &format!("{host}/shop/signed:1")),
            ("worker", &format!("{host}/shop/signed:1")),
            ("pinned", &format!("{host}/shop/signed@{signed}")),
            ("edge", &format!("{host}/shop/multi:1")),
            ("legacy", &format!("{host}/shop/garbled:1")),
            ("batch", &format!("{host}/shop/unsigned:1")),
            ("vendor", &format!("{host}/shop/foreign:1")),
            ("inventory", &format!("{host}/shop/spdx:1")),
            ("billing", &format!("{host}/shop/broken:1")),
        ],
        &toml,
    );
    ws.write("release.pub", &trusted.public_pem);
    // The final stage's image joins the same reference; the build stage is not a registry image.
    ws.write(
        "Dockerfile",
        &format!("FROM golang:1.23 AS build\nRUN go build\nFROM {host}/shop/signed:1\n"),
    );
    std::fs::create_dir_all(ws.path("docker")).unwrap();
    ws.write(
        "docker/config.json",
        &docker_config(&host, "ci", DOCKER_SECRET),
    );

    let (report, facts, all) = ws.scan(&["--all-targets"]);
    assert!(
        !all.contains(DOCKER_SECRET),
        "the docker config secret leaked"
    );
    assert!(!all.contains(&STANDARD.encode(format!("ci:{DOCKER_SECRET}"))));

    let signed_ref = format!("{host}/shop/signed:1");
    assert_eq!(status(&report, "image-signed", &signed_ref), "pass");
    assert_eq!(
        message(&report, "image-signed", &signed_ref),
        "signature verified, signed by release"
    );
    let pass = finding(&report, "image-signed", &signed_ref);
    assert_eq!(
        pass["location"]["uri"],
        format!("oci://{host}/shop/signed@{signed}")
    );
    assert_eq!(
        pass["evidence"]["used_by"],
        json!([
            "shop/Deployment/api",
            "shop/Deployment/worker",
            "Dockerfile"
        ])
    );
    assert_eq!(status(&report, "image-sbom-attested", &signed_ref), "pass");
    let pinned = finding(
        &report,
        "image-signed",
        &format!("{host}/shop/signed@{signed}"),
    );
    assert_eq!(pinned["status"], "pass");
    assert_eq!(pinned["location"], pass["location"]);

    let multi_ref = format!("{host}/shop/multi:1");
    assert_eq!(status(&report, "image-signed", &multi_ref), "pass");
    assert_eq!(
        finding(&report, "image-signed", &multi_ref)["location"]["uri"],
        format!("oci://{host}/shop/multi@{multi}")
    );
    assert_eq!(status(&report, "image-sbom-attested", &multi_ref), "fail");

    let unsigned_ref = format!("{host}/shop/unsigned:1");
    assert_eq!(status(&report, "image-signed", &unsigned_ref), "fail");
    assert!(message(&report, "image-signed", &unsigned_ref).contains("no signature attached"));
    assert_eq!(
        status(&report, "image-sbom-attested", &unsigned_ref),
        "fail"
    );
    assert!(
        message(&report, "image-sbom-attested", &unsigned_ref).contains("no attestation attached")
    );

    let foreign_ref = format!("{host}/shop/foreign:1");
    assert_eq!(status(&report, "image-signed", &foreign_ref), "fail");
    let why = message(&report, "image-signed", &foreign_ref);
    assert!(
        why.contains("1 signature(s)") && why.contains("any trusted key (release)"),
        "{why}"
    );
    assert_eq!(status(&report, "image-sbom-attested", &foreign_ref), "fail");
    assert!(message(&report, "image-sbom-attested", &foreign_ref).contains("DSSE signature"));

    let replayed_ref = format!("{host}/shop/replayed:1");
    assert_eq!(status(&report, "image-signed", &replayed_ref), "fail");
    let why = message(&report, "image-signed", &replayed_ref);
    assert!(why.contains(&format!("another image ({signed})")), "{why}");

    let garbled_ref = format!("{host}/shop/garbled:1");
    assert_eq!(status(&report, "image-signed", &garbled_ref), "fail");
    let why = message(&report, "image-signed", &garbled_ref);
    assert!(
        why.contains("1 signature(s)") && why.contains("malformed signature"),
        "{why}"
    );

    let absent_ref = format!("{host}/shop/absent:1");
    assert_eq!(status(&report, "image-signed", &absent_ref), "error");
    assert!(message(&report, "image-signed", &absent_ref).contains("manifest not found"));
    assert_eq!(
        finding(&report, "image-signed", &absent_ref)["location"]["uri"],
        format!("oci://{host}/shop/absent:1")
    );

    let down_ref = format!("{down}/shop/signed:1");
    assert_eq!(status(&report, "image-sbom-attested", &down_ref), "error");
    let why = message(&report, "image-sbom-attested", &down_ref);
    assert!(why.contains("registry unreachable"), "{why}");

    let spdx_ref = format!("{host}/shop/spdx:1");
    assert_eq!(status(&report, "image-sbom-attested", &spdx_ref), "pass");
    // Provenance alone is not an SBOM.
    let why = message(&report, "image-sbom-attested", &multi_ref);
    assert!(why.contains("https://slsa.dev/provenance/v1"), "{why}");
    // The registry's 500 on the signature tag is an error, never "unsigned".
    let broken_ref = format!("{host}/shop/broken:1");
    assert_eq!(status(&report, "image-signed", &broken_ref), "error");
    let why = message(&report, "image-signed", &broken_ref);
    assert!(why.contains(".sig: cannot read"), "{why}");

    // One collection. Each of the 11 references is resolved once (11 manifest HEADs); each of
    // the 8 distinct digests is verified once: signed 5 (2 manifests, 3 blobs: two signature
    // layers; shared by the tag and the digest reference), unsigned 2, foreign 4, replayed 3,
    // multi 4, garbled 3, spdx 4, broken 2 (the `.sig` answered 500, the `.att` 404); plus one
    // referrers lookup per digest (8: registry 2.8 answers 404 and oci-client reads the
    // fallback tag, a second HTTP request counted with the lookup), and, as none lists
    // anything, the fallback tag read again to tell absent from refused (8).
    let collection = array(&facts, "collections")
        .iter()
        .find(|c| c["source"] == "image")
        .expect("an image collection");
    assert!(
        text(collection, "origin") == "11 image reference(s), 54 registry request(s)",
        "{collection}"
    );
    assert_eq!(array(&facts, "images").len(), 11);

    let fixture = registry_fixture(
        "images::signatures_and_sbom_attestations_verify_only_against_the_trusted_key",
        &host,
        &down,
    );
    for (reference, field, case) in [
        (&signed_ref, "signatures", "image-signed/pass/release-key"),
        (&unsigned_ref, "signatures", "image-signed/fail/unsigned"),
        (
            &foreign_ref,
            "signatures",
            "image-signed/fail/untrusted-key",
        ),
        (
            &down_ref,
            "signatures",
            "image-signed/error/registry-unreachable",
        ),
        (
            &broken_ref,
            "signatures",
            "image-signed/error/signature-lookup-failed",
        ),
        (
            &signed_ref,
            "attestations",
            "image-sbom-attested/pass/cyclonedx",
        ),
        (&spdx_ref, "attestations", "image-sbom-attested/pass/spdx"),
        (
            &unsigned_ref,
            "attestations",
            "image-sbom-attested/fail/none-attached",
        ),
        (
            &multi_ref,
            "attestations",
            "image-sbom-attested/fail/provenance-only",
        ),
        (
            &foreign_ref,
            "attestations",
            "image-sbom-attested/fail/untrusted-key",
        ),
        (
            &absent_ref,
            "attestations",
            "image-sbom-attested/error/manifest-not-found",
        ),
    ] {
        fixture(&facts, reference, field, case);
    }

    // The same registry judged by a configuration without keys: what was found cannot be
    // verified, an error for both checks.
    ws.write(
        "vouch.toml",
        &format!(
            "[image]\ninsecure_registries = [\"{host}\"]\n\n\
             [[target.image]]\nname = \"api\"\nref = \"{signed_ref}\"\n"
        ),
    );
    let (report, facts, _) = ws.scan(&["--target", "api"]);
    for check in ["image-signed", "image-sbom-attested"] {
        assert_eq!(status(&report, check, &signed_ref), "error", "{check}");
    }
    fixture(
        &facts,
        &signed_ref,
        "signatures",
        "image-signed/error/no-key-configured",
    );
    fixture(
        &facts,
        &signed_ref,
        "attestations",
        "image-sbom-attested/error/no-key-configured",
    );
}

#[test]
fn a_scan_without_cluster_or_image_targets_contacts_no_registry() {
    let registry = Registry::start(None);
    let host = registry.host.clone();
    let toml = format!(
        "[image]\nkeys = [\"release.pub\"]\ninsecure_registries = [\"{host}\"]\n\n\
         [[target.postgres]]\nname = \"db\"\ndsn_env = \"VOUCH_TEST_UNSET_DSN\"\n"
    );
    let ws = Workspace::new(&[("api", &format!("{host}/shop/signed:1"))], &toml);
    // No target, then only a database target: neither sends the scan to a registry.
    for selection in [&[][..], &["--target", "db"][..]] {
        let (report, facts, _) = ws.scan(selection);
        let judged = findings_of(&report, "image-signed").len();
        assert_eq!(judged, 0, "{selection:?}");
        assert_eq!(facts["images"], json!([]), "{selection:?}");
    }
    let (report, _, _) = ws.scan(&[]);
    // The manifest itself was still judged.
    assert_eq!(
        status(
            &report,
            "image-digest-pinned",
            &format!("{host}/shop/signed:1")
        ),
        "fail"
    );
}

#[test]
fn a_registry_refusing_the_docker_config_credentials_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let htpasswd = dir.path().join("htpasswd");
    let out = Command::new("htpasswd")
        .args(["-Bbn", "ci", "right-password"])
        .output()
        .expect("htpasswd runs (apache2-utils)");
    std::fs::write(&htpasswd, &out.stdout).unwrap();
    let registry = Registry::start(Some(&htpasswd));
    let host = registry.host.clone();
    let pusher = Pusher::new(
        &host,
        RegistryAuth::Basic("ci".to_owned(), "right-password".to_owned()),
    );
    let trusted = Key::generate();
    let digest = pusher.image("shop/private", "1");
    pusher.sign("shop/private", &digest, &digest, &trusted);

    let reference = format!("{host}/shop/private:1");
    let toml = format!(
        "[image]\nkeys = [\"release.pub\"]\ninsecure_registries = [\"{host}\"]\n\
         docker_config = \"config.json\"\n\n[[target.image]]\nname = \"private\"\nref = \"{reference}\"\n"
    );
    let ws = Workspace::new(&[], &toml);
    ws.write("release.pub", &trusted.public_pem);

    ws.write("config.json", &docker_config(&host, "ci", DOCKER_SECRET));
    let (report, _, all) = ws.scan(&["--target", "private"]);
    assert!(!all.contains(DOCKER_SECRET));
    assert!(!all.contains(&STANDARD.encode(format!("ci:{DOCKER_SECRET}"))));
    assert_eq!(status(&report, "image-signed", &reference), "error");
    let why = message(&report, "image-signed", &reference);
    assert!(why.contains("authentication failed"), "{why}");

    // Credentials kept in a helper vouch does not run: asked anonymously, refused, and the
    // error says where the credentials are.
    ws.write("config.json", r#"{"auths": {}, "credsStore": "desktop"}"#);
    let (report, _, _) = ws.scan(&["--target", "private"]);
    assert_eq!(status(&report, "image-signed", &reference), "error");
    let why = message(&report, "image-signed", &reference);
    assert!(why.contains("`docker-credential-desktop`"), "{why}");

    ws.write("config.json", &docker_config(&host, "ci", "right-password"));
    let (report, _, all) = ws.scan(&["--target", "private"]);
    assert!(!all.contains("right-password"));
    assert!(!all.contains(&STANDARD.encode("ci:right-password")));
    assert_eq!(status(&report, "image-signed", &reference), "pass");
}

/// Keyless signatures: a Fulcio-like CA and a Rekor-like key made here with OpenSSL, short-lived
/// leaf certificates carrying the identity, and Rekor bundles proving when each signature was
/// made; verified offline against a trust root file.
#[cfg(feature = "endpoint")]
mod keyless {
    use std::collections::BTreeMap;
    use std::time::{SystemTime, UNIX_EPOCH};

    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use oci_client::secrets::RegistryAuth;
    use openssl::asn1::{Asn1Object, Asn1OctetString, Asn1Time};
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::{PKey, Private};
    use openssl::sign::Signer;
    use openssl::x509::extension::{
        BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    };
    use openssl::x509::{X509, X509Builder, X509Extension, X509NameBuilder};
    use serde_json::json;
    use sha2::{Digest, Sha256};

    use super::{Pusher, Registry, Workspace, finding, message, status};

    const ISSUER: &str = "https://accounts.example.com";
    const MINUTE: i64 = 60;

    fn ec_key() -> PKey<Private> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
    }

    fn now() -> i64 {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        i64::try_from(secs).unwrap()
    }

    fn sign(key: &PKey<Private>, data: &[u8]) -> Vec<u8> {
        let mut signer = Signer::new(MessageDigest::sha256(), key).unwrap();
        signer.update(data).unwrap();
        signer.sign_to_vec().unwrap()
    }

    fn builder(cn: &str, key: &PKey<Private>, not_before: i64, not_after: i64) -> X509Builder {
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", cn).unwrap();
        let name = name.build();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(key).unwrap();
        b.set_not_before(&Asn1Time::from_unix(not_before).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::from_unix(not_after).unwrap())
            .unwrap();
        b
    }

    struct Ca {
        cert: X509,
        key: PKey<Private>,
    }

    impl Ca {
        fn new(cn: &str) -> Ca {
            let key = ec_key();
            let mut b = builder(cn, &key, now() - 86_400, now() + 86_400);
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(KeyUsage::new().critical().key_cert_sign().build().unwrap())
                .unwrap();
            b.sign(&key, MessageDigest::sha256()).unwrap();
            Ca {
                cert: b.build(),
                key,
            }
        }

        /// A ten-minute code-signing certificate for `email`, issued `minutes_ago`.
        fn issue(&self, email: &str, minutes_ago: i64) -> (X509, PKey<Private>) {
            let key = ec_key();
            let start = now() - minutes_ago * MINUTE;
            let mut b = builder(email, &key, start, start + 10 * MINUTE);
            b.set_issuer_name(self.cert.subject_name()).unwrap();
            let san = SubjectAlternativeName::new()
                .email(email)
                .build(&b.x509v3_context(Some(&self.cert), None))
                .unwrap();
            b.append_extension(san).unwrap();
            b.append_extension(ExtendedKeyUsage::new().code_signing().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .build()
                    .unwrap(),
            )
            .unwrap();
            let oid = Asn1Object::from_str("1.3.6.1.4.1.57264.1.1").unwrap();
            let value = Asn1OctetString::new_from_bytes(ISSUER.as_bytes()).unwrap();
            b.append_extension(X509Extension::new_from_der(&oid, false, &value).unwrap())
                .unwrap();
            b.sign(&self.key, MessageDigest::sha256()).unwrap();
            (b.build(), key)
        }
    }

    /// Signs `payload` with a fresh certificate and logs it at `logged_minutes_ago`: the
    /// layer's signature and its annotations.
    fn keyless_signature(
        ca: &Ca,
        rekor: &PKey<Private>,
        email: &str,
        payload: &[u8],
        issued_minutes_ago: i64,
        logged_minutes_ago: i64,
    ) -> (String, BTreeMap<String, String>) {
        let (cert, key) = ca.issue(email, issued_minutes_ago);
        let signature = STANDARD.encode(sign(&key, payload));
        let cert_pem = String::from_utf8(cert.to_pem().unwrap()).unwrap();
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": format!("{:x}", Sha256::digest(payload))}},
                "signature": {"content": signature, "publicKey": {"content": STANDARD.encode(&cert_pem)}}
            }
        });
        let entry = json!({
            "body": STANDARD.encode(serde_json::to_vec(&body).unwrap()),
            "integratedTime": now() - logged_minutes_ago * MINUTE,
            "logID": "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d",
            "logIndex": 7
        });
        let set = STANDARD.encode(sign(rekor, &serde_json::to_vec(&entry).unwrap()));
        let bundle = json!({"SignedEntryTimestamp": set, "Payload": entry});
        let annotations = BTreeMap::from([
            ("dev.sigstore.cosign/certificate".to_owned(), cert_pem),
            ("dev.sigstore.cosign/bundle".to_owned(), bundle.to_string()),
        ]);
        (signature, annotations)
    }

    #[test]
    fn keyless_signatures_verify_offline_by_identity_and_logged_time() {
        let registry = Registry::start(None);
        let host = registry.host.clone();
        let pusher = Pusher::new(&host, RegistryAuth::Anonymous);
        let fulcio = Ca::new("fulcio test CA");
        let impostor = Ca::new("impostor CA");
        let rekor = ec_key();

        // (repo, CA, identity, certificate issued / logged minutes ago)
        let cases: [(&str, &Ca, &str, i64, i64); 4] = [
            ("keyless/good", &fulcio, "release@example.com", 120, 115),
            ("keyless/stranger", &fulcio, "mallory@example.com", 120, 115),
            ("keyless/late", &fulcio, "release@example.com", 120, 60),
            (
                "keyless/impostor",
                &impostor,
                "release@example.com",
                120,
                115,
            ),
        ];
        for (repo, ca, email, issued, logged) in cases {
            let digest = pusher.image(repo, "1");
            let payload = pusher.simple_signing(repo, &digest);
            let (signature, annotations) =
                keyless_signature(ca, &rekor, email, &payload, issued, logged);
            pusher.push_signature_with(repo, &digest, &payload, &signature, annotations);
        }

        let toml = format!(
            "[image]\ntrust_root = \"trust.pem\"\ninsecure_registries = [\"{host}\"]\n\n\
             [[image.identities]]\nsubject = \"release@example.com\"\nissuer = \"{ISSUER}\"\n"
        );
        let repos: Vec<&str> = cases.iter().map(|(repo, ..)| *repo).collect();
        let ws = Workspace::deploying(&host, &repos, &toml);
        let rekor_pem = String::from_utf8(rekor.public_key_to_pem().unwrap()).unwrap();
        let ca_pem = String::from_utf8(fulcio.cert.to_pem().unwrap()).unwrap();
        ws.write("trust.pem", &format!("{ca_pem}{rekor_pem}"));
        let (report, _, _) = ws.scan(&["--all-targets"]);

        let good = format!("{host}/keyless/good:1");
        assert_eq!(
            status(&report, "image-signed", &good),
            "pass",
            "{}",
            message(&report, "image-signed", &good)
        );
        assert_eq!(
            finding(&report, "image-signed", &good)["evidence"]["entries"][0]["signer"],
            format!("release@example.com ({ISSUER})")
        );
        let why = |repo: &str| message(&report, "image-signed", &format!("{host}/{repo}:1"));
        for (repo, says) in [
            ("keyless/stranger", "mallory@example.com"),
            ("keyless/stranger", "not a trusted identity"),
            ("keyless/late", "at the logged time"),
            ("keyless/impostor", "does not chain"),
        ] {
            assert!(why(repo).contains(says), "{repo}: {}", why(repo));
        }
        for repo in ["keyless/stranger", "keyless/late", "keyless/impostor"] {
            assert_eq!(
                status(&report, "image-signed", &format!("{host}/{repo}:1")),
                "fail"
            );
        }
        // Identities now verify keyless attestations too (sigstore bundles): none is attached
        // here, so that is a fail (it was an `error` when attestations needed a key).
        assert_eq!(status(&report, "image-sbom-attested", &good), "fail");
    }
}

/// Asserts the fixture `case` of `test` from one image record of a scan's facts (`reference`,
/// its `field`): the registry at `registry` and the closed port `closed` (`host:port`) become
/// ports 5000 and 5999, signature and attestation digests are numbered.
pub(crate) fn registry_fixture<'a>(
    test: &'a str,
    registry: &str,
    closed: &str,
) -> impl Fn(&Value, &str, &'static str, &str) + 'a {
    let port = |h: &str| h.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let (registry, closed) = (port(registry), port(closed));
    move |facts: &Value, reference: &str, field: &'static str, case: &str| {
        Fragment::new(facts, "images")
            .target(reference)
            .port_as(registry, 5000)
            .port_as(closed, 5999)
            .fields(&[field])
            .entry_digests()
            .assert_fixture(test, case);
    }
}
