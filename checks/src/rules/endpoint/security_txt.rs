use serde_json::json;

use super::endpoint_support::{parse_time, response};
use crate::facts::endpoint::SecurityTxt;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct SecurityTxtPublished;

impl Rule for SecurityTxtPublished {
    const META: Meta = Meta {
        id: "security-txt",
        title: "A current security.txt names a contact (RFC 9116)",
        severity: Severity::Low,
        controls: &["DIS-01"],
        source: Source::Endpoint,
        docs: r#"
## Why
A researcher who finds a vulnerability needs to know whom to tell. RFC 9116's
`/.well-known/security.txt` is where they look; without it reports go to support queues, social
media, or nowhere. The mandatory `Expires` field makes stale contact data visible.

## What is judged
`GET https://host/.well-known/security.txt` must answer 200 with at least one `Contact:` field
and an `Expires:` field holding an RFC 3339 time later than the collection time (recorded in
the facts, so re-judging saved facts gives the same answer). A request that could not be made
is an `error`.

## How to fix
Serve a file like:
```
Contact: mailto:security@example.com
Expires: 2027-06-30T00:00:00Z
Policy: https://example.com/security-policy
```
and renew `Expires` (at most a year ahead) as part of a recurring task.

## Evidence
The request URL, status and headers, the Contact values and the Expires value, and the
collection time.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for ep in &cx.facts.endpoints {
            let url = ep
                .security_txt
                .as_ref()
                .map_or_else(|| ep.url.clone(), |s| s.fetch.url.clone());
            let location = Location::url(url);
            let fetched = ep.security_txt.as_ref().map(|s| &s.fetch);
            if let Err(why) = response(ep, fetched, "GET") {
                let evidence = json!({ "url": ep.url, "security_txt": ep.security_txt });
                out.error(ep.subject(), location, why, evidence);
                continue;
            }
            let Some(txt) = &ep.security_txt else {
                continue;
            };
            let evidence = json!({ "security_txt": txt, "collected_at": ep.collected_at });
            match judge(txt, &ep.collected_at) {
                Ok(m) => out.pass(
                    ep.subject(),
                    location,
                    format!("{}: {m}", txt.fetch.url),
                    evidence,
                ),
                Err(m) => out.fail(
                    ep.subject(),
                    location,
                    format!("{}: {m}", txt.fetch.url),
                    evidence,
                ),
            }
        }
    }
}

fn judge(txt: &SecurityTxt, collected_at: &str) -> Result<String, String> {
    let status = txt.fetch.status.unwrap_or_default();
    if status != 200 {
        return Err(format!("answers {status}, not 200"));
    }
    let mut problems = Vec::new();
    if txt.contact.is_empty() {
        problems.push("no Contact field".to_owned());
    }
    match &txt.expires {
        None => problems.push("no Expires field".to_owned()),
        Some(expires) => match (parse_time(expires), parse_time(collected_at)) {
            (None, _) => problems.push(format!("Expires {expires:?} is not an RFC 3339 time")),
            (_, None) => problems.push(format!("collection time {collected_at:?} is unreadable")),
            (Some(e), Some(now)) if e <= now => {
                problems.push(format!("expired on {expires}"));
            }
            _ => {}
        },
    }
    if problems.is_empty() {
        Ok(format!(
            "Contact {}; Expires {}",
            txt.contact.join(", "),
            txt.expires.as_deref().unwrap_or_default()
        ))
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::endpoint::HttpFetch;

    fn txt(status: u16, contact: &[&str], expires: Option<&str>) -> SecurityTxt {
        SecurityTxt {
            fetch: HttpFetch {
                status: Some(status),
                ..HttpFetch::default()
            },
            contact: contact.iter().map(|c| (*c).to_owned()).collect(),
            expires: expires.map(str::to_owned),
        }
    }

    #[test]
    fn judges_contact_and_expiry_against_collection_time() {
        let now = "2026-06-01T00:00:00Z";
        assert!(
            judge(
                &txt(200, &["mailto:s@x"], Some("2027-01-01T00:00:00.000Z")),
                now
            )
            .is_ok()
        );
        assert!(
            judge(
                &txt(200, &["mailto:s@x"], Some("2026-01-01T00:00:00Z")),
                now
            )
            .is_err()
        );
        assert!(judge(&txt(200, &[], Some("2027-01-01T00:00:00Z")), now).is_err());
        assert!(judge(&txt(200, &["mailto:s@x"], Some("next year")), now).is_err());
        assert!(judge(&txt(404, &[], None), now).is_err());
    }
}
