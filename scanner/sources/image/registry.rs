//! The registry side: one `oci-client` client for the whole scan (its token cache is shared),
//! credentials from the docker config, plain HTTP only for `[image] insecure_registries`, and a
//! count of the operations issued. Errors are one line naming the cause, never a credential.
//!
//! Every operation is bounded. oci-client applies `[image] timeout_ms` to connecting and to each
//! read, which alone would let a registry that drips its answer hold a scan for ever, and it
//! reads manifests and error bodies whole. So each operation also has a deadline
//! ([`OPERATION_REQUESTS`] times the request timeout, for its token exchange, its request and a
//! fallback; a blob also gets a second per [`MIN_BLOB_BYTES_PER_SEC`] bytes it declares, so a
//! large SBOM on a slow but steady link is not cut), and a blob is written into a buffer that
//! refuses more bytes than its descriptor declares.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use checks::resolve::ImageOptions;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{
    ImageIndexEntry, OCI_IMAGE_INDEX_MEDIA_TYPE, OciDescriptor, OciImageIndex, OciImageManifest,
    OciManifest,
};
use oci_client::{Client, Reference};

use super::docker_config::Credentials;
use crate::sources::cause_chain;

/// Signature and attestation blobs above this size are not read (a signature is a few hundred
/// bytes; a large SBOM a few MiB).
const MAX_BLOB_BYTES: i64 = 64 * 1024 * 1024;

/// HTTP exchanges one registry operation may need: a token exchange, the request, and the
/// referrers fallback's second request. An operation's deadline is this many request timeouts.
const OPERATION_REQUESTS: u32 = 3;

/// The slowest steady pace a blob is given time for, beyond its operation deadline: 256 KiB/s
/// (a 64 MiB blob gets 256 more seconds). The declared size caps the bytes, so the deadline
/// stays bounded however the registry paces them.
const MIN_BLOB_BYTES_PER_SEC: u64 = 256 * 1024;

pub struct Registry {
    client: Client,
    credentials: Credentials,
    requests: AtomicU64,
    /// The most one operation may take, however the registry paces its answer.
    deadline: Duration,
}

