use serde_json::json;

use super::endpoint_support::{directives, https_responses};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct HttpHsts;

/// One year, the minimum browsers' preload lists and most baselines accept.
const MIN_MAX_AGE: u64 = 31_536_000;

impl Rule for HttpHsts {
    const META: Meta = Meta {
        id: "http-hsts",
        title: "HTTPS responses set Strict-Transport-Security for a year, including subdomains",
        severity: Severity::Medium,
        controls: &["APP-01"],
        source: Source::Endpoint,
        docs: r#"
## Why
Without HSTS, the first request a browser makes to `http://` (a typed address, an old link) can
be intercepted and kept on plain HTTP by an attacker (SSL stripping). HSTS tells the browser to
use HTTPS only, for `max-age` seconds; `includeSubDomains` closes the same hole for every
subdomain (and cookie injection from them); `preload` lets browsers ship the rule so that even
the very first visit is protected.

## What is judged
The first `Strict-Transport-Security` header of the response to `GET` the endpoint URL (browsers
honour only the first): `max-age` at least 31536000 (one year) and `includeSubDomains`.
`preload` is reported, and required when `[endpoint] require_preload = true` or the target sets
`require_preload = true`. A response that could not be fetched is an `error`.

## How to fix
nginx: `add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;`
(the `always` makes it apply to error responses too). Then submit the domain to hstspreload.org.

## Evidence
The response status and every header as received (cookie values redacted).
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (ep, fetch) in https_responses(cx, out) {
            let location = Location::url(ep.url.clone());
            let require_preload = cx.options.endpoint.require_preload_for(&ep.url);
            let evidence = json!({ "response": fetch, "require_preload": require_preload });
            match judge(fetch.header("strict-transport-security"), require_preload) {
                Ok(m) => out.pass(ep.subject(), location, format!("{}: {m}", ep.url), evidence),
                Err(m) => out.fail(ep.subject(), location, format!("{}: {m}", ep.url), evidence),
            }
        }
    }
}

fn judge(header: Option<&str>, require_preload: bool) -> Result<String, String> {
    let Some(value) = header else {
        return Err("no Strict-Transport-Security header".to_owned());
    };
    let parsed = directives(value);
    let has = |name: &str| parsed.iter().any(|(k, _)| k == name);
    let max_age = parsed
        .iter()
        .find(|(k, _)| k == "max-age")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let mut problems = Vec::new();
    match max_age {
        None => problems.push("no valid max-age".to_owned()),
        Some(age) if age < MIN_MAX_AGE => {
            problems.push(format!("max-age={age} is below {MIN_MAX_AGE} (one year)"));
        }
        Some(_) => {}
    }
    if !has("includesubdomains") {
        problems.push("includeSubDomains is missing".to_owned());
    }
    let preload = has("preload");
    if require_preload && !preload {
        problems.push("preload is required but missing".to_owned());
    }
    if problems.is_empty() {
        Ok(format!(
            "Strict-Transport-Security: {value} (preload {})",
            if preload { "set" } else { "not set" }
        ))
    } else {
        Err(format!(
            "Strict-Transport-Security {value:?}: {}",
            problems.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::judge;

    #[test]
    fn judges_directives() {
        assert!(judge(Some("max-age=31536000; includeSubDomains"), false).is_ok());
        assert!(judge(Some("max-age=31536000; includeSubDomains"), true).is_err());
        assert!(judge(Some("max-age=63072000; includeSubDomains; preload"), true).is_ok());
        assert!(judge(Some("max-age=86400; includeSubDomains"), false).is_err());
        assert!(judge(Some("max-age=31536000"), false).is_err());
        assert!(judge(Some("includeSubDomains"), false).is_err());
        assert!(judge(None, false).is_err());
    }
}
