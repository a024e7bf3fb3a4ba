//! Live HTTPS endpoints: TLS version and cipher probes, the certificate chain, and the HTTP
//! responses the `tls-*`, `http-*` and `security-txt` checks judge.
//!
//! Endpoints are probed concurrently (tokio, at most `[endpoint] concurrency` at once); the
//! probes of one endpoint run one after another, because small servers (`openssl s_server
//! -www`) serve one connection at a time. Every socket operation has the `[endpoint]
//! timeout_ms` deadline. Nothing here judges: outcomes are recorded as they were seen.

use checks::Settings;
use checks::resolve::EndpointOptions;

#[cfg(feature = "endpoint")]
mod http;
// The artifact source fetches over HTTPS with the same trust roots.
#[cfg(feature = "artifact")]
pub(crate) use http::root_certs;
#[cfg(feature = "endpoint")]
mod probe;
#[cfg(feature = "endpoint")]
mod rate_limit;
mod source;
#[cfg(feature = "endpoint")]
mod tls;

pub use source::Endpoints;

/// One configured endpoint, with its settings resolved.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub ca_file: Option<String>,
    /// Paths whose cookies are collected besides the URL's own.
    pub cookie_paths: Vec<String>,
    pub http_url: Option<String>,
    pub timeout: std::time::Duration,
    /// The claim to prove with a burst; `None`: no burst is sent.
    pub rate_limit: Option<checks::rate_limit::RateLimitClaim>,
}

/// The endpoints of `settings.target.endpoint`, in order, with `[endpoint]`'s resolved
/// defaults.
pub fn targets(settings: &Settings, defaults: &EndpointOptions) -> Vec<Target> {
    settings
        .target
        .endpoint
        .iter()
        .map(|t| {
            let mut cookie_paths = defaults.cookie_paths.clone();
            cookie_paths.extend(t.cookie_paths.iter().cloned());
            cookie_paths.sort();
            cookie_paths.dedup();
            Target {
                url: t.url.clone(),
                ca_file: t.ca_file.clone(),
                cookie_paths,
                http_url: t.http_url.clone(),
                timeout: defaults.timeout,
                rate_limit: t.rate_limit.clone(),
            }
        })
        .collect()
}
