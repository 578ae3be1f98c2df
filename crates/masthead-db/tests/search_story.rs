//! The search conformance test: one fixed corpus, the same expectations on
//! SQLite (FTS5) and PostgreSQL (tsvector): relevance, phrases, prefixes,
//! exclusions, filters and their counts, pagination, hostile queries,
//! indexing as articles change, and snippets that never quote text the
//! searcher may not read.

use chrono::{DateTime, Duration, TimeZone, Utc};
use masthead_core::search::{parse_query, Searcher};
use masthead_core::{
    AccessLevel, ArticleDraft, ArticleStatus, Benefit, Block, BlockKind, Entitlements, MeterPolicy, Provenance, ReaderFacts,
    TagKind,
};
use masthead_db::search::{Reindex, SearchFilters, SearchOrder, SearchRequest, SearchResults, JOB_REINDEX};
use masthead_db::{testing, ArticleWrite, Db};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 30, 0).unwrap()
}

fn policy() -> MeterPolicy {
    MeterPolicy { preview_blocks: 3, archive_after_days: Some(365), ..MeterPolicy::default() }
}

/// A word only block `i` of `slug` holds: if it shows up, that block leaked.
fn marker(slug: &str, i: usize) -> String {
    format!("sekret{}{i}", slug.replace('-', ""))
}

struct Piece {
    slug: &'static str,
    headline: &'static str,
    standfirst: &'static str,
    body: Vec<String>,
    access: AccessLevel,
    published: DateTime<Utc>,
    section: &'static str,
    topics: &'static [&'static str],
    regions: &'static [&'static str],
    authors: &'static [&'static str],
    source: Option<(&'static str, &'static str)>,
}

/// Body blocks: the given opening paragraphs, then paragraphs each carrying
/// its own marker, so a leak names the block it came from.
fn body(opening: &[&str], slug: &str) -> Vec<String> {
    let mut v: Vec<String> = opening.iter().map(|s| s.to_string()).collect();
    while v.len() < 8 {
        let i = v.len();
        v.push(format!("Paragraph {i} adds detail about the harbour and {}.", marker(slug, i)));
    }
    v
}

fn corpus() -> Vec<Piece> {
    let mut v = vec![
        Piece {
            slug: "glacier-retreat",
            headline: "The Glaciers of the Andes Are Retreating Faster",
            standfirst: "Scientists in Peru measured the ice and did not like what they found.",
            body: body(&["High above Huaraz, the glacier has lost a third of its mass in a decade.", "Farmers downstream depend on the meltwater."], "glacier-retreat"),
            access: AccessLevel::Free,
            published: at(2026, 3, 10),
            section: "world",
            topics: &["climate"],
            regions: &["latin-america"],
            authors: &["anna-kowal"],
            source: Some(("El Diario Andino", "es")),
        },
        Piece {
            slug: "grain-deal",
            headline: "Black Sea Grain Deal Collapses Again",
            standfirst: "Ports in Odesa fall quiet as shipping insurers walk away.",
            body: body(&["The grain deal that kept exports moving through the war has collapsed.", "Traders expect prices to rise."], "grain-deal"),
            access: AccessLevel::Metered,
            published: at(2026, 6, 1),
            section: "world",
            topics: &["war-in-ukraine", "economy"],
            regions: &["europe"],
            authors: &["li-wei"],
            source: Some(("Kyivska Pravda", "uk")),
        },
        Piece {
            slug: "bread-prices",
            headline: "Bread Costs Rise as Grain Prices Climb",
            standfirst: "In Nairobi, bakers say no deal is in sight.",
            body: body(&["A deal on wheat imports would help, bakers say, but grain keeps getting dearer.", "Flour mills have cut shifts."], "bread-prices"),
            access: AccessLevel::Free,
            published: at(2025, 12, 1),
            section: "business",
            topics: &["economy"],
            regions: &["africa"],
            authors: &["anna-kowal"],
            source: None,
        },
        Piece {
            slug: "exporters-tariffs",
            headline: "Exporters Struggle With New Tariffs",
            standfirst: "Japanese carmakers weigh moving production.",
            body: body(&["Osaka's parts makers fear the tariffs will last.", "Some have already moved lines abroad."], "exporters-tariffs"),
            access: AccessLevel::SubscribersOnly,
            published: at(2026, 9, 15),
            section: "business",
            topics: &["economy"],
            regions: &["asia"],
            authors: &["li-wei"],
            source: Some(("Nikkei Shimbun Weekly", "ja")),
        },
        Piece {
            slug: "flood-remembered",
            headline: "The Flood of the Century, Remembered",
            standfirst: "Twenty years on, a river town counts what it lost.",
            body: body(&["The water rose in the night.", "Neighbours rowed from house to house."], "flood-remembered"),
            access: AccessLevel::Free,
            published: at(2024, 5, 17),
            section: "world",
            topics: &["climate"],
            regions: &["europe"],
            authors: &["anna-kowal"],
            source: Some(("Dresdner Abendblatt", "de")),
        },
        Piece {
            slug: "members-briefing",
            headline: "What the Harbour Strike Means",
            standfirst: "A briefing for members.",
            body: body(&["Dockers walked out on Monday.", "The port authority called it illegal."], "members-briefing"),
            access: AccessLevel::SubscribersOnly,
            published: at(2026, 11, 20),
            section: "business",
            topics: &["economy"],
            regions: &["europe"],
            authors: &["li-wei"],
            source: None,
        },
    ];
    for n in 0..25u32 {
        v.push(Piece {
            slug: Box::leak(format!("council-{n}").into_boxed_str()),
            headline: Box::leak(format!("Council Meeting Number {n}").into_boxed_str()),
            standfirst: "Routine business.",
            body: vec![format!("The council discussed potholes for the {n}th time."), "Nothing was decided.".into()],
            access: AccessLevel::Free,
            published: at(2026, 1, 1) + Duration::days(i64::from(n)),
            section: "local",
            topics: &["city-hall"],
            regions: &["europe"],
            authors: &[],
            source: None,
        });
    }
    v
}

