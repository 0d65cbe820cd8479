//! Dates and durations: the calendar arithmetic the language needs and
//! nothing more. Dates are days since 1970-01-01; durations are minutes.

/// Minutes in each duration unit of the language (`mo` = 30d, `y` = 365d).
pub fn unit_minutes(unit: &str) -> Option<i64> {
    Some(match unit {
        "min" => 1,
        "h" => 60,
        "d" => 24 * 60,
        "w" => 7 * 24 * 60,
        "mo" => 30 * 24 * 60,
        "y" => 365 * 24 * 60,
        _ => return None,
    })
}

pub const MINUTES_PER_DAY: i64 = 24 * 60;

/// Reads a duration such as `90d` or `15min`.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 12 {
        return None;
    }
    let (number, unit) = text.split_at(digits);
    let number: i64 = number.parse().ok()?;
    number.checked_mul(unit_minutes(unit)?)
}

/// Reads a date `YYYY-MM-DD` that exists in the calendar.
pub fn parse_date(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: i32 = text.get(0..4)?.parse().ok()?;
    let month: u32 = text.get(5..7)?.parse().ok()?;
    let day: u32 = text.get(8..10)?.parse().ok()?;
    if !text.get(0..4)?.bytes().all(|b| b.is_ascii_digit())
        || !text.get(5..7)?.bytes().all(|b| b.is_ascii_digit())
        || !text.get(8..10)?.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil` algorithm).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The calendar date of a day number.
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The shortest exact spelling of a duration (`90d`, `15min`).
pub fn format_duration(minutes: i64) -> String {
    if minutes == 0 {
        return "0d".into();
    }
    for (unit, size) in [
        ("y", 365 * MINUTES_PER_DAY),
        ("w", 7 * MINUTES_PER_DAY),
        ("d", MINUTES_PER_DAY),
        ("h", 60),
    ] {
        if minutes != 0 && minutes % size == 0 {
            return format!("{}{unit}", minutes / size);
        }
    }
    format!("{minutes}min")
}

/// Today's date in UTC from the system clock.
pub fn today_utc() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs / 86_400) as i32
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

    use super::*;

    #[test]
    fn dates_round_trip() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2026-11-21",
            "2027-03-31",
            "1999-12-31",
        ] {
            let days = parse_date(text).unwrap();
            assert_eq!(format_date(days), text);
        }
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("2027-02-29"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("2026-1-01"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15min"), Some(15));
        assert_eq!(parse_duration("2w"), Some(14 * 24 * 60));
        assert_eq!(parse_duration("6mo"), Some(180 * 24 * 60));
        assert_eq!(parse_duration("1y"), Some(365 * 24 * 60));
        assert_eq!(parse_duration("3m"), None);
        assert_eq!(format_duration(90 * 24 * 60), "90d");
        assert_eq!(format_duration(15), "15min");
    }
}
