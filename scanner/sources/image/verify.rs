//! Cosign verification with the sigstore crate's key crypto.
//!
//! - A signature (`.sig` layer): the `dev.cosignproject.cosign/signature` annotation is a
//!   base64 signature over the layer's bytes, a simple-signing payload whose
//!   `critical.image.docker-manifest-digest` must be the image's digest.
//! - An attestation (`.att` layer): a DSSE envelope whose signature covers the DSSE
//!   pre-authentication encoding of an in-toto Statement; a subject's sha256 must be the
//!   image's digest, and the `predicateType` is recorded.
//!
//! sigstore's `cosign` module does the same, but its feature pulls the Fulcio, Rekor and OIDC
//! clients (unreachable here) and hides the registry requests from the count; its DSSE PAE is
//! private to the `bundle` feature. So the two payload rules above are written here, on top of
//! `CosignVerificationKey`.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use checks::facts::image::Verified;
use oci_client::manifest::OciDescriptor;
use sigstore::crypto::{CosignVerificationKey, Signature};

use super::keyless::{CERTIFICATE_ANNOTATION, Keyless};

const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A trusted key and the name it is reported by (its file stem).
pub struct Key {
    pub name: String,
    pub key: CosignVerificationKey,
}

/// Loads every `[image] keys` file; any unreadable key stops image verification (fail closed).
pub fn load_keys(paths: &[String]) -> Result<Vec<Key>, String> {
    paths.iter().map(|p| load_key(p)).collect()
}

fn load_key(path: &str) -> Result<Key, String> {
    let pem = crate::bounded::read_trust_file("key", path).map_err(|e| format!("[image] {e}"))?;
    let key = CosignVerificationKey::try_from_pem(&pem)
        .map_err(|e| format!("[image] key {path}: not a PEM public key: {e}"))?;
    let name = Path::new(path)
        .file_stem()
        .map_or_else(|| path.to_owned(), |s| s.to_string_lossy().into_owned());
    Ok(Key { name, key })
}

/// The first key the signature verifies against.
pub fn signer<'k>(keys: &'k [Key], signature_b64: &[u8], message: &[u8]) -> Option<&'k Key> {
    keys.iter().find(|k| {
        k.key
            .verify_signature(Signature::Base64Encoded(signature_b64), message)
            .is_ok()
    })
}

