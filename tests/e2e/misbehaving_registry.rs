//! A registry that misbehaves in ways docker-registry never does: it refuses the referrers
//! fallback tag (403), answers an empty referrers API beside a tag that lists entries, drips an
//! answer slowly enough that no single read times out, or sends a blob larger than its
//! descriptor declares. Each must end in an `error` naming the cause (never "none attached"),
//! within the operation deadline and without reading the excess. Served by [`FakeHttp`].
//!
//! It also pages its referrers answer (`Link: <…>; rel="next"`, which docker-registry 2.8,
//! having no referrers API, never sends): a referrer on page 2 is read, and a next page on
//! another host, or one already read, is an error.

use std::time::{Duration, Instant};

use oci_client::manifest::{OCI_IMAGE_INDEX_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::fake_http::{Answer, FakeHttp, Request};
use crate::images::{Key, Workspace, message, status};

/// How the registry misbehaves about its one image's signatures and referrers.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// No referrers API (404); the `sha256-…` fallback tag is refused (403 DENIED).
    ReferrersTagRefused,
    /// The referrers API answers an empty index, while the fallback tag (written before the
    /// registry had the API) lists a sigstore bundle.
    ReferrersApiEmptyTagListing,
    /// The manifest dripped a byte every 200 ms, for as long as the client keeps reading.
    DripSignatureManifest,
    /// A signature manifest whose one layer declares 10 bytes; the blob sends a MiB.
    OversizedSignatureBlob,
    /// A signature blob of [`STEADY_BLOB`] bytes sent at a steady ~300 KiB/s: slower than the
    /// deadline of a small answer allows, but a healthy registry on a slow link.
    SteadyLargeSignatureBlob,
    /// The referrers API answers in two pages: page 1 lists an unrelated artifact and links
    /// (relative URL) to page 2, which lists [`PAGED`], a sigstore bundle.
    ReferrersPaged,
    /// Page 1 of the referrers answer links its next page to another server (this host).
    ReferrersNextOffHost(&'static str),
    /// Page 2 of the referrers answer links back to page 1.
    ReferrersNextRepeats,
    /// Every page of the referrers answer links to a new one (`?page=N+1`).
    ReferrersEndless,
    /// A signature manifest of 5 MiB (a valid manifest, padded with an annotation): past the
    /// 4 MiB the OCI distribution spec asks registries to accept.
    OversizedSignatureManifest,
}

/// The digest of the sigstore bundle [`Misbehaviour::ReferrersPaged`] lists on page 2 (its
/// manifest is absent, so reading it is an error that names it).
const PAGED: &str = "sha256:abababababababababababababababababababababababababababababababab";

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

/// A cosign simple-signing layer of `size` bytes of `x`, with a signature that is no
/// signature (`AAAA`).
fn signature_layer(size: usize) -> Value {
    json!([{
        "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "digest": format!("sha256:{:x}", Sha256::digest(vec![b'x'; size])),
        "size": size,
        "annotations": {"dev.cosignproject.cosign/signature": "AAAA"}
    }])
}

fn error_body(code: &str, message: &str) -> Vec<u8> {
    format!(r#"{{"errors":[{{"code":"{code}","message":"{message}"}}]}}"#).into_bytes()
}

/// A registry holding one image `shop/NAME:1`, misbehaving as told.
fn registry(misbehaviour: Misbehaviour) -> FakeHttp {
    FakeHttp::start(move |request: &Request, answer: &mut Answer<'_>| {
        let image = image_manifest(&json!([]));
        let digest = format!("sha256:{:x}", Sha256::digest(&image));
        let path = request.route();
        let manifest = |answer: &mut Answer<'_>, body: &[u8]| {
            let header = format!(
                "Docker-Content-Digest: sha256:{:x}\r\n",
                Sha256::digest(body)
            );
            answer.send(request, "200 OK", OCI_IMAGE_MEDIA_TYPE, &header, body);
        };
        if path == "/v2/" {
            answer.send(request, "200 OK", "application/json", "", b"{}");
            return;
        }
        if path.ends_with("/manifests/1") || path.ends_with(&format!("/manifests/{digest}")) {
            manifest(answer, &image);
            return;
        }
        let index = |answer: &mut Answer<'_>, manifests: Value| {
            let index = json!({"schemaVersion": 2, "mediaType": OCI_IMAGE_INDEX_MEDIA_TYPE,
                               "manifests": manifests});
            let body = serde_json::to_vec(&index).unwrap();
            answer.send(request, "200 OK", OCI_IMAGE_INDEX_MEDIA_TYPE, "", &body);
        };
        let referrers_tag = path.contains("/manifests/sha256-")
            && !path.ends_with(".sig")
            && !path.ends_with(".att");
        let signature_tag = path.ends_with(".sig") && request.method == "GET";
        match misbehaviour {
            Misbehaviour::ReferrersPaged
            | Misbehaviour::ReferrersNextOffHost(_)
            | Misbehaviour::ReferrersNextRepeats
            | Misbehaviour::ReferrersEndless
                if path.contains("/referrers/") =>
            {
                referrers_page(request, answer, misbehaviour);
            }
            Misbehaviour::ReferrersTagRefused if referrers_tag => {
                let body = error_body("DENIED", "requested access to the resource is denied");
                answer.send(request, "403 Forbidden", "application/json", "", &body);
            }
            Misbehaviour::ReferrersApiEmptyTagListing if path.contains("/referrers/") => {
                index(answer, json!([]));
            }
            Misbehaviour::ReferrersApiEmptyTagListing if referrers_tag => index(
                answer,
                json!([{
                    "mediaType": OCI_IMAGE_MEDIA_TYPE,
                    "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                    "digest": format!("sha256:{}", "ab".repeat(32)),
                    "size": 100
                }]),
            ),
            Misbehaviour::DripSignatureManifest if signature_tag => {
                answer.drip(OCI_IMAGE_MEDIA_TYPE, "{");
            }
            Misbehaviour::OversizedSignatureManifest if signature_tag => {
                let mut padded: Value =
                    serde_json::from_slice(&image_manifest(&json!([]))).unwrap();
                padded["annotations"] = json!({"padding": "x".repeat(5 * 1024 * 1024)});
                manifest(answer, &serde_json::to_vec(&padded).unwrap());
            }
            Misbehaviour::OversizedSignatureBlob if signature_tag => {
                manifest(answer, &image_manifest(&signature_layer(DECLARED)));
            }
            Misbehaviour::SteadyLargeSignatureBlob if signature_tag => {
                manifest(answer, &image_manifest(&signature_layer(STEADY_BLOB)));
            }
            // 8 parts of 256 KiB, 850 ms apart: every read completes inside the 1 s request
            // timeout; the whole blob takes about 6 s.
            Misbehaviour::SteadyLargeSignatureBlob if path.contains("/blobs/") => {
                let body = vec![b'x'; STEADY_BLOB];
                answer.send_steadily(
                    "application/octet-stream",
                    &body,
                    8,
                    Duration::from_millis(850),
                );
            }
            Misbehaviour::OversizedSignatureBlob if path.contains("/blobs/") => {
                let body = vec![b'x'; 1024 * 1024];
                answer.send(request, "200 OK", "application/octet-stream", "", &body);
            }
            _ => {
                let body = error_body("MANIFEST_UNKNOWN", "manifest unknown");
                answer.send(request, "404 Not Found", "application/json", "", &body);
            }
        }
    })
}

