//! Configuration, loaded once: built-in defaults, then a TOML file, then
//! MASTHEAD_* environment variables, then MASTHEAD_*_FILE secrets (the
//! variable names a file whose contents are the value, for container
//! secrets). The result is checked and handed to whoever needs it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// sqlite:PATH or postgres://USER@HOST/DB
    pub database_url: String,
    /// address:port to serve on
    pub listen: String,
    /// media (unless media_dir or S3 says otherwise), theme overrides, the secret key file
    pub data_dir: PathBuf,
    /// the public address of the site; defaults to http://LISTEN
    pub base_url: Option<String>,
    /// a directory whose templates/ and static/ override the default theme
    pub theme_dir: Option<PathBuf>,
    /// signs cookies; if unset, kept in DATA_DIR/secret.key (made on first run)
    pub secret_key: Option<String>,
    /// "text" or "json"
    pub log_format: String,
    /// a tracing filter such as "info" or "masthead=debug,info"
    pub log_level: String,
    pub media_max_mb: usize,
    /// where pictures are stored: "dir" (a directory) or "s3" (an S3-compatible bucket)
    pub media_store: String,
    /// the media directory when media_store = "dir" (default DATA_DIR/media); with several
    /// nodes, a directory they all mount
    pub media_dir: Option<PathBuf>,
    /// the S3-compatible store's address, e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000
    pub s3_endpoint: Option<String>,
    pub s3_bucket: Option<String>,
    /// the signing region: the bucket's region on AWS, "auto" on R2, "us-east-1" for most others
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    /// never logged; give it as MASTHEAD_S3_SECRET_ACCESS_KEY_FILE in containers
    pub s3_secret_access_key: Option<String>,
    /// a folder of the bucket to keep the pictures in (empty: the bucket's root)
    pub s3_prefix: String,
    pub page_cache_seconds: u64,
    pub secure_cookies: bool,
    pub metrics: bool,
    /// run the job worker and scheduler inside `serve`
    pub embedded_worker: bool,
    /// a file of address ranges (CIDR, one per line) of verified search-engine crawlers
    pub crawler_ranges_file: Option<PathBuf>,
    /// domains (comma-separated) whose names verify a crawler by forward-confirmed reverse DNS
    pub crawler_dns: String,
    /// proxies (CIDR, comma-separated) whose X-Forwarded-For is believed
    pub trusted_proxies: String,
    /// where mail goes: smtp://host:port, smtp+starttls://user:pass@host:587, smtps://…, file:DIR or memory
    pub mail_url: String,
    /// the From of account mail, e.g. "The Dispatch <desk@example.org>"
    pub mail_from: String,
    /// "demo" (test mode, no real payments) or "stripe"
    pub billing_provider: String,
    pub stripe_secret_key: Option<String>,
    /// comma-separated while rotating secrets
    pub stripe_webhook_secret: Option<String>,
    /// Stripe's API address; point it at a Stripe-compatible test server in tests
    pub stripe_api_base: Option<String>,
    /// extra image sources allowed by the content security policy, space-separated (for ad pictures served by a third party)
    pub csp_extra: String,
    /// newsletter SMTP transactions at once (and pooled connections)
    pub newsletter_concurrency: usize,
    /// newsletter messages per second at most; 0 for no limit
    pub newsletter_rate: u32,
    /// deliveries a worker claims at a time (the most a crash can send twice)
    pub newsletter_batch: usize,
    /// shared secret for bounce and complaint notices at /hooks/mail; unset turns the hook off
    pub mail_webhook_secret: Option<String>,
    /// the d= of DKIM signatures: the domain of the From addresses (or a parent of it)
    pub dkim_domain: Option<String>,
    /// the DKIM selector: receivers find the public key at SELECTOR._domainkey.DOMAIN
    pub dkim_selector: Option<String>,
    /// the DKIM private key in PEM (RSA of 2048 to 4096 bits, or Ed25519); with the
    /// domain and selector, every outgoing message is signed. Secret: never logged.
    pub dkim_private_key: Option<Redacted>,
}

