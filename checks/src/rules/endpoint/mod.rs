//! Live endpoints: TLS versions, ciphers and certificates, HTTP security headers, redirects, cookies, rate limits, security.txt.

pub(crate) mod endpoint_support;
pub mod http_cookies_secure;
pub mod http_hsts;
pub mod http_https_redirect;
pub mod http_rate_limited;
pub mod http_security_headers;
pub mod security_txt;
pub mod tls_cert_valid;
pub mod tls_min_version;
pub mod tls_weak_ciphers;
