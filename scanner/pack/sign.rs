//! Signing MANIFEST.json with a cosign-format ECDSA P-256 key, as `cosign sign-blob` does:
//! the signature is ECDSA over the SHA-256 of the file, ASN.1 DER, base64 (standard alphabet).
//! Keys are cosign's: the private key is PKCS#8 encrypted with scrypt + NaCl secretbox under
//! the PEM label `ENCRYPTED SIGSTORE PRIVATE KEY` (the password may be empty, as cosign
//! allows), the public key a PKIX `PUBLIC KEY` PEM.

use std::path::{Path, PathBuf};

use anyhow::Result;
#[cfg(not(feature = "sign"))]
use anyhow::anyhow;
#[cfg(feature = "sign")]
use anyhow::{Context, bail};

/// The environment variable holding the private key's password (empty when unset).
pub const PASSWORD_ENV: &str = "VOUCH_KEY_PASSWORD";

pub fn password() -> Vec<u8> {
    std::env::var(PASSWORD_ENV).unwrap_or_default().into_bytes()
}

/// `PREFIX.key` and `PREFIX.pub`.
pub fn key_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    (with(".key"), with(".pub"))
}

#[cfg(feature = "sign")]
mod imp {
    use std::io::Write;
    use std::path::Path;

    use anyhow::{Context, Result, anyhow};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use sigstore::crypto::signing_key::SigStoreKeyPair;
    use sigstore::crypto::{CosignVerificationKey, SigStoreSigner, Signature, SigningScheme};

    const SCHEME: SigningScheme = SigningScheme::ECDSA_P256_SHA256_ASN1;

    /// A new P-256 key pair: (encrypted private key PEM, public key PEM).
    pub fn generate(password: &[u8]) -> Result<(String, String)> {
        let pair = SCHEME
            .create_signer()
            .and_then(|s| s.to_sigstore_keypair())
            .map_err(|e| anyhow!("cannot generate a key: {e}"))?;
        let private = pair
            .private_key_to_encrypted_pem(password)
            .map_err(|e| anyhow!("cannot encrypt the private key: {e}"))?;
        let public = pair
            .public_key_to_pem()
            .map_err(|e| anyhow!("cannot encode the public key: {e}"))?;
        Ok((private.to_string(), public))
    }

    /// Writes a new file (never overwrites), readable by its owner only when `private`.
    pub fn create(path: &Path, text: &str, private: bool) -> Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let _ = private;
        let mut file = options
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Loads a cosign private key PEM (encrypted, or plain PKCS#8) as a P-256 signer.
    pub fn signer(key_pem: &[u8], password: &[u8]) -> Result<SigStoreSigner> {
        let pair = if String::from_utf8_lossy(key_pem).contains("-----BEGIN ENCRYPTED") {
            SigStoreKeyPair::from_encrypted_pem(key_pem, password)
                .map_err(|e| anyhow!("cannot decrypt it (is VOUCH_KEY_PASSWORD right?): {e}"))?
        } else {
            SigStoreKeyPair::from_pem(key_pem).map_err(|e| anyhow!("not a private key: {e}"))?
        };
        pair.to_sigstore_signer(&SCHEME)
            .map_err(|e| anyhow!("not an ECDSA P-256 key: {e}"))
    }

    /// The base64 signature of `message`, as `cosign sign-blob` writes it.
    pub fn sign(signer: &SigStoreSigner, message: &[u8]) -> Result<String> {
        let signature = signer
            .sign(message)
            .map_err(|e| anyhow!("signing failed: {e}"))?;
        Ok(STANDARD.encode(signature))
    }

    /// Parses a public key PEM.
    pub fn public_key(pem: &[u8]) -> Result<CosignVerificationKey> {
        CosignVerificationKey::from_pem(pem, &SCHEME)
            .map_err(|e| anyhow!("not an ECDSA P-256 public key: {e}"))
    }

    /// Whether `signature_b64` is `key`'s signature of `message`.
    pub fn verify(key: &CosignVerificationKey, message: &[u8], signature_b64: &[u8]) -> bool {
        key.verify_signature(
            Signature::Base64Encoded(signature_b64.trim_ascii()),
            message,
        )
        .is_ok()
    }
}

#[cfg(feature = "sign")]
pub use imp::{public_key, verify};

#[cfg(feature = "sign")]
pub type PublicKey = sigstore::crypto::CosignVerificationKey;

/// `vouch keygen --out PREFIX`.
#[cfg(feature = "sign")]
pub fn keygen(prefix: &Path) -> Result<(PathBuf, PathBuf)> {
    let (key_path, pub_path) = key_paths(prefix);
    for p in [&key_path, &pub_path] {
        if p.exists() {
            bail!("{} already exists: not overwriting a key", p.display());
        }
    }
    let (private, public) = imp::generate(&password())?;
    imp::create(&key_path, &private, true)?;
    imp::create(&pub_path, &public, false)?;
    Ok((key_path, pub_path))
}

/// A loaded private key, ready to sign (loaded before a pack is written, so a wrong key or
/// password writes nothing).
#[cfg(feature = "sign")]
pub struct Signer(sigstore::crypto::SigStoreSigner);

#[cfg(feature = "sign")]
impl Signer {
    pub fn load(key_file: &Path) -> Result<Signer> {
        let pem = std::fs::read(key_file)
            .with_context(|| format!("cannot read signing key {}", key_file.display()))?;
        let signer = imp::signer(&pem, &password())
            .with_context(|| format!("signing key {}", key_file.display()))?;
        Ok(Signer(signer))
    }

