//! The numbers the desk charts, computed from subscriptions as spans of
//! time: subscribers and monthly recurring revenue on a day, churn in a
//! month. Pure functions, so they are tested with made-up histories.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use crate::billing::{Interval, SubscriptionStatus};

/// One subscription's life, as far as the numbers go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    /// When it stopped granting anything (ended, unpaid, incomplete), if it did.
    pub end: Option<DateTime<Utc>>,
    /// When the free trial ended (paying from then on).
    pub trial_end: Option<DateTime<Utc>>,
    /// The plan's price per month, in minor units (an annual plan's /12).
    pub monthly_minor: i64,
}

impl Span {
    /// A span from a stored subscription: its current status, and the
    /// last change as the end of one that is over.
    pub fn of(status: SubscriptionStatus, created: DateTime<Utc>, updated: DateTime<Utc>, trial_end: Option<DateTime<Utc>>, price_minor: i64, interval: Interval) -> Span {
        let over = matches!(status, SubscriptionStatus::Ended | SubscriptionStatus::Unpaid | SubscriptionStatus::Incomplete);
        Span {
            start: created,
            end: over.then_some(updated),
            trial_end,
            monthly_minor: match interval {
                Interval::Month => price_minor,
                Interval::Year => price_minor / 12,
            },
        }
    }

    pub fn active_at(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && self.end.is_none_or(|e| e > t)
    }

    /// Paying at `t`: active and past any trial.
    pub fn paying_at(&self, t: DateTime<Utc>) -> bool {
        self.active_at(t) && self.trial_end.is_none_or(|e| e <= t)
    }
}

/// Subscribers (trialing or paying) and MRR at the end of each day.
pub fn daily(spans: &[Span], days: &[NaiveDate]) -> Vec<(NaiveDate, i64, i64)> {
    days.iter()
        .map(|d| {
            let t = end_of(*d);
            let subs = spans.iter().filter(|s| s.active_at(t)).count() as i64;
            let mrr = spans.iter().filter(|s| s.paying_at(t)).map(|s| s.monthly_minor).sum();
            (*d, subs, mrr)
        })
        .collect()
}

fn end_of(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(23, 59, 59).map(|t| t.and_utc()).unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
}

/// The first day of the month `n` months before the month of `d`.
pub fn month_start(d: NaiveDate, back: u32) -> NaiveDate {
    let months = d.year() * 12 + d.month0() as i32 - back as i32;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1).unwrap_or(d)
}

/// Churn per calendar month, oldest first, for the `months` months up to
/// and including the month of `today`: subscriptions that ended in the
/// month, over those active at its start (None when none were).
pub fn monthly_churn(spans: &[Span], today: NaiveDate, months: u32) -> Vec<(NaiveDate, Option<f64>)> {
    (0..months)
        .rev()
        .map(|back| {
            let start = month_start(today, back);
            let next = month_start(today, back.saturating_sub(1));
            let (from, to) = (Utc.from_utc_datetime(&start.and_time(chrono::NaiveTime::MIN)), Utc.from_utc_datetime(&next.and_time(chrono::NaiveTime::MIN)));
            let at_start = spans.iter().filter(|s| s.active_at(from)).count();
            let ended = spans.iter().filter(|s| s.active_at(from) && s.end.is_some_and(|e| e >= from && (back == 0 || e < to))).count();
            (start, (at_start > 0).then(|| ended as f64 / at_start as f64))
        })
        .collect()
}

/// `part / whole` as a fraction, None when `whole` is 0.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn subscribers_and_revenue_by_day() {
        let spans = vec![
            Span { start: at(2026, 1, 1), end: None, trial_end: None, monthly_minor: 290 },
            Span { start: at(2026, 1, 5), end: None, trial_end: Some(at(2026, 2, 4)), monthly_minor: 290 },
            Span { start: at(2026, 1, 2), end: Some(at(2026, 1, 20)), trial_end: None, monthly_minor: 1990 / 12 },
        ];
        let days: Vec<NaiveDate> = [(1, 3), (1, 10), (1, 25), (2, 10)].iter().map(|(m, d)| NaiveDate::from_ymd_opt(2026, *m, *d).unwrap()).collect();
        let got = daily(&spans, &days);
        assert_eq!(got[0].1, 2);
        assert_eq!(got[0].2, 290 + 165);
        assert_eq!((got[1].1, got[1].2), (3, 290 + 165), "the trial counts as a subscriber, not as revenue");
        assert_eq!((got[2].1, got[2].2), (2, 290));
        assert_eq!((got[3].1, got[3].2), (2, 580));
    }

    #[test]
    fn churn_per_month() {
        let spans = vec![
            Span { start: at(2025, 12, 1), end: Some(at(2026, 1, 15)), trial_end: None, monthly_minor: 290 },
            Span { start: at(2025, 12, 1), end: None, trial_end: None, monthly_minor: 290 },
            Span { start: at(2026, 1, 10), end: Some(at(2026, 2, 3)), trial_end: None, monthly_minor: 290 },
        ];
        let c = monthly_churn(&spans, NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(), 3);
        assert_eq!(c[0], (NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(), None));
        assert_eq!(c[1], (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), Some(0.5)));
        assert_eq!(c[2], (NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(), Some(0.5)));
    }

    #[test]
    fn month_arithmetic() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 20).unwrap();
        assert_eq!(month_start(d, 0), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(month_start(d, 1), NaiveDate::from_ymd_opt(2025, 12, 1).unwrap());
        assert_eq!(month_start(d, 13), NaiveDate::from_ymd_opt(2024, 12, 1).unwrap());
        assert_eq!(rate(1, 4), Some(0.25));
        assert_eq!(rate(1, 0), None);
    }
}
