//! A rate-limit claim (`[[target.endpoint]] rate_limit = { … }`) and the bounds of the live
//! probe that tests it. Pure: the scanner sends the burst, `http-rate-limited` judges it; both
//! take the numbers from here so the bound the docs promise is the bound the probe obeys.

use serde::{Deserialize, Serialize};

/// "At most `limit` requests per `per` reach `path`; the next one is answered `status`."
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitClaim {
    /// The one path the probe sends to (`/api/…`), on the endpoint's host and port.
    pub path: String,
    /// `GET` (default), `HEAD` or `POST` (sent with an empty body).
    #[serde(default = "default_method")]
    pub method: String,
    /// Requests the claim allows per window.
    pub limit: u32,
    /// The window: a number and a unit, `s`, `m` or `h` (`1s`, `1m`, `5m`, `1h`).
    pub per: String,
    /// The status a limited request gets (default 429).
    #[serde(default = "default_status")]
    pub status: u16,
    /// Requests above `limit` still accepted without failing the claim; default a tenth of
    /// `limit`, rounded up (a token bucket refills a little while the burst is sent).
    #[serde(default)]
    pub tolerance: Option<u32>,
}

fn default_method() -> String {
    "GET".to_owned()
}

fn default_status() -> u16 {
    429
}

/// Methods the probe may send: reads, and POST for claims about form or login endpoints.
pub const METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

/// The probe never sends faster than this many times the claimed rate.
pub const PACE_FACTOR: u64 = 20;

impl RateLimitClaim {
    /// The window in milliseconds, `None` when `per` is not `<number><s|m|h>`.
    pub fn window_ms(&self) -> Option<u64> {
        let per = self.per.trim();
        let unit_at = per.find(|c: char| !c.is_ascii_digit())?;
        let (number, unit) = per.split_at(unit_at);
        let n: u64 = number.parse().ok().filter(|n| *n > 0)?;
        let unit_ms = match unit {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return None,
        };
        n.checked_mul(unit_ms)
    }

    /// The most requests one probe may send: `limit × 1.5 + 10`.
    pub fn max_requests(&self) -> u32 {
        self.limit.saturating_mul(3) / 2 + 10
    }

    pub fn tolerance(&self) -> u32 {
        self.tolerance.unwrap_or_else(|| self.limit.div_ceil(10))
    }

    /// Accepted requests beyond which the claim is broken.
    pub fn ceiling(&self) -> u32 {
        self.limit.saturating_add(self.tolerance())
    }

    /// The least time between two request starts: the window spread over `PACE_FACTOR × limit`
    /// requests, so `limit` requests take a twentieth of the window and a token bucket refills
    /// at most `limit / 20` tokens meanwhile, within the default tolerance.
    pub fn interval_ms(&self) -> u64 {
        let slots = PACE_FACTOR.saturating_mul(u64::from(self.limit.max(1)));
        self.window_ms().unwrap_or(0) / slots
    }

    /// Problems with the claim, each one sentence naming `which` endpoint.
    pub fn problems(&self, which: &str) -> Vec<String> {
        let mut problems = Vec::new();
        let path_ok = self.path.starts_with('/')
            && !self.path.starts_with("//")
            && !self.path.contains(char::is_whitespace)
            && !self.path.contains('#');
        if !path_ok {
            problems.push(format!(
                "{which} rate_limit.path = {:?} must be a path on the endpoint's host, starting \
                 with one `/`",
                self.path
            ));
        }
        if !METHODS.contains(&self.method.as_str()) {
            problems.push(format!(
                "{which} rate_limit.method = {:?} is not one of GET, HEAD, POST",
                self.method
            ));
        }
        if self.limit == 0 {
            problems.push(format!("{which} rate_limit.limit must be at least 1"));
        }
        if self.window_ms().is_none() {
            problems.push(format!(
                "{which} rate_limit.per = {:?} is not a number and a unit s, m or h (e.g. \"1m\")",
                self.per
            ));
        }
        if !(400..=599).contains(&self.status) {
            problems.push(format!(
                "{which} rate_limit.status = {} is not a 4xx or 5xx status",
                self.status
            ));
        }
        // The probe must be able to send one request past the ceiling within its bound, or a
        // limiter that never limits could not be told apart.
        if self.limit > 0 && self.ceiling() >= self.max_requests() {
            problems.push(format!(
                "{which} rate_limit.tolerance = {} is too large: limit + tolerance must stay \
                 below the probe's bound of {} requests (limit × 1.5 + 10)",
                self.tolerance(),
                self.max_requests()
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(limit: u32, per: &str) -> RateLimitClaim {
        RateLimitClaim {
            path: "/api/x".to_owned(),
            method: default_method(),
            limit,
            per: per.to_owned(),
            status: 429,
            tolerance: None,
        }
    }

    #[test]
    fn bounds_follow_the_claim() {
        let c = claim(60, "1m");
        assert_eq!(c.window_ms(), Some(60_000));
        assert_eq!(c.max_requests(), 100);
        assert_eq!(c.tolerance(), 6);
        assert_eq!(c.ceiling(), 66);
        assert_eq!(c.interval_ms(), 50);
        assert_eq!(claim(5, "1m").max_requests(), 17);
        assert_eq!(claim(10, "1s").interval_ms(), 5);
        assert!(c.problems("t").is_empty());
    }

    #[test]
    fn malformed_claims_are_named() {
        for per in ["", "m", "0m", "1d", "1.5m", "-1m"] {
            assert_eq!(claim(5, per).window_ms(), None, "{per}");
        }
        let mut c = claim(0, "1w");
        c.path = "https://other.example/x".to_owned();
        c.method = "DELETE".to_owned();
        c.status = 200;
        let problems = c.problems("endpoint #1");
        assert_eq!(problems.len(), 5, "{problems:?}");
        let mut loose = claim(10, "1s");
        loose.tolerance = Some(15);
        assert!(loose.problems("e")[0].contains("too large"));
        loose.tolerance = Some(14);
        assert!(loose.problems("e").is_empty());
    }
}
