//! Sigstore bundles (v0.1, v0.2, v0.3 JSON), verified offline.
//!
//! A bundle holds one signature (a message signature or a DSSE envelope of an in-toto
//! Statement), its verification material (a Fulcio certificate or chain, or a public key hint)
//! and the transparency log entry that recorded it. It verifies when:
//! 1. the content binds the subject: a DSSE statement names its sha256, or a message
//!    signature's digest is the artifact's;
//! 2. the signature verifies with the certificate's key (keyless) or a key of `[image] keys`;
//! 3. the log entry verifies against a log key of `[image] trust_root` (log id = SHA-256 of the
//!    key): its signed entry timestamp (SET, over the canonical JSON of body, integratedTime,
//!    logID, logIndex) and/or its RFC 6962 inclusion proof to a root that a signed checkpoint
//!    commits to; every one present must verify, one must be present;
//! 4. the entry's body (`hashedrekord`, `dsse` or `intoto`) is for this very signature, payload
//!    and certificate;
//! 5. keyless only: the certificate chains to a Fulcio CA of the trust root for code signing at
//!    the entry's integrated time, which only the SET proves (an inclusion proof does not cover
//!    the time; RFC 3161 timestamps are not supported), and its SAN and OIDC issuer match one of
//!    `[[image.identities]]`.
//!
//! Why not `sigstore::bundle`: in sigstore 0.15 its verifier skips the SET and the inclusion
//! proof (TODOs in `verify_digest_with`), requires an embedded SCT, has no key-signed bundles,
//! and its feature pulls the Fulcio/Rekor/OIDC clients. The crypto below is still the sigstore
//! crate's (`CosignVerificationKey`) and `rustls-webpki` (chain); the Merkle arithmetic is the
//! RFC 6962 / RFC 9162 algorithm, whose sigstore implementation is crate-private.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use checks::facts::image::Verified;
use rustls_pki_types::CertificateDer;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sigstore::crypto::{CosignVerificationKey, Signature};

use super::keyless::{Keyless, LogKey};
use super::verify::{Key, pae};
use crate::pack::sha256_hex;

/// `application/vnd.dev.sigstore.bundle+json;version=0.x` and `…bundle.v0.3+json`.
pub const MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// cosign v3 signs an image with a DSSE statement of this predicate type.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// What is trusted to vouch for a bundle.
pub struct Trust<'a> {
    pub keys: &'a [Key],
    pub keyless: Option<&'a Keyless>,
}

/// The thing a bundle must be about.
pub struct Subject<'a> {
    /// Lower-case hex SHA-256 (an image manifest digest, a file's digest).
    pub sha256: &'a str,
    /// The artifact's bytes when at hand (a file); message signatures need them.
    pub bytes: Option<&'a [u8]>,
}

/// Whether a bundle is a signature (a message signature, or a cosign signing statement) or an
/// attestation (any other in-toto statement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Signature,
    Attestation,
}

pub fn is_bundle_media_type(media_type: &str) -> bool {
    media_type.starts_with(MEDIA_TYPE_PREFIX)
}

/// Verifies the bundle `bytes` (reported as `id`) for `subject`.
pub fn verify(
    id: &str,
    bytes: &[u8],
    subject: &Subject<'_>,
    trust: &Trust<'_>,
) -> (Kind, Verified) {
    let mut verified = Verified {
        digest: id.to_owned(),
        format: "sigstore-bundle".to_owned(),
        ..Verified::default()
    };
    let bundle: Bundle = match serde_json::from_slice(bytes) {
        Ok(b) => b,
        Err(e) => {
            verified.reason = format!("not a sigstore bundle (line {}: {})", e.line(), short(&e));
            return (Kind::Signature, verified);
        }
    };
    let content = match Content::open(&bundle) {
        Ok(c) => c.with_artifact(subject),
        Err(reason) => {
            verified.reason = reason;
            return (Kind::Signature, verified);
        }
    };
    verified.format = format!("sigstore-bundle {}", bundle.version().unwrap_or("?"));
    content
        .predicate_type()
        .clone_into(&mut verified.predicate_type);
    let kind = content.kind();
    match check(&bundle, &content, subject, trust) {
        Ok(signer) => {
            verified.verified = true;
            verified.signer = signer;
            verified.provenance = content.statement.as_ref().and_then(super::provenance::read);
        }
        Err(reason) => verified.reason = reason,
    }
    (kind, verified)
}

