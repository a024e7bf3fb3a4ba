//! Keyless cosign signatures, verified offline (Fulcio and Rekor cannot be reached).
//!
//! A keyless `.sig` layer carries a short-lived Fulcio certificate
//! (`dev.sigstore.cosign/certificate`, intermediates in `dev.sigstore.cosign/chain`) and a Rekor
//! bundle (`dev.sigstore.cosign/bundle`). It verifies when:
//! 1. the bundle's signed entry timestamp verifies against a Rekor key of `[image] trust_root`
//!    (over the canonical JSON of its payload), and its `hashedrekord` entry names this very
//!    signature and the SHA-256 of this payload;
//! 2. the certificate chains to a Fulcio CA of the trust root, for code signing, at the entry's
//!    integrated time (the certificate lives ten minutes; the log proves it signed within them);
//! 3. the signature verifies with the certificate's key;
//! 4. its subject alternative name and OIDC issuer extension match an `[[image.identities]]`.
//!
//! X.509 parsing is `x509-cert` and chain building `rustls-webpki`, as inside sigstore (whose
//! equivalents are private to its `cosign` feature).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use checks::resolve::{Identity, ImageOptions};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use sha2::{Digest, Sha256};
use sigstore::crypto::{CosignVerificationKey, Signature};
use webpki::aws_lc_rs as algs;
use webpki::{EndEntityCert, KeyUsage};
use x509_cert::Certificate;
use x509_cert::der::asn1::{ObjectIdentifier, Utf8StringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// id-kp-codeSigning (1.3.6.1.5.5.7.3.3), DER value bytes.
const CODE_SIGNING: [u8; 8] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
/// Signature algorithms accepted on certificate chains (Fulcio uses ECDSA P-384 and P-256).
static CHAIN_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    algs::ECDSA_P256_SHA256,
    algs::ECDSA_P256_SHA384,
    algs::ECDSA_P384_SHA256,
    algs::ECDSA_P384_SHA384,
    algs::ED25519,
    algs::RSA_PKCS1_2048_8192_SHA256,
    algs::RSA_PKCS1_2048_8192_SHA384,
    algs::RSA_PKCS1_2048_8192_SHA512,
];
/// Fulcio's OIDC issuer extensions: v1 holds the raw string, v2 a DER UTF8String.
const ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");

/// The trust root and the identities it vouches for.
pub struct Keyless {
    anchors: Vec<TrustAnchor<'static>>,
    rekor: Vec<LogKey>,
    identities: Vec<Identity>,
}

/// A transparency log key and its log id (the SHA-256 of its DER SubjectPublicKeyInfo, as
/// bundles name the log that integrated an entry).
pub struct LogKey {
    pub id: [u8; 32],
    pub key: CosignVerificationKey,
}

/// `None` when neither an identity nor a trust root is configured; an error when the trust root
/// cannot be used. A trust root without identities still verifies the transparency log entries
/// of key-signed sigstore bundles.
pub fn load(settings: &ImageOptions) -> Result<Option<Keyless>, String> {
    if settings.identities.is_empty() && settings.trust_root.is_none() {
        return Ok(None);
    }
    let path = settings
        .trust_root
        .as_deref()
        .ok_or("[image] identities need a `trust_root` file")?;
    let text =
        crate::bounded::read_trust_file("trust_root", path).map_err(|e| format!("[image] {e}"))?;
    let blocks =
        pem::parse_many(&text).map_err(|e| format!("[image] trust_root {path}: not PEM: {e}"))?;
    let mut anchors = Vec::new();
    let mut rekor = Vec::new();
    for block in &blocks {
        match block.tag() {
            "CERTIFICATE" => {
                let der = CertificateDer::from(block.contents());
                let anchor = webpki::anchor_from_trusted_cert(&der).map_err(|e| {
                    format!("[image] trust_root {path}: unusable CA certificate: {e}")
                })?;
                anchors.push(anchor.to_owned());
            }
            "PUBLIC KEY" => rekor.push(LogKey {
                id: Sha256::digest(block.contents()).into(),
                key: CosignVerificationKey::try_from_der(block.contents()).map_err(|e| {
                    format!("[image] trust_root {path}: unusable Rekor public key: {e}")
                })?,
            }),
            _ => {}
        }
    }
    if anchors.is_empty() {
        return Err(format!("[image] trust_root {path}: no CA certificate"));
    }
    let identities = settings.identities.clone();
    Ok(Some(Keyless {
        anchors,
        rekor,
        identities,
    }))
}

