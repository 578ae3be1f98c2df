//! One story per repository, told on every backend in the same run: what a
//! newsroom stores must come back exactly, on SQLite and on PostgreSQL.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use masthead_core::{
    AccessLevel, ArticleDraft, ArticleStatus, Block, BlockKind, Figure, Provenance, RenderProblem, TagKind,
};
use masthead_db::{testing, ArticleWrite, Db, DbError, ListFilter};

fn block(kind: BlockKind, text: &str) -> Block {
    Block { kind, html: format!("<p>{text}</p>"), text: text.to_string() }
}

async fn seed_records(db: &Db) {
    db.upsert_tag(TagKind::Section, "world", "World", "News from everywhere").await.unwrap();
    db.upsert_tag(TagKind::Section, "analysis", "Analysis", "").await.unwrap();
    db.upsert_tag(TagKind::Topic, "war-in-ukraine", "War in Ukraine", "").await.unwrap();
    db.upsert_tag(TagKind::Topic, "energy", "Energy", "").await.unwrap();
    db.upsert_tag(TagKind::Region, "russia", "Russia", "").await.unwrap();
    db.upsert_tag(TagKind::Region, "china", "China", "").await.unwrap();
    db.upsert_author("anna-kowal", "Anna Kowal", "Warsaw correspondent", "Anna covers Central Europe.").await.unwrap();
    db.upsert_author("li-wei", "Li Wei", "Translator", "Li translates from Chinese.").await.unwrap();
}

fn translated_draft() -> ArticleDraft {
    ArticleDraft {
        headline: "Across the Amur, a Border Town Waits for Trade".into(),
        slug: None,
        standfirst: "In Heihe, the bridge to Russia is open. The trucks are not coming.".into(),
        dateline: "Heihe".into(),
        hero: Some(Figure {
            src: "media:abc123".into(),
            alt: "A bridge over a frozen river at dusk".into(),
            caption: "The road bridge between Heihe and Blagoveshchensk.".into(),
            credit: "Photo: Zhang Min via Northlight Press".into(),
            date: NaiveDate::from_ymd_opt(2026, 2, 3),
            place: "Heihe".into(),
        }),
        body_markdown: "First paragraph.\n\n## A subhead\n\nSecond paragraph.".into(),
        access: AccessLevel::Metered,
        section: Some("world".into()),
        authors: vec!["li-wei".into(), "anna-kowal".into()],
        topics: vec!["energy".into(), "war-in-ukraine".into()],
        regions: vec!["china".into(), "russia".into()],
        provenance: Some(Provenance {
            publication: "Heilongjiang Evening Courier".into(),
            title: "Heihe deng dai".into(),
            url: "https://courier.example/heihe".into(),
            language: "zh".into(),
            published_on: NaiveDate::from_ymd_opt(2026, 2, 4),
            translator: "Li Wei".into(),
        }),
        seo_title: "Heihe waits".into(),
        seo_description: "A border town and its bridge.".into(),
    }
}