/// serde's message without the position (already given) and without quoting input.
fn short(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let cause = text.split(" at line").next().unwrap_or(&text);
    let kind = match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "invalid JSON",
        _ => "unexpected structure",
    };
    if cause.contains('`') || cause.contains('"') {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}

/// All the steps of the module documentation; the signer on success.
fn check(
    bundle: &Bundle,
    content: &Content,
    subject: &Subject<'_>,
    trust: &Trust<'_>,
) -> Result<String, String> {
    let version = bundle
        .version()
        .ok_or_else(|| format!("unsupported bundle media type {:?}", bundle.media_type))?;
    // From v0.2 on the bundle specification requires the inclusion proof (v0.1: the SET).
    let unproven = |e: &TlogEntry| e.inclusion_proof.is_none();
    if version != "v0.1"
        && bundle
            .verification_material
            .tlog_entries
            .iter()
            .any(unproven)
    {
        return Err(format!(
            "a {version} bundle's log entry must carry an inclusion proof, and this one has none"
        ));
    }
    content.binds(subject)?;
    let material = &bundle.verification_material;
    match material.leaf()? {
        Some((leaf, chain)) => {
            let keyless = trust.keyless.ok_or(
                "keyless bundle, but no [image] trust_root and [[image.identities]] are configured",
            )?;
            keyless_signer(material, content, &leaf, &chain, keyless)
        }
        None => key_signer(material, content, trust),
    }
}

