//! The weekly digital magazine's rules: which week an issue covers, how
//! much of each article a reader of the edition may be sent, and the
//! access profiles an EPUB is built for. Access goes through `decide`, like
//! every other channel; the magazine only adds its own gate (the Magazine
//! benefit) and never spends the meter.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{decide, Access, ArticleFacts, Benefit, Entitlements, MeterCount, MeterPolicy, ReaderFacts};

/// Where an issue is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    /// Proposed or being curated; only staff see it.
    Draft,
    /// Numbered and out: readers with the Magazine benefit can read it.
    Published,
}

impl IssueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueStatus::Draft => "draft",
            IssueStatus::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            _ => None,
        }
    }
}

/// Why an article is in an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueSource {
    /// Among the week's most-read articles.
    MostRead,
    /// An editor picked it during the week.
    Pick,
    /// Filled in from the week's newest when reads and picks were few.
    Latest,
    /// Added by hand while curating.
    Editor,
}

impl IssueSource {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueSource::MostRead => "most_read",
            IssueSource::Pick => "pick",
            IssueSource::Latest => "latest",
            IssueSource::Editor => "editor",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "most_read" => Some(Self::MostRead),
            "pick" => Some(Self::Pick),
            "latest" => Some(Self::Latest),
            "editor" => Some(Self::Editor),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            IssueSource::MostRead => "Most read",
            IssueSource::Pick => "Editor's pick",
            IssueSource::Latest => "New this week",
            IssueSource::Editor => "Added by an editor",
        }
    }
}

/// The Monday, 00:00 UTC, that starts the week `t` falls in. Issues cover
/// one such week.
pub fn week_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let day = t.date_naive() - Duration::days(i64::from(t.weekday().num_days_from_monday()));
    day.and_time(NaiveTime::MIN).and_utc()
}

/// The benefits that change what `decide` allows a magazine reader: with
/// the Magazine benefit held and the meter never spent, the decision for
/// any article depends on these two and nothing else, so one EPUB per
/// profile serves every reader with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EditionProfile {
    pub full_access: bool,
    pub archives: bool,
}

impl EditionProfile {
    /// Most generous first: the order the desk lists them and builds them.
    pub const ALL: [EditionProfile; 4] = [
        EditionProfile { full_access: true, archives: true },
        EditionProfile { full_access: true, archives: false },
        EditionProfile { full_access: false, archives: true },
        EditionProfile { full_access: false, archives: false },
    ];

    /// The profile of a reader with these benefits.
    pub fn of(e: &Entitlements) -> EditionProfile {
        EditionProfile { full_access: e.has(Benefit::FullAccess), archives: e.has(Benefit::Archives) }
    }

    /// A stable name, used in file names and the database.
    pub fn key(self) -> &'static str {
        match (self.full_access, self.archives) {
            (true, true) => "full",
            (true, false) => "full-no-archive",
            (false, true) => "limited-archive",
            (false, false) => "limited",
        }
    }

    pub fn parse(s: &str) -> Option<EditionProfile> {
        EditionProfile::ALL.into_iter().find(|p| p.key() == s)
    }

    /// The benefits a reader of this profile holds, as far as access goes.
    pub fn entitlements(self) -> Entitlements {
        let mut b = vec![Benefit::Magazine];
        if self.full_access {
            b.push(Benefit::FullAccess);
        }
        if self.archives {
            b.push(Benefit::Archives);
        }
        Entitlements::of(&b)
    }
}

/// How much of an article a reader of the magazine may be sent, or `None`
/// when the reader has no Magazine benefit (they get the offer, and no
/// article text at all). The edition is not metered: reading an issue
/// never spends free articles, so the meter counts as used up and only
/// free articles, or the reader's own benefits, open an article whole.
pub fn decide_edition(article: &ArticleFacts, entitlements: &Entitlements, policy: &MeterPolicy, now: DateTime<Utc>) -> Option<Access> {
    if !entitlements.has(Benefit::Magazine) {
        return None;
    }
    let reader = ReaderFacts { registered: true, entitlements: entitlements.clone(), verified_crawler: false, gift_link: false };
    let spent = MeterCount { used: u32::MAX, already_read: false };
    Some(decide(article, &reader, spent, None, policy, now))
}

/// One article as an EPUB file holds it: its id and how many body blocks
/// were put in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Included {
    pub article: i64,
    pub blocks: usize,
}

