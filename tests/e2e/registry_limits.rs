//! A registry that misbehaves in ways docker-registry never does: it drips an answer slowly
//! enough that no single read times out, or sends a blob larger than its descriptor declares.
//! Both must end in an `error` naming the cause, within the operation deadline and without
//! reading the excess; served by a small in-test HTTP server, one thread per connection.

use std::io::Write;
use std::time::{Duration, Instant};

use oci_client::manifest::OCI_IMAGE_MEDIA_TYPE;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::fake_http::{Answer, FakeHttp, Request};
use crate::images::{Key, Workspace, message, status};

/// How the server answers a GET of the signature tag's manifest.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// The manifest dripped a byte every 200 ms, for as long as the client keeps reading.
    DripSignatureManifest,
    /// A signature manifest whose one layer declares 10 bytes; the blob sends a MiB.
    OversizedSignatureBlob,
    /// A signature blob of [`STEADY_BLOB`] bytes sent at a steady ~300 KiB/s: slower than the
    /// operation deadline allows for a small answer, but a healthy registry on a slow link.
    SteadyLargeSignatureBlob,
}

/// The size of [`Misbehaviour::SteadyLargeSignatureBlob`]'s blob: 2 MiB.
const STEADY_BLOB: usize = 2 * 1024 * 1024;

/// A signature layer's declared size for [`Misbehaviour::OversizedSignatureBlob`].
const DECLARED: usize = 10;

fn image_manifest(layers: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MEDIA_TYPE,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": format!("sha256:{:x}", Sha256::digest(b"{}")), "size": 2},
        "layers": layers
    }))
    .unwrap()
}

/// A registry holding one image `shop/NAME:1` with nothing attached but a misbehaving
/// signature tag.
fn registry(misbehaviour: Misbehaviour) -> FakeHttp {
    FakeHttp::start(move |request: &Request, answer: &mut Answer<'_>| {
        let image = image_manifest(&json!([]));
        let digest = format!("sha256:{:x}", Sha256::digest(&image));
        let path = request.path.as_str();
        let manifest = |answer: &mut Answer<'_>, body: &[u8]| {
            let header = format!(
                "Docker-Content-Digest: sha256:{:x}\r\n",
                Sha256::digest(body)
            );
            answer.send(request, "200 OK", OCI_IMAGE_MEDIA_TYPE, &header, body);
        };
        if path == "/v2/" {
            answer.send(request, "200 OK", "application/json", "", b"{}");
        } else if path.ends_with("/manifests/1") || path.ends_with(&format!("/manifests/{digest}"))
        {
            manifest(answer, &image);
        } else if path.ends_with(".sig") && request.method == "GET" {
            match misbehaviour {
                Misbehaviour::DripSignatureManifest => answer.drip(OCI_IMAGE_MEDIA_TYPE, "{"),
                Misbehaviour::OversizedSignatureBlob => {
                    let layer = json!([{
                        "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                        "digest": format!("sha256:{:x}", Sha256::digest(vec![b'x'; DECLARED])),
                        "size": DECLARED,
                        "annotations": {"dev.cosignproject.cosign/signature": "AAAA"}
                    }]);
                    manifest(answer, &image_manifest(&layer));
                }
                Misbehaviour::SteadyLargeSignatureBlob => {
                    let layer = json!([{
                        "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                        "digest": format!("sha256:{:x}", Sha256::digest(vec![b'x'; STEADY_BLOB])),
                        "size": STEADY_BLOB,
                        "annotations": {"dev.cosignproject.cosign/signature": "AAAA"}
                    }]);
                    manifest(answer, &image_manifest(&layer));
                }
            }
        } else if path.contains("/blobs/")
            && matches!(misbehaviour, Misbehaviour::SteadyLargeSignatureBlob)
        {
            // 8 chunks of 256 KiB, 850 ms apart: every read completes inside the 1 s request
            // timeout, the whole blob takes about 6 s.
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                 Content-Length: {STEADY_BLOB}\r\nConnection: close\r\n\r\n"
            );
            if answer.stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = vec![b'x'; STEADY_BLOB / 8];
            for i in 0..8 {
                if i > 0 {
                    std::thread::sleep(Duration::from_millis(850));
                }
                if answer
                    .stream
                    .write_all(&chunk)
                    .and_then(|()| answer.stream.flush())
                    .is_err()
                {
                    return;
                }
            }
        } else if path.contains("/blobs/") {
            let body = vec![b'x'; 1024 * 1024];
            answer.send(request, "200 OK", "application/octet-stream", "", &body);
        } else {
            let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
            answer.send(request, "404 Not Found", "application/json", "", body);
        }
    })
}

fn scan_signed(server: &FakeHttp, name: &str) -> (String, String) {
    let reference = format!("{}/shop/{name}:1", server.host);
    let toml = format!(
        "[image]\nkeys = [\"release.pub\"]\ninsecure_registries = [\"{}\"]\ntimeout_ms = 1000\n\n\
         [[target.image]]\nname = \"{name}\"\nref = \"{reference}\"\n",
        server.host
    );
    let ws = Workspace::new(&[], &toml);
    ws.write("release.pub", &Key::generate().public_pem);
    let (report, _, _) = ws.scan(&["--target", name]);
    (
        status(&report, "image-signed", &reference).to_owned(),
        message(&report, "image-signed", &reference),
    )
}

/// A signature manifest dripped a byte at a time never times out a read; the operation's
/// deadline (three request timeouts) ends it with an `error`, not a scan that never finishes.
#[test]
fn a_registry_dripping_its_answer_is_cut_at_the_operation_deadline() {
    let server = registry(Misbehaviour::DripSignatureManifest);
    let started = Instant::now();
    let (status, why) = scan_signed(&server, "slow");
    let took = started.elapsed();
    server.stop();
    assert_eq!(status, "error", "{why}");
    assert!(
        why.contains("did not finish answering within 3000 ms"),
        "{why}"
    );
    // Not a timing assertion on vouch's speed: the drip lasts a minute, so a scan that ended
    // well before it was cut by the deadline rather than by the server giving up.
    assert!(took < Duration::from_secs(50), "the scan took {took:?}");
}

/// A blob larger than its descriptor declares is refused at the declared size, before the
/// excess is buffered (the digest check alone would read it all first).
#[test]
fn a_blob_larger_than_its_descriptor_declares_is_refused_at_the_declared_size() {
    let server = registry(Misbehaviour::OversizedSignatureBlob);
    let (status, why) = scan_signed(&server, "big");
    server.stop();
    assert_eq!(status, "error", "{why}");
    assert!(
        why.contains(&format!(
            "more than the {DECLARED} bytes the descriptor declares"
        )),
        "{why}"
    );
}

/// A large blob sent steadily but slower than three request timeouts allow is still read: its
/// deadline grows with its declared size, so a healthy registry on a slow link is not an error.
#[test]
fn a_large_blob_sent_steadily_is_not_cut_at_the_small_answer_deadline() {
    let server = registry(Misbehaviour::SteadyLargeSignatureBlob);
    let started = Instant::now();
    let (status, why) = scan_signed(&server, "steady");
    let took = started.elapsed();
    server.stop();
    assert!(
        !why.contains("did not finish answering"),
        "{status}: {why} (after {took:?})"
    );
    // The blob was read (in about 6 s, over the 3 s a small answer gets) and judged: its
    // signature `AAAA` is no signature, so the image is not signed, which is a verdict.
    assert_eq!(status, "fail", "{why}");
    assert!(took > Duration::from_secs(3), "the scan took {took:?}");
}