async fn article_story(db: &Db, backend: &str) {
    seed_records(db).await;
    let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
    let draft = translated_draft();
    let blocks = vec![block(BlockKind::Paragraph, "First paragraph."), block(BlockKind::Subhead, "A subhead")];
    let problems = vec![RenderProblem { line: 3, message: "unknown image media:zzz".into() }];
    let w = ArticleWrite {
        draft: &draft,
        slug: "across-the-amur".into(),
        blocks: &blocks,
        problems: &problems,
        word_count: 460,
        status: ArticleStatus::Published,
        published_at: Some(now - Duration::hours(2)),
        scheduled_for: None,
    };
    let a = db.create_article(&w, now).await.unwrap();

    // Everything comes back as it was stored, in order.
    let back = db.article_by_slug("across-the-amur").await.unwrap().expect("stored");
    assert_eq!(back, a, "{backend}");
    assert_eq!(back.headline, draft.headline);
    assert_eq!(back.hero, draft.hero, "{backend}: hero figure");
    assert_eq!(back.provenance, draft.provenance, "{backend}: provenance");
    assert_eq!(back.blocks, blocks);
    assert_eq!(back.render_problems, problems);
    assert_eq!(back.authors.iter().map(|x| x.slug.as_str()).collect::<Vec<_>>(), ["li-wei", "anna-kowal"]);
    assert_eq!(back.topics.iter().map(|x| x.slug.as_str()).collect::<Vec<_>>(), ["energy", "war-in-ukraine"]);
    assert_eq!(back.regions.iter().map(|x| x.slug.as_str()).collect::<Vec<_>>(), ["china", "russia"]);
    assert_eq!(back.section.as_ref().map(|s| s.slug.as_str()), Some("world"));
    assert_eq!((back.word_count, back.reading_minutes), (460, 2));
    assert_eq!(back.published_at, Some(now - Duration::hours(2)), "{backend}: timestamps round-trip in UTC");

    // A second article with the same slug is refused, nothing overwritten.
    let err = db.create_article(&w, now).await.unwrap_err();
    assert!(matches!(err, DbError::Conflict(_)), "{backend}: {err}");

    // Renaming keeps the old slug pointing at the article.
    let mut d2 = draft.clone();
    d2.headline = "Across the Amur, Heihe Waits".into();
    d2.topics = vec!["war-in-ukraine".into()];
    let w2 = ArticleWrite { draft: &d2, slug: "heihe-waits".into(), ..w.clone() };
    let rev = db.article_revision(a.id).await.unwrap();
    let renamed = db.update_article(a.id, Some(rev), &w2, now).await.unwrap();
    assert_eq!(renamed.slug, "heihe-waits");
    assert_eq!(renamed.topics.len(), 1);
    assert_eq!(db.current_slug_for("across-the-amur").await.unwrap().as_deref(), Some("heihe-waits"));
    assert!(db.article_by_slug("across-the-amur").await.unwrap().is_none());
    // Renaming again: both old slugs lead to the newest.
    let w3 = ArticleWrite { draft: &d2, slug: "heihe-waits-for-trade".into(), ..w.clone() };
    db.update_article(a.id, None, &w3, now).await.unwrap();
    assert_eq!(db.current_slug_for("across-the-amur").await.unwrap().as_deref(), Some("heihe-waits-for-trade"));
    assert_eq!(db.current_slug_for("heihe-waits").await.unwrap().as_deref(), Some("heihe-waits-for-trade"));
    // A stale revision is a conflict and changes nothing.
    let stale = db.update_article(a.id, Some(rev), &w2, now).await.unwrap_err();
    assert!(matches!(stale, DbError::Conflict(_)), "{backend}: {stale}");
    assert_eq!(db.article_by_id(a.id).await.unwrap().slug, "heihe-waits-for-trade");
    // Going back to an old slug takes it out of the history.
    let w4 = ArticleWrite { draft: &d2, slug: "across-the-amur".into(), ..w.clone() };
    db.update_article(a.id, None, &w4, now).await.unwrap();
    assert!(db.current_slug_for("across-the-amur").await.unwrap().is_none());
    assert_eq!(db.current_slug_for("heihe-waits").await.unwrap().as_deref(), Some("across-the-amur"));
    // Another article cannot take a slug from someone's history.
    let other = ArticleDraft { headline: "Other".into(), ..Default::default() };
    let w5 = ArticleWrite { draft: &other, slug: "heihe-waits".into(), ..w.clone() };
    assert!(matches!(db.create_article(&w5, now).await.unwrap_err(), DbError::Conflict(_)));

    // Unknown author is refused and stores nothing.
    let bad = ArticleDraft { headline: "Bad".into(), authors: vec!["nobody".into()], ..Default::default() };
    let w6 = ArticleWrite { draft: &bad, slug: "bad".into(), ..w.clone() };
    assert!(matches!(db.create_article(&w6, now).await.unwrap_err(), DbError::Conflict(_)));
    assert!(db.article_by_slug("bad").await.unwrap().is_none(), "{backend}: failed save left nothing");
    assert_eq!(db.count_articles().await.unwrap(), 1);
}

async fn list_story(db: &Db, backend: &str) {
    seed_records(db).await;
    let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
    let russia = db.tag_by_slug(TagKind::Region, "russia").await.unwrap().unwrap();
    let anna = db.author_by_slug("anna-kowal").await.unwrap().unwrap();
    for i in 0..25i64 {
        let d = ArticleDraft {
            headline: format!("Story {i}"),
            section: Some(if i % 2 == 0 { "world" } else { "analysis" }.into()),
            authors: vec![if i % 5 == 0 { "anna-kowal" } else { "li-wei" }.into()],
            regions: if i % 3 == 0 { vec!["russia".into()] } else { vec![] },
            ..Default::default()
        };
        let (status, published_at, scheduled_for) = match i {
            23 => (ArticleStatus::Draft, None, None),
            24 => (ArticleStatus::Scheduled, None, Some(now + Duration::hours(1))),
            _ => (ArticleStatus::Published, Some(now - Duration::minutes(60 - i)), None),
        };
        let w = ArticleWrite {
            draft: &d,
            slug: format!("story-{i}"),
            blocks: &[],
            problems: &[],
            word_count: 100,
            status,
            published_at,
            scheduled_for,
        };
        db.create_article(&w, now).await.unwrap();
    }
    let page = db.published(ListFilter::All, now, 10, 0).await.unwrap();
    assert_eq!(page.total, 23, "{backend}: drafts and scheduled are not published");
    let slugs: Vec<_> = page.items.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(slugs[0], "story-22", "{backend}: newest first");
    assert_eq!(slugs.len(), 10);
    let page3 = db.published(ListFilter::All, now, 10, 20).await.unwrap();
    assert_eq!(page3.items.len(), 3);
    let by_region = db.published(ListFilter::Region(russia.id), now, 50, 0).await.unwrap();
    assert_eq!(by_region.total, 8, "{backend}"); // 0,3,...,21
    let by_author = db.published(ListFilter::Author(anna.id), now, 50, 0).await.unwrap();
    assert_eq!(by_author.total, 5); // 0,5,10,15,20
    assert!(by_author.items.iter().all(|t| t.authors[0].slug == "anna-kowal"));
    let world = db.tag_by_slug(TagKind::Section, "world").await.unwrap().unwrap();
    let by_section = db.published(ListFilter::Section(world.id), now, 50, 0).await.unwrap();
    assert_eq!(by_section.total, 12);
    assert!(by_section.items.iter().all(|t| t.section.as_ref().unwrap().slug == "world"));

    // The next article after the newest is the one before it.
    let newest = db.article_by_slug("story-22").await.unwrap().unwrap();
    let next = db.next_article(&newest, now).await.unwrap().unwrap();
    assert_eq!(next.slug, "story-21");

    // Scheduled publishes when due, not before.
    assert!(db.publish_due(now).await.unwrap().is_empty());
    let due = db.publish_due(now + Duration::hours(2)).await.unwrap();
    assert_eq!(due.len(), 1);
    let s = db.article_by_slug("story-24").await.unwrap().unwrap();
    assert_eq!(s.status, ArticleStatus::Published);
    assert_eq!(s.published_at, Some(now + Duration::hours(1)));
}

