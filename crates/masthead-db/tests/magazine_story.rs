//! The magazine's story, told on every backend in the same run: a week of
//! reads and picks becomes a proposed issue, an editor curates and
//! publishes it, and its EPUB builds are recorded, failures included.

use chrono::{DateTime, Duration, TimeZone, Utc};
use masthead_core::magazine::{week_start, EditionProfile, Included, IssueSource, IssueStatus};
use masthead_core::{AccessLevel, ArticleDraft, ArticleStatus, Block, BlockKind, TagKind};
use masthead_db::magazine::{epub_job_payload, Curation, EpubBuilt, IssueText, ProposalRules, JOB_EPUB};
use masthead_db::{testing, ArticleWrite, Db, DbError};

async fn article(db: &Db, slug: &str, section: Option<&str>, published_at: DateTime<Utc>) -> i64 {
    let draft = ArticleDraft {
        headline: format!("Story {slug}"),
        access: AccessLevel::Metered,
        section: section.map(str::to_string),
        ..Default::default()
    };
    let blocks = vec![Block { kind: BlockKind::Paragraph, html: "<p>x</p>".into(), text: "x".into() }];
    let w = ArticleWrite {
        draft: &draft,
        slug: slug.into(),
        blocks: &blocks,
        problems: &[],
        word_count: 1,
        status: ArticleStatus::Published,
        published_at: Some(published_at),
        scheduled_for: None,
    };
    db.create_article(&w, published_at).await.unwrap().id
}

/// `n` distinct readers (and their network rows, which must not count) read `id` at `at`.
async fn reads(db: &Db, id: i64, n: usize, at: DateTime<Utc>) {
    let mut rows = Vec::new();
    for i in 0..n {
        rows.push((format!("a:reader-{id}-{i}"), id, at));
        rows.push((format!("n:net-{id}-{i}"), id, at));
    }
    db.record_meter_reads(&rows, at - Duration::days(60)).await.unwrap();
}

async fn queued_epub_jobs(db: &Db, issue: i64, profile: EditionProfile) -> usize {
    let mut n = 0;
    while let Some(job) = db.claim_job(Utc::now() + Duration::days(1), Duration::minutes(5)).await.unwrap() {
        if job.kind == JOB_EPUB && job.payload == epub_job_payload(issue, profile) {
            n += 1;
        }
        db.complete_job(job.id, Utc::now()).await.unwrap();
    }
    n
}

