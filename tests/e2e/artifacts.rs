//! Release artifacts (`[[target.artifact]]`): files and HTTPS downloads with the sigstore
//! bundle beside them, verified offline. The bundles come from the local test Sigstore of
//! `sigstore_bundles.py` (as for images); the downloads from a real nginx over TLS with a test
//! CA. sigstore-python (`sigstore verify identity --offline`, same trusted root) is the oracle
//! for the keyless bundles over local files.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::image_bundles::venv;
use crate::images::{Workspace, message, status};
use crate::tls_servers::{Leaf, Nginx, Pki, free_port};

const IDENTITY: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const BUILDER: &str = "https://github.com/actions/runner/github-hosted";
const LAPTOP: &str = "https://ci.example.com/laptop-runner";

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A keyless SLSA v1 provenance statement for `bytes`, built by `builder`.
fn provenance(name: &str, bytes: &[u8], builder: &str) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": sha256_hex(bytes)}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {
                    "ref": "refs/tags/v1.4.0",
                    "repository": "https://github.com/acme/app",
                    "path": ".github/workflows/release.yml"
                }},
                "resolvedDependencies": [{"uri": "git+https://github.com/acme/app@refs/tags/v1.4.0", "digest": {"gitCommit": "8f3c1d2e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"}}]
            },
            "runDetails": {"builder": {"id": builder}, "metadata": {"invocationId": "https://github.com/acme/app/actions/runs/42/attempts/1"}}
        }
    })
}

/// Writes the bundles of `specs` (the generator's spec, `name` = output file stem) into `dir`.
fn generate(dir: &Path, specs: &[Value]) {
    crate::image_bundles::generate_bundles(dir, &specs.iter().collect::<Vec<_>>());
}

fn keyless(name: &str, field: &str, value: Value) -> Value {
    let mut spec = json!({"name": name, "identity": IDENTITY, "issuer": ISSUER});
    spec[field] = value;
    spec
}

