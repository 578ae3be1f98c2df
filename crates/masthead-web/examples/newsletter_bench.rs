//! How fast an edition goes out: personalized newsletter emails rendered and
//! accepted by an SMTP server on loopback, per second, and the sender's
//! memory as the list grows.
//!
//! `newsletter_bench --sink` runs a discarding SMTP server (PIPELINING
//! offered, like Postfix) and prints its URL; it counts what it accepted and
//! prints the count when its standard input closes.
//! `newsletter_bench RECIPIENTS SMTP_URL [CONCURRENCY] [BATCH]` makes a
//! SQLite publication with one newsletter, twelve articles and RECIPIENTS
//! confirmed readers, composes an edition and sends it through the real
//! delivery loop (claim, render, SMTP, record), sampling its own RSS.
//! bench/newsletter.sh runs both, in separate processes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use masthead_core::newsletter::{Audience, Cadence, NewsletterDraft};
use masthead_core::{AccessLevel, ArticleDraft};
use masthead_web::delivery::{self, NewsletterConfig};
use masthead_web::newsroom::{self, Publish};
use masthead_web::{AppState, WebConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A minimal SMTP server that accepts everything and keeps nothing.
async fn sink() -> Res<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("smtp://{}", listener.local_addr()?);
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let accepted = counter.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::with_capacity(64 * 1024, r);
                let mut line = Vec::with_capacity(1024);
                if w.write_all(b"220 sink ESMTP\r\n").await.is_err() {
                    return;
                }
                loop {
                    line.clear();
                    match r.read_until(b'\n', &mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let verb = String::from_utf8_lossy(&line[..line.len().min(4)]).to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n",
                        "DATA" => {
                            if w.write_all(b"354 go ahead\r\n").await.is_err() {
                                return;
                            }
                            loop {
                                line.clear();
                                match r.read_until(b'\n', &mut line).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(_) if line == b".\r\n" => break,
                                    Ok(_) => {}
                                }
                            }
                            accepted.fetch_add(1, Ordering::Relaxed);
                            b"250 2.0.0 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    tokio::task::spawn_blocking(|| {
        use std::io::Read;
        let mut buf = [0u8; 64];
        while std::io::stdin().read(&mut buf).unwrap_or(0) > 0 {}
    })
    .await?;
    println!("accepted {}", accepted.load(Ordering::Relaxed));
    Ok(())
}

