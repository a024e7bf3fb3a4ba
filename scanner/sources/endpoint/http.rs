//! HTTP requests with ureq over native-tls (OpenSSL): the endpoint URL, cookie paths, the
//! plain-HTTP redirect and security.txt. Redirects are never followed. Set-Cookie values are
//! redacted here, before anything is stored.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use checks::facts::endpoint::{Endpoint, Header, HttpFetch, SecurityTxt};
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::{Agent, Body};

use super::Target;
use super::probe::Address;

/// security.txt files are small; more than this is not read.
const SECURITY_TXT_LIMIT: u64 = 64 * 1024;

/// Fills `https`, `cookie_pages`, `http_redirect` and `security_txt`. When the TLS probes gave
/// up (`skip`), the HTTPS requests are recorded as not attempted.
pub fn collect(
    ep: &mut Endpoint,
    target: &Target,
    address: &Address,
    agents: &Agents,
    skip: Option<&str>,
) {
    let base = format!("https://{}", address.authority);
    let security_txt_url = format!("{base}/.well-known/security.txt");
    let cookie_urls: Vec<String> = target
        .cookie_paths
        .iter()
        .filter(|p| **p != address.path)
        .map(|p| {
            format!(
                "{base}{}",
                if p.starts_with('/') {
                    p.clone()
                } else {
                    format!("/{p}")
                }
            )
        })
        .collect();
    ep.http_redirect = Some(redirect(&agents.plain, target, address));
    if let Some(cause) = skip {
        ep.https = Some(skipped(&target.url, cause));
        ep.cookie_pages = cookie_urls.iter().map(|u| skipped(u, cause)).collect();
        ep.security_txt = Some(SecurityTxt {
            fetch: skipped(&security_txt_url, cause),
            ..SecurityTxt::default()
        });
        return;
    }
    let agent = match agents.https(target.ca_file.as_deref()) {
        Ok(a) => a,
        Err(cause) => {
            let cause = cause.to_owned();
            ep.https = Some(failed(&target.url, cause.clone()));
            ep.cookie_pages = cookie_urls
                .iter()
                .map(|u| failed(u, cause.clone()))
                .collect();
            ep.security_txt = Some(SecurityTxt {
                fetch: failed(&security_txt_url, cause),
                ..SecurityTxt::default()
            });
            return;
        }
    };
    ep.https = Some(get(agent, &target.url).0);
    ep.cookie_pages = cookie_urls.iter().map(|u| get(agent, u).0).collect();
    ep.security_txt = Some(security_txt(agent, &security_txt_url));
}

/// `GET` of the plain-HTTP URL.
fn redirect(agent: &Agent, target: &Target, address: &Address) -> HttpFetch {
    let url = target.http_url.clone().unwrap_or_else(|| {
        let host = if address.host.contains(':') {
            format!("[{}]", address.host)
        } else {
            address.host.clone()
        };
        format!("http://{host}{}", address.path)
    });
    get(agent, &url).0
}

fn base_config(timeout: Duration) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")))
}

/// HTTP clients shared by every endpoint of a scan, one per trust source: each native-tls
/// connector loads its roots once, not once per request.
pub struct Agents {
    plain: Agent,
    https: HashMap<Option<String>, Result<Agent, String>>,
}

impl Agents {
    pub fn new(targets: &[Target], timeout: Duration) -> Agents {
        let https = targets
            .iter()
            .map(|t| t.ca_file.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|ca| {
                let agent = https_agent(ca.as_deref(), timeout);
                (ca, agent)
            })
            .collect();
        Agents {
            plain: base_config(timeout).build().into(),
            https,
        }
    }

    pub(super) fn https(&self, ca_file: Option<&str>) -> Result<&Agent, &str> {
        match self.https.get(&ca_file.map(ToOwned::to_owned)) {
            Some(Ok(agent)) => Ok(agent),
            Some(Err(e)) => Err(e),
            None => Err("no HTTPS client was prepared for this trust source"),
        }
    }
}

/// An agent that verifies the server against `ca_file` or the system roots.
fn https_agent(ca_file: Option<&str>, timeout: Duration) -> Result<Agent, String> {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::NativeTls)
        .root_certs(root_certs(ca_file)?)
        .build();
    Ok(base_config(timeout).tls_config(tls).build().into())
}

