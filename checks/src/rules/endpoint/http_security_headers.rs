use serde_json::json;

use super::endpoint_support::https_responses;
use crate::facts::endpoint::HttpFetch;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct HttpSecurityHeaders;

impl Rule for HttpSecurityHeaders {
    const META: Meta = Meta {
        id: "http-security-headers",
        title: "HTTPS responses carry CSP, framing, MIME-sniffing and referrer protections",
        severity: Severity::Medium,
        controls: &["APP-01"],
        source: Source::Endpoint,
        docs: r#"
## Why
A Content-Security-Policy limits what an injected script can load and run (XSS damage).
Denying framing stops clickjacking. `X-Content-Type-Options: nosniff` stops browsers from
executing uploads served with the wrong type. A Referrer-Policy keeps tokens and internal paths
in URLs from leaking to other sites.

## What is judged
The response to `GET` the endpoint URL must have: a non-empty `Content-Security-Policy`
(report-only does not count); framing denied by `X-Frame-Options: DENY` or a CSP
`frame-ancestors 'none'`; `X-Content-Type-Options: nosniff`; and a `Referrer-Policy` other
than `unsafe-url`. A response that could not be fetched is an `error`.

## How to fix
nginx, in the `server` block: `add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;`
`add_header X-Frame-Options DENY always; add_header X-Content-Type-Options nosniff always;`
`add_header Referrer-Policy strict-origin-when-cross-origin always;`

## Evidence
The response status and every header as received (cookie values redacted).
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (ep, fetch) in https_responses(cx, out) {
            let location = Location::url(ep.url.clone());
            let evidence = json!({ "response": fetch });
            let missing = missing_protections(fetch);
            if missing.is_empty() {
                out.pass(
                    ep.subject(),
                    location,
                    format!(
                        "{}: CSP, framing denial, nosniff and Referrer-Policy are set",
                        ep.url
                    ),
                    evidence,
                );
            } else {
                out.fail(
                    ep.subject(),
                    location,
                    format!("{}: {}", ep.url, missing.join("; ")),
                    evidence,
                );
            }
        }
    }
}

/// One sentence per missing protection.
fn missing_protections(fetch: &HttpFetch) -> Vec<String> {
    let mut missing = Vec::new();
    let csp: Vec<&str> = fetch
        .header_values("content-security-policy")
        .filter(|v| !v.trim().is_empty())
        .collect();
    if csp.is_empty() {
        missing.push("no Content-Security-Policy".to_owned());
    }
    let xfo_deny = fetch
        .header("x-frame-options")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("deny"));
    if !xfo_deny && !csp.iter().any(|p| denies_framing(p)) {
        missing.push(
            "framing is not denied (X-Frame-Options DENY or CSP frame-ancestors 'none')".to_owned(),
        );
    }
    let nosniff = fetch
        .header("x-content-type-options")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff"));
    if !nosniff {
        missing.push("X-Content-Type-Options is not nosniff".to_owned());
    }
    match fetch.header("referrer-policy").map(str::trim) {
        None | Some("") => missing.push("no Referrer-Policy".to_owned()),
        Some(p) if p.eq_ignore_ascii_case("unsafe-url") => {
            missing.push("Referrer-Policy is unsafe-url".to_owned());
        }
        Some(_) => {}
    }
    missing
}

/// `true` when a CSP has `frame-ancestors 'none'`.
fn denies_framing(policy: &str) -> bool {
    policy.split(';').any(|directive| {
        let mut words = directive.split_whitespace();
        words
            .next()
            .is_some_and(|d| d.eq_ignore_ascii_case("frame-ancestors"))
            && words.collect::<Vec<_>>() == ["'none'"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::endpoint::Header;

    fn fetch(headers: &[(&str, &str)]) -> HttpFetch {
        HttpFetch {
            status: Some(200),
            headers: headers
                .iter()
                .map(|(n, v)| Header {
                    name: (*n).to_owned(),
                    value: (*v).to_owned(),
                })
                .collect(),
            ..HttpFetch::default()
        }
    }

    #[test]
    fn judges_each_protection() {
        let good = fetch(&[
            (
                "content-security-policy",
                "default-src 'self'; frame-ancestors 'none'",
            ),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
        ]);
        assert!(missing_protections(&good).is_empty());
        let sameorigin = fetch(&[
            ("content-security-policy", "default-src 'self'"),
            ("x-frame-options", "SAMEORIGIN"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "unsafe-url"),
        ]);
        assert_eq!(missing_protections(&sameorigin).len(), 2);
        assert_eq!(missing_protections(&fetch(&[])).len(), 4);
    }
}