/// One page of a paged referrers answer: page 1 (no query) lists an unrelated artifact and
/// links to page 2 (`?page=2`), which lists the bundle [`PAGED`] (endless: every page lists the
/// unrelated artifact and links to the next); where the links lead is the misbehaviour's.
fn referrers_page(request: &Request, answer: &mut Answer<'_>, misbehaviour: Misbehaviour) {
    let path = request.route();
    let number: u32 = request
        .path
        .split_once("?page=")
        .map_or(1, |(_, n)| n.parse().unwrap());
    let (listed, next) = if number == 2 && !matches!(misbehaviour, Misbehaviour::ReferrersEndless) {
        let entry = json!({"mediaType": OCI_IMAGE_MEDIA_TYPE, "digest": PAGED, "size": 100,
                           "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json"});
        let next =
            matches!(misbehaviour, Misbehaviour::ReferrersNextRepeats).then(|| path.to_owned());
        (entry, next)
    } else {
        let entry = json!({"mediaType": OCI_IMAGE_MEDIA_TYPE, "size": 100,
                           "digest": format!("sha256:{}", "cd".repeat(32)),
                           "artifactType": "application/vnd.example.readme"});
        let next = match misbehaviour {
            Misbehaviour::ReferrersNextOffHost(other) => format!("http://{other}{path}?page=2"),
            _ => format!("{path}?page={}", number + 1),
        };
        (entry, Some(next))
    };
    let link = next.map_or_else(String::new, |next| {
        format!("Link: <{next}>; rel=\"next\"\r\n")
    });
    let index = json!({"schemaVersion": 2, "mediaType": OCI_IMAGE_INDEX_MEDIA_TYPE,
                       "manifests": [listed]});
    let body = serde_json::to_vec(&index).unwrap();
    answer.send(request, "200 OK", OCI_IMAGE_INDEX_MEDIA_TYPE, &link, &body);
}