impl Registry {
    pub fn new(settings: &ImageOptions, credentials: Credentials) -> Result<Self, String> {
        let mut extra_root_certificates = Vec::new();
        if let Some(path) = &settings.ca_file {
            let data = crate::bounded::read_ca_file(path).map_err(|e| format!("[image] {e}"))?;
            extra_root_certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            });
        }
        let timeout = settings.timeout;
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(settings.insecure_registries.clone()),
            extra_root_certificates,
            read_timeout: Some(timeout),
            connect_timeout: Some(timeout),
            // An index digest is verified as-is; nothing here pulls a platform's image.
            platform_resolver: None,
            ..ClientConfig::default()
        };
        Ok(Registry {
            client: Client::new(config),
            credentials,
            requests: AtomicU64::new(0),
            deadline: timeout * OPERATION_REQUESTS,
        })
    }

    /// Registry operations issued so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// `operation` cut at the deadline: a registry that answers, but too slowly to finish, is
    /// an error naming the reference, never a wait without end.
    async fn within_deadline<T>(
        &self,
        reference: &Reference,
        operation: impl Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        // Boxed: oci-client's request futures are large, and an image's evidence awaits several.
        within(self.deadline, reference, Box::pin(operation)).await
    }

    /// One line for a failed request; a refusal also says when the docker config keeps this
    /// registry's credentials in a helper vouch does not run (so it asked anonymously).
    fn failure(&self, reference: &Reference, error: &OciDistributionError) -> String {
        let text = describe(error);
        match self.credentials.unrun_helper(reference) {
            Some(helper) if is_refusal(error) => format!(
                "{text}; the docker config keeps the credentials for {} in \
                 `docker-credential-{helper}`, which vouch does not run: point [image] \
                 docker_config at a config with an `auths` entry for it",
                reference.resolve_registry()
            ),
            _ => text,
        }
    }

    /// The digest a reference names (a tag's manifest or index digest, as the registry says).
    pub async fn digest(&self, reference: &Reference) -> Result<String, String> {
        self.count();
        let auth = self.credentials.for_registry(reference);
        self.within_deadline(reference, async {
            self.client
                .fetch_manifest_digest(reference, &auth)
                .await
                .map_err(|e| self.failure(reference, &e))
        })
        .await
    }

    /// The image manifest under a tag; `None` when the tag does not exist.
    pub async fn manifest(
        &self,
        reference: &Reference,
    ) -> Result<Option<OciImageManifest>, String> {
        self.count();
        let auth = self.credentials.for_registry(reference);
        self.within_deadline(reference, async {
            match self.client.pull_manifest(reference, &auth).await {
                Ok((OciManifest::Image(manifest), _)) => Ok(Some(manifest)),
                Ok((OciManifest::ImageIndex(_), _)) => {
                    Err("is an image index, not a cosign signature manifest".to_owned())
                }
                Err(e) if is_not_found(&e) => Ok(None),
                Err(e) => Err(self.failure(reference, &e)),
            }
        })
        .await
    }

    /// The manifests referring to `image` (a digest reference): the OCI referrers API, or, where
    /// the registry answers 404 (registry 2.8, ghcr.io), the referrers tag schema
    /// (`sha256-<hex>` holding an OCI index), both through oci-client's `pull_referrers`. An
    /// absent fallback tag is an empty list (the spec's rule), so "none attached". Counted as
    /// one operation; with the fallback it is two HTTP requests.
    pub async fn referrers(&self, image: &Reference) -> Result<Vec<ImageIndexEntry>, String> {
        self.count();
        let found = self
            .within_deadline(image, async {
                self.client
                    .pull_referrers(image, None)
                    .await
                    .map(|index| index.manifests)
                    .map_err(|e| self.failure(image, &e))
            })
            .await?;
        if found.is_empty() {
            return self.referrers_tag(image).await;
        }
        Ok(found)
    }

    /// An empty answer from `pull_referrers` is "none attached" only when the fallback tag is
    /// absent or lists nothing: oci-client 0.18 also reads a refused tag (any 4xx with an OCI
    /// error body: 403 DENIED, 429 TOOMANYREQUESTS) as "no referrers", which would turn an
    /// unreadable registry into a missing signature. The tag is asked for again and read: its
    /// entries when it lists some (a referrers API that answered empty beside a tag written
    /// before it), none when it is absent or empty, an error otherwise.
    async fn referrers_tag(&self, image: &Reference) -> Result<Vec<ImageIndexEntry>, String> {
        let Some(digest) = image.digest() else {
            return Ok(Vec::new());
        };
        let tag = Reference::with_tag(
            image.registry().to_owned(),
            image.repository().to_owned(),
            digest.replace(':', "-"),
        );
        self.count();
        let auth = self.credentials.for_registry(&tag);
        self.within_deadline(&tag, async {
            match self
                .client
                .pull_manifest_raw(&tag, &auth, &[OCI_IMAGE_INDEX_MEDIA_TYPE])
                .await
            {
                Ok((body, _)) => serde_json::from_slice::<OciImageIndex>(&body)
                    .map(|index| index.manifests)
                    .map_err(|e| format!("{tag}: the referrers tag is not an image index: {e}")),
                Err(e) if is_not_found(&e) => Ok(Vec::new()),
                Err(e) => Err(self.failure(&tag, &e)),
            }
        })
        .await
    }

    /// One layer's bytes (the registry's digest is checked by oci-client).
    pub async fn blob(
        &self,
        reference: &Reference,
        layer: &OciDescriptor,
    ) -> Result<Vec<u8>, String> {
        if layer.size > MAX_BLOB_BYTES {
            return Err(format!(
                "layer of {} bytes is too large to read",
                layer.size
            ));
        }
        self.count();
        // A negative declared size is nonsense: read as zero, so any byte sent is refused.
        let declared = usize::try_from(layer.size.max(0)).unwrap_or(0);
        let mut blob = DeclaredSizeBuffer::new(declared);
        let deadline = blob_deadline(self.deadline, declared);
        within(
            deadline,
            reference,
            Box::pin(async {
                self.client
                    .pull_blob(reference, layer, &mut blob)
                    .await
                    .map_err(|e| self.failure(reference, &e))
            }),
        )
        .await?;
        Ok(blob.bytes)
    }
}

