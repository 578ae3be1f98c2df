//! The one access decision. Every channel that can show article text (the
//! page, the next-article teaser, feeds, the API, search snippets, emails,
//! the magazine) asks `decide` and renders only what it allows. It is a pure
//! function of the article, the reader, the meter and the publisher's
//! policy, so it can be tested exhaustively and cannot drift between
//! channels.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::AccessLevel;

/// What a subscription (or a gift, or complimentary access) grants. Each is
/// enforced where it applies, not just displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Benefit {
    /// Every article in full, whatever the meter says.
    FullAccess,
    /// No ad slots rendered.
    AdFree,
    /// The weekly digital magazine, web and EPUB.
    Magazine,
    /// Newsletters marked premium.
    PremiumNewsletters,
    /// Articles older than the publisher's archive age.
    Archives,
}

impl Benefit {
    pub const ALL: [Benefit; 5] =
        [Benefit::FullAccess, Benefit::AdFree, Benefit::Magazine, Benefit::PremiumNewsletters, Benefit::Archives];

    pub fn as_str(self) -> &'static str {
        match self {
            Benefit::FullAccess => "full_access",
            Benefit::AdFree => "ad_free",
            Benefit::Magazine => "magazine",
            Benefit::PremiumNewsletters => "premium_newsletters",
            Benefit::Archives => "archives",
        }
    }

    pub fn parse(s: &str) -> Option<Benefit> {
        Benefit::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// The set of benefits a reader holds right now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlements(pub BTreeSet<Benefit>);

impl Entitlements {
    pub fn none() -> Self {
        Self::default()
    }
    pub fn all() -> Self {
        Self(Benefit::ALL.into_iter().collect())
    }
    pub fn of(benefits: &[Benefit]) -> Self {
        Self(benefits.iter().copied().collect())
    }
    pub fn has(&self, b: Benefit) -> bool {
        self.0.contains(&b)
    }
    pub fn merge(&mut self, other: &Entitlements) {
        self.0.extend(other.0.iter().copied());
    }
}

/// How the meter's window is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "days")]
pub enum MeterWindow {
    /// From the first of the month, UTC.
    CalendarMonth,
    /// The last N days.
    RollingDays(u32),
}

impl MeterWindow {
    /// Reads at or after this instant count.
    pub fn start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            MeterWindow::CalendarMonth => Utc
                .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
                .single()
                .unwrap_or(now - Duration::days(31)),
            MeterWindow::RollingDays(d) => now - Duration::days(i64::from(d.max(1))),
        }
    }
}

/// The publisher's meter, set in the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterPolicy {
    /// Free metered articles per window for a reader without an account.
    pub anonymous_quota: u32,
    /// Free metered articles per window for a reader with a free account.
    pub registered_quota: u32,
    pub window: MeterWindow,
    /// Articles older than this many days need the Archives benefit.
    pub archive_after_days: Option<u32>,
    /// How many blocks a cut article shows.
    pub preview_blocks: u32,
    /// When an anonymous reader's quota is used, ask for a free account
    /// (which gives the registered quota) before the paid offer.
    pub registration_wall: bool,
    /// A second meter per network (IP prefix + user agent), with this
    /// quota; None turns it off.
    pub network_quota: Option<u32>,
}

impl Default for MeterPolicy {
    fn default() -> Self {
        MeterPolicy {
            anonymous_quota: 1,
            registered_quota: 3,
            window: MeterWindow::CalendarMonth,
            archive_after_days: Some(365),
            preview_blocks: 3,
            registration_wall: false,
            network_quota: Some(10),
        }
    }
}

/// What the decision needs to know about the article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleFacts {
    pub access: AccessLevel,
    pub published_at: DateTime<Utc>,
    pub block_count: usize,
}

/// Who is reading, as far as access goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderFacts {
    /// Signed in with a free or paid account.
    pub registered: bool,
    pub entitlements: Entitlements,
    /// A search-engine crawler verified by address (never by user agent).
    pub verified_crawler: bool,
    /// Holds a valid gift link for this very article.
    pub gift_link: bool,
}

/// One meter's count for this reader in the current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeterCount {
    /// Distinct metered articles already read in the window.
    pub used: u32,
    /// This article is one of them: reading it again costs nothing.
    pub already_read: bool,
}