/// Scans `HOST/shop/NAME:1` (target NAME, a signing key configured, a 1 s request timeout) on
/// a registry misbehaving as told, then stops it; returns the report and the image reference.
fn scan(misbehaviour: Misbehaviour, name: &str) -> (Value, String) {
    scan_with_timeout(misbehaviour, name, 1000)
}

/// [`scan`] with a request timeout of `timeout_ms`.
fn scan_with_timeout(misbehaviour: Misbehaviour, name: &str, timeout_ms: u32) -> (Value, String) {
    let server = registry(misbehaviour);
    let reference = format!("{}/shop/{name}:1", server.host);
    let toml = format!(
        "[image]\nkeys = [\"release.pub\"]\ninsecure_registries = [\"{}\"]\ntimeout_ms = {timeout_ms}\n\n\
         [[target.image]]\nname = \"{name}\"\nref = \"{reference}\"\n",
        server.host
    );
    let ws = Workspace::new(&[], &toml);
    ws.write("release.pub", &Key::generate().public_pem);
    let (report, _, _) = ws.scan(&["--target", name]);
    server.stop();
    (report, reference)
}

/// Both checks that read referrers report `error` for `reference`, with a message `says`
/// accepts: what the referrers hold is unknown, never "none attached".
fn assert_referrers_unreadable(report: &Value, reference: &str, says: impl Fn(&str) -> bool) {
    for check in ["image-signed", "image-sbom-attested"] {
        let why = message(report, check, reference);
        assert_eq!(status(report, check, reference), "error", "{check}: {why}");
        assert!(says(&why), "{check}: {why}");
    }
}

/// The `image-signed` verdict and message for the image.
fn signed(report: &Value, reference: &str) -> (String, String) {
    (
        status(report, "image-signed", reference).to_owned(),
        message(report, "image-signed", reference),
    )
}

#[test]
fn a_referrers_tag_the_registry_refuses_is_an_error_not_none_attached() {
    let (report, reference) = scan(Misbehaviour::ReferrersTagRefused, "denied");
    // The `.sig` and `.att` tags are absent (404), but the referrers were refused: what they
    // would hold is unknown, so neither check may say "none attached".
    assert_referrers_unreadable(&report, &reference, |why| {
        why.contains("referrers: cannot read") && why.contains("access denied")
    });
}

/// A referrers API that answers empty beside a fallback tag that lists a bundle: the tag's
/// entry is read (here it cannot be fetched, so `error`), never "none attached".
#[test]
fn a_referrers_tag_listing_entries_beside_an_empty_api_answer_is_read() {
    let (report, reference) = scan(Misbehaviour::ReferrersApiEmptyTagListing, "listed");
    // The error names the entry the tag listed: the tag was read, not only the empty API.
    let listed = format!("sha256:{}", "ab".repeat(32));
    assert_referrers_unreadable(&report, &reference, |why| {
        why.contains("referrers: ")
            && why.contains(&listed)
            && !why.contains("none attached")
            && !why.contains("no signature")
    });
}

