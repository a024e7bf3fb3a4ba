//! The one place vouch reads the time. `SOURCE_DATE_EPOCH` pins it for reproducible output.

use anyhow::{Context, Result};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn now() -> Result<reports::Clock> {
    let at = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => {
            let secs: i64 = v.trim().parse().with_context(|| {
                format!("SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds")
            })?;
            OffsetDateTime::from_unix_timestamp(secs)
                .with_context(|| format!("SOURCE_DATE_EPOCH={v} is out of range"))?
        }
        Err(_) => OffsetDateTime::now_utc(),
    };
    Ok(clock_at(at))
}

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
}
