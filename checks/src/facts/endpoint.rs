//! Live HTTPS endpoints: what the TLS handshakes and HTTP requests showed.
//!
//! One [`Endpoint`] per configured URL. Every probe records its own outcome (accepted, refused
//! by the server, not testable by this client, or a collection error), so a check can tell
//! "the server said no" from "we could not find out". Set-Cookie values are redacted at
//! collection: only the cookie name and its attributes are kept.

use serde::{Deserialize, Serialize};

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Endpoint {
    /// The https URL as configured.
    pub url: String,
    /// Host name as in the URL (lower case, IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// RFC 3339 time of collection; checks compare expiry dates against it, never the clock.
    pub collected_at: String,
    /// A failure that prevented any probe (malformed URL, DNS failure, connection refused…).
    pub error: Option<String>,
    /// One probe per protocol version, TLS 1.0 to 1.3.
    pub protocols: Vec<ProtocolProbe>,
    /// TLS 1.2 handshakes offering only one class of weak suites each.
    pub cipher_classes: Vec<CipherClassProbe>,
    /// The certificate chain from a handshake at the best version, and its verification.
    pub certificate: Option<Certificate>,
    /// `GET` of the https URL (redirects not followed).
    pub https: Option<HttpFetch>,
    /// `GET` of each configured cookie path other than the URL's own.
    pub cookie_pages: Vec<HttpFetch>,
    /// `GET` of the plain http:// URL (redirects not followed).
    pub http_redirect: Option<HttpFetch>,
    /// `GET /.well-known/security.txt` over HTTPS.
    pub security_txt: Option<SecurityTxt>,
    /// The burst sent to prove a configured rate limit (only when `rate_limit` is set).
    pub rate_limit: Option<RateLimitProbe>,
}

impl Endpoint {
    /// `host:port`, the subject of every endpoint finding (IPv6 hosts in brackets).
    pub fn subject(&self) -> String {
        if self.host.is_empty() {
            // A URL that could not be parsed: it is the only name there is.
            return self.url.clone();
        }
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The outcome of one handshake attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Probe {
    /// The handshake completed.
    Accepted { version: String, cipher: String },
    /// The server refused (an alert such as protocol_version or handshake_failure).
    Refused { reason: String },
    /// This client cannot offer what the probe needs (e.g. RC4 in OpenSSL 3).
    Untestable { reason: String },
    /// Network or protocol failure: nothing was learned.
    Error { cause: String },
}

impl Probe {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Probe::Accepted { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolProbe {
    /// `1.0`, `1.1`, `1.2` or `1.3`.
    pub version: String,
    pub result: Probe,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CipherClassProbe {
    /// `NULL`, `anonymous`, `EXPORT`, `RC4`, `3DES` or `no-forward-secrecy`.
    pub class: String,
    /// The OpenSSL cipher string offered.
    pub offered: String,
    pub result: Probe,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Certificate {
    /// Negotiated protocol and cipher of the handshake that fetched the chain.
    pub version: String,
    pub cipher: String,
    /// As presented by the server, leaf first.
    pub chain: Vec<CertSummary>,
    pub verification: Verification,
    /// Set when no handshake could fetch a certificate.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// `DNS:name` and `IP:address` entries.
    pub sans: Vec<String>,
    /// RFC 3339.
    pub not_before: String,
    pub not_after: String,
    /// `RSA`, `EC`, `Ed25519`, `DSA`…
    pub key_type: String,
    pub key_bits: u32,
    /// OpenSSL's long name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Verification {
    /// `system` (honours SSL_CERT_FILE / SSL_CERT_DIR) or the `ca_file` path.
    pub trust: String,
    /// The chain verified to a trusted root (validity dates included).
    pub chain_verified: bool,
    /// The leaf is valid for the URL's host name or IP address.
    pub hostname_match: bool,
    /// Every verifier error, `depth N: reason`.
    pub errors: Vec<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpFetch {
    pub url: String,
    pub status: Option<u16>,
    /// As received, in order; names lower-cased; Set-Cookie values redacted.
    pub headers: Vec<Header>,
    pub error: Option<String>,
    /// The connection was actively refused (nothing listens on the port), as opposed to a
    /// timeout, a reset or a TLS failure: `error` is then set too.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
}

impl HttpFetch {
    /// Every value of a header (names compared case-insensitively).
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    pub fn header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.header_values(name).next()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Header {
    pub name: String,
    pub value: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityTxt {
    pub fetch: HttpFetch,
    /// Every `Contact:` value.
    pub contact: Vec<String>,
    /// The first `Expires:` value, as written.
    pub expires: Option<String>,
}

/// What a rate-limit burst saw: the requests were sent one at a time, at most `max_requests`,
/// at least `interval_ms` apart, and stopped at the first response with the claim's status.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitProbe {
    /// The claim the burst tested, as configured.
    pub claim: crate::rate_limit::RateLimitClaim,
    /// The one URL every request went to.
    pub url: String,
    /// The User-Agent every request carried, so the server's logs show who sent them.
    pub user_agent: String,
    pub max_requests: u32,
    pub interval_ms: u64,
    /// Requests sent (answered or not).
    pub sent: u32,
    /// The 1-based number of the first request answered with the claim's status.
    pub first_limited_at: Option<u32>,
    /// The statuses in the order received, consecutive equal ones counted together.
    pub statuses: Vec<StatusRun>,
    /// `Retry-After` of the limited response, as sent.
    pub retry_after: Option<String>,
    /// Wall time of the burst.
    pub elapsed_ms: u64,
    /// Why the burst stopped without an answer (connection reset, timeout, TLS failure…).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRun {
    pub status: u16,
    pub count: u32,
}

impl RateLimitProbe {
    /// Responses received before the first limited one (all of them if none was limited).
    pub fn accepted(&self) -> u32 {
        let answered: u32 = self.statuses.iter().map(|r| r.count).sum();
        match self.first_limited_at {
            Some(n) => n.saturating_sub(1),
            None => answered,
        }
    }
}
