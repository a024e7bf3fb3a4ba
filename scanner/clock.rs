//! The one place vouch reads the time.
//!
//! Two instants, never confused: the *printed* time (`generated_at`, `collected_at` of the
//! repository, pack times), which `SOURCE_DATE_EPOCH` pins for reproducible output, and the
//! *judging* time (waiver and attestation expiry, certificate validity, `security.txt`
//! expiry, live collection times), which is always the real clock. CI systems set
//! `SOURCE_DATE_EPOCH` to the commit time: honouring it for verdicts would let an expired
//! certificate pass and an expired waiver apply again.

use anyhow::{Context, Result};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The printed time (`SOURCE_DATE_EPOCH` when set) with today's real date for judging.
pub fn now() -> Result<reports::Clock> {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    clock_from(epoch.as_deref(), OffsetDateTime::now_utc())
}

/// The clock for a `SOURCE_DATE_EPOCH` value (if any) at the real instant `real`: the epoch
/// moves only what is printed.
fn clock_from(epoch: Option<&str>, real: OffsetDateTime) -> Result<reports::Clock> {
    let printed = match epoch {
        Some(v) => {
            let secs: i64 = v.trim().parse().with_context(|| {
                format!("SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds")
            })?;
            OffsetDateTime::from_unix_timestamp(secs)
                .with_context(|| format!("SOURCE_DATE_EPOCH={v} is out of range"))?
        }
        None => real,
    };
    Ok(reports::Clock {
        now: clock_at(printed).now,
        today: clock_at(real).today,
    })
}

/// The real time, RFC 3339: when a live target was read, and what its evidence is judged
/// against (a certificate's validity, a `security.txt` expiry). Never `SOURCE_DATE_EPOCH`.
pub fn real_now() -> String {
    clock_at(OffsetDateTime::now_utc()).now
}

/// A clock printing and judging at `at` (`vouch verify` re-judges at the pack's own times).
pub fn clock_at(at: OffsetDateTime) -> reports::Clock {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    let now = at.format(&Rfc3339).unwrap_or_default();
    let today = now.get(..10).unwrap_or_default().to_owned();
    reports::Clock { now, today }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_seconds() {
        let c = clock_at(OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap());
        assert_eq!(c.now, "2023-11-14T22:13:20Z");
        assert_eq!(c.today, "2023-11-14");
    }

    #[test]
    fn source_date_epoch_pins_the_printed_time_never_the_judging_date() {
        let real = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let clock = clock_from(Some("1000000000"), real).unwrap();
        assert_eq!(clock.now, "2001-09-09T01:46:40Z");
        assert_eq!(clock.today, "2027-01-15");
        let unpinned = clock_from(None, real).unwrap();
        assert_eq!(unpinned.now, "2027-01-15T08:00:00Z");
        assert_eq!(unpinned.today, "2027-01-15");
        assert!(clock_from(Some("soon"), real).is_err());
    }
}
