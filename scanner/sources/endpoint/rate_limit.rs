//! The rate-limit burst (`http-rate-limited`): sent only for an endpoint whose configuration
//! sets `rate_limit`. One request at a time to the one configured path, paced and bounded by
//! the claim (see `checks::rate_limit`), stopped at the first limited answer. Nothing is judged
//! here: the statuses are recorded as they came.

use std::time::{Duration, Instant};

use checks::facts::endpoint::{RateLimitProbe, StatusRun};
use checks::rate_limit::RateLimitClaim;
use ureq::Agent;

use super::probe::Address;

/// Names vouch and the check in every request, so the server's operators see who sent them.
pub const USER_AGENT: &str = concat!(
    "vouch/",
    env!("CARGO_PKG_VERSION"),
    " (rate-limit probe; http-rate-limited)"
);

/// Bodies are drained so the connection is reused; a larger one is dropped with its connection.
const BODY_LIMIT: u64 = 1024 * 1024;

/// Sends the burst with `agent` (which verifies the endpoint's certificate as the other HTTPS
/// requests do) to `https://{authority}{claim.path}`.
pub fn probe(agent: &Agent, address: &Address, claim: &RateLimitClaim) -> RateLimitProbe {
    let mut record = nothing_sent(address, claim, None);
    let url = record.url.clone();
    let interval = Duration::from_millis(record.interval_ms);
    let start = Instant::now();
    for n in 1..=record.max_requests {
        // Request n starts no earlier than (n - 1) intervals after the first.
        let due = start + interval * (n - 1);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        record.sent = n;
        match send(agent, &claim.method, &url) {
            Ok((status, retry_after)) => {
                count(&mut record.statuses, status);
                if status == claim.status {
                    record.first_limited_at = Some(n);
                    record.retry_after = retry_after;
                    break;
                }
            }
            Err(cause) => {
                record.error = Some(cause);
                break;
            }
        }
    }
    record.elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    record
}

/// A probe that could not be sent (the TLS probes gave up, no HTTPS client): nothing was sent.
pub fn not_sent(address: &Address, claim: &RateLimitClaim, cause: &str) -> RateLimitProbe {
    nothing_sent(address, claim, Some(format!("not attempted: {cause}")))
}

/// The record of `claim`'s burst to `https://{authority}{claim.path}` before any request.
fn nothing_sent(
    address: &Address,
    claim: &RateLimitClaim,
    error: Option<String>,
) -> RateLimitProbe {
    RateLimitProbe {
        claim: claim.clone(),
        url: format!("https://{}{}", address.authority, claim.path),
        user_agent: USER_AGENT.to_owned(),
        max_requests: claim.max_requests(),
        interval_ms: claim.interval_ms(),
        sent: 0,
        first_limited_at: None,
        statuses: Vec::new(),
        retry_after: None,
        elapsed_ms: 0,
        error,
    }
}

/// One request; its status and `Retry-After`, or why it got no answer.
fn send(agent: &Agent, method: &str, url: &str) -> Result<(u16, Option<String>), String> {
    let answer = match method {
        "HEAD" => agent.head(url).header("user-agent", USER_AGENT).call(),
        "POST" => agent
            .post(url)
            .header("user-agent", USER_AGENT)
            .send_empty(),
        _ => agent.get(url).header("user-agent", USER_AGENT).call(),
    };
    let response =
        answer.map_err(|e| format!("{method} {url} failed: {}", super::http::one_line(&e)))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let _ = response
        .into_body()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_vec();
    Ok((status, retry_after))
}

fn count(runs: &mut Vec<StatusRun>, status: u16) {
    match runs.last_mut() {
        Some(run) if run.status == status => run.count += 1,
        _ => runs.push(StatusRun { status, count: 1 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_statuses_are_counted_together() {
        let mut runs = Vec::new();
        for s in [200, 200, 404, 200, 429] {
            count(&mut runs, s);
        }
        let flat: Vec<(u16, u32)> = runs.iter().map(|r| (r.status, r.count)).collect();
        assert_eq!(flat, [(200, 2), (404, 1), (200, 1), (429, 1)]);
        assert!(USER_AGENT.starts_with("vouch/") && USER_AGENT.contains("rate-limit probe"));
    }
}
