//! The periods a report offers with one click, computed in one place: this
//! week (by the org's week start), last week, this month (the default),
//! last month, this quarter, last quarter and this year.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A named period: its key (the pages' `data-preset`), label and days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preset {
    pub key: &'static str,
    pub label: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn quarter_start(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month0() / 3 * 3 + 1, 1).unwrap_or(d)
}

/// The last day of the month holding `d`.
fn month_end(d: NaiveDate) -> NaiveDate {
    month_start(month_start(d) + Duration::days(32)) - Duration::days(1)
}

/// The period a report covers when none is given: this month.
pub fn default_period(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (month_start(today), month_end(today))
}

/// Every preset on `today`, weeks starting on `week_start`.
pub fn presets(today: NaiveDate, week_start: Weekday) -> Vec<Preset> {
    let day = Duration::days(1);
    let week = crate::domain::timesheet::week_start_of(today, week_start);
    let month = month_start(today);
    let last_month = month_start(month - day);
    let quarter = quarter_start(today);
    let last_quarter = quarter_start(quarter - day);
    let next_quarter = quarter_start(quarter + Duration::days(95));
    let year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
    let p = |key, label, from, to| Preset {
        key,
        label,
        from,
        to,
    };
    vec![
        p("this-week", "This week", week, week + Duration::days(6)),
        p(
            "last-week",
            "Last week",
            week - Duration::days(7),
            week - day,
        ),
        p("this-month", "This month", month, month_end(today)),
        p("last-month", "Last month", last_month, month - day),
        p("this-quarter", "This quarter", quarter, next_quarter - day),
        p("last-quarter", "Last quarter", last_quarter, quarter - day),
        p("this-year", "This year", year, year_end),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn presets_on_a_wednesday_in_december() {
        let all = presets(d("2026-12-02"), Weekday::Mon);
        let got = |k: &str| {
            let p = all.iter().find(|p| p.key == k).unwrap();
            (p.from.to_string(), p.to.to_string())
        };
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(got("this-week"), pair("2026-11-30", "2026-12-06"));
        assert_eq!(got("last-week"), pair("2026-11-23", "2026-11-29"));
        assert_eq!(got("this-month"), pair("2026-12-01", "2026-12-31"));
        assert_eq!(got("last-month"), pair("2026-11-01", "2026-11-30"));
        assert_eq!(got("this-quarter"), pair("2026-10-01", "2026-12-31"));
        assert_eq!(got("last-quarter"), pair("2026-07-01", "2026-09-30"));
        assert_eq!(got("this-year"), pair("2026-01-01", "2026-12-31"));
        let sunday = presets(d("2026-12-02"), Weekday::Sun);
        assert_eq!(sunday[0].from, d("2026-11-29"));
        assert_eq!(
            default_period(d("2026-02-10")),
            (d("2026-02-01"), d("2026-02-28"))
        );
    }
}
