//! Release artifacts (`[[target.artifact]]`): files and HTTPS downloads with the sigstore
//! bundle beside them, verified offline. The bundles come from the local test Sigstore of
//! `sigstore_bundles.py` (as for images); the downloads from a real nginx over TLS with a test
//! CA. sigstore-python (`sigstore verify identity --offline`, same trusted root) is the oracle
//! for the keyless bundles over local files. The artifact checks' facts fixtures are cut from
//! these scans (`live_fixtures`): the facts hold verification outcomes, digests and locations,
//! never a key, certificate or time, so fresh keys and signing times regenerate them unchanged.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::free_port;
use crate::harness::{element, findings_of, printed};
use crate::image_bundles::{github_workflow_slsa_v1, venv};
use crate::images::{Workspace, message, status};
use crate::live_fixtures::Fragment;
use crate::tls_servers::{Leaf, Nginx, Pki};

const IDENTITY: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const BUILDER: &str = "https://github.com/actions/runner/github-hosted";
const LAPTOP: &str = "https://ci.example.com/laptop-runner";
/// The SLSA generator's reusable workflow, trusted at any release tag.
const GENERATOR: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v*";
/// A workflow of a fork: a keyless identity nobody trusts.
const MALLORY: &str = "https://github.com/mallory/app/.github/workflows/x.yml@refs/heads/main";
const TEST: &str =
    "artifacts::release_artifacts_signatures_and_provenance_verify_offline_from_files_and_https";

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

/// A keyless SLSA v1 provenance statement for `bytes`, built by `builder` from acme/app's tag.
fn provenance(name: &str, bytes: &[u8], builder: &str) -> Value {
    provenance_from(
        name,
        bytes,
        builder,
        "https://github.com/acme/app",
        "refs/tags/v1.4.0",
    )
}

/// A SLSA v1 provenance statement for `bytes`, built by `builder` from `repository` at `git_ref`.
fn provenance_from(
    name: &str,
    bytes: &[u8],
    builder: &str,
    repository: &str,
    git_ref: &str,
) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": sha256_hex(bytes)}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": github_workflow_slsa_v1(
            "https://actions.github.io/buildtypes/workflow/v1",
            builder,
            repository,
            git_ref,
            "https://github.com/acme/app/actions/runs/42/attempts/1",
        )
    })
}

