//! What feeds and sitemaps read, and private feed addresses, on every
//! backend in the same run.

use chrono::{DateTime, Duration, TimeZone, Utc};
use masthead_core::{ArticleDraft, ArticleStatus, Block, BlockKind, TagKind};
use masthead_db::{testing, ArticleWrite, Db, ListFilter};

async fn publish(db: &Db, slug: &str, at: DateTime<Utc>, topics: &[&str], status: ArticleStatus) -> i64 {
    let d = ArticleDraft {
        headline: format!("Headline {slug}"),
        authors: vec!["ana".into()],
        topics: topics.iter().map(|t| t.to_string()).collect(),
        section: Some("world".into()),
        ..Default::default()
    };
    let blocks = vec![Block { kind: BlockKind::Paragraph, html: format!("<p>{slug}</p>"), text: slug.into() }];
    let w = ArticleWrite {
        draft: &d,
        slug: slug.into(),
        blocks: &blocks,
        problems: &[],
        word_count: 1,
        status,
        published_at: (status == ArticleStatus::Published).then_some(at),
        scheduled_for: None,
    };
    db.create_article(&w, at).await.unwrap().id
}

async fn story(db: &Db, backend: &str) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    db.upsert_author("ana", "Ana Ruiz", "", "").await.unwrap();
    db.upsert_tag(TagKind::Section, "world", "World", "").await.unwrap();
    let war = db.upsert_tag(TagKind::Topic, "war", "War", "").await.unwrap();
    db.upsert_tag(TagKind::Topic, "trade", "Trade", "").await.unwrap();
    publish(db, "october", Utc.with_ymd_and_hms(2026, 10, 31, 23, 59, 59).unwrap(), &["trade"], ArticleStatus::Published).await;
    publish(db, "november-a", Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(), &["war"], ArticleStatus::Published).await;
    publish(db, "november-b", now - Duration::hours(1), &["war", "trade"], ArticleStatus::Published).await;
    publish(db, "future", now + Duration::hours(1), &["war"], ArticleStatus::Published).await;
    publish(db, "draft", now, &["war"], ArticleStatus::Draft).await;

    // Whole articles, newest first, only those out by now, with their byline and tags.
    let all = db.newest_articles(ListFilter::All, now, 30).await.unwrap();
    let slugs: Vec<_> = all.iter().map(|a| a.slug.as_str()).collect();
    assert_eq!(slugs, ["november-b", "november-a", "october"], "{backend}");
    assert_eq!(all[0].blocks.len(), 1);
    assert_eq!(all[0].authors[0].name, "Ana Ruiz");
    assert_eq!(all[0].topics.len(), 2);
    assert_eq!(all[0].section.as_ref().map(|s| s.slug.as_str()), Some("world"));
    let war_only = db.newest_articles(ListFilter::Topic(war.id), now, 30).await.unwrap();
    assert_eq!(war_only.iter().map(|a| a.slug.as_str()).collect::<Vec<_>>(), ["november-b", "november-a"], "{backend}");
    assert_eq!(db.newest_articles(ListFilter::All, now, 1).await.unwrap().len(), 1);

    // Months with articles, newest first; the boundary second belongs to October.
    let months = db.archive_months(now).await.unwrap();
    let summary: Vec<_> = months.iter().map(|m| (m.year, m.month, m.articles)).collect();
    assert_eq!(summary, [(2026, 11, 2), (2026, 10, 1)], "{backend}");
    let nov = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let dec = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let in_nov = db.published_between(nov, dec, now).await.unwrap();
    assert_eq!(in_nov.iter().map(|a| a.slug.as_str()).collect::<Vec<_>>(), ["november-b", "november-a"], "{backend}");
    let recent = db.published_between(now - Duration::days(2), now + Duration::days(1), now).await.unwrap();
    assert_eq!(recent.iter().map(|a| a.slug.as_str()).collect::<Vec<_>>(), ["november-b"], "{backend}: not the future one");

    // Private feed addresses: one per reader, replaced by a new one, gone with the reader.
    let r = db.reader_for_verified_email("feeds@example.org", now).await.unwrap();
    assert_eq!(db.feed_token(r.id).await.unwrap(), None);
    db.set_feed_token(r.id, "nonce-1", "hash-1", now).await.unwrap();
    assert_eq!(db.reader_for_feed_token("hash-1").await.unwrap(), Some(r.id));
    db.set_feed_token(r.id, "nonce-2", "hash-2", now + Duration::minutes(1)).await.unwrap();
    assert_eq!(db.reader_for_feed_token("hash-1").await.unwrap(), None, "{backend}: the old address is revoked");
    assert_eq!(db.reader_for_feed_token("hash-2").await.unwrap(), Some(r.id));
    let t = db.feed_token(r.id).await.unwrap().unwrap();
    assert_eq!((t.nonce.as_str(), t.created_at), ("nonce-2", now + Duration::minutes(1)));
    let other = db.reader_for_verified_email("other@example.org", now).await.unwrap();
    let clash = db.set_feed_token(other.id, "n", "hash-2", now).await;
    assert!(clash.is_err_and(|e| e.is_unique_violation()), "{backend}: an address belongs to one reader");
    assert!(db.delete_feed_token(r.id).await.unwrap());
    assert!(!db.delete_feed_token(r.id).await.unwrap());
    db.set_feed_token(r.id, "nonce-3", "hash-3", now).await.unwrap();
    db.delete_reader(r.id).await.unwrap();
    assert_eq!(db.reader_for_feed_token("hash-3").await.unwrap(), None, "{backend}: deleted with the account");
}

#[tokio::test]
async fn feeds_and_sitemaps_story() {
    for t in testing::all().await {
        story(&t.db, t.backend).await;
        t.cleanup().await;
    }
}
