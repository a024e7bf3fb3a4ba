use serde_json::json;

use super::endpoint_support::Verdict;
use crate::facts::endpoint::{Endpoint, RateLimitProbe};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::rate_limit::RateLimitClaim;

pub struct HttpRateLimited;

impl Rule for HttpRateLimited {
    const META: Meta = Meta {
        id: "http-rate-limited",
        title: "A claimed rate limit is enforced, proven by a bounded live burst",
        severity: Severity::Medium,
        controls: &["NET-02"],
        source: Source::Endpoint,
        docs: r#"
## Why
"Per-IP rate limiting", "60 requests per minute": security pages claim rate limits that
nobody checks. A limiter that was never deployed, is mounted on another path, or allows ten
times what is claimed looks exactly like a working one until someone floods the API.

## THIS CHECK SENDS TRAFFIC
It runs only for a `[[target.endpoint]]` that sets `rate_limit`, never by default:

```toml
[[target.endpoint]]
url = "https://api.example.com/"
rate_limit = { path = "/api/search", method = "GET", limit = 60, per = "1m" }
# optional: status = 429 (the limited answer), tolerance = 6 (default: limit / 10, rounded up)
```

vouch then sends a burst of real requests to that one path (on the endpoint's host and port;
`GET`, `HEAD`, or `POST` with an empty body), one at a time, with the User-Agent
`vouch/<version> (rate-limit probe; http-rate-limited)`. The burst is bounded: it never sends
more than `limit × 1.5 + 10` requests, never faster than 20 times the claimed rate (60 per
minute: one request every 50 ms at most), and it stops at the first limited answer. Point it
at an endpoint whose owner agreed, ideally a staging copy with production's limits; the burst
uses up the claimed allowance of the scanning IP for one window.

## What is judged
Requests are counted until the first answer with the claim's `status` (429 by default). It
passes when that answer comes after at least one accepted request and after no more than
`limit + tolerance` accepted ones; the observed threshold is the evidence. It fails when all
requests of the bound were answered without the status, or when the limit bit only above
`limit + tolerance`. It is an `error` when the endpoint could not be reached, a request failed
mid-burst (reset, timeout), or the very first request was already limited (a path that always
answers 429 proves no limit; wait a window and scan again).

The pace is chosen so any common limiter shape is judged fairly: sending `limit` requests
takes at most a twentieth of the window, so a token bucket refills at most `limit / 20` tokens
meanwhile (inside the default tolerance), and a fixed or sliding window sees the whole burst in
one window, unless a fixed window happens to roll over during that twentieth (rare; scan again
if a limiter you know fails by a few requests).

## How to fix
Enforce the limit where the claim says: nginx `limit_req_zone $binary_remote_addr
zone=api:10m rate=1r/s; limit_req zone=api burst=60 nodelay; limit_req_status 429;`, an AWS
WAF rate-based rule, or the API gateway's throttling; or correct the claim.

## Evidence
The claim, the URL, the User-Agent, the bound and pace, the statuses in order, the number of
the first limited request, its `Retry-After`, and the burst's duration.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for ep in &cx.facts.endpoints {
            let configured = cx
                .settings
                .endpoint_target(&ep.url)
                .and_then(|t| t.rate_limit.as_ref());
            match (&ep.rate_limit, configured) {
                (Some(probe), _) => judge(ep, probe, out),
                (None, Some(claim)) => not_probed(ep, claim, out),
                (None, None) => {}
            }
        }
    }
}

/// A claim was configured but no burst was recorded: why, as an error.
fn not_probed(ep: &Endpoint, claim: &RateLimitClaim, out: &mut Findings) {
    let cause = ep
        .error
        .as_deref()
        .unwrap_or("the rate-limit probe was not run");
    out.error(
        ep.subject(),
        Location::url(ep.url.clone()),
        format!(
            "the rate limit of {} on {} was not probed: {cause}",
            claim.path, ep.url
        ),
        json!({ "url": ep.url, "claim": claim, "error": ep.error }),
    );
}

fn judge(ep: &Endpoint, probe: &RateLimitProbe, out: &mut Findings) {
    let location = Location::url(probe.url.clone());
    let evidence = json!({ "probe": probe });
    verdict(probe).record(out, ep.subject(), location, evidence);
}