fn keyless_signer(
    material: &Material,
    content: &Content,
    leaf: &[u8],
    chain: &[CertificateDer<'static>],
    keyless: &Keyless,
) -> Result<String, String> {
    let (certificate, key) = super::keyless::leaf_key(leaf)?;
    content.verify_with(&key)?;
    let entry = material.entry()?;
    let logged = entry.verify(keyless.log_keys())?;
    let signed_at = logged.ok_or(
        "the log entry has no signed entry timestamp, so the signing time is not proven offline \
         (RFC 3161 timestamps are not supported)",
    )?;
    entry.body_matches(content, Some(leaf))?;
    keyless.verify_chain_der(leaf, chain, signed_at)?;
    keyless.trusted_identity(&certificate)
}

fn key_signer(material: &Material, content: &Content, trust: &Trust<'_>) -> Result<String, String> {
    if material.public_key.is_none() {
        return Err("bundle has no certificate and no public key".to_owned());
    }
    let key = trust
        .keys
        .iter()
        .find(|k| content.verify_with(&k.key).is_ok())
        .ok_or_else(|| {
            let names: Vec<&str> = trust.keys.iter().map(|k| k.name.as_str()).collect();
            format!(
                "bundle signature does not verify against any trusted key ({})",
                if names.is_empty() {
                    "none configured in [image] keys".to_owned()
                } else {
                    names.join(", ")
                }
            )
        })?;
    // The key proves the signature; a log entry, when present and a trust root is configured,
    // must verify too (a forged entry is a red flag, not noise).
    if let (Some(keyless), Some(entry)) = (trust.keyless, material.tlog_entries.first()) {
        entry.verify(keyless.log_keys())?;
        entry.body_matches(content, None)?;
    }
    Ok(key.name.clone())
}

// ---------------------------------------------------------------------------------------------
// The bundle model (protobuf-specs JSON mapping: camelCase, bytes as base64, int64 as strings).

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bundle {
    #[serde(default)]
    media_type: String,
    verification_material: Material,
    message_signature: Option<MessageSignature>,
    dsse_envelope: Option<Envelope>,
}

impl Bundle {
    fn version(&self) -> Option<&'static str> {
        match self.media_type.as_str() {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some("v0.1"),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some("v0.2"),
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some("v0.3"),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Material {
    certificate: Option<RawBytes>,
    x509_certificate_chain: Option<Chain>,
    public_key: Option<Value>,
    #[serde(default)]
    tlog_entries: Vec<TlogEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    raw_bytes: String,
}

/// The signing certificate (DER) and the rest of its chain.
type SigningCertificate = (Vec<u8>, Vec<CertificateDer<'static>>);

#[derive(Deserialize)]
struct Chain {
    certificates: Vec<RawBytes>,
}

impl Material {
    /// The signing certificate and the rest of the chain, `None` for a key-signed bundle.
    fn leaf(&self) -> Result<Option<SigningCertificate>, String> {
        let raw: Vec<&RawBytes> = match (&self.certificate, &self.x509_certificate_chain) {
            (Some(c), _) => vec![c],
            (None, Some(chain)) => chain.certificates.iter().collect(),
            (None, None) => return Ok(None),
        };
        let mut ders = raw
            .into_iter()
            .map(|r| b64(&r.raw_bytes, "certificate"))
            .collect::<Result<Vec<_>, _>>()?;
        if ders.is_empty() {
            return Err("bundle certificate chain is empty".to_owned());
        }
        let leaf = ders.remove(0);
        Ok(Some((
            leaf,
            ders.into_iter().map(CertificateDer::from).collect(),
        )))
    }

    fn entry(&self) -> Result<&TlogEntry, String> {
        self.tlog_entries.first().ok_or_else(|| {
            "bundle has no transparency log entry: the signing time cannot be proven offline"
                .to_owned()
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageSignature {
    message_digest: Option<MessageDigest>,
    signature: String,
}

#[derive(Deserialize)]
struct MessageDigest {
    #[serde(default)]
    algorithm: String,
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload: String,
    payload_type: String,
    #[serde(default)]
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Deserialize)]
struct EnvelopeSignature {
    sig: String,
}

fn b64(text: &str, what: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(text.trim())
        .map_err(|_| format!("bundle {what} is not base64"))
}

/// What was signed, decoded.
struct Content<'a> {
    signature: Vec<u8>,
    /// The bytes the signature covers: the DSSE PAE, or the artifact itself for a message
    /// signature (borrowed: a release file can be hundreds of megabytes, never copied).
    message: Option<Cow<'a, [u8]>>,
    /// DSSE: the payload (the in-toto statement's bytes).
    payload: Option<Vec<u8>>,
    statement: Option<Value>,
    /// Message signature: the sha256 digest it claims.
    message_digest: Option<Vec<u8>>,
}

impl<'a> Content<'a> {
    fn open(bundle: &Bundle) -> Result<Content<'a>, String> {
        match (&bundle.dsse_envelope, &bundle.message_signature) {
            (Some(envelope), _) => Content::dsse(envelope),
            (None, Some(message)) => Content::message(message),
            (None, None) => {
                Err("bundle has neither a DSSE envelope nor a message signature".to_owned())
            }
        }
    }

    fn dsse(envelope: &Envelope) -> Result<Content<'a>, String> {
        if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(format!(
                "DSSE payloadType is {:?}, not in-toto",
                envelope.payload_type
            ));
        }
        let [signature] = envelope.signatures.as_slice() else {
            return Err(format!(
                "DSSE envelope has {} signatures; a sigstore bundle has exactly one",
                envelope.signatures.len()
            ));
        };
        let payload = b64(&envelope.payload, "DSSE payload")?;
        let statement = serde_json::from_slice::<Value>(&payload)
            .map_err(|_| "DSSE payload is not an in-toto statement (invalid JSON)".to_owned())?;
        Ok(Content {
            signature: b64(&signature.sig, "DSSE signature")?,
            message: Some(Cow::Owned(pae(&envelope.payload_type, &payload))),
            payload: Some(payload),
            statement: Some(statement),
            message_digest: None,
        })
    }

    fn message(message: &MessageSignature) -> Result<Content<'a>, String> {
        let digest = message
            .message_digest
            .as_ref()
            .ok_or("message signature has no message digest")?;
        if digest.algorithm != "SHA2_256" {
            return Err(format!(
                "message digest algorithm {:?} is not supported (SHA2_256 only)",
                digest.algorithm
            ));
        }
        Ok(Content {
            signature: b64(&message.signature, "signature")?,
            message: None,
            payload: None,
            statement: None,
            message_digest: Some(b64(&digest.digest, "message digest")?),
        })
    }

    fn predicate_type(&self) -> &str {
        self.statement
            .as_ref()
            .and_then(|s| s.get("predicateType"))
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn kind(&self) -> Kind {
        if self.statement.is_none() || self.predicate_type() == COSIGN_SIGN_PREDICATE {
            Kind::Signature
        } else {
            Kind::Attestation
        }
    }

    /// The content is about `subject` (and, for a message signature, carries its bytes).
    fn binds(&self, subject: &Subject<'_>) -> Result<(), String> {
        if let Some(statement) = &self.statement {
            let names_subject = statement
                .get("subject")
                .and_then(Value::as_array)
                .is_some_and(|list| {
                    list.iter().any(|s| {
                        s.pointer("/digest/sha256").and_then(Value::as_str) == Some(subject.sha256)
                    })
                });
            return if names_subject {
                Ok(())
            } else {
                Err(format!(
                    "statement is for another subject (no sha256 {})",
                    subject.sha256
                ))
            };
        }
        let claimed = self
            .message_digest
            .as_deref()
            .map(hex::encode)
            .unwrap_or_default();
        if claimed != subject.sha256 {
            return Err(format!(
                "message signature is for another artifact (sha256 {claimed})"
            ));
        }
        Ok(())
    }

    /// The signature verifies with `key` over the DSSE PAE or the artifact's bytes.
    fn verify_with(&self, key: &CosignVerificationKey) -> Result<(), String> {
        let message = self.message.as_deref().ok_or(
            "a message signature over an image is not supported (cosign v3 signs images with a \
             DSSE statement); only files are verified by message signature",
        )?;
        key.verify_signature(Signature::Raw(&self.signature), message)
            .map_err(|_| "signature does not verify with the signer's key".to_owned())
    }

    /// For a message signature: attach the artifact's bytes when the digest it claims is the
    /// subject's (the subject's digest was computed from these very bytes).
    fn with_artifact(mut self, subject: &Subject<'a>) -> Self {
        if let (None, Some(bytes), Some(claimed)) =
            (&self.message, subject.bytes, &self.message_digest)
            && hex::encode(claimed) == subject.sha256
        {
            self.message = Some(Cow::Borrowed(bytes));
        }
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Transparency log entries.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TlogEntry {
    log_index: Int64,
    log_id: LogId,
    #[serde(default)]
    kind_version: Option<KindVersion>,
    integrated_time: Int64,
    inclusion_promise: Option<Promise>,
    inclusion_proof: Option<Proof>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogId {
    key_id: String,
}

#[derive(Deserialize)]
struct KindVersion {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Promise {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Proof {
    log_index: Int64,
    root_hash: String,
    tree_size: Int64,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: Option<Checkpoint>,
}

#[derive(Deserialize)]
struct Checkpoint {
    envelope: String,
}

/// A protobuf int64: a JSON string (the canonical mapping) or a number.
#[derive(Clone, Copy)]
struct Int64(i64);

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Number(n) => n.as_i64().map(Int64),
            Value::String(s) => s.parse().ok().map(Int64),
            _ => None,
        }
        .ok_or_else(|| serde::de::Error::custom("not an int64"))
    }
}

impl TlogEntry {
    /// Verifies the SET and/or the inclusion proof; the integrated time when the SET proves it.
    fn verify(&self, keys: &[LogKey]) -> Result<Option<u64>, String> {
        let log_id = b64(&self.log_id.key_id, "log id")?;
        let key = keys
            .iter()
            .find(|k| k.id.as_slice() == log_id.as_slice())
            .ok_or_else(|| {
                format!(
                    "log entry is from log {} whose key is not in trust_root",
                    hex::encode(&log_id)
                )
            })?;
        let body = b64(&self.canonicalized_body, "log entry body")?;
        if self.inclusion_promise.is_none() && self.inclusion_proof.is_none() {
            return Err(
                "log entry has neither a signed entry timestamp nor an inclusion proof".to_owned(),
            );
        }
        if let Some(proof) = &self.inclusion_proof {
            proof.verify(&body, &key.key)?;
        }
        let Some(promise) = &self.inclusion_promise else {
            return Ok(None);
        };
        let set = b64(&promise.signed_entry_timestamp, "signed entry timestamp")?;
        // serde_json orders object keys, and Rekor's canonical form is sorted and compact.
        let signed = json!({
            // The log signs its own base64 of the body; re-encoding normalises the bundle's.
            "body": STANDARD.encode(&body),
            "integratedTime": self.integrated_time.0,
            "logID": hex::encode(&log_id),
            "logIndex": self.log_index.0,
        });
        let canonical = serde_json::to_vec(&signed).map_err(|e| e.to_string())?;
        key.key
            .verify_signature(Signature::Raw(&set), &canonical)
            .map_err(|_| {
                "the log entry's signed entry timestamp does not verify against its log key"
                    .to_owned()
            })?;
        u64::try_from(self.integrated_time.0)
            .map(Some)
            .map_err(|_| "log entry has a negative integratedTime".to_owned())
    }

    /// The entry's body records this signature, payload and (keyless) certificate.
    fn body_matches(&self, content: &Content, leaf: Option<&[u8]>) -> Result<(), String> {
        let body: Value = b64(&self.canonicalized_body, "log entry body")
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("log entry body is not JSON")?;
        let kind = body.get("kind").and_then(Value::as_str).unwrap_or_default();
        let version = body
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(kv) = &self.kind_version
            && (kv.kind != kind || kv.version != version)
        {
            return Err(format!(
                "log entry says {} {} but its body is {kind} {version}",
                kv.kind, kv.version
            ));
        }
        // Rekor v2 bodies (hashedrekord/dsse 0.0.2) have another shape and no integrated time.
        let supported = matches!(
            (kind, version),
            ("hashedrekord" | "dsse", "0.0.1") | ("intoto", "0.0.2")
        );
        if !supported {
            return Err(format!(
                "log entry kind {kind} {version} is not supported (hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2)"
            ));
        }
        let text = |p: &str| body.pointer(p).and_then(Value::as_str).unwrap_or_default();
        let sig_b64 = STANDARD.encode(&content.signature);
        let (signatures, verifiers, hash) = match kind {
            "hashedrekord" => (
                vec![text("/spec/signature/content").to_owned()],
                vec![text("/spec/signature/publicKey/content").to_owned()],
                (
                    text("/spec/data/hash/value"),
                    content.message_digest.as_deref().map(hex::encode),
                ),
            ),
            "dsse" => {
                let list = body.pointer("/spec/signatures").and_then(Value::as_array);
                let field = |name: &str| -> Vec<String> {
                    list.into_iter()
                        .flatten()
                        .filter_map(|s| s.get(name).and_then(Value::as_str).map(str::to_owned))
                        .collect()
                };
                (
                    field("signature"),
                    field("verifier"),
                    (
                        text("/spec/payloadHash/value"),
                        content.payload.as_deref().map(sha256_hex),
                    ),
                )
            }
            "intoto" => {
                let list = body
                    .pointer("/spec/content/envelope/signatures")
                    .and_then(Value::as_array);
                // intoto v0.0.2 stores each signature base64-encoded twice.
                let field = |name: &str| -> Vec<String> {
                    list.into_iter()
                        .flatten()
                        .filter_map(|s| s.get(name).and_then(Value::as_str))
                        .filter_map(|s| STANDARD.decode(s).ok())
                        .filter_map(|b| String::from_utf8(b).ok())
                        .collect()
                };
                (
                    field("sig"),
                    field("publicKey"),
                    (
                        text("/spec/content/payloadHash/value"),
                        content.payload.as_deref().map(sha256_hex),
                    ),
                )
            }
            _ => unreachable!("kinds are filtered above"),
        };
        if !signatures.iter().any(|s| s.trim() == sig_b64) {
            return Err("log entry is for another signature".to_owned());
        }
        if hash.1.as_deref() != Some(hash.0) {
            return Err("log entry is for another payload".to_owned());
        }
        if let Some(leaf) = leaf {
            let names_leaf = verifiers.iter().any(|v| {
                // The verifier is a base64 PEM (or, for intoto, the PEM once decoded).
                let pem_text = STANDARD
                    .decode(v)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                let pem_text = pem_text.as_deref().unwrap_or(v);
                pem::parse(pem_text).is_ok_and(|p| p.contents() == leaf)
            });
            if !names_leaf {
                return Err("log entry records another certificate".to_owned());
            }
        }
        Ok(())
    }
}

impl Proof {
    /// The RFC 6962 inclusion proof of `body` leads to `rootHash`, and a checkpoint signed by
    /// the log key commits to that root and size.
    fn verify(&self, body: &[u8], key: &CosignVerificationKey) -> Result<(), String> {
        let root = b64(&self.root_hash, "inclusion proof root hash")?;
        let hashes = self
            .hashes
            .iter()
            .map(|h| b64(h, "inclusion proof hash"))
            .collect::<Result<Vec<_>, _>>()?;
        let (Ok(index), Ok(size)) = (
            u64::try_from(self.log_index.0),
            u64::try_from(self.tree_size.0),
        ) else {
            return Err("inclusion proof has a negative index or size".to_owned());
        };
        let computed = root_from_proof(index, size, &leaf_hash(body), &hashes).ok_or(
            "inclusion proof is malformed (wrong number of hashes for its index and size)",
        )?;
        if computed.as_slice() != root.as_slice() {
            return Err("inclusion proof does not lead to its root hash".to_owned());
        }
        let checkpoint = self
            .checkpoint
            .as_ref()
            .ok_or("inclusion proof has no signed checkpoint")?;
        let (note_size, note_root) = verify_checkpoint(&checkpoint.envelope, key)?;
        if note_size != size || note_root != root {
            return Err(
                "the signed checkpoint is for another tree than the inclusion proof".to_owned(),
            );
        }
        Ok(())
    }
}

fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

fn node_hash(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// RFC 9162 section 2.1.3.2: the root an inclusion proof leads to, `None` when malformed.
fn root_from_proof(index: u64, size: u64, leaf: &[u8; 32], proof: &[Vec<u8>]) -> Option<[u8; 32]> {
    if index >= size || proof.iter().any(|h| h.len() != 32) {
        return None;
    }
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = (index >> inner).count_ones() as usize;
    if proof.len() != inner + border {
        return None;
    }
    let mut hash = *leaf;
    for (i, sibling) in proof[..inner].iter().enumerate() {
        hash = if (index >> i) & 1 == 0 {
            node_hash(&hash, sibling)
        } else {
            node_hash(sibling, &hash)
        };
    }
    for sibling in &proof[inner..] {
        hash = node_hash(sibling, &hash);
    }
    Some(hash)
}

/// A signed note (`origin\nsize\nbase64(root)\n[extensions]\n\n— name base64(hint+sig)\n`):
/// one signature line must verify with the log key over the text before the blank line. The
/// tree size and root hash it commits to.
fn verify_checkpoint(note: &str, key: &CosignVerificationKey) -> Result<(u64, Vec<u8>), String> {
    let (text, signatures) = note
        .split_once("\n\n")
        .ok_or("checkpoint is not a signed note (no blank line)")?;
    let signed = format!("{text}\n");
    let verified = signatures.lines().any(|line| {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return false;
        };
        let Some(sig) = rest
            .rsplit(' ')
            .next()
            .and_then(|s| STANDARD.decode(s).ok())
        else {
            return false;
        };
        sig.len() > 4
            && key
                .verify_signature(Signature::Raw(&sig[4..]), signed.as_bytes())
                .is_ok()
    });
    if !verified {
        return Err("the checkpoint's signature does not verify against the log key".to_owned());
    }
    let mut lines = text.lines();
    let (_origin, size, root) = (lines.next(), lines.next(), lines.next());
    let size = size
        .and_then(|s| s.parse().ok())
        .ok_or("checkpoint has no tree size")?;
    let root = root
        .and_then(|r| STANDARD.decode(r).ok())
        .ok_or("checkpoint has no root hash")?;
    Ok((size, root))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree of `n` leaves `[i]`, hashed the RFC 6962 way, for checking proofs.
    fn tree_root(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let split = leaves.len().next_power_of_two() / 2;
        node_hash(&tree_root(&leaves[..split]), &tree_root(&leaves[split..]))
    }

    fn proof(leaves: &[[u8; 32]], index: usize) -> Vec<Vec<u8>> {
        if leaves.len() == 1 {
            return Vec::new();
        }
        let split = leaves.len().next_power_of_two() / 2;
        if index < split {
            let mut p = proof(&leaves[..split], index);
            p.push(tree_root(&leaves[split..]).to_vec());
            p
        } else {
            let mut p = proof(&leaves[split..], index - split);
            p.push(tree_root(&leaves[..split]).to_vec());
            p
        }
    }

    #[test]
    fn inclusion_proofs_verify_for_every_leaf_of_uneven_trees_and_tampering_fails() {
        for size in 1..=13usize {
            let leaves: Vec<[u8; 32]> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let root = tree_root(&leaves);
            for index in 0..size {
                let p = proof(&leaves, index);
                let got = root_from_proof(index as u64, size as u64, &leaves[index], &p);
                assert_eq!(got, Some(root), "size {size} index {index}");
                let other = leaf_hash(b"tampered");
                assert_ne!(
                    root_from_proof(index as u64, size as u64, &other, &p),
                    Some(root)
                );
            }
        }
        assert_eq!(root_from_proof(3, 3, &leaf_hash(b"x"), &[]), None);
    }

    #[test]
    fn bundle_media_types_of_every_version_are_recognised() {
        let version = |media_type: &str| {
            Bundle {
                media_type: media_type.to_owned(),
                verification_material: Material {
                    certificate: None,
                    x509_certificate_chain: None,
                    public_key: None,
                    tlog_entries: Vec::new(),
                },
                message_signature: None,
                dsse_envelope: None,
            }
            .version()
        };
        assert_eq!(
            version("application/vnd.dev.sigstore.bundle+json;version=0.1"),
            Some("v0.1")
        );
        assert_eq!(
            version("application/vnd.dev.sigstore.bundle+json;version=0.2"),
            Some("v0.2")
        );
        assert_eq!(
            version("application/vnd.dev.sigstore.bundle.v0.3+json"),
            Some("v0.3")
        );
        assert_eq!(
            version("application/vnd.dev.sigstore.bundle+json;version=9"),
            None
        );
    }

    #[test]
    fn garbage_is_a_reason_never_a_pass_and_quotes_no_input() {
        let subject = Subject {
            sha256: "ab",
            bytes: None,
        };
        let trust = Trust {
            keys: &[],
            keyless: None,
        };
        let (_, v) = verify("f", b"{\"mediaType\": \"s3cr3t\"", &subject, &trust);
        assert!(!v.verified);
        assert!(!v.reason.contains("s3cr3t"), "{}", v.reason);
        let (_, v) = verify(
            "f",
            br#"{"mediaType":"x","verificationMaterial":{}}"#,
            &subject,
            &trust,
        );
        assert!(!v.verified);
        assert!(v.reason.contains("neither"), "{}", v.reason);
    }
}
