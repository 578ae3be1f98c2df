//! The HTTP side of Masthead: the public site readers see, the desk staff
//! use, and the operational endpoints. Handlers are thin: extract,
//! authorize, call the newsroom or the database, render a view.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use masthead_db::Db;
use masthead_media::MediaStore;
use metrics_exporter_prometheus::PrometheusHandle;

pub mod admin;
pub mod ads;
pub mod archive;
pub mod auth;
pub mod billing;
pub mod cache;
pub mod charts;
pub mod cluster;
pub mod delivery;
pub mod counters;
pub mod crawlers;
pub mod desk;
pub mod error;
pub mod feeds;
pub mod magazine;
pub mod media;
pub mod meter;
pub mod paywall;
pub mod reader;
pub mod reader_cache;
pub mod account;
pub mod newsletter_desk;
pub mod newsletters;
pub mod newsroom;
pub mod ops;
pub mod router;
pub mod seo;
pub mod search;
pub mod site;
pub mod slots;
pub mod theme;
pub mod totp;
pub mod views;
pub mod webhooks;
pub mod worker;
pub mod api;

pub use error::{AppError, AppResult};
pub use router::router;
pub use theme::{Theme, ThemeError};

/// What the web side needs from the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The public address of the site, used in canonical links.
    pub base_url: String,
    /// Theme overrides, EPUB files and other files live under here (and media, unless
    /// `media` says otherwise).
    pub data_dir: PathBuf,
    /// Where pictures are stored: a directory (DATA_DIR/media by default) or S3.
    pub media: masthead_media::StoreConfig,
    pub theme_dir: Option<PathBuf>,
    /// Signs cookies. Must be long and secret; never logged.
    pub secret_key: String,
    pub media_max_bytes: usize,
    /// How long a rendered public page may be reused.
    pub page_cache_ttl: Duration,
    /// Set the Secure flag on cookies (true when served over https).
    pub secure_cookies: bool,
    /// Address ranges of verified search-engine crawlers.
    pub crawler_ranges: Vec<reader::Cidr>,
    /// Domains whose names verify a crawler by forward-confirmed reverse
    /// DNS (e.g. googlebot.com); empty turns the lookups off.
    pub crawler_dns: Vec<String>,
    /// Proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<reader::Cidr>,
    /// Where mail goes: smtp://host:port, file:/dir or memory.
    pub mail_url: String,
    /// The From address of account mail.
    pub mail_from: String,
    /// Signs all outgoing mail, account mail and newsletters alike; `None` sends unsigned.
    pub dkim: Option<masthead_mail::Dkim>,
    pub billing: billing::BillingConfig,
    /// Extra image sources for the content security policy (e.g.
    /// "https://ads.example.com"), for ad snippets whose pictures are served
    /// by a third party; empty allows only this site.
    pub csp_extra: String,
    pub newsletters: delivery::NewsletterConfig,
}

impl WebConfig {
    /// The media directory, when pictures are stored in one.
    pub fn media_dir(&self) -> Option<&std::path::Path> {
        match &self.media {
            masthead_media::StoreConfig::Dir(dir) => Some(dir),
            masthead_media::StoreConfig::S3(_) => None,
        }
    }
}

/// The publication's own settings, editable by staff, cached in memory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Site {
    pub name: String,
    pub tagline: String,
    pub description: String,
    pub language: String,
    /// The publisher's colours (#rrggbb, or empty for the theme's).
    pub accent: String,
    pub link: String,
    pub paper: String,
    /// Changes when the colours do, so their stylesheet can be cached.
    pub colors_version: String,
    /// The offer's wording; empty parts use the theme's default words.
    pub offer: desk::business::OfferWording,
    /// The offer's benefits, one per line, each with "new" or not.
    pub offer_benefits: Vec<(String, bool)>,
}

impl Site {
    pub fn from_settings(s: &HashMap<String, String>) -> Site {
        let get = |k: &str, d: &str| s.get(k).cloned().filter(|v| !v.is_empty()).unwrap_or_else(|| d.to_string());
        let (accent, link, paper) = (get("site.accent", ""), get("site.link", ""), get("site.paper", ""));
        let offer = desk::business::OfferWording::from_settings(s);
        Site {
            name: get("site.name", "Masthead"),
            tagline: get("site.tagline", "News, carefully made"),
            description: get("site.description", ""),
            language: get("site.language", "en"),
            colors_version: hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(format!("{accent}{link}{paper}").as_bytes())[..4]),
            accent,
            link,
            paper,
            offer_benefits: offer.benefit_lines(),
            offer,
        }
    }
}

