//! Newsletters as the desk thinks of them: a name, who it is for, when it
//! goes out in the newsroom's local time, and what it covers. The schedule
//! is a pure function of the cadence, the time zone and an instant, so the
//! daylight-saving edge cases are tested here, without a clock or a database.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
pub use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{DomainError, FieldError};

/// When a newsletter goes out, in its own time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Cadence {
    /// Every day at this local time.
    Daily { at: NaiveTime },
    /// Once a week, on this day at this local time.
    Weekly { on: Weekday, at: NaiveTime },
    /// Only when an editor sends it.
    Manual,
}

impl Cadence {
    pub fn kind(&self) -> &'static str {
        match self {
            Cadence::Daily { .. } => "daily",
            Cadence::Weekly { .. } => "weekly",
            Cadence::Manual => "manual",
        }
    }

    /// "Daily at 07:00", "Weekly on Friday at 16:30", "Sent by the editors".
    pub fn describe(&self) -> String {
        match self {
            Cadence::Daily { at } => format!("Daily at {}", at.format("%H:%M")),
            Cadence::Weekly { on, at } => format!("Weekly on {} at {}", weekday_name(*on), at.format("%H:%M")),
            Cadence::Manual => "Sent by the editors".to_string(),
        }
    }

    /// The first scheduled instant strictly after `after`, or None for manual.
    ///
    /// A local time that happens twice (clocks go back) is sent at its first
    /// occurrence; a local time that does not happen (clocks go forward) is
    /// sent at the first minute after the gap, so no day is skipped and none
    /// gets two editions.
    pub fn next_after(&self, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (at, weekday) = match *self {
            Cadence::Daily { at } => (at, None),
            Cadence::Weekly { on, at } => (at, Some(on)),
            Cadence::Manual => return None,
        };
        let start = after.with_timezone(&tz).date_naive() - Duration::days(1);
        (0..10)
            .map(|d| start + Duration::days(d))
            .filter(|day| weekday.is_none_or(|w| day.weekday() == w))
            .map(|day| resolve_local(tz, day, at))
            .find(|t| *t > after)
    }
}

/// The instant a local date and time names in `tz`, resolving DST folds
/// (earliest) and gaps (first minute after).
pub fn resolve_local(tz: Tz, day: NaiveDate, at: NaiveTime) -> DateTime<Utc> {
    let local = day.and_time(at);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours; step forward to the first real minute.
            for minutes in 1..=24 * 60 {
                if let Some(t) = tz.from_local_datetime(&(local + Duration::minutes(minutes))).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Who may receive a newsletter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Anyone who confirms their address.
    Everyone,
    /// Only readers holding the PremiumNewsletters benefit.
    Subscribers,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Everyone => "everyone",
            Audience::Subscribers => "subscribers",
        }
    }
    pub fn parse(s: &str) -> Option<Audience> {
        match s {
            "everyone" => Some(Audience::Everyone),
            "subscribers" => Some(Audience::Subscribers),
            _ => None,
        }
    }
}

/// A newsletter the publication sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Newsletter {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub cadence: Cadence,
    /// IANA name, e.g. "Europe/Paris".
    pub time_zone: String,
    pub from_name: String,
    pub from_email: String,
    pub reply_to: String,
    pub audience: Audience,
    /// Topic and region slugs it covers; an article in any of them qualifies.
    pub topics: Vec<String>,
    pub regions: Vec<String>,
    /// The email template, by name under email/ in the theme.
    pub template: String,
    /// The in-article sign-up box goes after this many paragraphs.
    pub box_after_paragraph: u32,
    pub position: i64,
    pub active: bool,
}

impl Newsletter {
    pub fn tz(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::UTC)
    }

    /// `"Name" <address>` for the From header.
    pub fn sender(&self) -> String {
        let name: String = self.from_name.chars().filter(|c| !matches!(c, '"' | '\\' | '\r' | '\n')).collect();
        format!("\"{name}\" <{}>", self.from_email)
    }

    /// Whether an article with these topics and regions belongs in it.
    pub fn covers(&self, topics: &[String], regions: &[String]) -> bool {
        self.topics.iter().any(|t| topics.contains(t)) || self.regions.iter().any(|r| regions.contains(r))
    }
}

