//! Search latency over a large generated archive, on either backend.
//!
//! `cargo run --release -p masthead-db --example search_bench -- URL [ARTICLES] [ROUNDS]`
//!
//! Fills an empty database at URL (`sqlite:PATH` or `postgres://...`) with
//! ARTICLES generated articles (default 100,000; a database that already
//! holds them is reused), indexes them as the search.reindex job does, then
//! times `Db::search` — the whole call the search page makes: matching,
//! ranking, facet counts, one page of teasers and snippets — for a mix of
//! queries, as an anonymous reader and as a subscriber with every benefit.
//! Prints p50/p99 per query kind and overall, as Markdown table rows.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use masthead_core::search::{parse_query, Searcher};
use masthead_core::{AccessLevel, Block, BlockKind, Entitlements, MeterPolicy, Provenance, ReaderFacts, TagKind};
use masthead_db::search::{SearchFilters, SearchOrder, SearchRequest};
use masthead_db::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TOPICS: usize = 24;
const REGIONS: usize = 12;
const SECTIONS: usize = 6;
const AUTHORS: usize = 60;
const PUBLICATIONS: [(&str, &str); 8] = [
    ("Kyivska Pravda", "uk"),
    ("Nikkei Shimbun Weekly", "ja"),
    ("El Diario Andino", "es"),
    ("Dresdner Abendblatt", "de"),
    ("Le Courrier du Sud", "fr"),
    ("Gazeta Polska Codzienna", "pl"),
    ("Folha do Norte", "pt"),
    ("Heilongjiang Evening Courier", "zh"),
];

/// Words people search for, spread through the corpus at different rates.
const NEWS_WORDS: [&str; 40] = [
    "election", "ceasefire", "inflation", "refugees", "drought", "harbour", "pipeline", "tariffs", "protest", "parliament",
    "border", "grain", "hospital", "strike", "minister", "energy", "glacier", "currency", "court", "wildfire",
    "earthquake", "shipping", "vaccine", "pension", "corruption", "coal", "railway", "satellite", "fishermen", "embassy",
    "sanctions", "mayor", "budget", "festival", "drone", "flood", "teachers", "copper", "nuclear", "migrants",
];

/// A pseudo-word for vocabulary rank `i`: deterministic, pronounceable.
fn word(i: usize) -> String {
    const SYL: [&str; 16] = ["ka", "lo", "mi", "ren", "to", "sa", "vel", "du", "ne", "ri", "po", "gan", "te", "mor", "li", "zu"];
    let mut n = i + 17;
    let mut w = String::new();
    while n > 0 {
        w.push_str(SYL[n % 16]);
        n /= 16;
    }
    w
}

/// Zipf-like rank over a vocabulary of `v` words.
fn zipf(rng: &mut StdRng, v: usize) -> usize {
    let u: f64 = rng.gen();
    ((v as f64).powf(u) as usize).saturating_sub(1).min(v - 1)
}

fn sentence(rng: &mut StdRng, words: usize) -> String {
    let mut out = Vec::with_capacity(words);
    for _ in 0..words {
        if rng.gen_ratio(1, 12) {
            out.push(NEWS_WORDS[zipf(rng, NEWS_WORDS.len())].to_string());
        } else {
            out.push(word(zipf(rng, 20_000)));
        }
    }
    let mut s = out.join(" ");
    if let Some(first) = s.get(0..1) {
        s.replace_range(0..1, &first.to_uppercase());
    }
    s.push('.');
    s
}

/// One generated article, as rows.
struct Row {
    id: i64,
    headline: String,
    standfirst: String,
    blocks_json: String,
    access: &'static str,
    section: i64,
    provenance_json: Option<String>,
    published: DateTime<Utc>,
    topic: i64,
    region: i64,
    author: i64,
}