/// Whether a built file may be sent to a reader: every article in it holds
/// no more blocks than the reader may be sent now. `allowed` answers for
/// one article id (None: the article is gone, so the file may not be sent).
/// Checked at download time, so a policy change, an article turned
/// subscribers-only or an issue aging into the archive never lets an older
/// file say more than the decision allows today.
pub fn file_fits(contents: &[Included], mut allowed: impl FnMut(i64) -> Option<usize>) -> bool {
    contents.iter().all(|inc| allowed(inc.article).is_some_and(|max| inc.blocks <= max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessLevel, MeterWindow};
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 5, 15, 30, 0).single().expect("valid date")
    }

    #[test]
    fn weeks_start_on_monday_midnight() {
        let monday = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
        assert_eq!(week_start(now()), monday);
        assert_eq!(week_start(monday), monday);
        assert_eq!(week_start(monday - Duration::seconds(1)), monday - Duration::days(7));
    }

    #[test]
    fn the_edition_needs_the_magazine_benefit_and_never_uses_the_meter() {
        let p = MeterPolicy::default();
        let metered = ArticleFacts { access: AccessLevel::Metered, published_at: now() - Duration::days(2), block_count: 10 };
        assert_eq!(decide_edition(&metered, &Entitlements::of(&[Benefit::FullAccess]), &p, now()), None);
        let magazine_only = Entitlements::of(&[Benefit::Magazine]);
        let a = decide_edition(&metered, &magazine_only, &p, now()).expect("has the benefit");
        assert!(!a.is_full() && !a.counts(), "a metered article is cut, and nothing is counted");
        let full = EditionProfile { full_access: true, archives: true }.entitlements();
        assert_eq!(decide_edition(&metered, &full, &p, now()), Some(Access::Full { meter: None }));
        let free = ArticleFacts { access: AccessLevel::Free, ..metered };
        assert!(decide_edition(&free, &magazine_only, &p, now()).is_some_and(|a| a.is_full()));
    }

    #[test]
    fn profiles_round_trip() {
        for p in EditionProfile::ALL {
            assert_eq!(EditionProfile::parse(p.key()), Some(p));
            assert_eq!(EditionProfile::of(&p.entitlements()), p);
        }
    }

    #[test]
    fn a_file_fits_only_within_what_is_allowed_now() {
        let contents = [Included { article: 1, blocks: 10 }, Included { article: 2, blocks: 3 }];
        assert!(file_fits(&contents, |_| Some(10)));
        assert!(!file_fits(&contents, |id| Some(if id == 1 { 3 } else { 10 })));
        assert!(!file_fits(&contents, |id| (id == 1).then_some(10)), "an article gone from the database");
        assert!(file_fits(&[], |_| None));
    }

    fn any_benefits() -> impl Strategy<Value = Entitlements> {
        proptest::collection::btree_set(proptest::sample::select(Benefit::ALL.to_vec()), 0..=5).prop_map(Entitlements)
    }

    proptest! {
        /// The reason one EPUB per profile is enough: a reader's decision
        /// equals their profile's, whatever other benefits they hold.
        #[test]
        fn the_profile_decides_like_the_reader(
            e in any_benefits(),
            access in prop_oneof![Just(AccessLevel::Free), Just(AccessLevel::Metered), Just(AccessLevel::SubscribersOnly)],
            age in 0i64..800,
            blocks in 0usize..30,
            archive in proptest::option::of(1u32..500),
            preview in 0u32..8,
            wall in any::<bool>(),
            quota in 0u32..10,
        ) {
            let p = MeterPolicy { anonymous_quota: quota, registered_quota: quota, window: MeterWindow::CalendarMonth,
                archive_after_days: archive, preview_blocks: preview, registration_wall: wall, network_quota: Some(quota) };
            let a = ArticleFacts { access, published_at: now() - Duration::days(age), block_count: blocks };
            let mine = decide_edition(&a, &e, &p, now());
            if e.has(Benefit::Magazine) {
                let profile = EditionProfile::of(&e).entitlements();
                prop_assert_eq!(mine, decide_edition(&a, &profile, &p, now()));
                prop_assert!(!mine.is_some_and(|m| m.counts()));
            } else {
                prop_assert_eq!(mine, None);
            }
        }
    }
}
