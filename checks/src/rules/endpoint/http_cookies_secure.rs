use serde_json::json;

use super::endpoint_support::{directives, response};
use crate::facts::endpoint::{Endpoint, HttpFetch};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct HttpCookiesSecure;

impl Rule for HttpCookiesSecure {
    const META: Meta = Meta {
        id: "http-cookies-secure",
        title: "Cookies are Secure, HttpOnly and SameSite",
        severity: Severity::Medium,
        controls: &["APP-02"],
        source: Source::Endpoint,
        docs: r#"
## Why
A cookie without `Secure` is sent over plain HTTP, where anyone on the path reads the session.
Without `HttpOnly`, any injected script can steal it. Without `SameSite=Lax` or `Strict`, it is
sent on cross-site requests, which is what CSRF needs. The `__Host-` prefix additionally makes
the browser refuse the cookie unless it is Secure, host-only and `Path=/`, so a subdomain
cannot overwrite it.

## What is judged
Every `Set-Cookie` in the responses to `GET` the endpoint URL and each configured cookie path
(`[endpoint] cookie_paths` and the target's `cookie_paths`) must carry `Secure`, `HttpOnly`
and `SameSite=Lax` or `SameSite=Strict`. Whether each cookie uses the `__Host-` prefix is
reported. No cookie at all passes; a response that could not be fetched is an `error`.

## How to fix
Set the attributes where the session is created, e.g. Express
`cookie: { secure: true, httpOnly: true, sameSite: 'lax' }`, Django `SESSION_COOKIE_SECURE`,
`SESSION_COOKIE_HTTPONLY`, `SESSION_COOKIE_SAMESITE = "Lax"`; name session cookies
`__Host-…` with `Path=/` and no `Domain`.

## Evidence
Per cookie: the page, its name and attributes (values are redacted at collection).
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for ep in &cx.facts.endpoints {
            let location = Location::url(ep.url.clone());
            let pages = match fetched_pages(ep) {
                Ok(p) => p,
                Err(why) => {
                    let evidence = json!({ "url": ep.url, "https": ep.https, "cookie_pages": ep.cookie_pages });
                    out.error(ep.subject(), location, why, evidence);
                    continue;
                }
            };
            let cookies: Vec<Cookie> = pages
                .iter()
                .flat_map(|page| {
                    page.header_values("set-cookie")
                        .map(|raw| Cookie::parse(&page.url, raw))
                })
                .collect();
            let pages_seen: Vec<&str> = pages.iter().map(|p| p.url.as_str()).collect();
            let evidence = json!({ "pages": pages_seen, "cookies": cookies_evidence(&cookies) });
            let bad: Vec<String> = cookies
                .iter()
                .filter_map(|c| {
                    let missing = c.missing();
                    (!missing.is_empty())
                        .then(|| format!("{} on {} lacks {}", c.name, c.page, missing.join(", ")))
                })
                .collect();
            let subject = ep.subject();
            if !bad.is_empty() {
                out.fail(
                    subject,
                    location,
                    format!("{}: {}", ep.url, bad.join("; ")),
                    evidence,
                );
            } else if cookies.is_empty() {
                let m = format!("{}: no cookies set on {}", ep.url, pages_seen.join(", "));
                out.pass(subject, location, m, evidence);
            } else {
                let names: Vec<String> = cookies.iter().map(Cookie::label).collect();
                let m = format!(
                    "{}: every cookie is Secure, HttpOnly and SameSite: {}",
                    ep.url,
                    names.join(", ")
                );
                out.pass(subject, location, m, evidence);
            }
        }
    }
}

/// The URL's own response and every cookie page, or why one of them is missing.
fn fetched_pages(ep: &Endpoint) -> Result<Vec<&HttpFetch>, String> {
    let mut pages = vec![response(ep, ep.https.as_ref(), "GET")?];
    for page in &ep.cookie_pages {
        pages.push(response(ep, Some(page), "GET")?);
    }
    Ok(pages)
}

struct Cookie {
    page: String,
    name: String,
    secure: bool,
    http_only: bool,
    same_site: Option<String>,
}

impl Cookie {
    /// Parses `name=<redacted>; Attr; Attr=v`.
    fn parse(page: &str, raw: &str) -> Cookie {
        let (pair, attributes) = raw.split_once(';').unwrap_or((raw, ""));
        let name = pair.split('=').next().unwrap_or_default().trim().to_owned();
        let attrs = directives(attributes);
        let has = |n: &str| attrs.iter().any(|(k, _)| k == n);
        Cookie {
            page: page.to_owned(),
            name,
            secure: has("secure"),
            http_only: has("httponly"),
            same_site: attrs
                .iter()
                .find(|(k, _)| k == "samesite")
                .map(|(_, v)| v.clone()),
        }
    }

    fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if !self.secure {
            missing.push("Secure");
        }
        if !self.http_only {
            missing.push("HttpOnly");
        }
        let same_site_ok = self
            .same_site
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("lax") || v.eq_ignore_ascii_case("strict"));
        if !same_site_ok {
            missing.push("SameSite=Lax|Strict");
        }
        missing
    }

    fn host_prefixed(&self) -> bool {
        self.name.starts_with("__Host-")
    }

    fn label(&self) -> String {
        let prefix = if self.host_prefixed() {
            ""
        } else {
            " (no __Host- prefix)"
        };
        format!("{}{prefix}", self.name)
    }
}

fn cookies_evidence(cookies: &[Cookie]) -> serde_json::Value {
    cookies
        .iter()
        .map(|c| {
            json!({
                "page": c.page,
                "name": c.name,
                "secure": c.secure,
                "http_only": c.http_only,
                "same_site": c.same_site,
                "host_prefix": c.host_prefixed(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Cookie;

    #[test]
    fn judges_attributes() {
        let good = Cookie::parse(
            "/",
            "__Host-sid=<redacted>; Path=/; Secure; HttpOnly; SameSite=Lax",
        );
        assert!(good.missing().is_empty());
        assert!(good.host_prefixed());
        let bad = Cookie::parse("/", "sid=<redacted>; Path=/; SameSite=None; Secure");
        assert_eq!(bad.missing(), vec!["HttpOnly", "SameSite=Lax|Strict"]);
        assert_eq!(Cookie::parse("/", "a=<redacted>").missing().len(), 3);
    }
}