/// The roots a ureq client trusts: the certificates of `ca_file`, or the system's.
pub(crate) fn root_certs(ca_file: Option<&str>) -> Result<RootCerts, String> {
    let Some(path) = ca_file else {
        return Ok(RootCerts::PlatformVerifier);
    };
    let pem = crate::bounded::read_ca_file(path)?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(format!("ca_file {path} holds no PEM certificate"));
    }
    Ok(RootCerts::Specific(Arc::new(certs)))
}

/// The response (headers redacted) and its body, unread.
fn get(agent: &Agent, url: &str) -> (HttpFetch, Option<Body>) {
    match agent.get(url).call() {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let headers = parts
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    let value = if *name == ureq::http::header::SET_COOKIE {
                        redact_cookie(&value)
                    } else {
                        value
                    };
                    Header {
                        name: name.as_str().to_owned(),
                        value,
                    }
                })
                .collect();
            let fetch = HttpFetch {
                url: url.to_owned(),
                status: Some(parts.status.as_u16()),
                headers,
                error: None,
                refused: false,
            };
            (fetch, Some(body))
        }
        Err(e) => {
            let refused = matches!(&e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused);
            let fetch = HttpFetch {
                refused,
                ..failed(url, one_line(&e))
            };
            (fetch, None)
        }
    }
}

fn security_txt(agent: &Agent, url: &str) -> SecurityTxt {
    let (mut fetch, body) = get(agent, url);
    let mut txt = SecurityTxt::default();
    if let (Some(mut body), Some(200)) = (body, fetch.status) {
        match body
            .with_config()
            .limit(SECURITY_TXT_LIMIT)
            .read_to_string()
        {
            Ok(text) => (txt.contact, txt.expires) = parse_security_txt(&text),
            Err(e) => fetch.error = Some(format!("cannot read the body: {}", one_line(&e))),
        }
    }
    txt.fetch = fetch;
    txt
}

/// `Contact` values and the first `Expires` value (RFC 9116 §2.5; comments skipped).
fn parse_security_txt(text: &str) -> (Vec<String>, Option<String>) {
    let mut contact = Vec::new();
    let mut expires = None;
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_owned();
        if field.trim().eq_ignore_ascii_case("contact") {
            contact.push(value);
        } else if field.trim().eq_ignore_ascii_case("expires") && expires.is_none() {
            expires = Some(value);
        }
    }
    (contact, expires)
}

/// `name=value; attrs` → `name=<redacted>; attrs`: a cookie's value may be a session secret.
pub fn redact_cookie(raw: &str) -> String {
    let (pair, attributes) = raw
        .split_once(';')
        .map_or((raw, None), |(p, a)| (p, Some(a)));
    let name = pair.split('=').next().unwrap_or_default().trim();
    match attributes {
        Some(a) => format!("{name}=<redacted>;{a}"),
        None => format!("{name}=<redacted>"),
    }
}

fn failed(url: &str, cause: String) -> HttpFetch {
    HttpFetch {
        url: url.to_owned(),
        error: Some(cause),
        ..HttpFetch::default()
    }
}

fn skipped(url: &str, cause: &str) -> HttpFetch {
    failed(url, format!("not attempted: {cause}"))
}

/// The error on one line (the HTTP probes and the rate-limit burst say it the same way).
pub(super) fn one_line(e: &ureq::Error) -> String {
    e.to_string().replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_values_are_redacted() {
        assert_eq!(
            redact_cookie("sid=s3cr3t; Path=/; Secure"),
            "sid=<redacted>; Path=/; Secure"
        );
        assert_eq!(redact_cookie("sid=s3cr3t"), "sid=<redacted>");
        assert!(!redact_cookie("a=b=c; HttpOnly").contains("b=c"));
    }

    #[test]
    fn parses_security_txt_fields() {
        let (contact, expires) = parse_security_txt(
            "# comment\nContact: mailto:s@example.com\ncontact: https://x/report\nExpires: 2027-01-01T00:00:00Z\nExpires: 2030-01-01T00:00:00Z\n",
        );
        assert_eq!(contact, vec!["mailto:s@example.com", "https://x/report"]);
        assert_eq!(expires.as_deref(), Some("2027-01-01T00:00:00Z"));
    }
}