/// The newsletter whose box goes inside an article: the first active,
/// open-to-everyone newsletter (in the desk's order) sharing a topic with the
/// article, else one sharing a region.
pub fn box_for_article<'a>(newsletters: &'a [Newsletter], topics: &[String], regions: &[String]) -> Option<&'a Newsletter> {
    let open = || newsletters.iter().filter(|n| n.active && n.audience == Audience::Everyone);
    open()
        .find(|n| n.topics.iter().any(|t| topics.contains(t)))
        .or_else(|| open().find(|n| n.regions.iter().any(|r| regions.contains(r))))
}

/// What the desk submits to create or change a newsletter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsletterDraft {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub cadence: Cadence,
    pub time_zone: String,
    pub from_name: String,
    pub from_email: String,
    pub reply_to: String,
    pub audience: Audience,
    pub topics: Vec<String>,
    pub regions: Vec<String>,
    pub template: String,
    pub box_after_paragraph: u32,
    pub position: i64,
    pub active: bool,
}

/// Templates a newsletter may use; each is email/NAME.html and .txt.
pub const TEMPLATES: &[&str] = &["newsletter"];

impl NewsletterDraft {
    /// Every problem at once, so the desk's form can show them all.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errs = Vec::new();
        if let Err(DomainError::Invalid(mut e)) = crate::slug::validate_slug(&self.slug) {
            errs.append(&mut e);
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 120 {
            errs.push(FieldError::new("name", "a newsletter needs a name of at most 120 characters"));
        }
        if self.description.chars().count() > 1000 {
            errs.push(FieldError::new("description", "at most 1000 characters"));
        }
        if self.time_zone.parse::<Tz>().is_err() {
            errs.push(FieldError::new("time_zone", "use a time zone name such as Europe/Paris or America/New_York"));
        }
        if !is_address(&self.from_email) {
            errs.push(FieldError::new("from_email", "the sender needs an address such as daily@example.org"));
        }
        if self.from_name.trim().is_empty() || self.from_name.contains(['\r', '\n']) {
            errs.push(FieldError::new("from_name", "the sender needs a name on one line"));
        }
        if !self.reply_to.is_empty() && !is_address(&self.reply_to) {
            errs.push(FieldError::new("reply_to", "leave empty or give an address"));
        }
        if !TEMPLATES.contains(&self.template.as_str()) {
            errs.push(FieldError::new("template", format!("choose one of: {}", TEMPLATES.join(", "))));
        }
        if self.box_after_paragraph > 50 {
            errs.push(FieldError::new("box_after_paragraph", "at most 50"));
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(errs))
        }
    }
}