fn key_names(keys: &[Key]) -> String {
    if keys.is_empty() {
        return "none configured in [image] keys".to_owned();
    }
    keys.iter()
        .map(|k| k.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn failed(layer: &str, predicate_type: String, reason: String) -> Verified {
    Verified {
        digest: layer.to_owned(),
        predicate_type,
        reason,
        ..Verified::default()
    }
}

/// Verifies one `.sig` layer (its bytes and annotations) for `digest`: keyless when it carries
/// a certificate and identities are configured, else against the keys.
pub fn signature(
    layer: &OciDescriptor,
    payload: &[u8],
    digest: &str,
    keys: &[Key],
    keyless: Option<&Keyless>,
) -> Verified {
    let annotations = layer.annotations.clone().unwrap_or_default();
    let Some(signature_b64) = annotations.get(SIGNATURE_ANNOTATION) else {
        let reason = format!("layer has no {SIGNATURE_ANNOTATION} annotation");
        return failed(&layer.digest, String::new(), reason);
    };
    match (keyless, annotations.contains_key(CERTIFICATE_ANNOTATION)) {
        (Some(keyless), true) => match keyless.verify(&annotations, payload, signature_b64) {
            Ok(signer) => signed_for(&layer.digest, payload, digest, signer),
            Err(reason) => failed(&layer.digest, String::new(), reason),
        },
        _ => key_signature(&layer.digest, payload, signature_b64, digest, keys),
    }
}

fn key_signature(
    layer: &str,
    payload: &[u8],
    signature_b64: &str,
    digest: &str,
    keys: &[Key],
) -> Verified {
    if STANDARD.decode(signature_b64.trim()).is_err() {
        let reason =
            format!("malformed signature: the {SIGNATURE_ANNOTATION} annotation is not base64");
        return failed(layer, String::new(), reason);
    }
    let Some(key) = signer(keys, signature_b64.trim().as_bytes(), payload) else {
        let reason = format!(
            "signature does not verify against any trusted key ({})",
            key_names(keys)
        );
        return failed(layer, String::new(), reason);
    };
    signed_for(layer, payload, digest, key.name.clone())
}

/// A signature that verified, judged by the digest its simple-signing payload names.
fn signed_for(layer: &str, payload: &[u8], digest: &str, signer: String) -> Verified {
    let signed_digest = serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| {
            v.pointer("/critical/image/docker-manifest-digest")
                .and_then(|d| d.as_str())
                .map(str::to_owned)
        });
    match signed_digest {
        Some(d) if d == digest => Verified {
            digest: layer.to_owned(),
            verified: true,
            signer,
            ..Verified::default()
        },
        Some(d) => failed(
            layer,
            String::new(),
            format!("signed by {signer} for another image ({d})"),
        ),
        None => failed(
            layer,
            String::new(),
            "payload is not a simple-signing document (no critical.image.docker-manifest-digest)"
                .to_owned(),
        ),
    }
}

/// Verifies one `.att` layer (a DSSE envelope) for `digest`.
pub fn attestation(layer: &str, envelope: &[u8], digest: &str, keys: &[Key]) -> Verified {
    match open_envelope(envelope) {
        Err(reason) => failed(layer, String::new(), reason),
        Ok(envelope) => judge_envelope(layer, &envelope, digest, keys),
    }
}

struct Envelope {
    payload_type: String,
    payload: Vec<u8>,
    signatures: Vec<String>,
}

fn open_envelope(bytes: &[u8]) -> Result<Envelope, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| "not a DSSE envelope (invalid JSON)".to_owned())?;
    let text = |name: &str| value.get(name).and_then(|v| v.as_str()).unwrap_or_default();
    let payload = STANDARD
        .decode(text("payload"))
        .map_err(|_| "DSSE payload is not base64".to_owned())?;
    let signatures = value
        .get("signatures")
        .and_then(|s| s.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|s| s.get("sig").and_then(|v| v.as_str()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Envelope {
        payload_type: text("payloadType").to_owned(),
        payload,
        signatures,
    })
}

fn judge_envelope(layer: &str, envelope: &Envelope, digest: &str, keys: &[Key]) -> Verified {
    let statement: serde_json::Value =
        serde_json::from_slice(&envelope.payload).unwrap_or_default();
    let predicate_type = statement
        .get("predicateType")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        let reason = format!(
            "DSSE payloadType is {:?}, not in-toto",
            envelope.payload_type
        );
        return failed(layer, predicate_type, reason);
    }
    let message = pae(&envelope.payload_type, &envelope.payload);
    let key = envelope
        .signatures
        .iter()
        .find_map(|sig| signer(keys, sig.as_bytes(), &message));
    let Some(key) = key else {
        let reason = format!(
            "DSSE signature does not verify against any trusted key ({})",
            key_names(keys)
        );
        return failed(layer, predicate_type, reason);
    };
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let names_image = statement
        .get("subject")
        .and_then(|s| s.as_array())
        .is_some_and(|subjects| {
            subjects
                .iter()
                .any(|s| s.pointer("/digest/sha256").and_then(|d| d.as_str()) == Some(hex))
        });
    if !names_image {
        let reason = format!(
            "signed by {} for another subject (no sha256 {hex})",
            key.name
        );
        return failed(layer, predicate_type, reason);
    }
    Verified {
        digest: layer.to_owned(),
        provenance: super::provenance::read(&statement),
        predicate_type,
        verified: true,
        signer: key.name.clone(),
        ..Verified::default()
    }
}

/// DSSE v1 pre-authentication encoding: what the envelope's signatures cover.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn a_malformed_envelope_fails_with_its_cause() {
        let v = attestation("sha256:l", b"{not json", "sha256:d", &[]);
        assert!(!v.verified);
        assert!(v.reason.contains("invalid JSON"), "{}", v.reason);
    }
}
