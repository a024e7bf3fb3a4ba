use serde_json::json;

use super::endpoint_support::{response, url_host};
use crate::facts::endpoint::{Endpoint, HttpFetch};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct HttpHttpsRedirect;

impl Rule for HttpHttpsRedirect {
    const META: Meta = Meta {
        id: "http-https-redirect",
        title: "Plain HTTP permanently redirects to HTTPS on the same host",
        severity: Severity::Medium,
        controls: &["APP-01"],
        source: Source::Endpoint,
        docs: r#"
## Why
Users and old links still reach `http://`. If that answers with content, or with a temporary
or cross-host redirect, the first request travels in clear text and can be rewritten. A
permanent redirect to the same host over HTTPS (then HSTS) moves every client to TLS.

## What is judged
`GET` of the plain-HTTP URL (`http://host/path` on port 80, or the target's `http_url`), with
redirects not followed, must answer `301` or `308` with a `Location` that is `https://` on the
endpoint's host; any other answer (content, a temporary or cross-host redirect) fails. When the
HTTPS endpoint answers and the plain-HTTP port actively refuses the connection (nothing listens),
no plaintext is served: it passes, with a note saying so. Any other failure of the plain-HTTP
request (timeout, reset) is an `error`: a filtered port may still be open to someone else.

## How to fix
nginx: `server { listen 80; server_name example.com; return 301 https://$host$request_uri; }`.
AWS ALB: a listener on port 80 with a `redirect` action to HTTPS, status `HTTP_301`.

## Evidence
The request URL, the response status and headers as received.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for ep in &cx.facts.endpoints {
            let url = ep
                .http_redirect
                .as_ref()
                .map_or_else(|| ep.url.clone(), |f| f.url.clone());
            let location = Location::url(url);
            if let Some(plain) = refused_plain_http(ep) {
                out.pass(
                    ep.subject(),
                    location,
                    format!(
                        "{} refuses connections: no plaintext HTTP is served (note: nothing redirects http:// links either)",
                        plain.url
                    ),
                    json!({ "url": ep.url, "http": plain, "note": "port refused" }),
                );
                continue;
            }
            let fetch = match response(ep, ep.http_redirect.as_ref(), "plain-HTTP GET") {
                Ok(f) => f,
                Err(why) => {
                    let evidence = json!({ "url": ep.url, "http": ep.http_redirect });
                    out.error(ep.subject(), location, why, evidence);
                    continue;
                }
            };
            let evidence = json!({ "response": fetch });
            let status = fetch.status.unwrap_or_default();
            match judge(status, fetch.header("location"), &ep.host) {
                Ok(m) => out.pass(
                    ep.subject(),
                    location,
                    format!("{}: {m}", fetch.url),
                    evidence,
                ),
                Err(m) => out.fail(
                    ep.subject(),
                    location,
                    format!("{}: {m}", fetch.url),
                    evidence,
                ),
            }
        }
    }
}

/// The plain-HTTP fetch when it was refused while the endpoint itself answered over HTTPS.
fn refused_plain_http(ep: &Endpoint) -> Option<&HttpFetch> {
    let https_answered = ep.error.is_none()
        && ep
            .https
            .as_ref()
            .is_some_and(|f| f.error.is_none() && f.status.is_some());
    ep.http_redirect
        .as_ref()
        .filter(|plain| plain.refused && https_answered)
}

fn judge(status: u16, target: Option<&str>, host: &str) -> Result<String, String> {
    if !(300..400).contains(&status) {
        return Err(format!("answers {status} without redirecting to HTTPS"));
    }
    let Some(target) = target else {
        return Err(format!("answers {status} without a Location"));
    };
    match url_host(target) {
        Some((scheme, _)) if scheme != "https" => {
            Err(format!("redirects to {target}, which is not HTTPS"))
        }
        Some((_, to)) if !to.eq_ignore_ascii_case(host) => {
            Err(format!("redirects to another host: {target}"))
        }
        None => Err(format!(
            "redirects to {target:?}, not an absolute https:// URL"
        )),
        Some(_) if status != 301 && status != 308 => Err(format!(
            "redirects to {target} with {status}, a temporary redirect (use 301 or 308)"
        )),
        Some(_) => Ok(format!("{status} to {target}")),
    }
}

#[cfg(test)]
mod tests {
    use super::judge;

    #[test]
    fn judges_status_scheme_and_host() {
        assert!(judge(301, Some("https://h/x"), "h").is_ok());
        assert!(judge(308, Some("https://h:8443/"), "h").is_ok());
        assert!(judge(302, Some("https://h/"), "h").is_err());
        assert!(judge(301, Some("http://h/"), "h").is_err());
        assert!(judge(301, Some("https://evil/"), "h").is_err());
        assert!(judge(301, Some("/relative"), "h").is_err());
        assert!(judge(200, None, "h").is_err());
    }
}