    /// The base64 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<String> {
        imp::sign(&self.0, message)
    }
}

#[cfg(not(feature = "sign"))]
const NO_SIGN: &str = "this vouch was built without the `sign` feature";

#[cfg(not(feature = "sign"))]
pub fn keygen(_prefix: &Path) -> Result<(PathBuf, PathBuf)> {
    Err(anyhow!(NO_SIGN))
}

#[cfg(not(feature = "sign"))]
pub enum Signer {}

#[cfg(not(feature = "sign"))]
impl Signer {
    pub fn load(_key_file: &Path) -> Result<Signer> {
        Err(anyhow!(NO_SIGN))
    }

    pub fn sign(&self, _message: &[u8]) -> Result<String> {
        match *self {}
    }
}

#[cfg(not(feature = "sign"))]
pub enum PublicKey {}

#[cfg(not(feature = "sign"))]
pub fn public_key(_pem: &[u8]) -> Result<PublicKey> {
    Err(anyhow!(NO_SIGN))
}

#[cfg(not(feature = "sign"))]
pub fn verify(key: &PublicKey, _message: &[u8], _signature_b64: &[u8]) -> bool {
    match *key {}
}

#[cfg(all(test, feature = "sign"))]
mod tests {
    use super::imp;

    #[test]
    fn sign_then_verify_and_tamper() {
        let (private, public) = imp::generate(b"pw").unwrap();
        assert!(private.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        let signer = imp::signer(private.as_bytes(), b"pw").unwrap();
        let sig = imp::sign(&signer, b"manifest").unwrap();
        let key = imp::public_key(public.as_bytes()).unwrap();
        assert!(imp::verify(&key, b"manifest", sig.as_bytes()));
        assert!(!imp::verify(&key, b"manifesT", sig.as_bytes()));
        let err = imp::signer(private.as_bytes(), b"wrong").unwrap_err();
        assert!(err.to_string().contains("VOUCH_KEY_PASSWORD"), "{err}");
    }

    #[test]
    fn reads_a_key_cosign_generated() {
        let pem = include_bytes!("../../fixtures/keys/cosign-generated-empty-password.key");
        let signer = imp::signer(pem, b"").unwrap();
        let sig = imp::sign(&signer, b"manifest").unwrap();
        let key = signer.to_verification_key().unwrap();
        assert!(imp::verify(&key, b"manifest", sig.as_bytes()));
    }
}