/// `operation` (boxed by the caller) cut at `deadline`, with an error naming the reference on
/// expiry.
async fn within<T>(
    deadline: Duration,
    reference: &Reference,
    operation: Pin<Box<impl Future<Output = Result<T, String>>>>,
) -> Result<T, String> {
    tokio::time::timeout(deadline, operation)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "{reference}: the registry did not finish answering within {} ms",
                deadline.as_millis()
            ))
        })
}

/// A blob's deadline: the operation's, plus the time its declared size takes at
/// [`MIN_BLOB_BYTES_PER_SEC`].
fn blob_deadline(operation: Duration, declared: usize) -> Duration {
    let bytes = u64::try_from(declared).unwrap_or(u64::MAX);
    operation + Duration::from_millis(bytes.saturating_mul(1000) / MIN_BLOB_BYTES_PER_SEC)
}

/// A blob's bytes, refusing any beyond the size its descriptor declares: a registry that sends
/// more is wrong (the digest would not match either), and without this cap it could fill memory
/// before the digest is ever checked.
struct DeclaredSizeBuffer {
    bytes: Vec<u8>,
    declared: usize,
}

impl DeclaredSizeBuffer {
    fn new(declared: usize) -> Self {
        DeclaredSizeBuffer {
            bytes: Vec::with_capacity(declared.min(1024 * 1024)),
            declared,
        }
    }
}

impl tokio::io::AsyncWrite for DeclaredSizeBuffer {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        chunk: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.bytes.len() + chunk.len() > self.declared {
            return Poll::Ready(Err(io::Error::other(format!(
                "the registry sent more than the {} bytes the descriptor declares",
                self.declared
            ))));
        }
        self.bytes.extend_from_slice(chunk);
        Poll::Ready(Ok(chunk.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The registry refused the request's credentials (or their absence).
fn is_refusal(error: &OciDistributionError) -> bool {
    match error {
        OciDistributionError::AuthenticationFailure(_)
        | OciDistributionError::UnauthorizedError { .. } => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|e| matches!(e.code, OciErrorCode::Unauthorized | OciErrorCode::Denied)),
        _ => false,
    }
}

fn is_not_found(error: &OciDistributionError) -> bool {
    match error {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown | OciErrorCode::NotFound
            )
        }),
        OciDistributionError::ServerError { code, .. } => *code == 404,
        _ => false,
    }
}

/// The most of a registry's answer a finding quotes: its error bodies are the registry's to
/// choose (a 5xx can carry a whole HTML page).
const MAX_REGISTRY_TEXT: usize = 300;

/// One line: what went wrong, in the terms an operator acts on. (URLs in it, presigned blob
/// URLs included, are cleaned by the one redaction pass over the facts.)
fn describe(error: &OciDistributionError) -> String {
    let text = match error {
        _ if is_not_found(error) => "manifest not found".to_owned(),
        OciDistributionError::AuthenticationFailure(_)
        | OciDistributionError::UnauthorizedError { .. } => {
            "authentication failed (401 Unauthorized): check the docker config credentials"
                .to_owned()
        }
        OciDistributionError::RegistryError { envelope, .. }
            if envelope
                .errors
                .iter()
                .any(|e| matches!(e.code, OciErrorCode::Unauthorized | OciErrorCode::Denied)) =>
        {
            format!("access denied: {envelope}")
        }
        OciDistributionError::RequestError(e) if e.is_timeout() => {
            format!("registry timed out: {}", cause_chain(e))
        }
        OciDistributionError::RequestError(e) if e.is_connect() => {
            format!("registry unreachable: {}", cause_chain(e))
        }
        other => cause_chain(other),
    };
    crate::sources::clipped(text, MAX_REGISTRY_TEXT)
}
