//! The HTTP client and SDK configuration shared by every AWS call.
//!
//! One rustls client (ring crypto, native roots) serves configuration loading, credential
//! providers and every service. Its resolver answers `localhost` and `*.localhost` with
//! 127.0.0.1 itself (RFC 6761 reserves them for loopback): the s3control endpoint rules put
//! the account id in front of the host (`123456789012.localhost`), which the system resolver
//! does not always resolve, so emulators work without editing `/etc/hosts`.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use checks::settings::AwsTarget;

/// Attempts per call, with the SDK's exponential backoff and jitter between them (throttling
/// and transient errors are retried; access errors are not).
const MAX_ATTEMPTS: u32 = 6;
/// One HTTP attempt; a slow region fails this call, not the scan.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// One call including its retries.
const CALL_TIMEOUT: Duration = Duration::from_secs(90);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Resolves `localhost` names to loopback and everything else through the system resolver.
#[derive(Debug, Clone, Copy)]
struct LoopbackAwareResolver;

impl ResolveDns for LoopbackAwareResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        let host = name.trim_end_matches('.').to_ascii_lowercase();
        if host == "localhost" || host.ends_with(".localhost") {
            return DnsFuture::ready(Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]));
        }
        DnsFuture::new(async move {
            tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addrs| addrs.map(|a| a.ip()).collect())
                .map_err(ResolveDnsError::new)
        })
    }
}

pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_with_resolver(LoopbackAwareResolver)
}

/// The SDK configuration of one target in one region: credentials from the standard chain
/// (or the target's profile), the target's endpoint, retries and timeouts.
pub async fn load(target: &AwsTarget, region: Option<&str>, http: SharedHttpClient) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        );
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_owned()));
    }
    if let Some(url) = &target.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// S3 with path-style addressing whenever an endpoint is configured (emulators and VPC
/// endpoints do not serve `bucket.host` names).
pub fn s3(conf: &SdkConfig, region: &str) -> aws_sdk_s3::Client {
    let s3conf = aws_sdk_s3::config::Builder::from(conf)
        .region(Region::new(region.to_owned()))
        .force_path_style(conf.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3conf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_names_resolve_to_loopback_without_the_system() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let r = LoopbackAwareResolver;
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let resolve = |name| rt.block_on(r.resolve_dns(name)).unwrap();
        assert_eq!(resolve("123456789012.localhost"), vec![ip]);
        assert_eq!(resolve("LOCALHOST."), vec![ip]);
    }
}
