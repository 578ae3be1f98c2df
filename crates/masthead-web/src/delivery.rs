//! Newsletter editions from composition to the last SMTP answer. The
//! scheduler composes an edition at its local time; the send materializes
//! one delivery row per recipient; workers claim rows in batches under a
//! lease and send them over pooled SMTP. An edition is rendered once; each
//! recipient's message is that frame with their greeting and signed links
//! filled in, so sending 100,000 costs 100,000 string joins, not template runs.
//!
//! The delivery row is marked `sent` only after the server accepted the
//! message, so a crash loses nothing: rows in flight come back when their
//! lease expires, and only those (at most one batch) can go out twice. The
//! Message-ID is the same on every attempt, so a receiver can tell.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use masthead_core::newsletter::{Audience, Newsletter};
use masthead_core::{decide, Access, Article, ArticleFacts, ArticleStatus, Benefit, BlockKind, MeterCount, ReaderFacts};
use masthead_db::newsletters::{Delivery, DeliveryOutcome, Edition};
use masthead_mail::{Email, MailError, Mailer};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::newsletters::{prefs_url, unsubscribe_url};
use crate::{AppError, AppResult, AppState};

/// How newsletters are sent; from the configuration.
#[derive(Debug, Clone)]
pub struct NewsletterConfig {
    /// SMTP transactions at once (and pooled connections).
    pub concurrency: usize,
    /// Messages per second at most; 0 for no limit.
    pub rate_per_second: u32,
    /// Deliveries claimed at a time: the most that a crash can send twice.
    pub batch: usize,
    /// How long a claimed batch is a worker's before another may take it.
    pub lease: StdDuration,
    /// The shared secret bounce and complaint notices must carry; None
    /// turns the webhook off.
    pub webhook_secret: Option<String>,
}

impl Default for NewsletterConfig {
    fn default() -> Self {
        NewsletterConfig { concurrency: 8, rate_per_second: 0, batch: 100, lease: StdDuration::from_secs(300), webhook_secret: None }
    }
}

/// What sending newsletters needs at run time: its own mailer (its pool
/// sized to the concurrency) and the newsletters, cached for pages.
pub struct Runtime {
    pub config: NewsletterConfig,
    pub mailer: Mailer,
    pub list: std::sync::RwLock<Vec<Newsletter>>,
}

impl Runtime {
    /// `mail` carries what all mail shares (the DKIM signer); the pool is sized here.
    pub fn new(mail_url: &str, mail: masthead_mail::MailOptions, config: NewsletterConfig) -> Result<Runtime, MailError> {
        let opts = masthead_mail::MailOptions { max_connections: config.concurrency.max(1), ..mail };
        Ok(Runtime { mailer: Mailer::from_url(mail_url, opts)?, config, list: Default::default() })
    }

    pub fn all(&self) -> Vec<Newsletter> {
        self.list.read().map(|l| l.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }
}

/// One article as an edition shows it: never more of the body than a
/// stranger may read without using the meter.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub headline: String,
    pub standfirst: String,
    pub url: String,
    pub image_url: Option<String>,
    pub image_alt: String,
    pub section: String,
    pub byline: String,
    /// "Subscribers only" or "Metered" for gated articles, empty for free ones.
    pub label: String,
    /// The opening paragraph, only where the access decision allows anyone all of it.
    pub excerpt: Option<String>,
}

/// How much of an article's body may go into an email that anyone can be
/// forwarded: what `decide` gives a stranger whose meter is spent. A
/// newsletter read is not recorded on a meter, so only articles readable in
/// full without counting qualify (free ones); gated articles carry headline,
/// standfirst and link only.
pub fn email_excerpt(a: &Article, policy: &masthead_core::MeterPolicy, now: DateTime<Utc>) -> Option<String> {
    let facts = ArticleFacts { access: a.access, published_at: a.published_at.unwrap_or(a.created_at), block_count: a.blocks.len() };
    let spent = MeterCount { used: u32::MAX, already_read: false };
    let access = decide(&facts, &ReaderFacts::default(), spent, Some(spent), policy, now);
    match access {
        Access::Full { meter: None } => {
            let allowed = access.visible_blocks(a.blocks.len());
            a.blocks[..allowed].iter().find(|b| b.kind == BlockKind::Paragraph).map(|b| b.text.clone())
        }
        _ => None,
    }
}

