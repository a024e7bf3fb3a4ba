//! A registry that misbehaves in ways docker-registry never does: it drips an answer slowly
//! enough that no single read times out, or sends a blob larger than its descriptor declares.
//! Both must end in an `error` naming the cause, within the operation deadline and without
//! reading the excess; served by a small in-test HTTP server, one thread per connection.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use oci_client::manifest::OCI_IMAGE_MEDIA_TYPE;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::images::{Key, Workspace, message, status};

/// How the server answers a GET of the signature tag's manifest.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// One byte of the manifest every 200 ms, for as long as the client keeps reading.
    DripSignatureManifest,
    /// A signature manifest whose one layer declares 10 bytes; the blob sends a MiB.
    OversizedSignatureBlob,
}

/// A signature layer's declared size for [`Misbehaviour::OversizedSignatureBlob`].
const DECLARED: usize = 10;

struct Server {
    host: String,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Server {
    fn start(misbehaviour: Misbehaviour) -> Server {
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
                std::thread::spawn(move || answer(stream, misbehaviour, &stopping));
            }
        });
        Server { host, stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(&self.host);
        self.thread.join().unwrap();
    }
}

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

fn answer(mut stream: TcpStream, misbehaviour: Misbehaviour, stopping: &AtomicBool) {
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
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let image = image_manifest(&json!([]));
    let digest = format!("sha256:{:x}", Sha256::digest(&image));
    let small_blob = vec![b'x'; DECLARED];
    let (status, kind, body) = if path == "/v2/" {
        ("200 OK", "application/json", b"{}".to_vec())
    } else if path.ends_with("/manifests/1") || path.ends_with(&format!("/manifests/{digest}")) {
        ("200 OK", OCI_IMAGE_MEDIA_TYPE, image)
    } else if path.ends_with(".sig") && method == "GET" {
        match misbehaviour {
            Misbehaviour::DripSignatureManifest => {
                return drip(&mut stream, stopping);
            }
            Misbehaviour::OversizedSignatureBlob => {
                let layer = json!([{
                    "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                    "digest": format!("sha256:{:x}", Sha256::digest(&small_blob)),
                    "size": DECLARED,
                    "annotations": {"dev.cosignproject.cosign/signature": "AAAA"}
                }]);
                ("200 OK", OCI_IMAGE_MEDIA_TYPE, image_manifest(&layer))
            }
        }
    } else if path.contains("/blobs/") {
        (
            "200 OK",
            "application/octet-stream",
            vec![b'x'; 1024 * 1024],
        )
    } else {
        (
            "404 Not Found",
            "application/json",
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.to_vec(),
        )
    };
    let digest_header = if status.starts_with("200") && kind == OCI_IMAGE_MEDIA_TYPE {
        format!(
            "Docker-Content-Digest: sha256:{:x}\r\n",
            Sha256::digest(&body)
        )
    } else {
        String::new()
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n{digest_header}\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = stream.write_all(&body);
    }
}

/// Headers promising 100 kB, then a byte every 200 ms: each read completes well inside the
/// request timeout, so only a deadline on the whole operation ends it. Stops when the client
/// hangs up, or after a minute so a broken client cannot keep the test running.
fn drip(stream: &mut TcpStream, stopping: &AtomicBool) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {OCI_IMAGE_MEDIA_TYPE}\r\nContent-Length: 100000\r\n\
         Connection: close\r\n\r\n{{"
    );
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

fn scan_signed(server: &Server, name: &str) -> (String, String) {
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
    let server = Server::start(Misbehaviour::DripSignatureManifest);
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
    let server = Server::start(Misbehaviour::OversizedSignatureBlob);
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