impl Keyless {
    /// The signer (`subject (issuer)`) of a keyless signature over `payload`, or why not.
    pub fn verify(
        &self,
        annotations: &std::collections::BTreeMap<String, String>,
        payload: &[u8],
        signature_b64: &str,
    ) -> Result<String, String> {
        let leaf = pem::parse(
            annotations
                .get(CERTIFICATE_ANNOTATION)
                .ok_or("no certificate")?,
        )
        .map_err(|e| format!("certificate annotation is not PEM: {e}"))?;
        let signature = STANDARD
            .decode(signature_b64.trim())
            .map_err(|_| "malformed signature: not base64".to_owned())?;
        let bundle = annotations.get(BUNDLE_ANNOTATION).ok_or(
            "keyless signature without a Rekor bundle: its signing time cannot be proven offline",
        )?;
        let signed_at = self.verify_bundle(bundle, &signature, payload)?;
        self.verify_chain(
            leaf.contents(),
            annotations.get(CHAIN_ANNOTATION),
            signed_at,
        )?;
        let (certificate, key) = leaf_key(leaf.contents())?;
        key.verify_signature(Signature::Raw(&signature), payload)
            .map_err(|_| "signature does not verify with its certificate's key".to_owned())?;
        self.trusted_identity(&certificate)
    }

