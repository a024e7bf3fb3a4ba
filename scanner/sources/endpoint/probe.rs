//! Orchestration: endpoints concurrently, the probes of one endpoint in sequence.

use std::collections::{BTreeSet, HashMap};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use checks::facts::endpoint::{Endpoint, Probe};
use openssl::ssl::SslConnector;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Target;
use super::{http, rate_limit, tls};

/// Probes every target, at most `concurrency` at a time (each probe on a blocking thread);
/// results in the targets' order.
pub async fn all(
    targets: Vec<Target>,
    concurrency: usize,
    collected_at: &str,
    progress: &crate::engine::Progress,
) -> Vec<Endpoint> {
    let shared = Arc::new(Shared::new(&targets));
    probe_all(
        targets,
        shared,
        concurrency,
        collected_at.to_owned(),
        progress,
    )
    .await
}

/// Clients built once per scan, per trust source (loading a root bundle costs more than a
/// handshake).
struct Shared {
    verifiers: HashMap<Option<String>, Result<SslConnector, String>>,
    probes: tls::ProbeContexts,
    agents: http::Agents,
}

impl Shared {
    fn new(targets: &[Target]) -> Shared {
        let trusts: BTreeSet<Option<String>> = targets.iter().map(|t| t.ca_file.clone()).collect();
        let verifiers = trusts
            .into_iter()
            .map(|ca| {
                let verifier = tls::verifier(ca.as_deref());
                (ca, verifier)
            })
            .collect();
        let timeout = targets
            .first()
            .map_or(Duration::from_secs(10), |t| t.timeout);
        Shared {
            verifiers,
            probes: tls::ProbeContexts::new(),
            agents: http::Agents::new(targets, timeout),
        }
    }

    fn verifier(&self, ca_file: Option<&String>) -> Result<SslConnector, String> {
        self.verifiers
            .get(&ca_file.cloned())
            .cloned()
            .unwrap_or_else(|| Err("no verifier was prepared for this trust source".to_owned()))
    }
}

async fn probe_all(
    targets: Vec<Target>,
    shared: Arc<Shared>,
    concurrency: usize,
    collected_at: String,
    progress: &crate::engine::Progress,
) -> Vec<Endpoint> {
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let urls: Vec<String> = targets.iter().map(|t| t.url.clone()).collect();
    for (index, target) in targets.into_iter().enumerate() {
        let limit = Arc::clone(&limit);
        let at = collected_at.clone();
        let shared = Arc::clone(&shared);
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only fails if it were.
            let _permit = limit.acquire_owned().await;
            let probed = tokio::task::spawn_blocking(move || endpoint(&target, &shared, &at)).await;
            (index, probed)
        });
    }
    let mut results: Vec<Option<Endpoint>> = vec![None; urls.len()];
    while let Some(joined) = tasks.join_next().await {
        progress.target_done();
        if let Ok((index, probed)) = joined {
            results[index] = Some(probed.unwrap_or_else(|e| {
                failed(
                    &urls[index],
                    &collected_at,
                    format!("the probe crashed: {e}"),
                )
            }));
        }
    }
    results
        .into_iter()
        .zip(&urls)
        .map(|(r, url)| {
            r.unwrap_or_else(|| failed(url, &collected_at, "the probe did not finish".to_owned()))
        })
        .collect()
}

fn failed(url: &str, collected_at: &str, cause: String) -> Endpoint {
    Endpoint {
        url: url.to_owned(),
        collected_at: collected_at.to_owned(),
        error: Some(cause),
        ..Endpoint::default()
    }
}

/// Where an endpoint lives, parsed from its URL.
pub struct Address {
    pub host: String,
    pub port: u16,
    /// `host` as written in a URL authority (IPv6 in brackets), with `:port` unless 443.
    pub authority: String,
    pub path: String,
}

/// Parses `https://host[:port][/path]`.
pub fn parse_url(url: &str) -> Result<Address, String> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if uri.scheme_str() != Some("https") {
        return Err(format!("{url:?} is not an https:// URL"));
    }
    let Some(raw_host) = uri.host() else {
        return Err(format!("{url:?} has no host"));
    };
    let host = raw_host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(443);
    let bracketed = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let authority = if port == 443 {
        bracketed
    } else {
        format!("{bracketed}:{port}")
    };
    let path = uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    Ok(Address {
        host,
        port,
        authority,
        path,
    })
}

/// Probes one endpoint: reachability, TLS versions, weak suites, certificate, HTTP.
fn endpoint(target: &Target, shared: &Shared, collected_at: &str) -> Endpoint {
    let mut ep = Endpoint {
        url: target.url.clone(),
        collected_at: collected_at.to_owned(),
        ..Endpoint::default()
    };
    let address = match parse_url(&target.url) {
        Ok(a) => a,
        Err(e) => {
            ep.error = Some(e);
            return ep;
        }
    };
    ep.host.clone_from(&address.host);
    ep.port = address.port;
    let socket = match reachable(&address, target.timeout) {
        Ok(s) => s,
        Err(e) => {
            ep.error = Some(e);
            return ep;
        }
    };
    let mut prober = tls::Prober::new(socket, &address.host, target.timeout, collected_at);
    ep.protocols = prober.protocols(&shared.probes);
    ep.cipher_classes = prober.cipher_classes(&shared.probes);
    let verifier = shared.verifier(target.ca_file.as_ref());
    ep.certificate = Some(prober.certificate(target.ca_file.as_deref(), &verifier));
    http::collect(&mut ep, target, &address, &shared.agents, prober.gave_up());
    if let Some(claim) = &target.rate_limit {
        let agent = shared.agents.https(target.ca_file.as_deref());
        ep.rate_limit = Some(match (prober.gave_up(), agent) {
            (Some(cause), _) | (None, Err(cause)) => rate_limit::not_sent(&address, claim, cause),
            (None, Ok(agent)) => rate_limit::probe(agent, &address, claim),
        });
    }
    ep
}

/// The first address of the host that accepts a TCP connection.
fn reachable(address: &Address, timeout: std::time::Duration) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = (address.host.as_str(), address.port)
        .to_socket_addrs()
        .map_err(|e| format!("DNS lookup of {} failed: {e}", address.host))?
        .collect();
    let mut last = format!("{} resolved to no address", address.host);
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(addr),
            Err(e) => last = connect_failure(&addr, &e, timeout),
        }
    }
    Err(last)
}

/// "connection to ADDR refused" / "timed out after N ms" / the OS error.
pub fn connect_failure(
    addr: &SocketAddr,
    e: &std::io::Error,
    timeout: std::time::Duration,
) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => format!("connection to {addr} refused"),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            format!(
                "connection to {addr} timed out after {} ms",
                timeout.as_millis()
            )
        }
        _ => format!("connection to {addr} failed: {e}"),
    }
}

/// A probe result standing for a probe not made because an earlier one timed out.
pub fn skipped_probe(cause: &str) -> Probe {
    Probe::Error {
        cause: format!("not attempted: {cause}"),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_url;

    #[test]
    fn parses_endpoint_urls() {
        let a = parse_url("https://App.Example.com/login?x=1").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("app.example.com", 443));
        assert_eq!(a.authority, "app.example.com");
        assert_eq!(a.path, "/login?x=1");
        let v6 = parse_url("https://[::1]:8443").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 8443));
        assert_eq!(v6.authority, "[::1]:8443");
        assert_eq!(v6.path, "/");
        assert!(parse_url("http://plain.example.com/").is_err());
        assert!(parse_url("not a url").is_err());
    }
}