/// Why a reader gets less than the whole article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Reason {
    /// Free to read under the meter; `remaining` free reads after this one.
    Metered { remaining: u32 },
    /// The meter is used up for this window.
    LimitReached,
    /// Only subscribers may read this article.
    SubscribersOnly,
    /// The article is older than the archive age and needs the Archives benefit.
    ArchiveOnly,
    /// A free account would unlock more free articles.
    RegistrationRequired,
}

/// The outcome: how much of the article this reader may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "access")]
pub enum Access {
    /// Everything. `meter` says whether this read counts, and what is left.
    Full { meter: Option<Reason> },
    /// Blocks `0..cut_after_block` only.
    Preview { cut_after_block: usize, reason: Reason },
    /// Nothing of the body.
    Denied { reason: Reason },
}

impl Access {
    /// How many body blocks may be sent.
    pub fn visible_blocks(&self, total: usize) -> usize {
        match self {
            Access::Full { .. } => total,
            Access::Preview { cut_after_block, .. } => (*cut_after_block).min(total),
            Access::Denied { .. } => 0,
        }
    }

    pub fn is_full(&self) -> bool {
        matches!(self, Access::Full { .. })
    }

    /// True when this read must be recorded on the meter.
    pub fn counts(&self) -> bool {
        matches!(self, Access::Full { meter: Some(Reason::Metered { .. }) })
    }

    pub fn reason(&self) -> Option<Reason> {
        match self {
            Access::Full { meter } => *meter,
            Access::Preview { reason, .. } | Access::Denied { reason } => Some(*reason),
        }
    }
}

fn cut(policy: &MeterPolicy, article: &ArticleFacts, reason: Reason) -> Access {
    // A cut never shows the whole body, however short the article is.
    let k = (policy.preview_blocks as usize).min(article.block_count.saturating_sub(1));
    if k == 0 {
        Access::Denied { reason }
    } else {
        Access::Preview { cut_after_block: k, reason }
    }
}