async fn send(recipients: usize, url: String, concurrency: usize, batch: usize) -> Res<()> {
    let dir = tempfile::tempdir()?;
    let db = masthead_db::Db::connect(&format!("sqlite:{}", dir.path().join("bench.db").display())).await?;
    db.migrate().await?;
    let config = WebConfig {
        base_url: "https://news.example".into(),
        data_dir: dir.path().to_path_buf(),
        media: masthead_media::StoreConfig::Dir(dir.path().join("media")),
        theme_dir: None,
        secret_key: "bench-secret-key-0123456789-0123456789".into(),
        media_max_bytes: 1 << 20,
        page_cache_ttl: Duration::from_secs(30),
        secure_cookies: true,
        crawler_ranges: vec![],
        crawler_dns: vec![],
        trusted_proxies: vec![],
        mail_url: url,
        mail_from: "Desk <desk@news.example>".into(),
        dkim: None,
        billing: Default::default(),
        csp_extra: String::new(),
        newsletters: NewsletterConfig { concurrency, batch, ..Default::default() },
    };
    let state = AppState::new(db.clone(), config, None).await.map_err(|e| e.to_string())?;
    let now = Utc::now();
    let d = NewsletterDraft {
        slug: "the-dispatch".into(),
        name: "The Dispatch".into(),
        description: "The day's best reporting, every morning.".into(),
        cadence: Cadence::Manual,
        time_zone: "Europe/Paris".into(),
        from_name: "The Dispatch".into(),
        from_email: "dispatch@news.example".into(),
        reply_to: String::new(),
        audience: Audience::Everyone,
        topics: vec![],
        regions: vec![],
        template: "newsletter".into(),
        box_after_paragraph: 2,
        position: 0,
        active: true,
    };
    let n = db.create_newsletter(&d, now).await?;
    let story = "The council voted to reopen the old tram depot as a market hall, and traders say it is about time. ";
    for i in 0..12 {
        let a = ArticleDraft {
            headline: format!("Story {i}: the depot reopens, and the market moves in"),
            standfirst: story.repeat(2),
            body_markdown: (0..8).map(|_| story.repeat(4)).collect::<Vec<_>>().join("\n\n"),
            access: if i % 3 == 0 { AccessLevel::Free } else { AccessLevel::Metered },
            ..Default::default()
        };
        newsroom::create_article(&state, &a, Publish::At(now - chrono::Duration::minutes(60 - i)), now).await.map_err(|e| e.to_string())?;
    }
    let t = Instant::now();
    // In slices, as an import from a file would come, so the list never sits
    // in this process's memory whole.
    for start in (0..recipients).step_by(10_000) {
        let emails: Vec<String> = (start..recipients.min(start + 10_000)).map(|i| format!("reader{i}@example.org")).collect();
        db.import_signups(n.id, &emails, now).await?;
    }
    let imported = t.elapsed();
    let t = Instant::now();
    let (edition, queued) = delivery::compose_and_send(&state, &n, None, Utc::now()).await.map_err(|e| e.to_string())?.ok_or("nothing to send")?;
    let composed = t.elapsed();
    eprintln!("imported {recipients} in {:.1} s; edition {edition} composed, {queued} deliveries in {:.1} s", imported.as_secs_f64(), composed.as_secs_f64());

    let rss_start = rss_kb("VmRSS:");
    let samples = Arc::new(std::sync::Mutex::new(Vec::<(i64, u64)>::new()));
    let watcher = {
        let (db, samples) = (db.clone(), samples.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let sent = db.edition_progress(edition).await.map(|p| p.sent).unwrap_or(0);
                if let Ok(mut s) = samples.lock() {
                    s.push((sent, rss_kb("VmRSS:")));
                }
            }
        })
    };
    let t = Instant::now();
    let report = delivery::drain(&state, None).await.map_err(|e| e.to_string())?;
    let took = t.elapsed();
    watcher.abort();
    let rate = report.sent as f64 / took.as_secs_f64();
    println!("recipients {recipients}, concurrency {concurrency}, batch {batch}");
    println!("sent {} (deferred {}, bounced {}) in {:.2} s = {:.0} emails/s", report.sent, report.deferred, report.bounced, took.as_secs_f64(), rate);
    let samples = samples.lock().map(|s| s.clone()).unwrap_or_default();
    let at = |share: f64| {
        let target = (recipients as f64 * share) as i64;
        samples.iter().find(|(sent, _)| *sent >= target).map(|(_, kb)| kb / 1024).unwrap_or(0)
    };
    let sending_peak = samples.iter().map(|(_, kb)| *kb).max().unwrap_or(0).max(rss_kb("VmRSS:"));
    println!(
        "RSS MB: before send {}, at 10% {}, 25% {}, 50% {}, 75% {}, end {}; peak while sending {}, peak of the process (VmHWM) {}",
        rss_start / 1024,
        at(0.10),
        at(0.25),
        at(0.50),
        at(0.75),
        rss_kb("VmRSS:") / 1024,
        sending_peak / 1024,
        rss_kb("VmHWM:") / 1024
    );
    state.newsletters.mailer.close().await;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--sink") {
        return sink().await;
    }
    let recipients = args.first().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let url = args.get(1).cloned().ok_or("usage: newsletter_bench RECIPIENTS SMTP_URL [CONCURRENCY] [BATCH] | --sink")?;
    let concurrency = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(16);
    let batch = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(500);
    send(recipients, url, concurrency, batch).await
}
