//! The one duration parser. Every duration a user writes goes through here:
//! a check's `timeout:`, `check`/`grade --timeout`, `run --command-timeout`
//! and every other duration flag, so they all accept the same spellings and
//! none of them can overflow a clock.
//!
//! Accepted: a bare number of seconds (`30`, `0`), or humantime's units,
//! alone or combined (`500ms`, `30s`, `2m`, `1h30m`, `1h 30m`, `2days`).
//! `0` means "look once" where a timeout is meant.
//!
//! Durations are capped at [`MAX`] (7 days): anything longer is a typo or an
//! attack on the clock (`Instant + u64::MAX s` panics), and gets a clear error
//! naming the cap rather than a panic. Deadlines computed from a duration use
//! [`deadline`] / [`tokio_deadline`], which cannot overflow either.

use std::fmt;
use std::time::{Duration, Instant};

/// The longest duration anyone may write: 7 days. Longer than any class,
/// exercise or command; short enough that `Instant::now() + MAX` never
/// overflows on any platform.
pub const MAX: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What was wrong with a written duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    pub text: String,
    pub reason: String,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}: {} (want e.g. 30, 30s, 2m, 1h30m, 500ms, 0)",
            self.text, self.reason
        )
    }
}

impl std::error::Error for DurationError {}

fn err(text: &str, reason: impl Into<String>) -> DurationError {
    DurationError {
        text: text.to_string(),
        reason: reason.into(),
    }
}

fn too_long(text: &str) -> DurationError {
    err(
        text,
        format!(
            "longer than the {} maximum",
            humantime::format_duration(MAX)
        ),
    )
}

/// Parses a written duration: `30` (seconds), `30s`, `2m`, `1h30m`, `500ms`, `0`.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(err(text, "empty duration"));
    }
    if t.starts_with('-') {
        return Err(err(text, "negative duration"));
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        // A bare number is seconds. Digits beyond u64 are simply too long.
        return match t.parse::<u64>() {
            Ok(n) => from_secs(n).ok_or_else(|| too_long(text)),
            Err(_) => Err(too_long(text)),
        };
    }
    match humantime::parse_duration(t) {
        Ok(d) if d <= MAX => Ok(d),
        Ok(_) => Err(too_long(text)),
        Err(humantime::DurationError::NumberOverflow) => Err(too_long(text)),
        Err(e) => Err(err(text, e.to_string())),
    }
}

/// A whole number of seconds written as a YAML integer (`timeout: 30`).
pub fn from_secs_i64(n: i64) -> Result<Duration, DurationError> {
    let text = n.to_string();
    let n = u64::try_from(n).map_err(|_| err(&text, "negative duration"))?;
    from_secs(n).ok_or_else(|| too_long(&text))
}

fn from_secs(n: u64) -> Option<Duration> {
    let d = Duration::from_secs(n);
    (d <= MAX).then_some(d)
}

/// `start + d`, or the farthest instant representable if that overflows
/// (only possible for durations that did not come through [`parse`]).
pub fn deadline(start: Instant, d: Duration) -> Instant {
    start
        .checked_add(d)
        .or_else(|| start.checked_add(MAX))
        .unwrap_or(start)
}

/// `d` in whole milliseconds, as reports carry times (saturating: no report
/// covers 584 million years).
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// [`deadline`] for tokio's clock.
pub fn tokio_deadline(start: tokio::time::Instant, d: Duration) -> tokio::time::Instant {
    start
        .checked_add(d)
        .or_else(|| start.checked_add(MAX))
        .unwrap_or(start)
}

/// The one timestamp formatter: RFC 3339 in UTC to the second, as the API
/// server writes timestamps (`metav1.Time`), so that strings compare as
/// times. Reports, history files and `replaced:` all use it.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_spellings() {
        assert_eq!(parse("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(parse(" 45s "), Ok(Duration::from_secs(45)));
        assert_eq!(parse("7d"), Ok(MAX));
    }

    #[test]
    fn overflow_is_an_error_naming_the_cap() {
        for t in [
            "18446744073709551615",
            "9223372036854775807",
            "300000000000y",
            "99999999999999999999999999",
            "8d",
            "604801",
        ] {
            let e = parse(t).unwrap_err();
            assert!(
                e.to_string().contains("longer than the 7days maximum"),
                "{t}: {e}"
            );
        }
        assert!(from_secs_i64(i64::MAX).is_err());
        assert_eq!(from_secs_i64(60), Ok(Duration::from_secs(60)));
    }

    #[test]
    fn garbage_and_negatives_are_errors() {
        assert!(parse("").is_err());
        assert!(parse("-5").unwrap_err().to_string().contains("negative"));
        assert!(from_secs_i64(-1).unwrap_err().reason.contains("negative"));
        let e = parse("soon").unwrap_err().to_string();
        assert!(e.contains("\"soon\"") && e.contains("want e.g. 30"), "{e}");
        assert!(parse("30 parsecs").is_err());
    }

    #[test]
    fn deadlines_never_overflow() {
        let now = Instant::now();
        assert!(deadline(now, Duration::MAX) >= now);
        assert_eq!(deadline(now, MAX), now + MAX);
        let t = tokio::time::Instant::now();
        assert!(tokio_deadline(t, Duration::MAX) >= t);
    }
}