/// A plain address check: one @, a dotted domain, no spaces or brackets.
pub fn is_address(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | '"' | '(' | ')' | ';' | '\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid")
    }

    fn seven() -> NaiveTime {
        NaiveTime::from_hms_opt(7, 0, 0).expect("valid")
    }

    #[test]
    fn a_daily_goes_at_seven_local_on_both_sides_of_spring_forward() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let c = Cadence::Daily { at: seven() };
        // Saturday 28 March 2026, CET (UTC+1): 07:00 local is 06:00 UTC.
        let sat = c.next_after(tz, utc(2026, 3, 27, 12, 0)).unwrap();
        assert_eq!(sat, utc(2026, 3, 28, 6, 0));
        // Sunday 29 March, clocks go forward at 02:00: now CEST (UTC+2).
        let sun = c.next_after(tz, sat).unwrap();
        assert_eq!(sun, utc(2026, 3, 29, 5, 0));
        assert_eq!(sun - sat, Duration::hours(23), "the short night");
        let mon = c.next_after(tz, sun).unwrap();
        assert_eq!(mon, utc(2026, 3, 30, 5, 0));
    }

    #[test]
    fn a_daily_goes_at_seven_local_across_fall_back_in_new_york() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let c = Cadence::Daily { at: seven() };
        // Sunday 1 November 2026, EDT ends at 02:00.
        let sat = c.next_after(tz, utc(2026, 10, 31, 0, 0)).unwrap();
        assert_eq!(sat, utc(2026, 10, 31, 11, 0));
        let sun = c.next_after(tz, sat).unwrap();
        assert_eq!(sun, utc(2026, 11, 1, 12, 0));
        assert_eq!(sun - sat, Duration::hours(25));
    }

    #[test]
    fn times_inside_the_gap_and_the_fold_happen_once() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 02:30 does not exist on 29 March 2026: sent at 03:00 CEST.
        let c = Cadence::Daily { at: NaiveTime::from_hms_opt(2, 30, 0).unwrap() };
        assert_eq!(c.next_after(tz, utc(2026, 3, 28, 12, 0)).unwrap(), utc(2026, 3, 29, 1, 0));
        // 02:30 happens twice on 25 October 2026: sent at the first, once.
        let first = c.next_after(tz, utc(2026, 10, 24, 12, 0)).unwrap();
        assert_eq!(first, utc(2026, 10, 25, 0, 30));
        let next = c.next_after(tz, first).unwrap();
        assert_eq!(next, utc(2026, 10, 26, 1, 30), "not again an hour later");
    }

    #[test]
    fn weeklies_and_manuals() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let c = Cadence::Weekly { on: Weekday::Fri, at: NaiveTime::from_hms_opt(16, 30, 0).unwrap() };
        // Wednesday 25 March 2026 -> Friday 27 March, CET.
        let fri = c.next_after(tz, utc(2026, 3, 25, 9, 0)).unwrap();
        assert_eq!(fri, utc(2026, 3, 27, 15, 30));
        // The next Friday is after the change: CEST.
        assert_eq!(c.next_after(tz, fri).unwrap(), utc(2026, 4, 3, 14, 30));
        assert_eq!(Cadence::Manual.next_after(tz, fri), None);
        assert_eq!(c.describe(), "Weekly on Friday at 16:30");
    }

    #[test]
    fn the_box_follows_topics_then_regions() {
        let n = |id: i64, topics: &[&str], regions: &[&str], audience: Audience| Newsletter {
            id,
            slug: format!("n{id}"),
            name: String::new(),
            description: String::new(),
            cadence: Cadence::Manual,
            time_zone: "UTC".into(),
            from_name: "X".into(),
            from_email: "x@example.org".into(),
            reply_to: String::new(),
            audience,
            topics: topics.iter().map(|s| s.to_string()).collect(),
            regions: regions.iter().map(|s| s.to_string()).collect(),
            template: "newsletter".into(),
            box_after_paragraph: 2,
            position: id,
            active: true,
        };
        let all = vec![
            n(1, &[], &["europe"], Audience::Everyone),
            n(2, &["war-in-ukraine"], &[], Audience::Subscribers),
            n(3, &["war-in-ukraine"], &[], Audience::Everyone),
        ];
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(box_for_article(&all, &s(&["war-in-ukraine"]), &s(&["europe"])).map(|n| n.id), Some(3));
        assert_eq!(box_for_article(&all, &s(&["climate"]), &s(&["europe"])).map(|n| n.id), Some(1));
        assert_eq!(box_for_article(&all, &s(&["climate"]), &s(&["asia"])), None);
    }

    #[test]
    fn drafts_are_checked() {
        let d = NewsletterDraft {
            slug: "Bad Slug".into(),
            name: " ".into(),
            description: String::new(),
            cadence: Cadence::Manual,
            time_zone: "Mars/Olympus".into(),
            from_name: "Desk".into(),
            from_email: "nope".into(),
            reply_to: String::new(),
            audience: Audience::Everyone,
            topics: vec![],
            regions: vec![],
            template: "newsletter".into(),
            box_after_paragraph: 2,
            position: 0,
            active: true,
        };
        let Err(DomainError::Invalid(errs)) = d.validate() else { panic!("expected errors") };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["slug", "name", "time_zone", "from_email"]);
        assert!(is_address("a.b@news.example.org"));
        assert!(!is_address("a@b"));
        assert!(!is_address("a b@example.org"));
    }
}
