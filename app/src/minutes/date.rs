//! Times of the record, printed the same way everywhere: UTC, no time zone of this machine.

/// `2025-10-09` for a time in milliseconds since the Unix epoch.
pub(crate) fn date(ms: u64) -> String {
    crate::calendar::day(i64::try_from(ms).unwrap_or(i64::MAX / 2))
}

/// `08:53` (UTC) for a time in milliseconds since the Unix epoch.
pub(crate) fn time(ms: u64) -> String {
    let secs = (ms / 1000) % 86_400;
    format!("{:02}:{:02}", secs / 3600, (secs % 3600) / 60)
}

/// `2025-10-09 08:53 UTC`.
pub(crate) fn date_time(ms: u64) -> String {
    format!("{} {} UTC", date(ms), time(ms))
}

/// `08:53:20` (UTC), for events within one sitting.
pub(crate) fn clock(ms: u64) -> String {
    let secs = (ms / 1000) % 86_400;
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// `2:05` for a duration in milliseconds (whole seconds, rounded down).
pub(crate) fn duration(ms: u64) -> String {
    let secs = ms / 1000;
    format!("{}:{:02}", secs / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_printed_in_utc_from_the_epoch() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date_time(1_760_000_000_000), "2025-10-09 08:53 UTC");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(date(4_102_444_800_000), "2100-01-01");
        assert_eq!(clock(1_760_000_000_000), "08:53:20");
    }

    #[test]
    fn durations_are_minutes_and_seconds() {
        assert_eq!(duration(0), "0:00");
        assert_eq!(duration(125_999), "2:05");
        assert_eq!(duration(3_600_000), "60:00");
    }
}