/// A SLSA v0.2 provenance statement for `bytes`, as slsa-github-generator's generic workflow
/// v2.1.0 writes it.
fn provenance_v02(name: &str, bytes: &[u8]) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "subject": [{"name": name, "digest": {"sha256": sha256_hex(bytes)}}],
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "predicate": {
            "builder": {"id": GENERATOR.replace("v*", "v2.1.0")},
            "buildType": "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
            "invocation": {"configSource": {
                "uri": "git+https://github.com/acme/app@refs/tags/v1.4.0",
                "digest": {"sha1": "8f3c1d2e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"},
                "entryPoint": ".github/workflows/release.yml"
            }}
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
    (out.status.success(), printed(&out))
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
    // The release's bytes under further names, each with its own bundle: provenance of a
    // branch build, of a fork's repository, of the SLSA generator (v0.2), a statement signed
    // by an untrusted identity, and a key-signed message signature.
    for name in ["branch", "fork", "generator", "mallory"] {
        std::fs::write(dist.join(name), &app).unwrap();
    }
    std::fs::write(dist.join("keyed"), &plain).unwrap();
    // Changed after sign-blob: the message signature's digest is another file's.
    let mut plain_modified = plain.clone();
    plain_modified.push(b'!');
    std::fs::write(dist.join("plain-modified"), &plain_modified).unwrap();
    // Over HTTPS, the first bundle name is refused (403) and the second holds the provenance.
    std::fs::write(web.join("guarded"), &app).unwrap();

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
            keyless(
                "branch",
                "statement",
                provenance_from(
                    "branch",
                    &app,
                    BUILDER,
                    "https://github.com/acme/app",
                    "refs/heads/feature",
                ),
            ),
            keyless(
                "fork",
                "statement",
                provenance_from(
                    "fork",
                    &app,
                    BUILDER,
                    "https://github.com/mallory/app",
                    "refs/tags/v1.4.0",
                ),
            ),
            keyless("generator", "statement", provenance_v02("generator", &app)),
            json!({"name": "mallory", "identity": MALLORY, "issuer": ISSUER,
                   "statement": provenance("mallory", &app, BUILDER)}),
            json!({"name": "keyed", "key": "release",
                   "artifact": dist.join("keyed").display().to_string()}),
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
    for name in ["branch", "fork", "generator", "mallory", "keyed"] {
        std::fs::write(dist.join(format!("{name}.sigstore.json")), bundle(name)).unwrap();
    }
    std::fs::write(dist.join("plain-modified.sigstore.json"), bundle("plain")).unwrap();
    std::fs::write(web.join("guarded.sigstore.json"), bundle("app")).unwrap();
    std::fs::write(web.join("guarded.bundle"), bundle("app")).unwrap();

    let pki = Pki::new();
    let (cert, key) = pki.leaf(&Leaf::good("artifacts"));
    let port = free_port();
    let servers = format!(
        "server {{ listen 127.0.0.1:{port} ssl; server_name localhost;\n\
         ssl_certificate {}; ssl_certificate_key {};\n\
         location = /to-plain-http {{ return 302 http://localhost:{port}/app; }}\n\
         location = /broken {{ return 500; }}\n\
         location = /guarded.sigstore.json {{ return 403; }}\n\
         location / {{ root {}; }} }}",
        cert.display(),
        key.display(),
        web.display()
    );
    let _nginx = Nginx::start(&servers, &[port]);
    let base = format!("https://localhost:{port}");

    // `builders`: the `[image] trusted_builders` list's items.
    let config = |builders: &str| {
        format!(
            "[image]\ntrust_root = \"bundles/trust.pem\"\nkeys = [\"bundles/release.pub\"]\n\
         trusted_builders = [{builders}]\n\n\
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
         [[target.artifact]]\nname = \"web-broken-bundle\"\nurl = \"{base}/app\"\nbundle = \"{base}/broken\"\n\n\
         [[target.artifact]]\nname = \"web-guarded\"\nurl = \"{base}/guarded\"\n\n\
         [[target.artifact]]\nname = \"branch\"\npath = \"dist/branch\"\n\n\
         [[target.artifact]]\nname = \"fork\"\npath = \"dist/fork\"\n\n\
         [[target.artifact]]\nname = \"generator\"\npath = \"dist/generator\"\n\n\
         [[target.artifact]]\nname = \"mallory\"\npath = \"dist/mallory\"\n\n\
         [[target.artifact]]\nname = \"keyed\"\npath = \"dist/keyed\"\n\n\
         [[target.artifact]]\nname = \"plain-modified\"\npath = \"dist/plain-modified\"\n",
            pki.ca_file.display().to_string()
        )
    };
    ws.write(
        "vouch.toml",
        &config(&format!("\"{BUILDER}\", \"{GENERATOR}\"")),
    );

    // Live targets: nothing is read unless the command line asks.
    let (report, facts, _) = ws.scan(&[]);
    assert!(
        facts["artifacts"].as_array().is_none_or(Vec::is_empty),
        "{facts}"
    );
    assert!(
        findings_of(&report, "artifact-signed").is_empty(),
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
    // The first bundle name answers 403; the second proves the provenance, so it passes.
    expect("artifact-signed", "web-guarded", "pass", &[IDENTITY]);
    expect("artifact-provenance", "web-guarded", "pass", &[BUILDER]);
    // Signed by the trusted workflow, but built from a branch or from a fork: not trusted
    // provenance.
    expect("artifact-signed", "branch", "pass", &[IDENTITY]);
    expect(
        "artifact-provenance",
        "branch",
        "fail",
        &["refs/heads/feature"],
    );
    expect("artifact-signed", "fork", "pass", &[IDENTITY]);
    expect(
        "artifact-provenance",
        "fork",
        "fail",
        &["https://github.com/mallory/app"],
    );
    // SLSA v0.2 from the generator's workflow, trusted by a `v*` pattern.
    expect(
        "artifact-provenance",
        "generator",
        "pass",
        &["generator_generic_slsa3.yml@refs/tags/v2.1.0"],
    );
    // A good statement signed by a workflow nobody trusts.
    expect("artifact-signed", "mallory", "fail", &[MALLORY]);
    // Its provenance is not counted because its signer is not trusted, not for its content.
    expect(
        "artifact-provenance",
        "mallory",
        "fail",
        &[MALLORY, "is not a trusted identity"],
    );
    // Signed with the release key (sign-blob --key): signed, no provenance.
    expect("artifact-signed", "keyed", "pass", &["release"]);
    expect(
        "artifact-provenance",
        "keyed",
        "fail",
        &["not SLSA provenance"],
    );
    // A message signature over other bytes.
    expect(
        "artifact-signed",
        "plain-modified",
        "fail",
        &["another", &sha256_hex(&plain_modified)],
    );

    // Facts: digest, size and where each was read.
    let fact = |name: &str| element(&facts, "artifacts", "name", name).clone();
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

    // The fixtures of the artifact checks, cut from these scans: the temp paths and the free
    // port become stable placeholders.
    let workspace = dist.parent().unwrap().display().to_string();
    let pki_dir = pki.dir.path().display().to_string();
    let fragment = |facts: &Value, name: &str, case: &str| {
        Fragment::new(facts, "artifacts")
            .target(name)
            .replace(pki_dir.as_str(), "/tmp/vouch-pki")
            .replace(workspace.as_str(), "/tmp/vouch-workspace")
            .port_as(port, 8443)
            .assert_fixture(TEST, case);
    };
    for (name, case) in [
        ("gone", "artifact-provenance/error/artifact-missing"),
        ("bad-bundle", "artifact-provenance/error/bundle-unreadable"),
        ("branch", "artifact-provenance/fail/branch-ref"),
        ("modified", "artifact-provenance/fail/digest-mismatch"),
        ("fork", "artifact-provenance/fail/fork-source"),
        ("unsigned", "artifact-provenance/fail/no-bundle"),
        ("plain", "artifact-provenance/fail/signature-only"),
        ("tool", "artifact-provenance/fail/untrusted-builder"),
        (
            "web-guarded",
            "artifact-provenance/pass/second-bundle-proves-first-unreadable",
        ),
        ("generator", "artifact-provenance/pass/slsa-v02-generator"),
        ("app", "artifact-provenance/pass/slsa-v1-github-hosted"),
        ("a-directory", "artifact-signed/error/artifact-unreadable"),
        (
            "web-broken-bundle",
            "artifact-signed/error/bundle-unreadable",
        ),
        ("plain-modified", "artifact-signed/fail/digest-mismatch"),
        ("unsigned", "artifact-signed/fail/no-bundle"),
        ("mallory", "artifact-signed/fail/untrusted-identity"),
        ("keyed", "artifact-signed/pass/key-signed-message-signature"),
        ("app", "artifact-signed/pass/keyless-provenance-bundle"),
        ("web-app", "artifact-signed/pass/url-artifact"),
    ] {
        fragment(&facts, name, case);
    }

    // No trusted builder configured: the verified provenance proves nothing, so `error`.
    ws.write("vouch.toml", &config(""));
    let (report, facts, _) = ws.scan(&["--target", "app"]);
    assert_eq!(status(&report, "artifact-signed", "app"), "pass");
    assert_eq!(
        status(&report, "artifact-provenance", "app"),
        "error",
        "{}",
        message(&report, "artifact-provenance", "app")
    );
    fragment(
        &facts,
        "app",
        "artifact-provenance/error/no-trusted-builder-configured",
    );
    // No key, trust root or identity at all: nothing can be verified, so `error`.
    ws.write(
        "vouch.toml",
        "[[target.artifact]]\nname = \"app\"\npath = \"dist/app\"\n",
    );
    let (report, facts, _) = ws.scan(&["--target", "app"]);
    for check in ["artifact-signed", "artifact-provenance"] {
        assert_eq!(
            status(&report, check, "app"),
            "error",
            "{}",
            message(&report, check, "app")
        );
    }
    fragment(&facts, "app", "artifact-signed/error/no-trust-configured");
}
