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
pub mod auth;
pub mod cache;
pub mod error;
pub mod media;
pub mod newsroom;
pub mod ops;
pub mod router;
pub mod site;
pub mod theme;
pub mod views;
pub mod worker;

pub use error::{AppError, AppResult};
pub use router::router;
pub use theme::{Theme, ThemeError};

/// What the web side needs from the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The public address of the site, used in canonical links.
    pub base_url: String,
    /// Media, theme overrides and other files live under here.
    pub data_dir: PathBuf,
    pub theme_dir: Option<PathBuf>,
    /// Signs cookies. Must be long and secret; never logged.
    pub secret_key: String,
    pub media_max_bytes: usize,
    /// How long a rendered public page may be reused.
    pub page_cache_ttl: Duration,
    /// Set the Secure flag on cookies (true when served over https).
    pub secure_cookies: bool,
}

impl WebConfig {
    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }
}

/// The publication's own settings, editable by staff, cached in memory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Site {
    pub name: String,
    pub tagline: String,
    pub description: String,
    pub language: String,
}

impl Site {
    pub fn from_settings(s: &HashMap<String, String>) -> Site {
        let get = |k: &str, d: &str| s.get(k).cloned().filter(|v| !v.is_empty()).unwrap_or_else(|| d.to_string());
        Site {
            name: get("site.name", "Masthead"),
            tagline: get("site.tagline", "News, carefully made"),
            description: get("site.description", ""),
            language: get("site.language", "en"),
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
    pub metrics: Option<PrometheusHandle>,
    pub limits: auth::RateLimits,
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
        let media = MediaStore::new(config.media_dir());
        let state = AppState(Arc::new(Inner {
            pages: cache::PageCache::new(config.page_cache_ttl),
            db,
            theme,
            media,
            site: RwLock::new(Site::from_settings(&HashMap::new())),
            nav: RwLock::new(Vec::new()),
            media_dims: RwLock::new(HashMap::new()),
            metrics,
            limits: auth::RateLimits::default(),
            config,
        }));
        state.reload().await?;
        Ok(state)
    }

    /// Re-reads settings, navigation and media sizes after a change, and
    /// drops cached pages.
    pub async fn reload(&self) -> anyhow_free::Result<()> {
        let settings = self.db.settings().await?;
        let sections = self.db.tags(masthead_core::TagKind::Section).await?;
        let dims = self.db.media_dimensions().await?;
        if let Ok(mut s) = self.site.write() {
            *s = Site::from_settings(&settings);
        }
        if let Ok(mut n) = self.nav.write() {
            *n = sections.iter().map(|s| views::Link { name: s.name.clone(), url: format!("/section/{}", s.slug) }).collect();
        }
        if let Ok(mut d) = self.media_dims.write() {
            *d = dims;
        }
        self.pages.invalidate();
        Ok(())
    }

    pub fn site(&self) -> Site {
        self.site.read().map(|s| s.clone()).unwrap_or_else(|e| e.into_inner().clone())
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
    }
    pub type Result<T> = std::result::Result<T, Error>;
}