/// sigstore-python's verdict on a keyless bundle for a local file.
fn sigstore_python_verifies(trust: &Path, bundle: &Path, file: &Path) -> (bool, String) {
    let out = Command::new(venv().join("bin/sigstore"))
        .arg("--trust-config")
        .arg(trust)
        .args(["verify", "identity", "--offline", "--bundle"])
        .arg(bundle)
        .args(["--cert-identity", IDENTITY, "--cert-oidc-issuer", ISSUER])
        .arg(file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn release_artifacts_signatures_and_provenance_verify_offline_from_files_and_https() {
    let ws = Workspace::new(&[], "");
    let dist = ws.path("dist");
    let web = ws.path("web");
    let keys = ws.path("bundles");
    for d in [&dist, &web, &keys] {
        std::fs::create_dir_all(d).unwrap();
    }
    let app = b"\x7fELF release build of app v1.4.0".to_vec();
    let tool = b"\x7fELF tool built on a laptop".to_vec();
    let plain = b"\x7fELF signed with sign-blob".to_vec();
    std::fs::write(dist.join("app"), &app).unwrap();
    std::fs::write(dist.join("tool"), &tool).unwrap();
    std::fs::write(dist.join("plain"), &plain).unwrap();
    // The release's bytes changed after signing: one byte more.
    let mut modified = app.clone();
    modified.push(b'!');
    std::fs::write(dist.join("modified"), &modified).unwrap();
    std::fs::write(dist.join("unsigned"), b"never signed").unwrap();
    std::fs::create_dir_all(dist.join("a-directory")).unwrap();
    std::fs::write(dist.join("bad-bundle"), &app).unwrap();
    std::fs::create_dir_all(dist.join("bad-bundle.sigstore.json")).unwrap();
    // The release's bytes under another name, signed twice: a signature-only bundle under the
    // first name, the provenance under the second.
    std::fs::write(dist.join("split"), &app).unwrap();
    std::fs::write(web.join("app"), &app).unwrap();
    std::fs::write(web.join("unsigned"), b"never signed").unwrap();

    generate(
        &keys,
        &[
            keyless("app", "statement", provenance("app", &app, BUILDER)),
            keyless("tool", "statement", provenance("tool", &tool, LAPTOP)),
            keyless(
                "plain",
                "artifact",
                json!(dist.join("plain").display().to_string()),
            ),
            keyless(
                "split-signature",
                "artifact",
                json!(dist.join("split").display().to_string()),
            ),
        ],
    );
    let bundle = |name: &str| std::fs::read(keys.join(format!("{name}.sigstore.json"))).unwrap();
    std::fs::write(dist.join("app.sigstore.json"), bundle("app")).unwrap();
    // The `.bundle` name is the fallback when no `.sigstore.json` is beside the artifact.
    std::fs::write(dist.join("tool.bundle"), bundle("tool")).unwrap();
    std::fs::write(dist.join("plain.sigstore.json"), bundle("plain")).unwrap();
    std::fs::write(dist.join("modified.sigstore.json"), bundle("app")).unwrap();
    // Beside an unreadable first name, a bundle that does not prove anything for these bytes:
    // what the unreadable one held decides, so `error`. (A bundle that proves it would pass.)
    std::fs::write(dist.join("bad-bundle.bundle"), bundle("plain")).unwrap();
    std::fs::write(dist.join("split.sigstore.json"), bundle("split-signature")).unwrap();
    std::fs::write(dist.join("split.bundle"), bundle("app")).unwrap();
    std::fs::write(web.join("app.sigstore.json"), bundle("app")).unwrap();

    let pki = Pki::new();
    let (cert, key) = pki.leaf(&Leaf::good("artifacts"));
    let port = free_port();
    let servers = format!(
        "server {{ listen 127.0.0.1:{port} ssl; server_name localhost;\n\
         ssl_certificate {}; ssl_certificate_key {};\n\
         location = /to-plain-http {{ return 302 http://localhost:{port}/app; }}\n\
         location = /broken {{ return 500; }}\n\
         location / {{ root {}; }} }}",
        cert.display(),
        key.display(),
        web.display()
    );
    let _nginx = Nginx::start(&servers, &[port]);
    let base = format!("https://localhost:{port}");

    let toml = format!(
        "[image]\ntrust_root = \"bundles/trust.pem\"\ntrusted_builders = [\"{BUILDER}\"]\n\n\
         [[image.identities]]\nsubject = \"{IDENTITY}\"\nissuer = \"{ISSUER}\"\n\n\
         [[image.source_repositories]]\nrepository = \"https://github.com/acme/app\"\n\
         refs = [\"refs/tags/v*\"]\n\n\
         [artifact]\nca_file = {:?}\ntimeout_ms = 5000\n\n\
         [[target.artifact]]\nname = \"app\"\npath = \"dist/app\"\n\n\
         [[target.artifact]]\nname = \"tool\"\npath = \"dist/tool\"\n\n\
         [[target.artifact]]\nname = \"plain\"\npath = \"dist/plain\"\n\n\
         [[target.artifact]]\nname = \"modified\"\npath = \"dist/modified\"\n\n\
         [[target.artifact]]\nname = \"unsigned\"\npath = \"dist/unsigned\"\n\n\
         [[target.artifact]]\nname = \"gone\"\npath = \"dist/gone\"\n\n\
         [[target.artifact]]\nname = \"a-directory\"\npath = \"dist/a-directory\"\n\n\
         [[target.artifact]]\nname = \"bad-bundle\"\npath = \"dist/bad-bundle\"\n\n\
         [[target.artifact]]\nname = \"split\"\npath = \"dist/split\"\n\n\
         [[target.artifact]]\nname = \"named-bundle\"\npath = \"dist/modified\"\nbundle = \"dist/tool.bundle\"\n\n\
         [[target.artifact]]\nname = \"web-app\"\nurl = \"{base}/app\"\n\n\
         [[target.artifact]]\nname = \"web-unsigned\"\nurl = \"{base}/unsigned\"\n\n\
         [[target.artifact]]\nname = \"web-gone\"\nurl = \"{base}/gone\"\n\n\
         [[target.artifact]]\nname = \"web-downgrade\"\nurl = \"{base}/to-plain-http\"\nbundle = \"dist/app.sigstore.json\"\n\n\
         [[target.artifact]]\nname = \"web-broken-bundle\"\nurl = \"{base}/app\"\nbundle = \"{base}/broken\"\n",
        pki.ca_file.display().to_string()
    );
    ws.write("vouch.toml", &toml);

    // Live targets: nothing is read unless the command line asks.
    let (report, facts, _) = ws.scan(&[]);
    assert!(
        facts["artifacts"].as_array().is_none_or(Vec::is_empty),
        "{facts}"
    );
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "artifact-signed"),
        "{report}"
    );

    let (report, facts, all) = ws.scan(&["--all-targets"]);
    let expect = |check: &str, name: &str, want: &str, quoted: &[&str]| {
        let why = message(&report, check, name);
        assert_eq!(status(&report, check, name), want, "{check} {name}: {why}");
        for q in quoted {
            assert!(why.contains(q), "{check} {name}: {why} lacks {q:?}");
        }
    };
    let app_sha = sha256_hex(&app);

    // The issue's "done when": a file with keyless SLSA provenance passes both checks, the
    // evidence naming builder, source, digest and invocation.
    expect("artifact-signed", "app", "pass", &[IDENTITY, &app_sha]);
    expect(
        "artifact-provenance",
        "app",
        "pass",
        &[
            BUILDER,
            "https://github.com/acme/app@refs/tags/v1.4.0",
            &app_sha,
            "actions/runs/42",
        ],
    );
    // Provenance from an untrusted builder: signed, but not trusted provenance.
    expect("artifact-signed", "tool", "pass", &[]);
    expect(
        "artifact-provenance",
        "tool",
        "fail",
        &[LAPTOP, "trusted_builders"],
    );
    // A message signature (sign-blob) over the bytes: signed; no provenance.
    expect("artifact-signed", "plain", "pass", &[IDENTITY]);
    expect(
        "artifact-provenance",
        "plain",
        "fail",
        &["not SLSA provenance"],
    );
    // Every bundle name is read: a signature-only bundle under the first name does not hide
    // the provenance published under the second.
    expect("artifact-signed", "split", "pass", &[IDENTITY]);
    expect("artifact-provenance", "split", "pass", &[BUILDER, &app_sha]);
    // The file changed after signing: its digest is no longer the attested subject.
    let modified_sha = sha256_hex(&modified);
    for check in ["artifact-signed", "artifact-provenance"] {
        expect(
            check,
            "modified",
            "fail",
            &["another subject", &modified_sha],
        );
        expect(check, "named-bundle", "fail", &["another subject"]);
        // No bundle published: a proven absence, so fail, naming where vouch looked.
        expect(
            check,
            "unsigned",
            "fail",
            &[
                "no sigstore bundle",
                "unsigned.sigstore.json",
                "unsigned.bundle",
            ],
        );
        expect(check, "web-unsigned", "fail", &["no sigstore bundle"]);
        // Unreadable: error, never a verdict.
        expect(check, "gone", "error", &["does not exist"]);
        expect(check, "a-directory", "error", &["a directory"]);
        expect(
            check,
            "bad-bundle",
            "error",
            &["bad-bundle.sigstore.json", "a directory"],
        );
        expect(check, "web-gone", "error", &["HTTP 404"]);
        // A redirect to plain HTTP is refused, not followed.
        expect(
            check,
            "web-downgrade",
            "error",
            &["https only", "http://localhost"],
        );
        expect(check, "web-broken-bundle", "error", &["HTTP 500"]);
    }
    // The same release over HTTPS (bundle found beside the URL).
    expect("artifact-signed", "web-app", "pass", &[IDENTITY]);
    expect("artifact-provenance", "web-app", "pass", &[BUILDER]);

    // Facts: digest, size and where each was read.
    let fact = |name: &str| {
        facts["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no artifact {name} in {facts}"))
            .clone()
    };
    assert_eq!(fact("app")["sha256"], app_sha.as_str());
    assert_eq!(fact("app")["size"], app.len());
    assert_eq!(fact("app")["location"], "dist/app");
    assert_eq!(fact("web-app")["location"], format!("{base}/app"));
    assert_eq!(
        fact("tool")["bundles"]["entries"][0]["digest"],
        "dist/tool.bundle"
    );
    // One collection per artifact read, with its error when it was not.
    assert!(
        all.contains("\"source\": \"artifact\"") && all.contains("HTTP 404"),
        "{all}"
    );

    // The oracle: sigstore-python agrees on the keyless bundles over local files.
    let trust = keys.join("trust_config.json");
    for (file, bundle, want) in [
        ("app", "app.sigstore.json", true),
        ("plain", "plain.sigstore.json", true),
        ("tool", "tool.bundle", true),
        ("modified", "modified.sigstore.json", false),
    ] {
        let (ok, text) = sigstore_python_verifies(&trust, &dist.join(bundle), &dist.join(file));
        assert_eq!(ok, want, "sigstore-python on {file}: {text}");
    }
}
