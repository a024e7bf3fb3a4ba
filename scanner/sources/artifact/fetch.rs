//! Reading one artifact or bundle: a local file (regular files only, within a size cap) or an
//! `https://` URL (ureq over native-tls as the endpoint probes; HTTPS only, redirects too;
//! one deadline for the whole request; the body read within the cap).

use std::path::Path;
use std::time::Duration;

use ureq::Agent;
use ureq::tls::{TlsConfig, TlsProvider};

use crate::bounded::{self, ReadError};

/// Redirects followed for a download (release hosts redirect to their storage).
const MAX_REDIRECTS: u32 = 5;

/// Why a location was not read.
#[derive(Debug)]
pub enum Unread {
    /// Not there (no such file, HTTP 404 or 410): for a bundle, "none published".
    Absent(String),
    /// Anything else: the content is unknown.
    Failed(String),
}

/// The HTTPS client of a scan's artifacts, built only when one of them is a URL.
pub struct Client {
    agent: Result<Agent, String>,
}

impl Client {
    pub fn new(ca_file: Option<&str>, timeout: Duration) -> Client {
        Client {
            agent: agent(ca_file, timeout),
        }
    }

    /// Reads `location` (a URL when it has a scheme, else a path) within `cap` bytes. `shown`
    /// is how errors name it.
    pub fn read(&self, location: &str, shown: &str, cap: u64) -> Result<Vec<u8>, Unread> {
        if location.contains("://") {
            self.download(location, shown, cap)
        } else {
            read_file(Path::new(location), shown, cap)
        }
    }

    fn download(&self, url: &str, shown: &str, cap: u64) -> Result<Vec<u8>, Unread> {
        let agent = self
            .agent
            .as_ref()
            .map_err(|e| Unread::Failed(format!("{shown}: {e}")))?;
        let response = agent
            .get(url)
            .call()
            .map_err(|e| Unread::Failed(format!("{shown}: cannot download: {}", one_line(&e))))?;
        let status = response.status().as_u16();
        if status == 404 || status == 410 {
            return Err(Unread::Absent(format!("{shown}: HTTP {status}")));
        }
        if !(200..300).contains(&status) {
            return Err(Unread::Failed(format!("{shown}: HTTP {status}")));
        }
        let over = |size: u64| {
            Unread::Failed(format!(
                "{shown}: is {size} bytes or more, over the limit of {}",
                bounded::cap_text(cap)
            ))
        };
        let declared = response
            .headers()
            .get(ureq::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(size) = declared.filter(|s| *s > cap) {
            return Err(over(size));
        }
        let mut body = response.into_body();
        body.with_config()
            .limit(cap)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => over(cap + 1),
                e => Unread::Failed(format!("{shown}: cannot read the body: {}", one_line(&e))),
            })
    }
}

fn read_file(path: &Path, shown: &str, cap: u64) -> Result<Vec<u8>, Unread> {
    bounded::read_file(path, cap).map_err(|e| match e {
        ReadError::NotFound => Unread::Absent(format!("{shown}: does not exist")),
        e => Unread::Failed(format!("{shown}: {e}")),
    })
}

/// An agent that verifies servers against `ca_file` or the system roots, refuses plain HTTP
/// (a redirect to `http://` included), follows a few redirects and reports every status.
fn agent(ca_file: Option<&str>, timeout: Duration) -> Result<Agent, String> {
    let roots =
        crate::sources::endpoint::root_certs(ca_file).map_err(|e| format!("[artifact] {e}"))?;
    let tls = TlsConfig::builder()
        .provider(TlsProvider::NativeTls)
        .root_certs(roots)
        .build();
    let agent = Agent::config_builder()
        .https_only(true)
        .max_redirects(MAX_REDIRECTS)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build();
    Ok(agent.into())
}

/// ureq's error and its causes on one line, with the query of every URL in it cut (`?…`):
/// some of ureq's errors quote the whole URI, and a query may hold a signed-URL token.
fn one_line(e: &ureq::Error) -> String {
    crate::sources::cause_chain(e)
        .split(' ')
        .map(|word| {
            if word.contains("://") {
                super::fetch_display(word)
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(r: Result<Vec<u8>, Unread>) -> String {
        match r {
            Err(Unread::Failed(why)) => why,
            Err(Unread::Absent(why)) => panic!("absent, not failed: {why}"),
            Ok(bytes) => panic!("read {} bytes", bytes.len()),
        }
    }

    /// A file over `[artifact] max_bytes` is an error naming the limit, never read whole.
    #[test]
    fn a_file_over_the_cap_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vouch-linux-amd64");
        std::fs::write(&path, vec![0u8; 4096]).unwrap();
        let client = Client::new(None, Duration::from_secs(5));
        let why = failed(client.read(path.to_str().unwrap(), "app", 1024));
        assert!(why.starts_with("app: ") && why.contains("limit"), "{why}");
        assert_eq!(
            client
                .read(path.to_str().unwrap(), "app", 4096)
                .unwrap()
                .len(),
            4096
        );
    }

    /// A server that accepts the connection and never answers the TLS handshake ends at the
    /// download deadline with an error (the test would hang without it).
    #[test]
    fn a_stalled_download_ends_at_the_deadline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Holds the connection for a minute; the thread is left to end with the test binary.
        std::thread::spawn(move || {
            let (_socket, _) = listener.accept().unwrap();
            std::thread::sleep(Duration::from_secs(60));
        });
        let client = Client::new(None, Duration::from_millis(300));
        let url = format!("https://127.0.0.1:{port}/vouch.tar.gz");
        let why = failed(client.read(&url, "app", 1 << 20));
        assert!(
            why.starts_with("app: cannot download") && why.contains("timeout"),
            "{why}"
        );
    }
}
