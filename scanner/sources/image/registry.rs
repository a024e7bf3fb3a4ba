//! The registry side: one `oci-client` client for the whole scan (its token cache is shared),
//! credentials from the docker config, plain HTTP only for `[image] insecure_registries`, and a
//! count of the operations issued. Errors are one line naming the cause, never a credential.
//!
//! Every operation is bounded. oci-client applies `[image] timeout_ms` to connecting and to each
//! read, which alone would let a registry that drips its answer hold a scan for ever, and it
//! reads manifests and error bodies whole. So manifests are asked for here, read up to
//! [`MAX_MANIFEST_BYTES`] and checked against the digest they are asked by; each operation also
//! has a deadline
//! ([`OPERATION_REQUESTS`] times the request timeout, for its token exchange, its request and a
//! fallback; a blob also gets a second per [`MIN_BLOB_BYTES_PER_SEC`] bytes it declares, so a
//! large SBOM on a slow but steady link is not cut), and a blob is written into a buffer that
//! refuses more bytes than its descriptor declares.
//!
//! The referrers API is read here rather than by oci-client, which ignores the `Link:
//! <…>; rel="next"` header a registry may truncate its answer with (OCI distribution spec,
//! "Listing Referrers"): a referrer on a later page would go unseen. The pages are asked for
//! with the same TLS settings, timeouts and credentials as oci-client's requests, within the
//! one operation deadline; a next page on another scheme, host or port, one already read, or
//! one past [`MAX_REFERRERS_PAGES`] is an error, as is any page that fails.

use std::collections::HashSet;
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
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use reqwest::header::{ACCEPT, HeaderMap, LINK};
use reqwest::{Method, StatusCode, Url};
use sha2::{Digest, Sha256};

use super::docker_config::Credentials;
use crate::sources::cause_chain;

/// Signature and attestation blobs above this size are not read (a signature is a few hundred
/// bytes; a large SBOM a few MiB).
const MAX_BLOB_BYTES: i64 = 64 * 1024 * 1024;

/// HTTP exchanges one registry operation may need: a token exchange, the request, and the
/// referrers fallback's second request. An operation's deadline is this many request timeouts.
const OPERATION_REQUESTS: u32 = 3;

/// Pages of one referrers answer read at most: past them the list is unknown, an error.
const MAX_REFERRERS_PAGES: usize = 100;

/// The most a manifest, index or error answer may hold: the size the OCI distribution spec
/// says registries should accept at least (4 MiB), so no registry vouch reads needs more.
const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// What a manifest is asked for as: an image manifest or an index, OCI or Docker.
const MANIFEST_MEDIA_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";

/// The slowest steady pace a blob is given time for, beyond its operation deadline: 256 KiB/s
/// (a 64 MiB blob gets 256 more seconds). The declared size caps the bytes, so the deadline
/// stays bounded however the registry paces them.
const MIN_BLOB_BYTES_PER_SEC: u64 = 256 * 1024;