fn generate(rng: &mut StdRng, id: i64, ids: &Ids) -> Row {
    let start = Utc.with_ymd_and_hms(2017, 1, 1, 0, 0, 0).single().expect("date");
    let span = (Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("date") - start).num_seconds();
    let blocks: Vec<Block> = (0..8)
        .map(|_| {
            let t = format!("{} {}", sentence(rng, 18), sentence(rng, 18));
            Block { kind: BlockKind::Paragraph, html: String::new(), text: t }
        })
        .collect();
    let access = match rng.gen_range(0..10) {
        0..=2 => AccessLevel::Free,
        3..=7 => AccessLevel::Metered,
        _ => AccessLevel::SubscribersOnly,
    };
    let source = rng.gen_ratio(2, 3).then(|| PUBLICATIONS[rng.gen_range(0..PUBLICATIONS.len())]);
    Row {
        id,
        headline: sentence(rng, 8).trim_end_matches('.').to_string(),
        standfirst: sentence(rng, 20),
        blocks_json: serde_json::to_string(&blocks).expect("json"),
        access: access.as_str(),
        section: ids.sections[rng.gen_range(0..SECTIONS)],
        provenance_json: source.map(|(p, l)| {
            serde_json::to_string(&Provenance { publication: p.into(), language: l.into(), ..Default::default() }).expect("json")
        }),
        published: start + chrono::Duration::seconds(rng.gen_range(0..span)),
        topic: ids.topics[zipf(rng, TOPICS)],
        region: ids.regions[rng.gen_range(0..REGIONS)],
        author: ids.authors[rng.gen_range(0..AUTHORS)],
    }
}

struct Ids {
    topics: Vec<i64>,
    regions: Vec<i64>,
    sections: Vec<i64>,
    authors: Vec<i64>,
}

const BATCH: usize = 500;

