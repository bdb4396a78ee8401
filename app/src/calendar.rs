//! The proleptic Gregorian calendar in UTC, for printing the record's times the same way
//! everywhere (minutes, the app, search) without a time-zone database.

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 24 * 3600 * 1000;

/// `(year, month, day)` of a day count from 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1..=12 and 1..=31).
    (year, month as u32, day as u32)
}

/// Days since 1970-01-01 of a date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2025-10-09` (UTC) of a time in milliseconds since the epoch.
pub(crate) fn day(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2025-10-09 08:53 UTC` of a time in milliseconds since the epoch.
pub(crate) fn minute(ms: i64) -> String {
    let rem = ms.rem_euclid(DAY_MS) / 1000;
    format!("{} {:02}:{:02} UTC", day(ms), rem / 3600, (rem % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_convert_both_ways() {
        for (days, date) in [
            (0, (1970, 1, 1)),
            (11_016, (2000, 2, 29)),
            (47_482, (2100, 1, 1)),
            (-1, (1969, 12, 31)),
        ] {
            assert_eq!(civil_from_days(days), date);
            assert_eq!(days_from_civil(date.0 as i32, date.1, date.2), days);
        }
        assert_eq!(minute(1_760_000_000_000), "2025-10-09 08:53 UTC");
    }
}