#[tokio::test]
async fn a_week_becomes_an_issue() {
    for t in testing::all().await {
        let db = &t.db;
        let b = t.backend;
        db.upsert_tag(TagKind::Section, "europe", "Europe", "").await.unwrap();
        db.upsert_tag(TagKind::Section, "asia", "Asia", "").await.unwrap();
        let monday = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
        assert_eq!(week_start(monday + Duration::days(3)), monday);
        let next_monday = monday + Duration::days(7);
        let hot = article(db, "hot", Some("europe"), monday + Duration::hours(5)).await;
        let warm = article(db, "warm", Some("asia"), monday + Duration::hours(6)).await;
        let cold = article(db, "cold", Some("europe"), monday + Duration::hours(7)).await;
        let picked = article(db, "picked", Some("asia"), monday - Duration::days(3)).await;
        let last_week = article(db, "last-week", None, monday - Duration::days(5)).await;
        let next_week = article(db, "next-week", None, next_monday + Duration::hours(1)).await;
        reads(db, hot, 5, monday + Duration::days(1)).await;
        reads(db, warm, 3, monday + Duration::days(2)).await;
        reads(db, cold, 1, monday + Duration::days(2)).await;
        // Reads outside the week do not count for it.
        reads(db, last_week, 9, monday - Duration::days(1)).await;
        reads(db, next_week, 9, next_monday + Duration::hours(2)).await;
        db.pick_article(picked, None, monday + Duration::days(1)).await.unwrap();
        db.pick_article(picked, None, monday + Duration::days(2)).await.unwrap();
        assert_eq!(db.picks().await.unwrap().len(), 1, "{b}: a pick is one row");

        assert!(db.any_published_between(monday, next_monday).await.unwrap());
        assert!(!db.any_published_between(next_monday + Duration::days(1), next_monday + Duration::days(2)).await.unwrap());
        let rules = ProposalRules { most_read: 2, size: 4 };
        let c = db.issue_candidates(monday, next_monday, rules, None).await.unwrap();
        let got: Vec<(i64, IssueSource, i64)> = c.iter().map(|c| (c.article_id, c.source, c.reads)).collect();
        assert_eq!(
            got,
            vec![(picked, IssueSource::Pick, 0), (hot, IssueSource::MostRead, 5), (warm, IssueSource::MostRead, 3), (cold, IssueSource::Latest, 0)],
            "{b}: picks, then the most read by distinct readers, then the week's newest"
        );
        assert_eq!(c[1].section, "Europe");

        let issue = db.create_issue(monday, "The week of March 2", &c, monday + Duration::days(7)).await.unwrap();
        assert_eq!((issue.status, issue.number, issue.revision), (IssueStatus::Draft, None, 1), "{b}");
        assert!(matches!(db.create_issue(monday, "again", &c, monday).await.unwrap_err(), DbError::Conflict(_)), "{b}: one issue a week");
        // Grouped by section in the order their best article ranks: Asia (the pick), then Europe.
        let items = db.issue_articles(issue.id).await.unwrap();
        let order: Vec<(i64, &str)> = items.iter().map(|i| (i.article_id, i.section.as_str())).collect();
        assert_eq!(order, vec![(picked, "Asia"), (warm, "Asia"), (hot, "Europe"), (cold, "Europe")], "{b}");

        // Curation persists: move, re-section, remove, add.
        let now = monday + Duration::days(8);
        db.curate_issue(issue.id, &Curation::Move { article_id: hot, by: -2 }, now).await.unwrap();
        db.curate_issue(issue.id, &Curation::Section { article_id: hot, section: "  Cover story ".into() }, now).await.unwrap();
        db.curate_issue(issue.id, &Curation::Remove { article_id: cold }, now).await.unwrap();
        db.curate_issue(issue.id, &Curation::Add { article_id: last_week, section: "Also".into() }, now).await.unwrap();
        let dup = db.curate_issue(issue.id, &Curation::Add { article_id: warm, section: String::new() }, now).await.unwrap_err();
        assert!(matches!(dup, DbError::Conflict(_)), "{b}: {dup}");
        assert!(matches!(db.curate_issue(issue.id, &Curation::Remove { article_id: cold }, now).await.unwrap_err(), DbError::NotFound));
        let items = db.issue_articles(issue.id).await.unwrap();
        let order: Vec<(i64, &str, IssueSource)> = items.iter().map(|i| (i.article_id, i.section.as_str(), i.source)).collect();
        assert_eq!(
            order,
            vec![(hot, "Cover story", IssueSource::MostRead), (picked, "Asia", IssueSource::Pick), (warm, "Asia", IssueSource::MostRead), (last_week, "Also", IssueSource::Editor)],
            "{b}"
        );
        assert_eq!(items.iter().map(|i| i.position).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
        // Moving past either end stops there.
        db.curate_issue(issue.id, &Curation::Move { article_id: last_week, by: 5 }, now).await.unwrap();
        assert_eq!(db.issue_articles(issue.id).await.unwrap().last().map(|i| i.article_id), Some(last_week));

        let letter = vec![Block { kind: BlockKind::Paragraph, html: "<p>Dear reader</p>".into(), text: "Dear reader".into() }];
        let text = IssueText { title: "Borders", cover_media_key: Some("abc"), cover_line: "Where trade stops", letter_markdown: "Dear reader", letter_blocks: &letter };
        let saved = db.update_issue_text(issue.id, &text, now).await.unwrap();
        assert_eq!((saved.title.as_str(), saved.cover_media_key.as_deref(), saved.letter_blocks.clone()), ("Borders", Some("abc"), letter.clone()));
        assert!(saved.revision > issue.revision);
        // Drafts queue no builds.
        assert_eq!(queued_epub_jobs(db, issue.id, EditionProfile::ALL[0]).await, 0, "{b}");

        let published = db.publish_issue(issue.id, now).await.unwrap();
        assert_eq!((published.status, published.number), (IssueStatus::Published, Some(1)), "{b}");
        assert_eq!(db.published_issue(1).await.unwrap().map(|i| i.id), Some(issue.id));
        assert_eq!(queued_epub_jobs(db, issue.id, EditionProfile::ALL[0]).await, 1, "{b}: publishing queued the EPUB");
        assert!(matches!(db.delete_draft_issue(issue.id).await.unwrap_err(), DbError::Conflict(_)));

        // Articles in a published issue are not proposed again; picks used are gone.
        assert!(db.picks().await.unwrap().is_empty(), "{b}");
        let next = db.issue_candidates(monday, next_monday, rules, None).await.unwrap();
        assert_eq!(next.iter().map(|c| c.article_id).collect::<Vec<_>>(), vec![cold], "{b}");
        // The next issue gets the next number.
        let second = db.create_issue(next_monday, "Next", &db.issue_candidates(next_monday, next_monday + Duration::days(7), rules, None).await.unwrap(), now).await.unwrap();
        assert_eq!(db.issue_articles(second.id).await.unwrap().iter().map(|i| i.article_id).collect::<Vec<_>>(), vec![next_week]);
        assert_eq!(db.publish_issue(second.id, now).await.unwrap().number, Some(2));
        let back = db.published_issues(10, 0).await.unwrap();
        assert_eq!((back.total, back.items.iter().map(|i| i.number).collect::<Vec<_>>()), (2, vec![Some(2), Some(1)]), "{b}");
        let empty = db.create_issue(next_monday + Duration::days(7), "Empty", &[], now).await.unwrap();
        assert!(matches!(db.publish_issue(empty.id, now).await.unwrap_err(), DbError::Conflict(_)), "{b}: nothing to publish");
        db.delete_draft_issue(empty.id).await.unwrap();

        // EPUB records: a build, a failure that keeps the file, a rebuild.
        let full = EditionProfile::ALL[0];
        let limited = EditionProfile::parse("limited").unwrap();
        let contents = vec![Included { article: hot, blocks: 1 }];
        let built = EpubBuilt { issue_id: issue.id, profile: full, file_name: "issue-1-full.epub", contents: &contents, bytes: 1234, revision: published.revision, build_ms: 40 };
        db.record_epub_built(&built, now).await.unwrap();
        db.record_epub_failed(issue.id, full, "cover image missing", now + Duration::minutes(1)).await.unwrap();
        let files = db.epub_files(issue.id).await.unwrap();
        assert_eq!(files.len(), 1);
        let f = &files[0];
        assert_eq!((f.file_name.as_deref(), f.contents.clone(), f.bytes, f.last_error.as_deref()), (Some("issue-1-full.epub"), contents.clone(), 1234, Some("cover image missing")), "{b}");
        db.record_epub_built(&EpubBuilt { bytes: 999, ..built }, now + Duration::minutes(2)).await.unwrap();
        let f = db.epub_files(issue.id).await.unwrap().remove(0);
        assert_eq!((f.bytes, f.last_error, f.failed_at), (999, None, None), "{b}: a good build clears the failure");

        // Asking for another profile records it once and queues one build;
        // later changes rebuild it along with the full one.
        db.request_epub(issue.id, limited, now).await.unwrap();
        db.request_epub(issue.id, limited, now).await.unwrap();
        assert_eq!(queued_epub_jobs(db, issue.id, limited).await, 1, "{b}");
        assert_eq!(db.epub_files(issue.id).await.unwrap().len(), 2);
        db.curate_issue(issue.id, &Curation::Move { article_id: hot, by: 1 }, now).await.unwrap();
        db.curate_issue(issue.id, &Curation::Move { article_id: hot, by: -1 }, now).await.unwrap();
        let mut both = 0;
        while let Some(job) = db.claim_job(Utc::now() + Duration::days(1), Duration::minutes(5)).await.unwrap() {
            assert_eq!(job.kind, JOB_EPUB);
            both += 1;
            db.complete_job(job.id, Utc::now()).await.unwrap();
        }
        assert_eq!(both, 2, "{b}: two changes, one queued rebuild per profile");
        t.cleanup().await;
    }
}