/// Writes rows straight into the tables, a batch per statement: the
/// benchmark measures search, not the article editor's save path (which
/// the tests cover). Indexing then goes through the real job code.
macro_rules! insert_batch {
    ($pool:expr, $rows:expr) => {{
        let rows: &[Row] = $rows;
        let mut tx = $pool.begin().await.expect("begin");
        let values: Vec<String> = (0..rows.len())
            .map(|r| {
                let p = |c: usize| format!("${}", r * 9 + c);
                format!(
                    "({}, {}, {}, {}, {}, {}, 'published', {}, {}, {}, {}, {}, 300)",
                    p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), p(9), p(9), p(9)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO articles (id, slug, headline, standfirst, blocks_json, access, status, section_id, provenance_json,
                 published_at, created_at, updated_at, word_count) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q.bind(r.id).bind(format!("a-{}", r.id)).bind(&r.headline).bind(&r.standfirst).bind(&r.blocks_json).bind(r.access)
                .bind(r.section).bind(&r.provenance_json).bind(r.published);
        }
        q.execute(&mut *tx).await.expect("insert articles");
        for (table, col, pick) in [("article_topics", "topic_id", 0), ("article_regions", "region_id", 1), ("article_authors", "author_id", 2)] {
            let values: Vec<String> = (0..rows.len()).map(|r| format!("(${}, ${}, 0)", 2 * r + 1, 2 * r + 2)).collect();
            let sql = format!("INSERT INTO {table} (article_id, {col}, position) VALUES {}", values.join(", "));
            let mut q = sqlx::query(&sql);
            for r in rows {
                let v = match pick { 0 => r.topic, 1 => r.region, _ => r.author };
                q = q.bind(r.id).bind(v);
            }
            q.execute(&mut *tx).await.expect("insert links");
        }
        tx.commit().await.expect("commit");
    }};
}

async fn seed(db: &Db, url: &str, n: usize) {
    let mut ids = Ids { topics: Vec::new(), regions: Vec::new(), sections: Vec::new(), authors: Vec::new() };
    for i in 0..TOPICS {
        ids.topics.push(db.upsert_tag(TagKind::Topic, &format!("topic-{i}"), &format!("Topic {i}"), "").await.expect("topic").id);
    }
    for i in 0..REGIONS {
        ids.regions.push(db.upsert_tag(TagKind::Region, &format!("region-{i}"), &format!("Region {i}"), "").await.expect("region").id);
    }
    for i in 0..SECTIONS {
        ids.sections.push(db.upsert_tag(TagKind::Section, &format!("section-{i}"), &format!("Section {i}"), "").await.expect("section").id);
    }
    for i in 0..AUTHORS {
        ids.authors.push(db.upsert_author(&format!("author-{i}"), &format!("Author {}", word(i)), "", "").await.expect("author").id);
    }
    let mut rng = StdRng::seed_from_u64(7);
    let began = Instant::now();
    let mut next = 1i64;
    let sqlite = url.starts_with("sqlite:");
    let lite = if sqlite { Some(sqlx::SqlitePool::connect(url).await.expect("sqlite")) } else { None };
    let pg = if sqlite { None } else { Some(sqlx::PgPool::connect(url).await.expect("postgres")) };
    while (next as usize) <= n {
        let rows: Vec<Row> = (next..(next + BATCH as i64).min(n as i64 + 1)).map(|id| generate(&mut rng, id, &ids)).collect();
        next += rows.len() as i64;
        match (&lite, &pg) {
            (Some(pool), _) => insert_batch!(pool, &rows),
            (_, Some(pool)) => insert_batch!(pool, &rows),
            _ => unreachable!("one pool is open"),
        }
        if (next - 1) % 10_000 == 0 {
            eprintln!("  {} articles written ({:.0}/s)", next - 1, (next - 1) as f64 / began.elapsed().as_secs_f64());
        }
    }
    if let Some(pool) = &pg {
        sqlx::query("SELECT setval(pg_get_serial_sequence('articles', 'id'), (SELECT MAX(id) FROM articles))").execute(pool).await.expect("setval");
        sqlx::query("ANALYZE").execute(pool).await.expect("analyze");
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).cloned().unwrap_or_else(|| "sqlite:/tmp/masthead-search-bench.db".into());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let backend = format!("{:?}", db.backend());
    let policy = MeterPolicy::default();
    let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).single().expect("date");

    let have = db.count_articles().await.expect("count");
    if have == 0 {
        eprintln!("{backend}: writing {n} articles");
        let t = Instant::now();
        seed(&db, &url, n).await;
        eprintln!("{backend}: wrote {n} articles in {:.0} s", t.elapsed().as_secs_f64());
    } else if have as usize != n {
        eprintln!("{backend}: the database holds {have} articles, not {n}; use an empty one");
        std::process::exit(2);
    }
    if db.indexed_count().await.expect("indexed") < n as i64 {
        eprintln!("{backend}: indexing");
        let t = Instant::now();
        let mut after = 0;
        while let Some(last) = db.reindex_batch(after, 1000, &policy, now).await.expect("reindex") {
            after = last;
        }
        let secs = t.elapsed().as_secs_f64();
        println!("| {backend} | index {n} articles | {secs:.0} s ({:.0} articles/s) |", n as f64 / secs);
    }
    let t = Instant::now();
    db.optimize_search_index().await.expect("optimize");
    eprintln!("{backend}: optimized the index in {:.1} s", t.elapsed().as_secs_f64());

    let anonymous = Searcher::new(&ReaderFacts::default(), &policy, now);
    let subscriber =
        Searcher::new(&ReaderFacts { registered: true, entitlements: Entitlements::all(), ..Default::default() }, &policy, now);
    let topic = SearchFilters { topic: Some("topic-3".into()), ..Default::default() };
    let year = SearchFilters { year: Some(2024), ..Default::default() };
    let none = SearchFilters::default();
    // (kind, query, filters, page offset)
    let cases: Vec<(&str, String, &SearchFilters, i64)> = vec![
        ("common word", "election".into(), &none, 0),
        ("rare word", word(15_000), &none, 0),
        ("two words", "harbour strike".into(), &none, 0),
        ("phrase", format!("\"{} {}\"", word(0), word(1)), &none, 0),
        ("prefix", "pipe*".into(), &none, 0),
        ("exclusion", "grain -drought".into(), &none, 0),
        ("topic filter", "election".into(), &topic, 0),
        ("year filter", "ceasefire".into(), &year, 0),
        ("page 5", "election".into(), &none, 80),
        ("no match", "zzyzxqq".into(), &none, 0),
    ];
    let mut all = Vec::new();
    println!("| backend | searcher | query | results | p50 ms | p99 ms |");
    println!("|---|---|---|---:|---:|---:|");
    for (who, searcher) in [("anonymous", &anonymous), ("subscriber", &subscriber)] {
        for (kind, q, filters, offset) in &cases {
            let query = parse_query(q);
            let req = SearchRequest { query: &query, filters, order: SearchOrder::Relevance, searcher, limit: 20, offset: *offset };
            let warm = db.search(&req).await.expect("search");
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let t = Instant::now();
                let r = db.search(&req).await.expect("search");
                times.push(t.elapsed());
                assert_eq!(r.total, warm.total);
            }
            times.sort();
            println!("| {backend} | {who} | {kind} (`{q}`) | {} | {:.1} | {:.1} |", warm.total, pct(&times, 0.5), pct(&times, 0.99));
            all.extend(times);
        }
    }
    all.sort();
    println!("| {backend} | all | all {} searches | | {:.1} | {:.1} |", all.len(), pct(&all, 0.5), pct(&all, 0.99));
    db.close().await;
}