async fn jobs_story(db: &Db, backend: &str) {
    let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
    let a = db.enqueue_job("renditions", "{\"key\":\"a\"}", now, now).await.unwrap();
    let b = db.enqueue_job("renditions", "{\"key\":\"b\"}", now + Duration::minutes(5), now).await.unwrap();
    let j = db.claim_job(now, Duration::seconds(60)).await.unwrap().expect("a job is due");
    assert_eq!(j.id, a, "{backend}");
    assert_eq!(j.attempts, 1);
    assert!(db.claim_job(now, Duration::seconds(60)).await.unwrap().is_none(), "{backend}: b is not due, a is leased");
    // The worker dies; after the lease, the job is claimed again.
    let again = db.claim_job(now + Duration::seconds(61), Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (a, 2));
    db.fail_job(&again, "disk full", now + Duration::seconds(61)).await.unwrap();
    let failed = db.job(a).await.unwrap().unwrap();
    assert_eq!(failed.status, "queued");
    assert_eq!(failed.last_error.as_deref(), Some("disk full"));
    let later = now + Duration::minutes(10);
    let jb = db.claim_job(later, Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!(jb.id, a, "retry of a is due before b by run_at order");
    db.complete_job(jb.id, later).await.unwrap();
    let jb = db.claim_job(later, Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!(jb.id, b);
    db.complete_job(b, later).await.unwrap();
    assert!(db.claim_job(later, Duration::seconds(60)).await.unwrap().is_none());
    assert_eq!(db.job_counts().await.unwrap(), vec![("done".to_string(), 2)]);
}

async fn staff_and_settings_story(db: &Db, backend: &str) {
    use masthead_core::staff::Role;
    let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
    let s = db.create_staff("Editor@Example.org ", "Ed", Role::Editor, "$argon2id$fake", now).await.unwrap();
    assert_eq!(s.email, "editor@example.org");
    let again = db.create_staff("editor@example.org", "Ed", Role::Owner, "x", now).await.unwrap_err();
    assert!(matches!(again, DbError::Conflict(_)), "{backend}: {again}");
    let found = db.staff_by_email("EDITOR@example.org").await.unwrap().unwrap();
    assert_eq!(found.role, Role::Editor);
    db.set_setting("name", "The Dispatch").await.unwrap();
    db.set_setting("name", "The Meridian Dispatch").await.unwrap();
    assert_eq!(db.settings().await.unwrap().get("name").map(String::as_str), Some("The Meridian Dispatch"));

    let rec = masthead_db::media::MediaRecord {
        key: "abc".into(),
        kind: "jpeg".into(),
        width: 1600,
        height: 1000,
        bytes: 12345,
        original_name: "river.jpg".into(),
        renditions_ready: false,
        created_at: now,
    };
    db.insert_media(&rec).await.unwrap();
    db.insert_media(&rec).await.unwrap();
    db.mark_renditions_ready("abc").await.unwrap();
    assert!(db.media("abc").await.unwrap().unwrap().renditions_ready);
    assert_eq!(db.media_dimensions().await.unwrap().get("abc"), Some(&(1600, 1000)));
}

#[tokio::test]
async fn articles_round_trip_with_slug_history() {
    for t in testing::all().await {
        article_story(&t.db, t.backend).await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn lists_filter_and_paginate_published_articles() {
    for t in testing::all().await {
        list_story(&t.db, t.backend).await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn jobs_are_leased_retried_and_completed() {
    for t in testing::all().await {
        jobs_story(&t.db, t.backend).await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn staff_settings_and_media_records() {
    for t in testing::all().await {
        staff_and_settings_story(&t.db, t.backend).await;
        t.cleanup().await;
    }
}