async fn seed(db: &Db) -> Vec<(i64, &'static str)> {
    for (slug, name) in [("world", "World"), ("business", "Business"), ("local", "Local")] {
        db.upsert_tag(TagKind::Section, slug, name, "").await.unwrap();
    }
    for (slug, name) in [("climate", "Climate"), ("war-in-ukraine", "War in Ukraine"), ("economy", "Economy"), ("city-hall", "City Hall")] {
        db.upsert_tag(TagKind::Topic, slug, name, "").await.unwrap();
    }
    for (slug, name) in [("latin-america", "Latin America"), ("europe", "Europe"), ("africa", "Africa"), ("asia", "Asia")] {
        db.upsert_tag(TagKind::Region, slug, name, "").await.unwrap();
    }
    db.upsert_author("anna-kowal", "Anna Kowal", "", "").await.unwrap();
    db.upsert_author("li-wei", "Li Wei", "", "").await.unwrap();
    let mut ids = Vec::new();
    for p in corpus() {
        let draft = ArticleDraft {
            headline: p.headline.into(),
            slug: Some(p.slug.into()),
            standfirst: p.standfirst.into(),
            access: p.access,
            section: Some(p.section.into()),
            topics: p.topics.iter().map(|s| s.to_string()).collect(),
            regions: p.regions.iter().map(|s| s.to_string()).collect(),
            authors: p.authors.iter().map(|s| s.to_string()).collect(),
            provenance: p.source.map(|(publication, language)| Provenance {
                publication: publication.into(),
                language: language.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let blocks: Vec<Block> =
            p.body.iter().map(|t| Block { kind: BlockKind::Paragraph, html: format!("<p>{t}</p>"), text: t.clone() }).collect();
        let w = ArticleWrite {
            draft: &draft,
            slug: p.slug.into(),
            blocks: &blocks,
            problems: &[],
            word_count: 100,
            status: ArticleStatus::Published,
            published_at: Some(p.published),
            scheduled_for: None,
        };
        let a = db.create_article(&w, p.published).await.unwrap();
        ids.push((a.id, p.slug));
    }
    ids
}

/// Runs the queued reindex jobs, as the worker would.
async fn run_reindex_jobs(db: &Db) -> usize {
    let mut n = 0;
    while let Some(job) = db.claim_job(now() + Duration::days(1), Duration::minutes(5)).await.unwrap() {
        assert_eq!(job.kind, JOB_REINDEX);
        match serde_json::from_str::<Reindex>(&job.payload).unwrap() {
            Reindex::Article { article_id } => {
                db.index_article(article_id, &policy(), now()).await.unwrap();
            }
            Reindex::All { after } => {
                db.reindex_batch(after, 1000, &policy(), now()).await.unwrap();
            }
        }
        db.complete_job(job.id, now()).await.unwrap();
        n += 1;
    }
    n
}

fn anonymous() -> Searcher {
    Searcher::new(&ReaderFacts::default(), &policy(), now())
}

/// Full access, but not to the archive.
fn subscriber() -> Searcher {
    let r = ReaderFacts { registered: true, entitlements: Entitlements::of(&[Benefit::FullAccess]), ..Default::default() };
    Searcher::new(&r, &policy(), now())
}

fn archivist() -> Searcher {
    let r = ReaderFacts { registered: true, entitlements: Entitlements::all(), ..Default::default() };
    Searcher::new(&r, &policy(), now())
}

async fn search(db: &Db, who: &Searcher, q: &str, filters: SearchFilters, limit: i64, offset: i64, order: SearchOrder) -> SearchResults {
    let query = parse_query(q);
    let req = SearchRequest { query: &query, filters: &filters, order, searcher: who, limit, offset };
    db.search(&req).await.unwrap_or_else(|e| panic!("search {q:?}: {e}"))
}

async fn slugs(db: &Db, who: &Searcher, q: &str, filters: SearchFilters) -> Vec<String> {
    search(db, who, q, filters, 20, 0, SearchOrder::Relevance).await.hits.into_iter().map(|h| h.teaser.slug).collect()
}

fn text_of(r: &SearchResults) -> String {
    r.hits.iter().flat_map(|h| h.snippet.iter().chain(h.headline.iter())).map(|f| f.text.as_str()).collect::<Vec<_>>().join(" ")
}

async fn story(db: &Db, backend: &str) {
    let ids = seed(db).await;
    assert_eq!(db.indexed_count().await.unwrap(), 0, "{backend}: indexing waits for the worker");
    let queued = run_reindex_jobs(db).await;
    assert_eq!(queued, ids.len(), "{backend}: one reindex job per saved article");
    assert_eq!(db.indexed_count().await.unwrap(), ids.len() as i64);
    let anon = anonymous();
    let none = SearchFilters::default;

    // Relevance: the article about the thing comes first.
    let s = slugs(db, &anon, "glacier", none()).await;
    assert_eq!(s.first().map(String::as_str), Some("glacier-retreat"), "{backend}: {s:?}");
    let s = slugs(db, &anon, "glaciers andes", none()).await;
    assert_eq!(s, ["glacier-retreat"], "{backend}: stemming");
    let s = slugs(db, &anon, "grain", none()).await;
    assert_eq!(s.len(), 2, "{backend}: {s:?}");
    assert_eq!(s[0], "grain-deal", "{backend}: the headline match ranks first: {s:?}");
    let s = slugs(db, &anon, "strike harbour", none()).await;
    assert_eq!(s.first().map(String::as_str), Some("members-briefing"), "{backend}: {s:?}");

    // Phrases, prefixes, exclusions, alternatives.
    assert_eq!(slugs(db, &anon, "\"grain deal\"", none()).await, ["grain-deal"], "{backend}");
    let mut s = slugs(db, &anon, "export*", none()).await;
    s.sort();
    assert_eq!(s, ["exporters-tariffs", "grain-deal"], "{backend}: prefix");
    assert_eq!(slugs(db, &anon, "grain -bread", none()).await, ["grain-deal"], "{backend}: exclusion");
    let mut s = slugs(db, &anon, "glacier OR tariffs", none()).await;
    s.sort();
    assert_eq!(s, ["exporters-tariffs", "glacier-retreat"], "{backend}: either");
    assert_eq!(slugs(db, &anon, "kowal flood", none()).await, ["flood-remembered"], "{backend}: bylines are searchable");
    assert_eq!(slugs(db, &anon, "pravda", none()).await, ["grain-deal"], "{backend}: so is the source publication");

    // Filters and counts.
    let f = |topic: Option<&str>, region: Option<&str>, year: Option<i32>| SearchFilters {
        topic: topic.map(String::from),
        region: region.map(String::from),
        year,
        ..Default::default()
    };
    assert_eq!(slugs(db, &anon, "grain", f(None, Some("africa"), None)).await, ["bread-prices"], "{backend}");
    assert_eq!(slugs(db, &anon, "grain", f(Some("war-in-ukraine"), None, None)).await, ["grain-deal"], "{backend}");
    assert_eq!(slugs(db, &anon, "grain", f(None, None, Some(2025))).await, ["bread-prices"], "{backend}");
    assert!(slugs(db, &anon, "grain", f(Some("climate"), None, None)).await.is_empty(), "{backend}");
    let by = |k: &str, v: &str| match k {
        "section" => SearchFilters { section: Some(v.into()), ..Default::default() },
        "author" => SearchFilters { author: Some(v.into()), ..Default::default() },
        "publication" => SearchFilters { publication: Some(v.into()), ..Default::default() },
        _ => SearchFilters { language: Some(v.into()), ..Default::default() },
    };
    assert_eq!(slugs(db, &anon, "grain", by("section", "business")).await, ["bread-prices"], "{backend}");
    assert_eq!(slugs(db, &anon, "grain", by("author", "li-wei")).await, ["grain-deal"], "{backend}");
    assert_eq!(slugs(db, &anon, "grain", by("publication", "Kyivska Pravda")).await, ["grain-deal"], "{backend}");
    assert_eq!(slugs(db, &anon, "grain", by("language", "uk")).await, ["grain-deal"], "{backend}");

    let r = search(db, &anon, "grain", none(), 20, 0, SearchOrder::Relevance).await;
    assert_eq!(r.total, 2);
    let counts = |v: &[masthead_db::search::FacetValue]| v.iter().map(|x| (x.key.clone(), x.count)).collect::<Vec<_>>();
    assert_eq!(counts(&r.facets.topic), [("economy".to_string(), 2), ("war-in-ukraine".to_string(), 1)], "{backend}");
    assert_eq!(r.facets.topic[0].label, "Economy");
    let mut regions = counts(&r.facets.region);
    regions.sort();
    assert_eq!(regions, [("africa".to_string(), 1), ("europe".to_string(), 1)], "{backend}");
    let mut sections = counts(&r.facets.section);
    sections.sort();
    assert_eq!(sections, [("business".to_string(), 1), ("world".to_string(), 1)], "{backend}");
    let mut authors = counts(&r.facets.author);
    authors.sort();
    assert_eq!(authors, [("anna-kowal".to_string(), 1), ("li-wei".to_string(), 1)], "{backend}");
    assert_eq!(counts(&r.facets.publication), [("Kyivska Pravda".to_string(), 1)], "{backend}");
    assert_eq!(counts(&r.facets.language), [("uk".to_string(), 1)], "{backend}");
    assert_eq!(r.facets.language[0].label, "Ukrainian");
    assert_eq!(counts(&r.facets.year), [("2026".to_string(), 1), ("2025".to_string(), 1)], "{backend}: newest year first");

    // Pagination: every result once, in a stable order, with the total.
    let mut seen = Vec::new();
    for (page, expect) in [(0, 10), (1, 10), (2, 5), (3, 0)] {
        let r = search(db, &anon, "potholes", none(), 10, page * 10, SearchOrder::Relevance).await;
        assert_eq!(r.total, 25, "{backend}");
        assert_eq!(r.hits.len(), expect, "{backend}: page {page}");
        seen.extend(r.hits.into_iter().map(|h| h.teaser.slug));
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 25, "{backend}: no result twice across pages");
    let newest = search(db, &anon, "potholes", none(), 3, 0, SearchOrder::Newest).await;
    let s: Vec<_> = newest.hits.iter().map(|h| h.teaser.slug.as_str()).collect();
    assert_eq!(s, ["council-24", "council-23", "council-22"], "{backend}");

    // Snippets: drawn from the text, with the query's words marked.
    let r = search(db, &anon, "meltwater", none(), 20, 0, SearchOrder::Relevance).await;
    let marked: Vec<&str> = r.hits[0].snippet.iter().filter(|f| f.hit).map(|f| f.text.as_str()).collect();
    assert_eq!(marked, ["meltwater"], "{backend}");
    let r = search(db, &anon, "glaciers", none(), 20, 0, SearchOrder::Relevance).await;
    let head: Vec<&str> = r.hits[0].headline.iter().filter(|f| f.hit).map(|f| f.text.as_str()).collect();
    assert_eq!(head, ["Glaciers"], "{backend}");

    // What each searcher may be found by and quoted: the gated blocks.
    let gated: [(&str, &Searcher, &[&str]); 3] = [
        ("anonymous", &anon, &["grain-deal", "exporters-tariffs", "flood-remembered", "members-briefing"]),
        ("subscriber without archives", &subscriber(), &["flood-remembered"]),
        ("subscriber with archives", &archivist(), &[]),
    ];
    for (who, searcher, hidden) in gated {
        let ctx = format!("{backend} / {who}");
        for q in ["harbour", "paragraph detail", "grain", "flood", "tariffs", "strike", "sekret*"] {
            let r = search(db, searcher, q, none(), 50, 0, SearchOrder::Relevance).await;
            let text = text_of(&r);
            for slug in hidden {
                for i in 3..8 {
                    assert!(!text.contains(&marker(slug, i)), "{ctx}: {q:?} quoted gated block {i} of {slug}");
                }
            }
        }
        for slug in corpus().iter().map(|p| p.slug).filter(|s| !s.starts_with("council")) {
            let found = slugs(db, searcher, &marker(slug, 5), none()).await;
            if hidden.contains(&slug) {
                assert!(found.is_empty(), "{ctx}: {slug} was found by a word in a block its reader may not read");
            } else {
                assert_eq!(found, [slug], "{ctx}: readable text is searchable");
                let r = search(db, searcher, &marker(slug, 5), none(), 5, 0, SearchOrder::Relevance).await;
                assert!(r.hits[0].snippet.iter().any(|f| f.hit && f.text == marker(slug, 5)), "{ctx}: quoted where it may read");
            }
        }
    }
    // The opening blocks are everyone's: found and quoted for anonymous readers too.
    let r = search(db, &anon, &marker("members-briefing", 2), none(), 5, 0, SearchOrder::Relevance).await;
    assert_eq!(r.hits.len(), 1, "{backend}");
    assert!(!text_of(&r).contains(&marker("members-briefing", 3)), "{backend}");

    // Hostile input is read as text: no error, some results or none.
    let long = "tariffs ".repeat(700);
    let unicode = "Zürich «Харків» 北京 naïve 🚀 \u{202e} İstanbul e\u{301}";
    for q in [
        "\"", "\"grain", "grain\"", "AND", "OR", "NOT", "( )", "*", ":", "^", "-", "-grain", "NOT grain", "grain AND OR NOT ( ) * : ^ -",
        "headline:grain", "{headline}: grain", "NEAR(grain deal)", "grain*\"*", "'; DROP TABLE articles; --", "a\\b", "%_", long.as_str(), unicode,
    ] {
        for who in [&anon, &archivist()] {
            let query = parse_query(q);
            let filters = SearchFilters::default();
            let req = SearchRequest { query: &query, filters: &filters, order: SearchOrder::Relevance, searcher: who, limit: 10, offset: 0 };
            if let Err(e) = db.search(&req).await {
                panic!("{backend}: {q:?} failed: {e}");
            }
        }
    }
    assert_eq!(slugs(db, &anon, &long, none()).await, ["exporters-tariffs"], "{backend}");

    // The index follows the articles: edits, unpublishing and deletion.
    let (glacier_id, _) = *ids.iter().find(|(_, s)| *s == "glacier-retreat").unwrap();
    let mut a = db.article_by_id(glacier_id).await.unwrap();
    let draft = ArticleDraft {
        headline: "Andean Ice Fields Shrink".into(),
        slug: Some(a.slug.clone()),
        standfirst: a.standfirst.clone(),
        access: a.access,
        section: a.section.as_ref().map(|s| s.slug.clone()),
        ..Default::default()
    };
    let blocks = std::mem::take(&mut a.blocks);
    let write = |status| ArticleWrite {
        draft: &draft,
        slug: a.slug.clone(),
        blocks: &blocks,
        problems: &[],
        word_count: 100,
        status,
        published_at: a.published_at,
        scheduled_for: None,
    };
    db.update_article(glacier_id, None, &write(ArticleStatus::Published), now()).await.unwrap();
    db.update_article(glacier_id, None, &write(ArticleStatus::Published), now()).await.unwrap();
    assert_eq!(run_reindex_jobs(db).await, 1, "{backend}: saves queue one job while one waits");
    assert_eq!(slugs(db, &anon, "shrink", none()).await, ["glacier-retreat"], "{backend}");
    assert!(slugs(db, &anon, "retreating", none()).await.is_empty(), "{backend}: the old headline is gone");
    db.update_article(glacier_id, None, &write(ArticleStatus::Draft), now()).await.unwrap();
    run_reindex_jobs(db).await;
    assert!(slugs(db, &anon, "meltwater", none()).await.is_empty(), "{backend}: drafts are not searchable");
    assert_eq!(db.indexed_count().await.unwrap(), ids.len() as i64 - 1);
    let (bread_id, _) = *ids.iter().find(|(_, s)| *s == "bread-prices").unwrap();
    db.delete_article(bread_id).await.unwrap();
    assert_eq!(db.indexed_count().await.unwrap(), ids.len() as i64 - 2, "{backend}: deleting removes it at once");
    assert_eq!(slugs(db, &anon, "grain", none()).await, ["grain-deal"], "{backend}");
    // Running a job again changes nothing; a rebuild reaches everything.
    db.index_article(bread_id, &policy(), now()).await.unwrap();
    assert_eq!(db.indexed_count().await.unwrap(), ids.len() as i64 - 2);
    db.queue_reindex(Reindex::All { after: 0 }, now()).await.unwrap();
    db.queue_reindex(Reindex::All { after: 0 }, now()).await.unwrap();
    assert_eq!(run_reindex_jobs(db).await, 1, "{backend}");
    assert_eq!(db.indexed_count().await.unwrap(), ids.len() as i64 - 2);
    assert_eq!(slugs(db, &anon, "grain", none()).await, ["grain-deal"], "{backend}");

    // A scheduled article is indexed early, and found once it is published,
    // with no reindex in between.
    let draft = ArticleDraft { headline: "Zeppelin Returns".into(), slug: Some("zeppelin".into()), access: AccessLevel::Free, ..Default::default() };
    let w = ArticleWrite {
        draft: &draft,
        slug: "zeppelin".into(),
        blocks: &[],
        problems: &[],
        word_count: 1,
        status: ArticleStatus::Scheduled,
        published_at: None,
        scheduled_for: Some(now() - Duration::hours(1)),
    };
    db.create_article(&w, now() - Duration::days(1)).await.unwrap();
    run_reindex_jobs(db).await;
    assert!(slugs(db, &anon, "zeppelin", none()).await.is_empty(), "{backend}: not before it is published");
    db.publish_due(now()).await.unwrap();
    assert_eq!(slugs(db, &anon, "zeppelin", none()).await, ["zeppelin"], "{backend}");
}

#[tokio::test]
async fn search_conforms_on_every_backend() {
    for t in testing::all().await {
        story(&t.db, t.backend).await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_archive_counts_by_year_month_and_day() {
    for t in testing::all().await {
        let db = &t.db;
        seed(db).await;
        let backend = t.backend;
        let years = db.archive_counts('Y', at(1900, 1, 1), at(3000, 1, 1), now()).await.unwrap();
        let y: Vec<(u32, i64)> = years.iter().map(|c| (c.value, c.count)).collect();
        assert_eq!(y, [(2024, 1), (2025, 1), (2026, 29)], "{backend}");
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let months: Vec<(u32, i64)> = db.archive_counts('M', from, to, now()).await.unwrap().iter().map(|c| (c.value, c.count)).collect();
        assert_eq!(months, [(1, 25), (3, 1), (6, 1), (9, 1), (11, 1)], "{backend}");
        let jan_end = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
        let days = db.archive_counts('D', from, jan_end, now()).await.unwrap();
        assert_eq!(days.len(), 25, "{backend}");
        assert_eq!((days[0].value, days[0].count), (1, 1));
        let day = db.archive_page(at(2026, 1, 3) - Duration::hours(9), at(2026, 1, 4) - Duration::hours(9), now(), 10, 0).await.unwrap();
        assert_eq!(day.items.iter().map(|t| t.slug.as_str()).collect::<Vec<_>>(), ["council-2"], "{backend}");
        let page = db.archive_page(from, jan_end, now(), 10, 20).await.unwrap();
        assert_eq!((page.total, page.items.len()), (25, 5), "{backend}");
        assert_eq!(page.items[0].slug, "council-20", "{backend}: oldest first");
        t.cleanup().await;
    }
}