/// Decides how much of an article a reader may be sent.
///
/// `meter` is the reader's own meter (by account or anonymous id);
/// `network` is the per-network meter when the policy has one.
pub fn decide(
    article: &ArticleFacts,
    reader: &ReaderFacts,
    meter: MeterCount,
    network: Option<MeterCount>,
    policy: &MeterPolicy,
    now: DateTime<Utc>,
) -> Access {
    if reader.verified_crawler || reader.gift_link {
        return Access::Full { meter: None };
    }
    let archived = policy
        .archive_after_days
        .is_some_and(|days| article.published_at < now - Duration::days(i64::from(days)));
    if archived && !reader.entitlements.has(Benefit::Archives) {
        return cut(policy, article, Reason::ArchiveOnly);
    }
    if reader.entitlements.has(Benefit::FullAccess) {
        return Access::Full { meter: None };
    }
    match article.access {
        AccessLevel::Free => Access::Full { meter: None },
        AccessLevel::SubscribersOnly => cut(policy, article, Reason::SubscribersOnly),
        AccessLevel::Metered => {
            if meter.already_read {
                return Access::Full { meter: None };
            }
            let quota = if reader.registered { policy.registered_quota } else { policy.anonymous_quota };
            let mut remaining = quota.saturating_sub(meter.used);
            // The network meter only limits readers without an account: it
            // catches cleared cookies, not a household of subscribers.
            if let (Some(nq), Some(n), false) = (policy.network_quota, network, reader.registered) {
                if !n.already_read {
                    remaining = remaining.min(nq.saturating_sub(n.used));
                }
            }
            if remaining > 0 {
                Access::Full { meter: Some(Reason::Metered { remaining: remaining - 1 }) }
            } else if !reader.registered && policy.registration_wall && policy.registered_quota > meter.used {
                cut(policy, article, Reason::RegistrationRequired)
            } else {
                cut(policy, article, Reason::LimitReached)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).single().expect("valid date")
    }

    fn article(access: AccessLevel) -> ArticleFacts {
        ArticleFacts { access, published_at: now() - Duration::days(1), block_count: 12 }
    }

    fn anon() -> ReaderFacts {
        ReaderFacts::default()
    }

    fn subscriber() -> ReaderFacts {
        ReaderFacts { registered: true, entitlements: Entitlements::all(), ..Default::default() }
    }

    const FRESH: MeterCount = MeterCount { used: 0, already_read: false };

    #[test]
    fn the_reference_publication_gives_one_free_article() {
        let p = MeterPolicy::default();
        let a = article(AccessLevel::Metered);
        let first = decide(&a, &anon(), FRESH, None, &p, now());
        assert_eq!(first, Access::Full { meter: Some(Reason::Metered { remaining: 0 }) });
        assert!(first.counts());
        let second = decide(&a, &anon(), MeterCount { used: 1, already_read: false }, None, &p, now());
        assert_eq!(second, Access::Preview { cut_after_block: 3, reason: Reason::LimitReached });
        // Re-reading the counted article costs nothing and stays whole.
        let again = decide(&a, &anon(), MeterCount { used: 1, already_read: true }, None, &p, now());
        assert_eq!(again, Access::Full { meter: None });
        assert!(!again.counts());
    }

    #[test]
    fn free_never_counts_and_subscribers_only_is_never_free() {
        let p = MeterPolicy::default();
        let free = decide(&article(AccessLevel::Free), &anon(), MeterCount { used: 99, already_read: false }, None, &p, now());
        assert_eq!(free, Access::Full { meter: None });
        let so = decide(&article(AccessLevel::SubscribersOnly), &anon(), FRESH, None, &p, now());
        assert_eq!(so, Access::Preview { cut_after_block: 3, reason: Reason::SubscribersOnly });
        let reg = ReaderFacts { registered: true, ..Default::default() };
        let so = decide(&article(AccessLevel::SubscribersOnly), &reg, FRESH, None, &p, now());
        assert!(!so.is_full());
        let sub = decide(&article(AccessLevel::SubscribersOnly), &subscriber(), FRESH, None, &p, now());
        assert_eq!(sub, Access::Full { meter: None });
    }

    #[test]
    fn registered_readers_get_more_and_the_registration_wall_asks_first() {
        let mut p = MeterPolicy { registration_wall: true, ..Default::default() };
        let a = article(AccessLevel::Metered);
        let over = MeterCount { used: 1, already_read: false };
        assert_eq!(decide(&a, &anon(), over, None, &p, now()).reason(), Some(Reason::RegistrationRequired));
        let reg = ReaderFacts { registered: true, ..Default::default() };
        assert_eq!(decide(&a, &reg, over, None, &p, now()), Access::Full { meter: Some(Reason::Metered { remaining: 1 }) });
        assert_eq!(decide(&a, &reg, MeterCount { used: 3, already_read: false }, None, &p, now()).reason(), Some(Reason::LimitReached));
        p.registration_wall = false;
        assert_eq!(decide(&a, &anon(), over, None, &p, now()).reason(), Some(Reason::LimitReached));
    }

    #[test]
    fn the_archive_needs_its_benefit() {
        let p = MeterPolicy { archive_after_days: Some(30), ..Default::default() };
        let old = ArticleFacts { published_at: now() - Duration::days(31), ..article(AccessLevel::Free) };
        assert_eq!(decide(&old, &anon(), FRESH, None, &p, now()).reason(), Some(Reason::ArchiveOnly));
        let no_archive = ReaderFacts { registered: true, entitlements: Entitlements::of(&[Benefit::FullAccess]), ..Default::default() };
        assert_eq!(decide(&old, &no_archive, FRESH, None, &p, now()).reason(), Some(Reason::ArchiveOnly));
        assert!(decide(&old, &subscriber(), FRESH, None, &p, now()).is_full());
    }

    #[test]
    fn the_network_meter_catches_cleared_cookies() {
        let p = MeterPolicy { network_quota: Some(3), ..Default::default() };
        let a = article(AccessLevel::Metered);
        let net = MeterCount { used: 3, already_read: false };
        assert_eq!(decide(&a, &anon(), FRESH, Some(net), &p, now()).reason(), Some(Reason::LimitReached));
        let reg = ReaderFacts { registered: true, ..Default::default() };
        assert!(decide(&a, &reg, FRESH, Some(net), &p, now()).is_full(), "accounts are metered by account");
    }

    #[test]
    fn crawlers_and_gift_links_read_in_full_without_counting() {
        let p = MeterPolicy::default();
        let a = article(AccessLevel::SubscribersOnly);
        let crawler = ReaderFacts { verified_crawler: true, ..Default::default() };
        assert_eq!(decide(&a, &crawler, FRESH, None, &p, now()), Access::Full { meter: None });
        let gift = ReaderFacts { gift_link: true, ..Default::default() };
        assert_eq!(decide(&a, &gift, MeterCount { used: 50, already_read: false }, None, &p, now()), Access::Full { meter: None });
    }

    #[test]
    fn a_cut_never_shows_a_short_article_whole() {
        let p = MeterPolicy { preview_blocks: 5, ..Default::default() };
        let short = ArticleFacts { block_count: 2, ..article(AccessLevel::SubscribersOnly) };
        assert_eq!(decide(&short, &anon(), FRESH, None, &p, now()), Access::Preview { cut_after_block: 1, reason: Reason::SubscribersOnly });
        let one = ArticleFacts { block_count: 1, ..short };
        assert_eq!(decide(&one, &anon(), FRESH, None, &p, now()), Access::Denied { reason: Reason::SubscribersOnly });
    }

    #[test]
    fn windows_start_where_expected() {
        assert_eq!(MeterWindow::CalendarMonth.start(now()), Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
        assert_eq!(MeterWindow::RollingDays(30).start(now()), now() - Duration::days(30));
    }

    fn any_access() -> impl Strategy<Value = AccessLevel> {
        prop_oneof![Just(AccessLevel::Free), Just(AccessLevel::Metered), Just(AccessLevel::SubscribersOnly)]
    }

    fn any_benefits() -> impl Strategy<Value = Entitlements> {
        proptest::collection::btree_set(proptest::sample::select(Benefit::ALL.to_vec()), 0..=5).prop_map(Entitlements)
    }

    prop_compose! {
        fn any_case()(
            access in any_access(),
            age_days in 0i64..800,
            block_count in 0usize..40,
            registered in any::<bool>(),
            entitlements in any_benefits(),
            crawler in any::<bool>(),
            gift in any::<bool>(),
            used in 0u32..20,
            already_read in any::<bool>(),
            net in proptest::option::of((0u32..40, any::<bool>())),
            anonymous_quota in 0u32..6,
            registered_quota in 0u32..12,
            archive in proptest::option::of(1u32..500),
            preview_blocks in 0u32..8,
            registration_wall in any::<bool>(),
            network_quota in proptest::option::of(0u32..30),
        ) -> (ArticleFacts, ReaderFacts, MeterCount, Option<MeterCount>, MeterPolicy) {
            (
                ArticleFacts { access, published_at: now() - Duration::days(age_days), block_count },
                ReaderFacts { registered, entitlements, verified_crawler: crawler, gift_link: gift },
                MeterCount { used, already_read },
                net.map(|(used, already_read)| MeterCount { used, already_read }),
                MeterPolicy { anonymous_quota, registered_quota, window: MeterWindow::CalendarMonth,
                    archive_after_days: archive, preview_blocks, registration_wall, network_quota },
            )
        }
    }

    proptest! {
        #[test]
        fn a_cut_never_reveals_the_whole_body((a, r, m, n, p) in any_case()) {
            let access = decide(&a, &r, m, n, &p, now());
            if !access.is_full() && a.block_count > 0 {
                prop_assert!(access.visible_blocks(a.block_count) < a.block_count);
                prop_assert!(access.visible_blocks(a.block_count) <= p.preview_blocks as usize);
            }
        }

        #[test]
        fn subscribers_only_is_never_free_to_non_subscribers((a, r, m, n, p) in any_case()) {
            let access = decide(&a, &r, m, n, &p, now());
            if a.access == AccessLevel::SubscribersOnly && !r.entitlements.has(Benefit::FullAccess) && !r.verified_crawler && !r.gift_link {
                prop_assert!(!access.is_full());
            }
        }

        #[test]
        fn only_first_reads_of_metered_articles_count((a, r, m, n, p) in any_case()) {
            let access = decide(&a, &r, m, n, &p, now());
            if access.counts() {
                prop_assert_eq!(a.access, AccessLevel::Metered);
                prop_assert!(!m.already_read);
                prop_assert!(!r.entitlements.has(Benefit::FullAccess));
                let quota = if r.registered { p.registered_quota } else { p.anonymous_quota };
                prop_assert!(m.used < quota, "a counted read is within the quota");
            }
        }

        #[test]
        fn full_access_reads_everything_in_reach((a, r, m, n, p) in any_case()) {
            let access = decide(&a, &r, m, n, &p, now());
            if r.entitlements.has(Benefit::FullAccess) && r.entitlements.has(Benefit::Archives) {
                prop_assert!(access.is_full());
            }
        }

        #[test]
        fn more_reads_never_mean_more_access((a, r, m, n, p) in any_case(), extra in 1u32..5) {
            let before = decide(&a, &r, m, n, &p, now());
            let after = decide(&a, &r, MeterCount { used: m.used + extra, ..m }, n, &p, now());
            prop_assert!(after.visible_blocks(a.block_count) <= before.visible_blocks(a.block_count));
        }
    }
}