    /// The entry's integrated time, once its signed entry timestamp verifies and its
    /// `hashedrekord` body names this signature and payload.
    fn verify_bundle(&self, bundle: &str, signature: &[u8], payload: &[u8]) -> Result<u64, String> {
        let bundle: serde_json::Value =
            serde_json::from_str(bundle).map_err(|_| "Rekor bundle is not JSON".to_owned())?;
        let entry = bundle.get("Payload").ok_or("Rekor bundle has no Payload")?;
        let set = bundle
            .get("SignedEntryTimestamp")
            .and_then(|s| s.as_str())
            .ok_or("Rekor bundle has no SignedEntryTimestamp")?;
        // serde_json orders object keys, and Rekor's canonical form is sorted and compact.
        let canonical = serde_json::to_vec(entry).map_err(|e| e.to_string())?;
        let logged = self.rekor.iter().any(|k| {
            k.key
                .verify_signature(Signature::Base64Encoded(set.as_bytes()), &canonical)
                .is_ok()
        });
        if !logged {
            return Err(
                "Rekor bundle's signed entry timestamp does not verify against a Rekor key of trust_root"
                    .to_owned(),
            );
        }
        let body = entry
            .get("body")
            .and_then(|b| b.as_str())
            .and_then(|b| STANDARD.decode(b).ok())
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .ok_or("Rekor entry body is not base64 JSON")?;
        let logged_signature = body
            .pointer("/spec/signature/content")
            .and_then(|c| c.as_str())
            .and_then(|c| STANDARD.decode(c).ok());
        let logged_hash = body
            .pointer("/spec/data/hash/value")
            .and_then(|v| v.as_str());
        let payload_hash = crate::pack::sha256_hex(payload);
        if logged_signature.as_deref() != Some(signature) || logged_hash != Some(&payload_hash) {
            return Err("Rekor entry is for another signature or payload".to_owned());
        }
        entry
            .get("integratedTime")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| "Rekor entry has no integratedTime".to_owned())
    }

    /// The transparency log keys of the trust root.
    pub fn log_keys(&self) -> &[LogKey] {
        &self.rekor
    }

    /// `subject (issuer)` of a certificate whose identity is trusted, or why it is not.
    pub fn trusted_identity(&self, certificate: &Certificate) -> Result<String, String> {
        let (subject, issuer) = identity_of(certificate)?;
        if self.identities.iter().any(|i| i.matches(&subject, &issuer)) {
            Ok(format!("{subject} ({issuer})"))
        } else {
            Err(format!(
                "certificate identity {subject} ({issuer}) is not a trusted identity"
            ))
        }
    }

    /// The leaf chains to a CA of the trust root, for code signing, at `signed_at`.
    pub fn verify_chain_der(
        &self,
        leaf: &[u8],
        intermediates: &[CertificateDer<'static>],
        signed_at: u64,
    ) -> Result<(), String> {
        let leaf_der = CertificateDer::from(leaf);
        let end_entity = EndEntityCert::try_from(&leaf_der)
            .map_err(|e| format!("certificate is not usable: {e}"))?;
        end_entity
            .verify_for_usage(
                CHAIN_ALGORITHMS,
                &self.anchors,
                intermediates,
                UnixTime::since_unix_epoch(Duration::from_secs(signed_at)),
                KeyUsage::required(&CODE_SIGNING),
                None,
                None,
            )
            .map(|_| ())
            .map_err(|e| {
                format!("certificate does not chain to trust_root for code signing at the logged time: {e:?}")
            })
    }

    fn verify_chain(
        &self,
        leaf: &[u8],
        chain: Option<&String>,
        signed_at: u64,
    ) -> Result<(), String> {
        let intermediates: Vec<CertificateDer<'static>> = match chain {
            Some(pem_chain) => pem::parse_many(pem_chain)
                .map_err(|e| format!("certificate chain annotation is not PEM: {e}"))?
                .into_iter()
                .map(|p| CertificateDer::from(p.into_contents()))
                .collect(),
            None => Vec::new(),
        };
        self.verify_chain_der(leaf, &intermediates, signed_at)
    }
}

/// A signing certificate (DER) and the key it certifies, for the signature's check.
pub(crate) fn leaf_key(der: &[u8]) -> Result<(Certificate, CosignVerificationKey), String> {
    let certificate =
        Certificate::from_der(der).map_err(|e| format!("certificate is not X.509: {e}"))?;
    let key = certificate
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .ok()
        .and_then(|spki| CosignVerificationKey::try_from_der(&spki).ok())
        .ok_or("certificate key is not a supported signing key")?;
    Ok((certificate, key))
}

/// The certificate's subject alternative name (e-mail or URI) and its Fulcio OIDC issuer.
fn identity_of(certificate: &Certificate) -> Result<(String, String), String> {
    let tbs = certificate.tbs_certificate();
    let san = tbs
        .get_extension::<SubjectAltName>()
        .ok()
        .flatten()
        .and_then(|(_, san)| {
            san.0.into_iter().find_map(|name| match name {
                GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => {
                    Some(s.to_string())
                }
                _ => None,
            })
        })
        .ok_or("certificate has no e-mail or URI subject alternative name")?;
    let extensions = tbs.extensions().map(Vec::as_slice).unwrap_or_default();
    let issuer = extensions.iter().find_map(|ext| {
        let value = ext.extn_value.as_bytes();
        if ext.extn_id == ISSUER_V2 {
            Utf8StringRef::from_der(value)
                .ok()
                .map(|s| s.as_str().to_owned())
        } else if ext.extn_id == ISSUER_V1 {
            String::from_utf8(value.to_vec()).ok()
        } else {
            None
        }
    });
    let issuer = issuer.ok_or("certificate has no Fulcio OIDC issuer extension")?;
    Ok((san, issuer))
}
