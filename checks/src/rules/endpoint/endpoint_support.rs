//! Helpers shared by the `tls-*`, `http-*` and `security-txt` checks.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::facts::endpoint::{Endpoint, HttpFetch};
use crate::model::{Context, Findings, Location};

/// Records an `error` finding when the endpoint could not be probed at all; `true` if it did.
pub(crate) fn report_unreachable(ep: &Endpoint, location: &Location, out: &mut Findings) -> bool {
    let Some(err) = &ep.error else { return false };
    out.error(
        ep.subject(),
        location.clone(),
        format!("{} could not be probed: {err}", ep.url),
        json!({ "url": ep.url, "error": err, "collected_at": ep.collected_at }),
    );
    true
}

/// A judged status with its message, kept apart from recording so that judging stays a pure
/// function the tests can assert on.
pub(crate) enum Verdict {
    Pass(String),
    Fail(String),
    Error(String),
}

impl Verdict {
    /// Records the verdict about `subject`.
    pub(crate) fn record(
        self,
        out: &mut Findings,
        subject: String,
        location: Location,
        evidence: Value,
    ) {
        match self {
            Verdict::Pass(m) => out.pass(subject, location, m, evidence),
            Verdict::Fail(m) => out.fail(subject, location, m, evidence),
            Verdict::Error(m) => out.error(subject, location, m, evidence),
        }
    }
}

/// Every endpoint with its HTTPS response, after recording as `error` why an endpoint's
/// response cannot be judged (for the checks that judge the headers of that response).
pub(crate) fn https_responses<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
) -> Vec<(&'a Endpoint, &'a HttpFetch)> {
    let mut all = Vec::new();
    for ep in &cx.facts.endpoints {
        match response(ep, ep.https.as_ref(), "GET") {
            Ok(fetch) => all.push((ep, fetch)),
            Err(why) => out.error(
                ep.subject(),
                Location::url(ep.url.clone()),
                why,
                json!({ "url": ep.url, "https": ep.https }),
            ),
        }
    }
    all
}

/// The response of a fetch, or one sentence saying why there is none.
pub(crate) fn response<'a>(
    ep: &Endpoint,
    fetch: Option<&'a HttpFetch>,
    what: &str,
) -> Result<&'a HttpFetch, String> {
    if let Some(err) = &ep.error {
        return Err(format!("{} could not be probed: {err}", ep.url));
    }
    let Some(fetch) = fetch else {
        return Err(format!("{what} of {} was not collected", ep.url));
    };
    if let Some(err) = &fetch.error {
        return Err(format!("{what} {} failed: {err}", fetch.url));
    }
    if fetch.status.is_none() {
        return Err(format!("{what} {} returned no status", fetch.url));
    }
    Ok(fetch)
}

/// An RFC 3339 timestamp.
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).ok()
}

/// The `;`-separated directives of a header value: (lower-cased name, value without quotes).
pub(crate) fn directives(value: &str) -> Vec<(String, String)> {
    value
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| match d.split_once('=') {
            Some((k, v)) => (
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_owned(),
            ),
            None => (d.to_ascii_lowercase(), String::new()),
        })
        .collect()
}

/// The host of an absolute URL (`scheme://[user@]host[:port]/…`), lower-cased, IPv6 unbracketed.
pub(crate) fn url_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then(|| (scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directives_and_hosts() {
        assert_eq!(
            directives("max-age=\"31536000\"; includeSubDomains"),
            vec![
                ("max-age".to_owned(), "31536000".to_owned()),
                ("includesubdomains".to_owned(), String::new())
            ]
        );
        assert_eq!(
            url_host("HTTPS://u@Example.com:8443/x"),
            Some(("https".to_owned(), "example.com".to_owned()))
        );
        assert_eq!(
            url_host("https://[::1]:443/"),
            Some(("https".to_owned(), "::1".to_owned()))
        );
        assert_eq!(url_host("/relative"), None);
        assert!(parse_time("2027-01-01T00:00:00.000Z").is_some());
        assert!(parse_time("2027-01-01").is_none());
    }
}
