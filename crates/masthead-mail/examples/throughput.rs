//! How many personalized newsletter emails per second the Mailer gets through.
//!
//! `cargo run --release -p masthead-mail --example throughput -- [COUNT] [CONNECTIONS] [URL]`
//! (set NO_PIPELINING=1 to have the in-process sink not offer PIPELINING;
//! DKIM_KEY=path/to/key.pem to DKIM-sign every message, e.g. with
//! crates/masthead-mail/tests/fixtures/dkim-rsa.key)
//!
//! Measures composing alone (memory backend), then sending over SMTP to URL, or
//! to an in-process [`SmtpSink`] when no URL is given (the sink then shares the
//! two cores with the client). `--sink` instead runs only a sink and prints its
//! URL, so client and server can be measured in separate processes.

use std::time::{Duration, Instant};

use masthead_mail::testing::SmtpSink;
use masthead_mail::{Dkim, Email, MailOptions, Mailer};

/// A newsletter of realistic size: about 14 KB of HTML and 4 KB of text,
/// with the reader's name and an unsubscribe token woven in.
fn issue_for(reader: usize) -> Email {
    let name = format!("Reader {reader}");
    let token = format!(
        "{:016x}",
        (reader as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    );
    let story = "Council votes to reopen the old Zürich tram depot as a market hall — “finally”, say traders. ";
    let mut html = format!("<html><body><p>Good morning, {name}.</p>");
    let mut text = format!("Good morning, {name}.\n\n");
    for i in 0..12 {
        html.push_str(&format!(
            "<h2><a href=\"https://masthead.example/2025/06/story-{i}?r={token}\">Story {i}</a></h2><p>{}</p>",
            story.repeat(6)
        ));
        text.push_str(&format!(
            "Story {i}\n{}\nhttps://masthead.example/2025/06/story-{i}?r={token}\n\n",
            story.repeat(2)
        ));
    }
    html.push_str(&format!("<p><a href=\"https://masthead.example/unsubscribe/{token}\">Unsubscribe</a></p></body></html>"));
    text.push_str(&format!(
        "Unsubscribe: https://masthead.example/unsubscribe/{token}\n"
    ));
    Email {
        from: "Masthead Daily <daily@masthead.example>".into(),
        to: format!("{name} <reader{reader}@example.org>"),
        subject: format!("The Daily, 12 June — for {name}"),
        text,
        html: Some(html),
        headers: vec![
            (
                "List-Unsubscribe".into(),
                format!("<https://masthead.example/unsubscribe/{token}>"),
            ),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
            (
                "List-Id".into(),
                "Masthead Daily <daily.masthead.example>".into(),
            ),
        ],
        message_id: None,
    }
}

async fn send_all(mailer: &Mailer, count: usize, concurrency: usize) -> Duration {
    let started = Instant::now();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (mailer, next) = (mailer.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    return;
                }
                if let Err(e) = mailer.send(&issue_for(i)).await {
                    eprintln!("message {i}: {e}");
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    started.elapsed()
}

/// Wall-clock rate, and CPU time per message: the machine is shared, and CPU
/// time is what says how many messages two idle cores could carry.
fn rate(count: usize, took: Duration, cpu: Duration) -> String {
    let per_message = cpu.as_secs_f64() * 1e6 / count as f64;
    format!(
        "{count} in {:.2} s = {:.0}/s; {per_message:.0} µs CPU per message = {:.0}/s per core",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64(),
        1e6 / per_message
    )
}

/// User plus system CPU time of this process so far, all threads, from
/// /proc/self/stat (in clock ticks, 100 per second on Linux).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0))
                .collect()
        })
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the whole line, 11 and 12 after the name.
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--sink") {
        let sink = SmtpSink::start().await?;
        sink.set_pipelining(std::env::var_os("NO_PIPELINING").is_none());
        println!("{}", sink.url());
        tokio::signal::ctrl_c().await?;
        println!(
            "received {} messages over {} connections",
            sink.messages().len(),
            sink.connections()
        );
        return Ok(());
    }
    let count: usize = args.first().map_or(Ok(5000), |a| a.parse())?;
    let connections: usize = args.get(1).map_or(Ok(8), |a| a.parse())?;
    let size = issue_for(0).html.map_or(0, |h| h.len()) + issue_for(0).text.len();
    println!(
        "{count} messages, {} KB of content each, {connections} connections",
        size / 1024
    );

    let dkim = match std::env::var_os("DKIM_KEY") {
        Some(path) => {
            let dkim = Dkim::new("masthead.example", "bench", &std::fs::read_to_string(path)?)?;
            println!("signing with DKIM ({})", dkim.algorithm());
            Some(dkim)
        }
        None => None,
    };

    // Composing alone, through the memory backend; a fresh store per batch keeps
    // memory growth (page faults on hundreds of MB) out of the number.
    let (started, cpu) = (Instant::now(), cpu_time());
    let mut bytes = 0;
    for batch in 0..count.div_ceil(500) {
        let memory = Mailer::from_url(
            "memory",
            MailOptions {
                dkim: dkim.clone(),
                ..MailOptions::default()
            },
        )?;
        for i in batch * 500..count.min((batch + 1) * 500) {
            memory.send(&issue_for(i)).await?;
        }
        bytes += memory
            .sent()
            .unwrap_or_default()
            .iter()
            .map(|m| m.raw.len())
            .sum::<usize>();
    }
    println!(
        "compose only, one task (memory backend): {}, {} KB per message",
        rate(count, started.elapsed(), cpu_time() - cpu),
        bytes / count / 1024
    );

    let (sink, url) = match args.get(2) {
        Some(url) => (None, url.clone()),
        None => {
            let sink = SmtpSink::start().await?;
            sink.set_pipelining(std::env::var_os("NO_PIPELINING").is_none());
            let url = sink.url();
            (Some(sink), url)
        }
    };
    let opts = MailOptions {
        max_connections: connections,
        dkim,
        ..MailOptions::default()
    };
    let mailer = Mailer::from_url(&url, opts)?;
    // One warm-up message opens a connection, so connection setup isn't all we time.
    mailer.send(&issue_for(0)).await?;
    let cpu = cpu_time();
    let took = send_all(&mailer, count, connections).await;
    let what = if sink.is_some() {
        "client and sink"
    } else {
        "client only"
    };
    println!(
        "smtp to {url} ({what}): {}",
        rate(count, took, cpu_time() - cpu)
    );
    if let Some(sink) = sink {
        let got = sink
            .wait_for(count + 1, Duration::from_secs(30))
            .await
            .len();
        println!(
            "sink received {got} over {} connections",
            sink.connections()
        );
    }
    mailer.close().await;
    Ok(())
}