fn verdict(probe: &RateLimitProbe) -> Verdict {
    let claim = &probe.claim;
    let what = format!(
        "{} {} (claimed {} per {}, status {}, tolerance {})",
        claim.method,
        probe.url,
        claim.limit,
        claim.per,
        claim.status,
        claim.tolerance()
    );
    let seen = statuses(probe);
    if let Some(err) = &probe.error {
        return Verdict::Error(format!(
            "{what}: the burst stopped after {} requests without an answer: {err} (statuses: {seen})",
            probe.sent
        ));
    }
    let accepted = probe.accepted();
    match probe.first_limited_at {
        Some(1) => Verdict::Error(format!(
            "{what}: the very first request was already answered {}: a path that always \
             answers so proves no limit; scan again after one window",
            claim.status
        )),
        Some(n) if accepted <= claim.ceiling() => Verdict::Pass(format!(
            "{what}: request {n} was answered {} after {accepted} accepted requests",
            claim.status
        )),
        Some(n) => Verdict::Fail(format!(
            "{what}: the limit bit only at request {n}, after {accepted} accepted requests, more \
             than {} + {}",
            claim.limit,
            claim.tolerance()
        )),
        None => Verdict::Fail(format!(
            "{what}: none of {} requests in {} ms was answered {} (statuses: {seen}){}",
            probe.sent,
            probe.elapsed_ms,
            claim.status,
            other_limit_hint(probe)
        )),
    }
}

/// `200 ×10, 429 ×1`.
fn statuses(probe: &RateLimitProbe) -> String {
    if probe.statuses.is_empty() {
        return "none".to_owned();
    }
    probe
        .statuses
        .iter()
        .map(|r| format!("{} ×{}", r.status, r.count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A hint when the server limited with another status than the one claimed (nginx's default
/// `limit_req_status` is 503).
fn other_limit_hint(probe: &RateLimitProbe) -> String {
    let other = probe
        .statuses
        .iter()
        .map(|r| r.status)
        .find(|s| [429, 503].contains(s) && *s != probe.claim.status);
    other.map_or_else(String::new, |s| {
        format!("; it answered {s}: if that is its limit status, set rate_limit.status = {s}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::endpoint::StatusRun;

    fn probe(runs: &[(u16, u32)], first_limited_at: Option<u32>) -> RateLimitProbe {
        RateLimitProbe {
            claim: RateLimitClaim {
                path: "/api".to_owned(),
                method: "GET".to_owned(),
                limit: 10,
                per: "1s".to_owned(),
                status: 429,
                tolerance: Some(2),
            },
            url: "https://x/api".to_owned(),
            user_agent: "vouch".to_owned(),
            max_requests: 25,
            interval_ms: 5,
            sent: runs.iter().map(|r| r.1).sum(),
            first_limited_at,
            statuses: runs
                .iter()
                .map(|&(status, count)| StatusRun { status, count })
                .collect(),
            retry_after: None,
            elapsed_ms: 100,
            error: None,
        }
    }

    #[test]
    fn judges_the_threshold_against_limit_and_tolerance() {
        assert!(matches!(
            verdict(&probe(&[(200, 10), (429, 1)], Some(11))),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            verdict(&probe(&[(200, 12), (429, 1)], Some(13))),
            Verdict::Pass(_)
        ));
        let Verdict::Fail(m) = verdict(&probe(&[(200, 13), (429, 1)], Some(14))) else {
            panic!("13 accepted is above 10 + 2")
        };
        assert!(m.contains("after 13 accepted"), "{m}");
        let Verdict::Fail(m) = verdict(&probe(&[(200, 10), (503, 15)], None)) else {
            panic!("never limited with 429")
        };
        assert!(
            m.contains("200 ×10, 503 ×15") && m.contains("status = 503"),
            "{m}"
        );
        assert!(matches!(
            verdict(&probe(&[(429, 1)], Some(1))),
            Verdict::Error(_)
        ));
        let mut cut = probe(&[(200, 4)], None);
        cut.sent = 5;
        cut.error = Some("connection reset".to_owned());
        assert!(matches!(verdict(&cut), Verdict::Error(_)));
    }
}