/// A secret setting whose `Debug` shows that it is set, never its text, so
/// printing the configuration cannot leak it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite:data/masthead.db".into(),
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            base_url: None,
            theme_dir: None,
            secret_key: None,
            log_format: "text".into(),
            log_level: "info".into(),
            media_max_mb: 15,
            media_store: "dir".into(),
            media_dir: None,
            s3_endpoint: None,
            s3_bucket: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_prefix: String::new(),
            page_cache_seconds: 30,
            secure_cookies: false,
            metrics: true,
            embedded_worker: true,
            crawler_ranges_file: None,
            crawler_dns: String::new(),
            trusted_proxies: String::new(),
            mail_url: "file:data/mail".into(),
            mail_from: "Masthead <no-reply@localhost>".into(),
            billing_provider: "demo".into(),
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: None,
            csp_extra: String::new(),
            newsletter_concurrency: 8,
            newsletter_rate: 0,
            newsletter_batch: 100,
            mail_webhook_secret: None,
            dkim_domain: None,
            dkim_selector: None,
            dkim_private_key: None,
        }
    }
}

const KEYS: [&str; 38] = [
    "database_url", "listen", "data_dir", "base_url", "theme_dir", "secret_key", "log_format", "log_level",
    "media_max_mb", "media_store", "media_dir", "s3_endpoint", "s3_bucket", "s3_region", "s3_access_key_id",
    "s3_secret_access_key", "s3_prefix", "page_cache_seconds", "secure_cookies", "metrics", "embedded_worker",
    "crawler_ranges_file", "crawler_dns", "trusted_proxies", "mail_url", "mail_from",
    "billing_provider", "stripe_secret_key", "stripe_webhook_secret", "stripe_api_base",
    "csp_extra",
    "newsletter_concurrency", "newsletter_rate", "newsletter_batch", "mail_webhook_secret",
    "dkim_domain", "dkim_selector", "dkim_private_key",
];

/// Text settings taken from the environment exactly as written: figment reads a
/// value that looks like a number as a number, and selectors are often dates (20250101).
const TEXT_KEYS: [&str; 3] = ["dkim_domain", "dkim_selector", "dkim_private_key"];