pub struct Inner {
    pub db: Db,
    pub config: WebConfig,
    pub theme: Theme,
    pub media: MediaStore,
    pub site: RwLock<Site>,
    pub nav: RwLock<Vec<views::Link>>,
    /// Image dimensions by media key, for width/height on <img>.
    pub media_dims: RwLock<HashMap<String, (u32, u32)>>,
    pub pages: cache::PageCache,
    /// Published articles by slug, with the article that follows each.
    pub articles: cache::Cache<std::sync::Arc<site::ArticleEntry>>,
    /// The newest whole articles of each feed's list.
    pub feed_articles: cache::Cache<std::sync::Arc<Vec<masthead_core::Article>>>,
    /// The ad slots as pages get them.
    pub ads: RwLock<Arc<ads::Ads>>,
    pub metrics: Option<PrometheusHandle>,
    pub limits: auth::RateLimits,
    pub crawlers: reader::Networks,
    pub crawler_dns: crawlers::CrawlerDns,
    pub paywall: RwLock<paywall::Paywall>,
    pub plans: RwLock<Vec<masthead_core::billing::Plan>>,
    pub meter: meter::MeterBook,
    /// Signed-in readers' facts, for a few seconds.
    pub readers: reader_cache::ReaderCache,
    pub mailer: masthead_mail::Mailer,
    pub payments: billing::Payments,
    /// This process, in logs and change notices.
    pub node_id: String,
    pub leadership: cluster::Leadership,
    pub newsletters: delivery::Runtime,
    /// First-party events for the numbers, written in batches.
    pub counters: counters::Counters,
    /// Outgoing HTTP (webhook deliveries).
    pub http: reqwest::Client,
}