/// A signature manifest dripped a byte at a time never times out a read; the operation's
/// deadline (three request timeouts) ends it with an `error`, not a scan that never finishes.
#[test]
fn a_registry_dripping_its_answer_is_cut_at_the_operation_deadline() {
    let started = Instant::now();
    let (report, reference) = scan(Misbehaviour::DripSignatureManifest, "slow");
    let took = started.elapsed();
    let (status, why) = signed(&report, &reference);
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
    let (report, reference) = scan(Misbehaviour::OversizedSignatureBlob, "big");
    let (status, why) = signed(&report, &reference);
    assert_eq!(status, "error", "{why}");
    assert!(
        why.contains(&format!(
            "more than the {DECLARED} bytes the descriptor declares"
        )),
        "{why}"
    );
}

/// A manifest larger than the 4 MiB a registry needs to accept is refused at that size, not
/// read whole (oci-client reads a manifest answer whole, however large).
#[test]
fn a_manifest_larger_than_the_distribution_spec_limit_is_refused() {
    let (report, reference) = scan(Misbehaviour::OversizedSignatureManifest, "huge");
    let (status, why) = signed(&report, &reference);
    assert_eq!(status, "error", "{why}");
    assert!(why.contains("larger than 4 MiB, not read"), "{why}");
}

/// A large blob sent steadily but slower than three request timeouts allow is still read: its
/// deadline grows with its declared size, so a healthy registry on a slow link is not an error.
#[test]
fn a_large_blob_sent_steadily_is_not_cut_at_the_small_answer_deadline() {
    let started = Instant::now();
    let (report, reference) = scan(Misbehaviour::SteadyLargeSignatureBlob, "steady");
    let took = started.elapsed();
    let (status, why) = signed(&report, &reference);
    assert!(
        !why.contains("did not finish answering"),
        "{status}: {why} (after {took:?})"
    );
    // The blob was read (in about 6 s, over the 3 s a small answer gets) and judged: its
    // signature `AAAA` is no signature, so the image is not signed, which is a verdict.
    assert_eq!(status, "fail", "{why}");
    assert!(took > Duration::from_secs(3), "the scan took {took:?}");
}

/// A referrer listed on page 2 of the referrers answer is read: the error names it (its
/// manifest is absent), where reading page 1 alone would find no signature at all.
#[test]
fn a_referrer_on_the_second_referrers_page_is_read() {
    let (report, reference) = scan(Misbehaviour::ReferrersPaged, "paged");
    assert_referrers_unreadable(&report, &reference, |why| {
        why.contains(&format!("{PAGED} is listed but missing"))
    });
}

/// A next page on another host is not asked for (no request reaches it): the referrers are
/// unreadable, an `error`, never the first page's "none attached".
#[test]
fn a_next_referrers_page_on_another_host_is_refused() {
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&hits);
    let other = FakeHttp::start(move |request: &Request, answer: &mut Answer<'_>| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        answer.send(request, "404 Not Found", "application/json", "", b"{}");
    });
    let other_host: &'static str = Box::leak(other.host.clone().into_boxed_str());
    let (report, reference) = scan(Misbehaviour::ReferrersNextOffHost(other_host), "offhost");
    other.stop();
    assert_referrers_unreadable(&report, &reference, |why| {
        why.contains("referrers: cannot read") && why.contains(other_host)
    });
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// A next link back to a page already read is an error, not a loop nor a shorter list.
#[test]
fn a_repeated_next_referrers_page_is_an_error() {
    let (report, reference) = scan(Misbehaviour::ReferrersNextRepeats, "looping");
    assert_referrers_unreadable(&report, &reference, |why| {
        why.contains("referrers: cannot read") && why.contains("already read")
    });
}

/// An answer of more pages than vouch reads (100) is an error naming the registry and image,
/// not the pages read so far.
#[test]
fn a_referrers_answer_of_too_many_pages_is_an_error() {
    // 100 pages take about a second here; a 5 s request timeout (15 s deadline) keeps a loaded
    // machine from ending the walk at the deadline instead of the page cap.
    let (report, reference) = scan_with_timeout(Misbehaviour::ReferrersEndless, "endless", 5000);
    assert_referrers_unreadable(&report, &reference, |why| {
        why.contains("referrers: cannot read") && why.contains("more than 100 pages")
    });
}