pub const ENV_HELP: &str = "\
CONFIGURATION (a TOML file, then environment variables; later wins):
  --config FILE / MASTHEAD_CONFIG   TOML file (default: ./masthead.toml if present)
  MASTHEAD_DATABASE_URL    sqlite:PATH (default sqlite:data/masthead.db) or postgres://USER@HOST/DB
  MASTHEAD_LISTEN          address:port to serve on (default 127.0.0.1:8080)
  MASTHEAD_DATA_DIR        media, theme overrides, secret key (default ./data)
  MASTHEAD_BASE_URL        public address for canonical links (default http://LISTEN)
  MASTHEAD_THEME_DIR       directory overriding templates/ and static/ of the default theme
  MASTHEAD_SECRET_KEY      cookie signing key (default: DATA_DIR/secret.key, created on first run)
  MASTHEAD_LOG_FORMAT      text or json (default text)
  MASTHEAD_LOG_LEVEL       e.g. info, debug, masthead_web=debug (default info)
  MASTHEAD_MEDIA_MAX_MB    largest image upload in MB (default 15)
  MASTHEAD_MEDIA_STORE     where pictures are stored: dir (default) or s3
  MASTHEAD_MEDIA_DIR       the media directory for dir (default DATA_DIR/media); several nodes share one
  MASTHEAD_S3_ENDPOINT, MASTHEAD_S3_BUCKET  the S3-compatible store (AWS, MinIO, Ceph, Garage, R2...),
                           addressed path-style, e.g. https://s3.eu-west-1.amazonaws.com and media
  MASTHEAD_S3_REGION       signing region (default us-east-1; auto for R2)
  MASTHEAD_S3_ACCESS_KEY_ID, MASTHEAD_S3_SECRET_ACCESS_KEY  the store's key pair (the secret is never logged)
  MASTHEAD_S3_PREFIX       a folder of the bucket for the pictures (default: the bucket's root)
  MASTHEAD_PAGE_CACHE_SECONDS  how long rendered public pages are reused (default 30; 0 = off)
  MASTHEAD_SECURE_COOKIES  true when served over https (default false)
  MASTHEAD_METRICS         serve Prometheus /metrics (default true)
  MASTHEAD_EMBEDDED_WORKER run jobs and the scheduler inside serve (default true)
  MASTHEAD_MAIL_URL        smtp://HOST:PORT, smtp+starttls://USER:PASS@HOST:587, smtps://..., file:DIR
                           or memory (default file:DATA_DIR/mail: mail is written as .eml files)
  MASTHEAD_MAIL_FROM       From of account mail (default: Masthead <no-reply@localhost>)
  MASTHEAD_CRAWLER_RANGES_FILE  address ranges (CIDR per line) of verified search-engine crawlers,
                           which may read gated articles in full (a user agent alone gets nothing)
  MASTHEAD_CRAWLER_DNS     comma-separated domains that verify a crawler by forward-confirmed reverse DNS,
                           e.g. googlebot.com,google.com,googleusercontent.com,search.msn.com (default:
                           none; only requests whose user agent names a crawler are looked up)
  MASTHEAD_TRUSTED_PROXIES comma-separated CIDRs of proxies whose X-Forwarded-For is believed
  MASTHEAD_BILLING_PROVIDER  demo (default: test mode, nothing is charged) or stripe
  MASTHEAD_STRIPE_SECRET_KEY, MASTHEAD_STRIPE_WEBHOOK_SECRET (comma-separated while rotating),
  MASTHEAD_STRIPE_API_BASE  Stripe settings; webhooks go to BASE_URL/hooks/stripe
  MASTHEAD_CSP_EXTRA       space-separated image sources the content security policy also allows, e.g.
                           https://ads.example.com (ad snippets keep no scripts or frames, only pictures
                           and links; by default every picture must come from this site)
  MASTHEAD_NEWSLETTER_CONCURRENCY  newsletter SMTP transactions at once (default 8)
  MASTHEAD_NEWSLETTER_RATE  newsletter messages per second at most (default 0: no limit)
  MASTHEAD_NEWSLETTER_BATCH deliveries claimed at a time; a crash repeats at most these (default 100)
  MASTHEAD_MAIL_WEBHOOK_SECRET  bearer secret for bounce/complaint notices at BASE_URL/hooks/mail
  MASTHEAD_DKIM_DOMAIN, MASTHEAD_DKIM_SELECTOR, MASTHEAD_DKIM_PRIVATE_KEY  all three set: DKIM-sign
                           every outgoing message as d=DOMAIN, s=SELECTOR (default: unsigned); the key is
                           PEM (PKCS#8 or PKCS#1), RSA 2048-4096 bits or Ed25519, usually given as
                           MASTHEAD_DKIM_PRIVATE_KEY_FILE=/path/to/key.pem; publish the public key as a
                           TXT record at SELECTOR._domainkey.DOMAIN (see the README)
  Any variable may instead be given as NAME_FILE=/path/to/file holding the value.";

/// Loads the configuration from its sources, in order.
pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    let file = file.map(Path::to_path_buf).or_else(|| std::env::var_os("MASTHEAD_CONFIG").map(PathBuf::from));
    match &file {
        Some(f) => {
            if !f.is_file() {
                bail!("the config file {} does not exist", f.display());
            }
            fig = fig.merge(Toml::file(f));
        }
        None if Path::new("masthead.toml").is_file() => fig = fig.merge(Toml::file("masthead.toml")),
        None => {}
    }
    // Only our own keys: other MASTHEAD_* variables (test settings, say)
    // are not configuration.
    fig = fig.merge(Env::prefixed("MASTHEAD_").only(&KEYS));
    for key in TEXT_KEYS {
        if let Ok(value) = std::env::var(format!("MASTHEAD_{}", key.to_uppercase())) {
            fig = fig.merge((key, value.trim().to_string()));
        }
    }
    // NAME_FILE secrets: read each named file as the value of NAME.
    for (key, path) in std::env::vars() {
        let name = key.strip_prefix("MASTHEAD_").and_then(|k| k.strip_suffix("_FILE")).map(str::to_lowercase);
        if let Some(name) = name.filter(|n| KEYS.contains(&n.as_str())) {
            let value = std::fs::read_to_string(&path).with_context(|| format!("{key}: cannot read {path}"))?;
            fig = fig.merge((name, value.trim_end_matches(['\n', '\r']).to_string()));
        }
    }
    let cfg: Config = fig.extract().map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    cfg.check()?;
    Ok(cfg)
}

impl Config {
    fn check(&self) -> anyhow::Result<()> {
        self.listen_addr()?;
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            bail!(
                "MASTHEAD_DATABASE_URL / database_url {:?} is not understood: use sqlite:PATH or postgres://USER@HOST/DB",
                masthead_db::redact_url(&self.database_url)
            );
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("MASTHEAD_LOG_FORMAT / log_format must be \"text\" or \"json\", not {:?}", self.log_format);
        }
        if let Some(u) = &self.base_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                bail!("MASTHEAD_BASE_URL / base_url must start with http:// or https://, not {u:?}");
            }
        }
        if self.media_max_mb == 0 || self.media_max_mb > 200 {
            bail!("MASTHEAD_MEDIA_MAX_MB / media_max_mb must be between 1 and 200");
        }
        self.media()?;
        if let Some(bad) = masthead_web::router::bad_csp_source(&self.csp_extra) {
            bail!("MASTHEAD_CSP_EXTRA / csp_extra: {bad:?} is not an image source such as https://ads.example.com");
        }
        self.dkim()?;
        self.crawler_dns()?;
        Ok(())
    }

    /// The domains that verify crawlers by forward-confirmed reverse DNS.
    pub fn crawler_dns(&self) -> anyhow::Result<Vec<String>> {
        self.crawler_dns
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|d| {
                masthead_mail::dns_name(d)
                    .map_err(|e| anyhow::anyhow!("MASTHEAD_CRAWLER_DNS / crawler_dns: {d:?} {e}, such as googlebot.com"))
            })
            .collect()
    }

    /// The DKIM signer, when a domain, a selector and a key are configured. Part
    /// of a configuration is an error rather than quietly unsigned mail.
    pub fn dkim(&self) -> anyhow::Result<Option<masthead_mail::Dkim>> {
        use masthead_mail::{Dkim, DkimError};
        let set = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let key = self.dkim_private_key.as_ref().map(|k| k.0.as_str());
        match (set(self.dkim_domain.as_deref()), set(self.dkim_selector.as_deref()), set(key)) {
            (None, None, None) => Ok(None),
            (Some(domain), Some(selector), Some(key)) => Dkim::new(&domain, &selector, &key).map(Some).map_err(|e| match e {
                DkimError::Domain(e) => anyhow::anyhow!("MASTHEAD_DKIM_DOMAIN / dkim_domain {e}"),
                DkimError::Selector(e) => anyhow::anyhow!("MASTHEAD_DKIM_SELECTOR / dkim_selector {e}"),
                DkimError::Key(e) => anyhow::anyhow!("MASTHEAD_DKIM_PRIVATE_KEY (or _FILE) / dkim_private_key: the key {e}"),
            }),
            (domain, selector, key) => {
                let missing: Vec<&str> = [(domain.is_none(), "MASTHEAD_DKIM_DOMAIN"), (selector.is_none(), "MASTHEAD_DKIM_SELECTOR"), (key.is_none(), "MASTHEAD_DKIM_PRIVATE_KEY")]
                    .into_iter()
                    .filter_map(|(missing, name)| missing.then_some(name))
                    .collect();
                bail!(
                    "DKIM signing needs MASTHEAD_DKIM_DOMAIN, MASTHEAD_DKIM_SELECTOR and MASTHEAD_DKIM_PRIVATE_KEY (or _FILE) together (dkim_* in the config file); missing: {}",
                    missing.join(", ")
                )
            }
        }
    }

    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listen
            .parse()
            .map_err(|_| anyhow::anyhow!("MASTHEAD_LISTEN / listen {:?} is not an address:port such as 127.0.0.1:8080", self.listen))
    }

    pub fn base_url(&self) -> String {
        self.base_url.clone().unwrap_or_else(|| format!("http://{}", self.listen)).trim_end_matches('/').to_string()
    }

    /// The cookie-signing key: configured, or kept in the data directory.
    pub fn secret(&self) -> anyhow::Result<String> {
        if let Some(k) = &self.secret_key {
            if k.len() < 32 {
                bail!("MASTHEAD_SECRET_KEY / secret_key must be at least 32 characters");
            }
            return Ok(k.clone());
        }
        let path = self.data_dir.join("secret.key");
        if let Ok(k) = std::fs::read_to_string(&path) {
            let k = k.trim().to_string();
            if k.len() >= 32 {
                return Ok(k);
            }
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        let bytes: [u8; 32] = rand::random();
        let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&path, &key)?;
        Ok(key)
    }

    /// Where pictures are stored, checked: a directory, or a bucket with everything it needs.
    /// Nothing is contacted here; `masthead serve` and `worker` check the store at start.
    pub fn media(&self) -> anyhow::Result<masthead_media::StoreConfig> {
        use masthead_media::{S3Config, StoreConfig};
        match self.media_store.as_str() {
            "dir" => Ok(StoreConfig::Dir(self.media_dir.clone().unwrap_or_else(|| self.data_dir.join("media")))),
            "s3" => {
                let required = |value: &Option<String>, key: &str| match value.as_deref().map(str::trim) {
                    Some(v) if !v.is_empty() => Ok(v.to_string()),
                    _ => Err(anyhow::anyhow!("media_store = \"s3\" needs MASTHEAD_{} / {key}", key.to_uppercase())),
                };
                let config = S3Config {
                    endpoint: required(&self.s3_endpoint, "s3_endpoint")?,
                    bucket: required(&self.s3_bucket, "s3_bucket")?,
                    region: self.s3_region.trim().to_string(),
                    access_key_id: required(&self.s3_access_key_id, "s3_access_key_id")?,
                    // Taken as given: a secret may legitimately end in a space.
                    secret_access_key: match &self.s3_secret_access_key {
                        Some(v) if !v.is_empty() => v.clone(),
                        _ => bail!("media_store = \"s3\" needs MASTHEAD_S3_SECRET_ACCESS_KEY (or _FILE) / s3_secret_access_key"),
                    },
                    prefix: self.s3_prefix.trim_matches('/').to_string(),
                };
                // The same checks the store makes when it starts, reported now.
                masthead_media::MediaStore::s3(config.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(StoreConfig::S3(config))
            }
            other => bail!("MASTHEAD_MEDIA_STORE / media_store must be \"dir\" or \"s3\", not {other:?}"),
        }
    }

    pub fn web(&self) -> anyhow::Result<masthead_web::WebConfig> {
        use masthead_web::reader::{Cidr, Networks};
        let crawler_ranges = match &self.crawler_ranges_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the crawler ranges file {}", path.display()))?;
                Networks::parse_ranges(&text)
                    .map_err(|line| anyhow::anyhow!("{} line {line}: not an address range such as 66.249.64.0/19", path.display()))?
            }
            None => Vec::new(),
        };
        let crawler_dns = self.crawler_dns()?;
        let trusted_proxies = self
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Cidr::parse(s).ok_or_else(|| anyhow::anyhow!("MASTHEAD_TRUSTED_PROXIES: {s:?} is not an address range")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mail_url = if self.mail_url == Config::default().mail_url {
            format!("file:{}", self.data_dir.join("mail").display())
        } else {
            self.mail_url.clone()
        };
        Ok(masthead_web::WebConfig {
            crawler_ranges,
            crawler_dns,
            trusted_proxies,
            mail_url,
            mail_from: self.mail_from.clone(),
            dkim: self.dkim()?,
            billing: masthead_web::billing::BillingConfig {
                provider: self.billing_provider.clone(),
                stripe_secret_key: self.stripe_secret_key.clone().unwrap_or_default(),
                stripe_webhook_secret: self.stripe_webhook_secret.clone().unwrap_or_default(),
                stripe_api_base: self.stripe_api_base.clone().unwrap_or_default(),
            },
            csp_extra: self.csp_extra.clone(),
            newsletters: masthead_web::delivery::NewsletterConfig {
                concurrency: self.newsletter_concurrency.max(1),
                rate_per_second: self.newsletter_rate,
                batch: self.newsletter_batch.max(1),
                webhook_secret: self.mail_webhook_secret.clone().filter(|s| !s.is_empty()),
                ..Default::default()
            },
            base_url: self.base_url(),
            data_dir: self.data_dir.clone(),
            media: self.media()?,
            theme_dir: self.theme_dir.clone(),
            secret_key: self.secret()?,
            media_max_bytes: self.media_max_mb * 1024 * 1024,
            page_cache_ttl: Duration::from_secs(self.page_cache_seconds),
            secure_cookies: self.secure_cookies,
        })
    }
}

pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(contents.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_dkim_key() {
        let cfg = Config { dkim_private_key: Some(Redacted("-----BEGIN PRIVATE KEY-----\nSECRETBITS\n".into())), ..Config::default() };
        let shown = format!("{cfg:?}");
        assert!(shown.contains("dkim_private_key: Some(<redacted>)") && !shown.contains("SECRETBITS"), "{shown}");
    }
}