/// Shared state handed to every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state: loads the theme and the publication's settings.
    pub async fn new(db: Db, config: WebConfig, metrics: Option<PrometheusHandle>) -> anyhow_free::Result<AppState> {
        let theme = Theme::load(config.theme_dir.as_deref())?;
        let media = MediaStore::from_config(config.media.clone()).map_err(|e| anyhow_free::Error::Media(e.to_string()))?;
        let mail_options = masthead_mail::MailOptions { dkim: config.dkim.clone(), ..Default::default() };
        let mailer = masthead_mail::Mailer::from_url(&config.mail_url, mail_options.clone())
            .map_err(|e| anyhow_free::Error::Mail(e.to_string()))?;
        let payments = billing::Payments::from_config(&config.billing).map_err(anyhow_free::Error::Billing)?;
        let newsletters = delivery::Runtime::new(&config.mail_url, mail_options, config.newsletters.clone())
            .map_err(|e| anyhow_free::Error::Mail(e.to_string()))?;
        if let Some(dkim) = &config.dkim {
            tracing::info!(algorithm = dkim.algorithm(), "DKIM-signing mail; receivers look for the public key at {}", dkim.dns_name());
        }
        let limits = auth::RateLimits::new(db.clone());
        let state = AppState(Arc::new(Inner {
            pages: cache::PageCache::new(config.page_cache_ttl),
            articles: cache::Cache::new(config.page_cache_ttl),
            feed_articles: cache::Cache::new(config.page_cache_ttl),
            ads: RwLock::new(Arc::new(ads::Ads::default())),
            db,
            theme,
            media,
            site: RwLock::new(Site::from_settings(&HashMap::new())),
            nav: RwLock::new(Vec::new()),
            media_dims: RwLock::new(HashMap::new()),
            metrics,
            limits,
            crawlers: reader::Networks::new(config.crawler_ranges.clone(), config.trusted_proxies.clone()),
            crawler_dns: crawlers::CrawlerDns::new(&config.crawler_dns),
            paywall: RwLock::new(paywall::Paywall::default()),
            plans: RwLock::new(Vec::new()),
            meter: meter::MeterBook::default(),
            readers: reader_cache::ReaderCache::default(),
            mailer,
            payments,
            node_id: format!("{}-{}", std::process::id(), auth::random_token().get(..6).unwrap_or("node")),
            leadership: cluster::Leadership::default(),
            newsletters,
            counters: counters::Counters::default(),
            http: reqwest::Client::new(),
            config,
        }));
        state.reload_local().await?;
        // Meter reads are written in batches, off the request path.
        let flusher = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(meter::FLUSH_EVERY);
            let mut ticks: u64 = 0;
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if std::sync::Arc::strong_count(&flusher.0) == 1 {
                    return;
                }
                let window = flusher.policy().meter.window;
                flusher.meter.flush(&flusher.db, window).await;
                // Counted events are written in the same loop, less often.
                ticks += 1;
                if ticks % counters::FLUSH_EVERY_TICKS == 0 {
                    flusher.counters.flush(&flusher.db).await;
                }
            }
        });
        Ok(state)
    }

    /// Re-reads settings, navigation and media sizes after a change, and
    /// drops cached pages, here and (on PostgreSQL) on every other node.
    pub async fn reload(&self) -> anyhow_free::Result<()> {
        self.reload_local().await?;
        if self.db.postgres_pool().is_some() {
            let s = self.clone();
            tokio::spawn(async move { cluster::announce_reload(&s).await });
        }
        Ok(())
    }

    /// Re-reads settings, navigation and media sizes on this node only.
    pub async fn reload_local(&self) -> anyhow_free::Result<()> {
        let settings = self.db.settings().await?;
        let sections = self.db.tags(masthead_core::TagKind::Section).await?;
        let dims = self.db.media_dimensions().await?;
        let plans = self.db.active_plans().await?;
        let newsletters = self.db.newsletters().await?;
        let paywall = paywall::Paywall::from_settings(&settings);
        if let Ok(mut s) = self.site.write() {
            *s = Site::from_settings(&settings);
        }
        // The publisher's own navigation when set, else the sections.
        let custom = settings.get("site.navigation").and_then(|t| desk::business::parse_navigation(t).ok()).filter(|n| !n.is_empty());
        if let Ok(mut n) = self.nav.write() {
            *n = custom.unwrap_or_else(|| sections.iter().map(|s| views::Link { name: s.name.clone(), url: format!("/section/{}", s.slug) }).collect());
        }
        if let Ok(mut d) = self.media_dims.write() {
            *d = dims;
        }
        if let Ok(mut p) = self.plans.write() {
            *p = plans;
        }
        if let Ok(mut l) = self.newsletters.list.write() {
            *l = newsletters;
        }
        if let Ok(mut p) = self.paywall.write() {
            *p = paywall;
        }
        let ads = ads::Ads::new(&ads::AdSettings::from_settings(&settings), &self.theme, &self.site(), &self.plans());
        if let Ok(mut a) = self.ads.write() {
            *a = Arc::new(ads);
        }
        search::keep_index_in_step(self, &settings).await?;
        self.invalidate_local();
        Ok(())
    }

    pub fn site(&self) -> Site {
        self.site.read().map(|s| s.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Drops cached pages and articles after a content change, here and,
    /// on PostgreSQL, on every other node.
    pub fn invalidate(&self) {
        self.invalidate_local();
        if self.db.postgres_pool().is_some() {
            let s = self.clone();
            tokio::spawn(async move { cluster::announce_change(&s).await });
        }
    }

    /// Drops this node's caches only.
    pub fn invalidate_local(&self) {
        self.pages.invalidate();
        self.articles.invalidate();
        self.feed_articles.invalidate();
        // After a missed notice (a reconnected listener) readers may have
        // changed too; they are cheap to read again.
        self.readers.clear();
    }

    pub fn policy(&self) -> paywall::Paywall {
        self.paywall.read().map(|p| p.clone()).unwrap_or_default()
    }

    pub fn plans(&self) -> Vec<masthead_core::billing::Plan> {
        self.plans.read().map(|p| p.clone()).unwrap_or_default()
    }

    /// Writes batched meter reads now (at shutdown, and in tests).
    pub async fn flush_meter(&self) {
        self.meter.flush(&self.db, self.policy().meter.window).await;
        self.counters.flush(&self.db).await;
    }

    /// The ad slots, rendered.
    pub fn ads(&self) -> Arc<ads::Ads> {
        self.ads.read().map(|a| a.clone()).unwrap_or_default()
    }

    pub fn dims(&self) -> HashMap<String, (u32, u32)> {
        self.media_dims.read().map(|d| d.clone()).unwrap_or_default()
    }
}

/// A small error type for start-up paths, outside the request path.
pub mod anyhow_free {
    #[derive(Debug, thiserror::Error)]
    pub enum Error {
        #[error(transparent)]
        Theme(#[from] crate::ThemeError),
        #[error(transparent)]
        Db(#[from] masthead_db::DbError),
        #[error("mail: {0}")]
        Mail(String),
        #[error("billing: {0}")]
        Billing(String),
        #[error("media: {0}")]
        Media(String),
    }
    pub type Result<T> = std::result::Result<T, Error>;
}