pub struct Registry {
    client: Client,
    /// For the referrers pages: with oci-client's TLS settings, timeouts and user agent, but
    /// following no redirect (oci-client follows reqwest's default of ten): a page is asked for
    /// only where the registry itself, or its `Link`, says.
    http: reqwest::Client,
    /// The registries asked over plain HTTP, as oci-client's `ClientProtocol::HttpsExcept`.
    insecure_registries: Vec<String>,
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
        let http = reqwest::Client::builder()
            .tls_certs_merge(
                extra_root_certificates
                    .iter()
                    .map(reqwest::Certificate::try_from)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("[image] ca_file: {}", cause_chain(&e)))?,
            )
            .read_timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(ClientConfig::default().user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                format!(
                    "[image] cannot set up the registry client: {}",
                    cause_chain(&e)
                )
            })?;
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
            http,
            insecure_registries: settings.insecure_registries.clone(),
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

    /// The digest a reference names (a tag's manifest or index digest, as the registry says):
    /// its `Docker-Content-Digest` from a HEAD request (which Docker Hub does not count as a
    /// pull), else the digest of the manifest itself.
    pub async fn digest(&self, reference: &Reference) -> Result<String, String> {
        self.count();
        self.within_deadline(reference, async {
            let head = self
                .ask(
                    reference,
                    Method::HEAD,
                    &self.manifest_url(reference)?,
                    MANIFEST_MEDIA_TYPES,
                )
                .await?;
            if head.status.is_success()
                && let Some(digest) = content_digest(&head.headers)
            {
                return checked_header_digest(reference, digest);
            }
            if head.status == StatusCode::NOT_FOUND {
                return Err("manifest not found".to_owned());
            }
            // No digest header, or a refusal whose reason only a GET's body gives.
            match self.manifest_bytes(reference, MANIFEST_MEDIA_TYPES).await? {
                Some((_, digest)) => Ok(digest),
                None => Err("manifest not found".to_owned()),
            }
        })
        .await
    }

    /// The image manifest under a tag or digest; `None` when it does not exist.
    pub async fn manifest(
        &self,
        reference: &Reference,
    ) -> Result<Option<OciImageManifest>, String> {
        self.count();
        self.within_deadline(reference, async {
            let Some((body, _)) = self.manifest_bytes(reference, MANIFEST_MEDIA_TYPES).await?
            else {
                return Ok(None);
            };
            match serde_json::from_slice::<OciManifest>(&body) {
                Ok(OciManifest::Image(manifest)) => Ok(Some(manifest)),
                Ok(OciManifest::ImageIndex(_)) => {
                    Err("is an image index, not a cosign signature manifest".to_owned())
                }
                Err(e) => Err(format!(
                    "{reference}: the manifest does not parse: {}",
                    checks::redact::ParseError::json(&e)
                )),
            }
        })
        .await
    }

    /// `reference`'s manifest as the registry sends it, at most [`MAX_MANIFEST_BYTES`], and its
    /// digest, checked against the one `reference` names (a registry that answers a digest
    /// with other bytes is an error); `None` when the registry has no such manifest.
    async fn manifest_bytes(
        &self,
        reference: &Reference,
        accept: &str,
    ) -> Result<Option<(Vec<u8>, String)>, String> {
        let url = self.manifest_url(reference)?;
        let answer = self.ask(reference, Method::GET, &url, accept).await?;
        if !answer.status.is_success() {
            let error = page_error(answer.status, &answer.body, &url);
            return if is_not_found(&error) {
                Ok(None)
            } else {
                Err(self.failure(reference, &error))
            };
        }
        let computed = format!("sha256:{}", hex::encode(Sha256::digest(&answer.body)));
        match reference.digest() {
            Some(named) if named.starts_with("sha256:") && named != computed => Err(format!(
                "{reference}: the registry sent a manifest whose digest is {computed}"
            )),
            Some(named) if !named.starts_with("sha256:") => {
                Err(format!("{reference}: only sha256 digests are verified"))
            }
            _ => Ok(Some((answer.body, computed))),
        }
    }

    /// `https://REGISTRY/v2/REPOSITORY/manifests/TAG-OR-DIGEST` (plain HTTP for an insecure
    /// registry).
    fn manifest_url(&self, reference: &Reference) -> Result<Url, String> {
        let tag_or_digest = (reference.digest()).or(reference.tag()).unwrap_or("latest");
        self.url(reference, &format!("manifests/{tag_or_digest}"))
    }

    /// `SCHEME://REGISTRY/v2/REPOSITORY/PATH`.
    fn url(&self, reference: &Reference, path: &str) -> Result<Url, String> {
        let registry = reference.resolve_registry();
        let scheme = if self.insecure_registries.iter().any(|r| r == registry) {
            "http"
        } else {
            "https"
        };
        let url = format!("{scheme}://{registry}/v2/{}/{path}", reference.repository());
        Url::parse(&url).map_err(|e| format!("{url}: not a URL: {e}"))
    }

    /// One request to the registry with the credentials for `reference` (the bearer token
    /// oci-client exchanged for them, or basic auth), no redirect followed, and its answer's
    /// body read up to [`MAX_MANIFEST_BYTES`].
    async fn ask(
        &self,
        reference: &Reference,
        method: Method,
        url: &Url,
        accept: &str,
    ) -> Result<Answer, String> {
        let auth = self.credentials.for_registry(reference);
        let token = self
            .client
            .auth(reference, &auth, RegistryOperation::Pull)
            .await
            .map_err(|e| self.failure(reference, &e))?;
        let mut request = self
            .http
            .request(method, url.clone())
            .header(ACCEPT, accept);
        request = match (&token, &auth) {
            (Some(token), _) => request.bearer_auth(token),
            (None, RegistryAuth::Basic(user, password)) => request.basic_auth(user, Some(password)),
            _ => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| self.failure(reference, &e.into()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = bounded_body(response, url).await?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// The manifests referring to `image` (a digest reference): the OCI referrers API, every
    /// page of it, or, where the registry answers 404 (registry 2.8, ghcr.io) or lists none,
    /// the referrers tag schema (`sha256-<hex>` holding an OCI index). An absent fallback tag
    /// is an empty list (the spec's rule), so "none attached". Counted as one operation, plus
    /// one per further page and one for the fallback.
    pub async fn referrers(&self, image: &Reference) -> Result<Vec<ImageIndexEntry>, String> {
        self.count();
        let listed = self
            .within_deadline(image, self.referrers_pages(image))
            .await?;
        match listed {
            Some(entries) if !entries.is_empty() => Ok(entries),
            _ => self.referrers_tag(image).await,
        }
    }

    /// Every page of the referrers API's answer, following `Link: <…>; rel="next"`; `None`
    /// when the first page is 404 (no referrers API).
    async fn referrers_pages(
        &self,
        image: &Reference,
    ) -> Result<Option<Vec<ImageIndexEntry>>, String> {
        let digest = image
            .digest()
            .ok_or_else(|| format!("{image}: referrers are listed for a digest, not a tag"))?;
        let registry = image.resolve_registry();
        let mut page = self.url(image, &format!("referrers/{digest}"))?;
        let mut read = HashSet::new();
        let mut entries = Vec::new();
        loop {
            if read.len() == MAX_REFERRERS_PAGES {
                return Err(format!(
                    "{registry} lists the referrers of {image} over more than \
                     {MAX_REFERRERS_PAGES} pages; not read further"
                ));
            }
            if !read.insert(page.clone()) {
                return Err(format!(
                    "the next referrers page {page} was already read (the pages loop)"
                ));
            }
            if read.len() > 1 {
                self.count();
            }
            let answer = self
                .ask(image, Method::GET, &page, OCI_IMAGE_INDEX_MEDIA_TYPE)
                .await?;
            let (status, body) = (answer.status, answer.body);
            let next = next_link(&answer.headers);
            match status {
                StatusCode::OK => {}
                StatusCode::NOT_FOUND if read.len() == 1 => return Ok(None),
                StatusCode::NOT_FOUND => {
                    return Err(format!("the next referrers page {page} is not found (404)"));
                }
                _ => return Err(self.failure(image, &page_error(status, &body, &page))),
            }
            let index: OciImageIndex = serde_json::from_slice(&body).map_err(|e| {
                // serde's message may quote a value of the answer: where and why only.
                let cause = checks::redact::ParseError::json(&e);
                format!("{page}: the referrers page is not an image index: {cause}")
            })?;
            entries.extend(index.manifests);
            let Some(next) = next? else {
                return Ok(Some(entries));
            };
            page = next_page(&page, &next)?;
        }
    }

    /// The referrers tag's entries (a referrers API that answered empty beside a tag written
    /// before it, or no API), none when it is absent or empty, an error otherwise: a refused
    /// tag (403 DENIED, 429 TOOMANYREQUESTS) is no "none attached", as oci-client 0.18's own
    /// fallback would read it.
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
        self.within_deadline(&tag, async {
            let Some((body, _)) = self
                .manifest_bytes(&tag, OCI_IMAGE_INDEX_MEDIA_TYPE)
                .await?
            else {
                return Ok(Vec::new());
            };
            serde_json::from_slice::<OciImageIndex>(&body)
                .map(|index| index.manifests)
                .map_err(|e| {
                    let cause = checks::redact::ParseError::json(&e);
                    format!("{tag}: the referrers tag is not an image index: {cause}")
                })
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

/// The target of the first `rel="next"` link among the `Link` headers (RFC 8288, read by
/// [`super::link_header`]), if any. A `Link` header that does not parse is an error, not an
/// answer without a next page: the referrers left unread could be the signatures asked for.
fn next_link(headers: &HeaderMap) -> Result<Option<String>, String> {
    for value in headers.get_all(LINK) {
        let links = super::link_header::parse(value.as_bytes())
            .map_err(|e| format!("the registry's Link header does not parse: {e}"))?;
        if let Some(next) = links.into_iter().find(|link| link.has_rel("next")) {
            // The parser accepts only visible ASCII in a target.
            return Ok(Some(String::from_utf8_lossy(next.target).into_owned()));
        }
    }
    Ok(None)
}

/// The next page's URL, `next` resolved against the current `page`; refused unless on the
/// same scheme, host and port (every page is on the registry's, the first being built from
/// it): a registry's answer does not send vouch, or its credentials, elsewhere.
fn next_page(page: &Url, next: &str) -> Result<Url, String> {
    let url = page
        .join(next)
        .map_err(|e| format!("{page}: the next referrers page `{next}` is not a URL: {e}"))?;
    let same_origin = url.scheme() == page.scheme()
        && url.host_str() == page.host_str()
        && url.port_or_known_default() == page.port_or_known_default();
    if !same_origin {
        return Err(format!(
            "the next referrers page {url} is not on the registry ({}://{}), so it was not \
             asked for",
            page.scheme(),
            page.authority()
        ));
    }
    Ok(url)
}

/// A response's body, refused past [`MAX_MANIFEST_BYTES`].
async fn bounded_body(mut response: reqwest::Response, url: &Url) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e.into()))? {
        if body.len() + chunk.len() > MAX_MANIFEST_BYTES {
            return Err(format!(
                "{url}: the registry's answer is larger than {}, not read",
                crate::bounded::cap_text(MAX_MANIFEST_BYTES as u64)
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A registry's answer, its body bounded.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// The `Docker-Content-Digest` header, if the registry sent one.
fn content_digest(headers: &HeaderMap) -> Option<&str> {
    headers.get("docker-content-digest")?.to_str().ok()
}

/// The digest a HEAD answer names, refused when `reference` names another of the same
/// algorithm (as oci-client refuses it).
fn checked_header_digest(reference: &Reference, digest: &str) -> Result<String, String> {
    match reference.digest() {
        Some(named) if named.split(':').next() == digest.split(':').next() && named != digest => {
            Err(format!(
                "{reference}: the registry names its manifest {digest}"
            ))
        }
        _ => Ok(digest.to_owned()),
    }
}

/// A page's refusal as oci-client reports one: 401, an OCI error envelope, or the status and
/// body.
fn page_error(status: StatusCode, body: &[u8], page: &Url) -> OciDistributionError {
    let url = page.to_string();
    if status == StatusCode::UNAUTHORIZED {
        return OciDistributionError::UnauthorizedError { url };
    }
    match serde_json::from_slice(body) {
        Ok(envelope) if status.is_client_error() => {
            OciDistributionError::RegistryError { envelope, url }
        }
        _ => OciDistributionError::ServerError {
            code: status.as_u16(),
            url,
            message: String::from_utf8_lossy(body).into_owned(),
        },
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

#[cfg(test)]
mod tests {
    use reqwest::Url;
    use reqwest::header::{HeaderMap, HeaderValue, LINK};

    use super::{checked_header_digest, next_link, next_page};

    fn links(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(LINK, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_next_link_is_found_among_other_links_and_headers() {
        let next = |values: &[&str]| next_link(&links(values)).unwrap();
        assert_eq!(next(&[]), None);
        assert_eq!(next(&[r#"</v2/a/referrers/x?last=b>; rel="prev""#]), None);
        assert_eq!(
            next(&[r#"</p?a=1,2>; rel="prev", </p?n=2>; type="x"; rel="next""#]),
            Some("/p?n=2".to_owned())
        );
        assert_eq!(
            next(&[
                "<https://r.example/p1>; rel=first",
                "<p3>; REL=\"last next\""
            ]),
            Some("p3".to_owned())
        );
        assert_eq!(
            next(&["<p2>; rel=next, <p9>; rel=last"]),
            Some("p2".to_owned())
        );
    }

    #[test]
    fn quoted_parameters_do_not_make_a_next_link_and_malformed_headers_are_errors() {
        let next = |values: &[&str]| next_link(&links(values)).unwrap();
        assert_eq!(
            next(&[r#"<p1>; title="x; rel=next"; rel=prev"#, "<p2>; rel=next"]),
            Some("p2".to_owned())
        );
        assert_eq!(next(&[r#"<p1>; title="a <p9>; rel=next c""#]), None);
        // obs-text in a title is not read, and is no reason to stop.
        let mut headers = HeaderMap::new();
        headers.append(
            LINK,
            HeaderValue::from_bytes(b"<p1>; title=\"caf\xe9\"; rel=next").unwrap(),
        );
        assert_eq!(next_link(&headers).unwrap(), Some("p1".to_owned()));
        let error = next_link(&links(&["<p1>; rel=prev", "<p2; rel=next"])).unwrap_err();
        assert!(error.contains("Link header does not parse"), "{error}");
    }

    #[test]
    fn a_next_page_stays_on_the_registry_s_scheme_host_and_port() {
        let page = Url::parse("https://r.example/v2/a/referrers/sha256:1").unwrap();
        assert_eq!(
            next_page(&page, "/v2/a/referrers/sha256:1?n=2")
                .unwrap()
                .as_str(),
            "https://r.example/v2/a/referrers/sha256:1?n=2"
        );
        assert_eq!(
            next_page(&page, "https://r.example:443/x")
                .unwrap()
                .as_str(),
            "https://r.example/x"
        );
        for elsewhere in [
            "https://other.example/v2/a/referrers/sha256:1?n=2",
            "http://r.example/v2/a/referrers/sha256:1?n=2",
            "https://r.example:8443/v2/a/referrers/sha256:1?n=2",
            "//other.example/x",
        ] {
            let error = next_page(&page, elsewhere).unwrap_err();
            assert!(
                error.contains("is not on the registry"),
                "{elsewhere}: {error}"
            );
        }
    }

    #[test]
    fn a_head_digest_must_be_the_one_a_digest_reference_names() {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let by_digest: oci_client::Reference = format!("r.example/x@{a}").parse().unwrap();
        let by_tag: oci_client::Reference = "r.example/x:1".parse().unwrap();
        assert_eq!(checked_header_digest(&by_digest, &a), Ok(a.clone()));
        assert!(checked_header_digest(&by_digest, &b).is_err());
        assert_eq!(checked_header_digest(&by_tag, &b), Ok(b.clone()));
    }
}