const MARK_GREETING: &str = "\u{E000}G\u{E001}";
const MARK_PREFS: &str = "\u{E000}P\u{E001}";
const MARK_UNSUB: &str = "\u{E000}U\u{E001}";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Lit(String),
    Greeting,
    Prefs,
    Unsub,
}

fn pieces(rendered: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = rendered;
    loop {
        let next = [(MARK_GREETING, Piece::Greeting), (MARK_PREFS, Piece::Prefs), (MARK_UNSUB, Piece::Unsub)]
            .into_iter()
            .filter_map(|(m, p)| rest.find(m).map(|at| (at, m.len(), p)))
            .min_by_key(|(at, _, _)| *at);
        match next {
            Some((at, len, p)) => {
                if at > 0 {
                    out.push(Piece::Lit(rest[..at].to_string()));
                }
                out.push(p);
                rest = &rest[at + len..];
            }
            None => {
                if !rest.is_empty() {
                    out.push(Piece::Lit(rest.to_string()));
                }
                return out;
            }
        }
    }
}

/// An edition rendered once, with holes for what differs per recipient.
pub struct Frame {
    pub edition_id: i64,
    pub newsletter: Newsletter,
    pub subject: String,
    html: Vec<Piece>,
    text: Vec<Piece>,
    list_id: String,
    domain: String,
    salutation: String,
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

impl Frame {
    /// The message for one recipient.
    pub fn personalize(&self, state: &AppState, delivery_id: i64, email: &str, name: &str) -> Email {
        let name: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
        let name = name.trim();
        let (greet_text, greet_html) = if name.is_empty() {
            (format!("{}.", self.salutation), format!("{}.", escape_html(&self.salutation)))
        } else {
            (format!("{}, {name}.", self.salutation), format!("{}, {}.", escape_html(&self.salutation), escape_html(name)))
        };
        let prefs = prefs_url(state, email);
        let unsub = unsubscribe_url(state, self.newsletter.id, email);
        let fill = |pieces: &[Piece], greeting: &str, size: usize| {
            let mut s = String::with_capacity(size);
            for p in pieces {
                match p {
                    Piece::Lit(t) => s.push_str(t),
                    Piece::Greeting => s.push_str(greeting),
                    Piece::Prefs => s.push_str(&prefs),
                    Piece::Unsub => s.push_str(&unsub),
                }
            }
            s
        };
        let html = fill(&self.html, &greet_html, 24 * 1024);
        let text = fill(&self.text, &greet_text, 8 * 1024);
        let mut headers = vec![
            ("List-Unsubscribe".to_string(), format!("<{unsub}>, <mailto:{}?subject=unsubscribe>", self.newsletter.from_email)),
            ("List-Unsubscribe-Post".to_string(), "List-Unsubscribe=One-Click".to_string()),
            ("List-Id".to_string(), self.list_id.clone()),
            ("Precedence".to_string(), "bulk".to_string()),
        ];
        if !self.newsletter.reply_to.is_empty() {
            headers.push(("Reply-To".to_string(), self.newsletter.reply_to.clone()));
        }
        Email {
            from: self.newsletter.sender(),
            to: email.to_string(),
            subject: self.subject.clone(),
            text,
            html: Some(html),
            headers,
            // The same on every attempt: a receiver can tell a retry from a new message.
            message_id: Some(format!("<nl.{}.{}@{}>", self.edition_id, delivery_id, self.domain)),
        }
    }
}

/// The host part of the base URL, for List-Id.
fn site_host(state: &AppState) -> String {
    let base = state.config.base_url.split("://").nth(1).unwrap_or(&state.config.base_url);
    base.split(['/', ':']).next().unwrap_or("localhost").to_string()
}

/// The articles an edition carries, in order: the editor's additions, then
/// what the newsletter's topics and regions brought since the last edition,
/// less the editor's removals.
pub async fn choose_articles(state: &AppState, n: &Newsletter, draft: Option<&Edition>, since: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<Vec<i64>> {
    let auto = state.db.articles_for_edition(&n.topics, &n.regions, since, now, 30).await?;
    let (added, removed) = draft.map(|d| (d.added.clone(), d.removed.clone())).unwrap_or_default();
    let mut out: Vec<i64> = Vec::new();
    for id in added.into_iter().chain(auto) {
        if !removed.contains(&id) && !out.contains(&id) {
            out.push(id);
        }
    }
    out.truncate(20);
    Ok(out)
}

/// Where the first edition starts looking: one period back.
fn first_since(n: &Newsletter, now: DateTime<Utc>) -> DateTime<Utc> {
    match n.cadence {
        masthead_core::newsletter::Cadence::Daily { .. } => now - Duration::days(1),
        _ => now - Duration::days(7),
    }
}

fn default_subject(n: &Newsletter, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&n.tz());
    format!("{} — {}", n.name, local.format("%A, %B %-d"))
}

/// Renders an edition (its fixed articles, or for a preview the articles it
/// would carry now) into a frame.
pub async fn frame_for(state: &AppState, n: &Newsletter, e: &Edition, articles: &[i64], now: DateTime<Utc>) -> AppResult<Frame> {
    let base = state.config.base_url.trim_end_matches('/');
    let policy = state.policy().meter;
    let mut items = Vec::new();
    for id in articles {
        let a = match state.db.article_by_id(*id).await {
            Ok(a) => a,
            Err(masthead_db::DbError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        if a.status != ArticleStatus::Published {
            continue;
        }
        let image = a.hero.as_ref().and_then(|h| h.src.strip_prefix("media:").map(|k| (format!("{base}{}", masthead_render::media_url(k, "960.jpg")), h.alt.clone())));
        items.push(ItemView {
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            url: format!("{base}{}", crate::views::article_url(&a.slug)),
            image_alt: image.as_ref().map(|i| i.1.clone()).unwrap_or_default(),
            image_url: image.map(|i| i.0),
            section: a.section.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
            byline: crate::views::byline(&a.authors),
            label: match a.access {
                masthead_core::AccessLevel::Free => String::new(),
                masthead_core::AccessLevel::Metered => "Metered".into(),
                masthead_core::AccessLevel::SubscribersOnly => "Subscribers only".into(),
            },
            excerpt: email_excerpt(&a, &policy, now),
        });
    }
    let subject = if e.subject.trim().is_empty() { default_subject(n, e.slot.unwrap_or(now)) } else { e.subject.clone() };
    let site = state.site();
    let intro: Vec<String> = e.intro.split("\n\n").map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    let local = e.slot.unwrap_or(now).with_timezone(&n.tz());
    let preheader = items.first().map(|i| i.headline.clone()).unwrap_or_else(|| n.description.clone());
    let ctx = minijinja::context! {
        site, base_url => base, subject, intro, items, preheader,
        newsletter => minijinja::context! { name => n.name, description => n.description, cadence => n.cadence.describe() },
        date => local.format("%A, %B %-d, %Y").to_string(),
        greeting => MARK_GREETING, prefs_url => MARK_PREFS, unsubscribe_url => MARK_UNSUB,
    };
    let html = state.theme.render(&format!("email/{}.html", n.template), &ctx)?;
    let text = state.theme.render(&format!("email/{}.txt", n.template), &ctx)?;
    let host = site_host(state);
    let list_name: String = n.name.chars().filter(|c| !matches!(c, '"' | '\\' | '<' | '>' | '\r' | '\n')).collect();
    let domain = n.from_email.rsplit('@').next().unwrap_or("localhost").to_string();
    Ok(Frame {
        edition_id: e.id,
        newsletter: n.clone(),
        subject,
        html: pieces(&html),
        text: pieces(&text),
        list_id: format!("\"{list_name}\" <{}.{host}>", n.slug),
        domain,
        salutation: greeting_word(local),
    })
}

fn greeting_word(local: DateTime<masthead_core::newsletter::Tz>) -> String {
    match chrono::Timelike::hour(&local) {
        4..=11 => "Good morning",
        12..=17 => "Good afternoon",
        _ => "Good evening",
    }
    .to_string()
}

/// What the edition would be if it went out now, for the desk's preview and test send.
pub async fn preview_frame(state: &AppState, n: &Newsletter, now: DateTime<Utc>) -> AppResult<Frame> {
    let since = state.db.last_edition_at(n.id).await?.unwrap_or_else(|| first_since(n, now));
    let draft = state.db.draft_edition(n.id).await?;
    let articles = choose_articles(state, n, draft.as_ref(), since, now).await?;
    let e = draft.unwrap_or(Edition {
        id: 0,
        newsletter_id: n.id,
        status: "draft".into(),
        slot: None,
        subject: String::new(),
        intro: String::new(),
        added: vec![],
        removed: vec![],
        articles: vec![],
        since: Some(since),
        recipients: 0,
        created_at: now,
        sent_at: None,
    });
    frame_for(state, n, &e, &articles, now).await
}

/// Composes an edition and queues it for every recipient. With a `slot`
/// (the scheduler), at most one edition per slot is ever made. Returns the
/// edition and its recipient count, or None if there was nothing to send
/// or another node composed it.
pub async fn compose_and_send(state: &AppState, n: &Newsletter, slot: Option<DateTime<Utc>>, now: DateTime<Utc>) -> AppResult<Option<(i64, i64)>> {
    let since = state.db.last_edition_at(n.id).await?.unwrap_or_else(|| first_since(n, now));
    let draft = state.db.draft_edition(n.id).await?;
    let articles = choose_articles(state, n, draft.as_ref(), since, now).await?;
    let subject = default_subject(n, slot.unwrap_or(now));
    let Some(id) = state.db.start_edition(n.id, slot, &subject, &articles, since, draft.as_ref().map(|d| d.id), now).await? else {
        return Ok(None);
    };
    let has_intro = draft.as_ref().is_some_and(|d| !d.intro.trim().is_empty());
    if articles.is_empty() && !has_intro {
        state.db.close_empty_edition(id).await?;
        tracing::info!(newsletter = %n.slug, edition = id, "nothing new to send");
        return Ok(None);
    }
    let recipients = materialize(state, n, id, now).await?;
    tracing::info!(newsletter = %n.slug, edition = id, recipients, articles = articles.len(), "edition queued");
    Ok(Some((id, recipients)))
}

/// Makes the delivery rows of an edition and opens it to the workers.
async fn materialize(state: &AppState, n: &Newsletter, edition_id: i64, now: DateTime<Utc>) -> AppResult<i64> {
    match n.audience {
        Audience::Everyone => {
            state.db.materialize_all(edition_id, n.id, now).await?;
        }
        Audience::Subscribers => {
            // Entitlements come from subscription state, decided in one place in core.
            let mut after = 0;
            loop {
                let page = state.db.confirmed_signups(n.id, after, 1000).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                let mut allowed = Vec::new();
                for s in &page {
                    if let Some(rid) = s.reader_id {
                        if crate::reader::entitlements_of(state, rid).await?.has(Benefit::PremiumNewsletters) {
                            allowed.push(s.id);
                        }
                    }
                }
                state.db.materialize_some(edition_id, &allowed, now).await?;
            }
        }
    }
    Ok(state.db.open_edition(edition_id).await?)
}

/// The scheduler's part: composes every edition whose local time has come,
/// and finishes editions a crash left half-composed.
pub async fn tick(state: &AppState, now: DateTime<Utc>) {
    if let Err(e) = try_tick(state, now).await {
        tracing::warn!(error = %e, "newsletter scheduler tick failed");
    }
}

async fn try_tick(state: &AppState, now: DateTime<Utc>) -> AppResult<()> {
    for (id, next) in state.db.newsletter_schedule().await? {
        let n = state.db.newsletter(id).await?;
        match next {
            None => {
                state.db.set_next_run(id, None, n.cadence.next_after(n.tz(), now)).await?;
            }
            Some(slot) if slot <= now => {
                // Whoever moves the schedule on composes; after downtime, the
                // missed slots are one edition, not a burst.
                if state.db.set_next_run(id, Some(slot), n.cadence.next_after(n.tz(), now)).await? {
                    compose_and_send(state, &n, Some(slot), now).await?;
                }
            }
            Some(_) => {}
        }
    }
    for e in state.db.composing_editions().await? {
        if e.sent_at.is_some_and(|t| now - t > Duration::minutes(5)) {
            let n = state.db.newsletter(e.newsletter_id).await?;
            let recipients = materialize(state, &n, e.id, now).await?;
            tracing::warn!(edition = e.id, recipients, "finished an edition left half-composed");
        }
    }
    state.db.close_finished_editions().await?;
    Ok(())
}

/// What one drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub deferred: usize,
    pub bounced: usize,
    pub skipped: usize,
}

/// Paces sends to a rate, across tasks.
struct Pacer {
    every: StdDuration,
    next: Mutex<Instant>,
}

impl Pacer {
    fn new(per_second: u32) -> Option<Pacer> {
        (per_second > 0).then(|| Pacer { every: StdDuration::from_secs(1) / per_second, next: Mutex::new(Instant::now()) })
    }

    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + self.every;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}

/// How to treat an SMTP failure: 4xx and connection trouble retry with
/// backoff (never dropped); 5xx about the recipient suppresses the address;
/// a broken mail setup retries too, since no address is at fault.
fn outcome_of(result: Result<String, MailError>, attempts: i64, now: DateTime<Utc>) -> DeliveryOutcome {
    match result {
        Ok(_) => DeliveryOutcome::Sent,
        Err(MailError::Permanent(e) | MailError::Invalid(e)) => DeliveryOutcome::Bounced { error: e },
        Err(e @ (MailError::Transient(_) | MailError::Config(_))) => {
            DeliveryOutcome::Deferred { retry_at: now + masthead_db::jobs::backoff(attempts), error: e.to_string() }
        }
    }
}

/// Results are written this often, so a crash repeats at most one batch.
const FLUSH_EVERY: usize = 25;

/// Claims and sends deliveries until none is due. `at` fixes the clock (for
/// tests); None reads it for every batch, so leases stay fresh in a long
/// send. Cancel-safe: dropping the future mid-batch loses nothing (see the
/// module's doc).
pub async fn drain(state: &AppState, at: Option<DateTime<Utc>>) -> AppResult<DrainReport> {
    let cfg = state.newsletters.config.clone();
    let lease = Duration::from_std(cfg.lease).unwrap_or(Duration::minutes(5));
    let pacer = Pacer::new(cfg.rate_per_second).map(Arc::new);
    let limit = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut frames: HashMap<i64, Option<Arc<Frame>>> = HashMap::new();
    let mut report = DrainReport::default();
    loop {
        let now = at.unwrap_or_else(Utc::now);
        let batch = state.db.claim_deliveries(now, lease, cfg.batch.max(1) as i64).await?;
        if batch.is_empty() {
            break;
        }
        let skip: HashMap<i64, String> = state.db.undeliverable(&batch).await?.into_iter().collect();
        let mut done: Vec<(i64, String, DeliveryOutcome)> = Vec::with_capacity(FLUSH_EVERY);
        let mut tasks: JoinSet<(i64, String, DeliveryOutcome)> = JoinSet::new();
        for d in batch {
            if let Some(why) = skip.get(&d.id) {
                done.push((d.id, d.email.clone(), DeliveryOutcome::Skipped { why: why.clone() }));
                continue;
            }
            let frame = match frames.get(&d.edition_id) {
                Some(f) => f.clone(),
                None => {
                    let f = edition_frame(state, d.edition_id, now).await?.map(Arc::new);
                    frames.insert(d.edition_id, f.clone());
                    f
                }
            };
            let Some(frame) = frame else {
                done.push((d.id, d.email.clone(), DeliveryOutcome::Skipped { why: "the edition is gone".into() }));
                continue;
            };
            let (state, limit, pacer) = (state.clone(), limit.clone(), pacer.clone());
            tasks.spawn(async move {
                let Delivery { id, email, name, attempts, .. } = d;
                let _permit = limit.acquire_owned().await;
                if let Some(p) = &pacer {
                    p.wait().await;
                }
                let message = frame.personalize(&state, id, &email, &name);
                let result = state.newsletters.mailer.send(&message).await;
                (id, email, outcome_of(result, attempts, now))
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (id, email, outcome) = joined.map_err(AppError::internal)?;
            done.push((id, email, outcome));
            if done.len() >= FLUSH_EVERY {
                flush(state, &mut done, &mut report, now).await?;
            }
        }
        flush(state, &mut done, &mut report, now).await?;
    }
    state.db.close_finished_editions().await?;
    Ok(report)
}

async fn flush(state: &AppState, done: &mut Vec<(i64, String, DeliveryOutcome)>, report: &mut DrainReport, now: DateTime<Utc>) -> AppResult<()> {
    for (_, email, o) in done.iter() {
        match o {
            DeliveryOutcome::Sent => report.sent += 1,
            DeliveryOutcome::Deferred { error, .. } => {
                report.deferred += 1;
                tracing::info!(error = %error, "newsletter delivery deferred");
            }
            DeliveryOutcome::Bounced { error } => {
                report.bounced += 1;
                tracing::info!(error = %error, "newsletter address suppressed after a permanent failure");
                let _ = email;
            }
            DeliveryOutcome::Skipped { .. } => report.skipped += 1,
        }
    }
    state.db.finish_deliveries(done, now).await?;
    metrics::counter!("masthead_newsletter_messages_total", "outcome" => "sent").increment(done.iter().filter(|d| d.2 == DeliveryOutcome::Sent).count() as u64);
    done.clear();
    Ok(())
}

async fn edition_frame(state: &AppState, edition_id: i64, now: DateTime<Utc>) -> AppResult<Option<Frame>> {
    let e = match state.db.edition(edition_id).await {
        Ok(e) => e,
        Err(masthead_db::DbError::NotFound) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let n = state.db.newsletter(e.newsletter_id).await?;
    let articles = e.articles.clone();
    Ok(Some(frame_for(state, &n, &e, &articles, e.sent_at.unwrap_or(now)).await?))
}

/// Sends the edition as it would go out now to one address (the desk's test send).
pub async fn send_test(state: &AppState, n: &Newsletter, to: &str, name: &str, now: DateTime<Utc>) -> AppResult<()> {
    let frame = preview_frame(state, n, now).await?;
    let mut email = frame.personalize(state, 0, to, name);
    email.subject = format!("[Test] {}", email.subject);
    email.message_id = None;
    state.newsletters.mailer.send(&email).await.map_err(|e| AppError::Conflict(format!("the test could not be sent: {e}")))?;
    Ok(())
}

/// Runs deliveries until `shutdown` changes: the worker's send loop.
pub async fn run_forever(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(StdDuration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                if let Err(e) = drain(&state, None).await {
                    tracing::warn!(error = %e, "newsletter delivery stopped early; it resumes on the next tick");
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_at_the_holes() {
        let p = pieces(&format!("<p>{MARK_GREETING}</p><a href=\"{MARK_UNSUB}\">x</a>{MARK_PREFS}"));
        assert_eq!(p, vec![Piece::Lit("<p>".into()), Piece::Greeting, Piece::Lit("</p><a href=\"".into()), Piece::Unsub, Piece::Lit("\">x</a>".into()), Piece::Prefs]);
        assert_eq!(escape_html("<b>\"Ann\" & 'Bo'</b>"), "&lt;b&gt;&quot;Ann&quot; &amp; &#39;Bo&#39;&lt;/b&gt;");
    }
}
