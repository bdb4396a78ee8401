//! Calendar days (UTC) to and from milliseconds since the epoch, for date filters and results.

use crate::calendar::{DAY_MS, days_from_civil};

/// Parses `YYYY-MM-DD` into (year, month, day); says what is wrong otherwise.
pub fn parse_day(s: &str) -> Result<(i32, u32, u32), String> {
    let bad = || format!("`{s}` is not a date: write it as YYYY-MM-DD, e.g. 2025-03-31");
    let mut parts = s.trim().split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let d: u32 = d.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(format!("`{s}` is not a day of the calendar"));
    }
    Ok((y, m, d))
}

/// Milliseconds since the epoch at the start (00:00 UTC) of the day.
pub fn day_start_ms((y, m, d): (i32, u32, u32)) -> i64 {
    days_from_civil(y, m, d) * DAY_MS
}

/// `YYYY-MM-DD` (UTC) of a time in milliseconds since the epoch.
pub fn format_day(ms: i64) -> String {
    crate::calendar::day(ms)
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_milliseconds() {
        for s in ["1970-01-01", "2000-02-29", "2024-12-31", "2026-03-01"] {
            let day = parse_day(s).expect("a date");
            assert_eq!(format_day(day_start_ms(day)), s);
            assert_eq!(format_day(day_start_ms(day) + DAY_MS - 1), s);
        }
        assert_eq!(day_start_ms((2024, 1, 1)), 1_704_067_200_000);
    }

    #[test]
    fn malformed_or_impossible_dates_are_refused_with_the_expected_form() {
        for s in [
            "2025-13-01",
            "2025-02-29",
            "31.12.2025",
            "2025-1-1",
            "",
            "2025-01-01-01",
        ] {
            let e = parse_day(s).expect_err(s);
            assert!(e.contains('`'), "{e}");
        }
    }
}
