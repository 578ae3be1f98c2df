//! The Mailer: one send call over three backends chosen by a URL in config
//! (SMTP for production, an .eml directory for operators without SMTP, memory for tests).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use percent_encoding::percent_decode_str;

use crate::email::Composed;
use crate::smtp::{Endpoint, Security, SmtpRelay};
use crate::testing::Received;
use crate::{Dkim, Email, MailError};

/// Settings that are not part of the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailOptions {
    /// Connecting (TLS and login included) and each message's whole exchange
    /// (MAIL, RCPT, DATA, the body) must finish within this. A session that misses
    /// it is closed, never reused.
    pub timeout: Duration,
    /// Most SMTP connections open at once; more concurrent sends wait their turn.
    /// Relays often limit connections per client, so keep this modest.
    pub max_connections: usize,
    /// The name given in EHLO. Defaults to this machine's host name; some relays
    /// refuse "localhost".
    pub helo_name: Option<String>,
    /// A PEM file of certificates to trust besides the built-in Mozilla roots,
    /// for a relay whose certificate comes from a private CA.
    pub tls_ca_file: Option<PathBuf>,
    /// Sign every message with this DKIM key, on every backend; `None` sends unsigned.
    pub dkim: Option<Dkim>,
}

impl Default for MailOptions {
    fn default() -> Self {
        MailOptions {
            timeout: Duration::from_secs(15),
            max_connections: 8,
            helo_name: None,
            tls_ca_file: None,
            dkim: None,
        }
    }
}

/// Sends mail. Cheap to clone; clones share the connection pool or the memory store.
#[derive(Clone)]
pub struct Mailer {
    backend: Backend,
    /// The URL without any password, for logs and Debug.
    label: Arc<str>,
    dkim: Option<Dkim>,
}

#[derive(Clone)]
enum Backend {
    Smtp(Arc<SmtpRelay>),
    File(Arc<Path>),
    Memory(Arc<Mutex<Vec<Received>>>),
}

impl Mailer {
    /// Builds a mailer from a URL:
    /// `smtp://[user:pass@]host[:port]` (plain; with a password only to loopback),
    /// `smtp+starttls://…` (default port 587), `smtps://…` (TLS from the start, port 465),
    /// `file:/path/to/dir` (one .eml file per message) or `memory`.
    /// User and password are percent-decoded.
    pub fn from_url(url: &str, opts: MailOptions) -> Result<Mailer, MailError> {
        let url = url.trim();
        if url == "memory" || url == "memory:" {
            return Ok(Mailer {
                dkim: opts.dkim,
                ..Mailer::memory()
            });
        }
        if let Some(rest) = url.strip_prefix("file:") {
            let dir = file_path(rest)?;
            let label = format!("file:{}", dir.display());
            return Ok(Mailer {
                backend: Backend::File(dir.into()),
                label: label.into(),
                dkim: opts.dkim,
            });
        }
        let endpoint = smtp_endpoint(url, &opts)?;
        let label = match &endpoint.credentials {
            // The scheme and user stay visible so an operator can tell which account is in use.
            Some(_) => format!(
                "{}://{}@{}:{}",
                scheme_of(url),
                user_of(url),
                endpoint.host,
                endpoint.port
            ),
            None => format!("{}://{}:{}", scheme_of(url), endpoint.host, endpoint.port),
        };
        let relay = SmtpRelay::new(endpoint, opts.max_connections);
        Ok(Mailer {
            backend: Backend::Smtp(Arc::new(relay)),
            label: label.into(),
            dkim: opts.dkim,
        })
    }

    /// A mailer that keeps every message in memory, for tests and demos.
    pub fn memory() -> Mailer {
        Mailer {
            backend: Backend::Memory(Arc::default()),
            label: "memory".into(),
            dkim: None,
        }
    }

    /// Sends one message and returns its Message-ID (with angle brackets).
    pub async fn send(&self, email: &Email) -> Result<String, MailError> {
        let mut composed = email.compose()?;
        // Signed last, over the bytes every backend stores or sends unchanged. An
        // RSA signature takes about 0.7 ms of CPU, long enough to stall the other
        // tasks of an async worker (page requests, on a node that also sends), so
        // it runs on the blocking pool.
        if let Some(dkim) = &self.dkim {
            let (dkim, bytes) = (dkim.clone(), std::mem::take(&mut composed.bytes));
            composed.bytes =
                tokio::task::spawn_blocking(move || dkim.sign(&bytes, SystemTime::now()))
                    .await
                    .map_err(|e| MailError::Config(format!("DKIM signing stopped: {e}")))??;
        }
        match &self.backend {
            Backend::Smtp(relay) => relay.send(&composed.envelope, &composed.bytes).await?,
            Backend::File(dir) => write_eml(dir, &composed).await?,
            Backend::Memory(store) => {
                let received = Received::from_envelope(&composed.envelope, composed.bytes);
                store
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(received);
            }
        }
        tracing::debug!(mailer = %self.label, message_id = %composed.message_id, "mail accepted");
        Ok(composed.message_id)
    }

    /// Everything the memory backend has taken so far; `None` for other backends.
    pub fn sent(&self) -> Option<Vec<Received>> {
        match &self.backend {
            Backend::Memory(store) => {
                Some(store.lock().unwrap_or_else(PoisonError::into_inner).clone())
            }
            Backend::Smtp(_) | Backend::File(_) => None,
        }
    }

    /// Ends idle SMTP sessions politely; call on shutdown. Sending afterwards still works.
    pub async fn close(&self) {
        if let Backend::Smtp(relay) = &self.backend {
            relay.close().await;
        }
    }
}

/// Shows the URL without its password.
impl fmt::Display for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Mailer").field(&&*self.label).finish()
    }
}

fn file_path(rest: &str) -> Result<PathBuf, MailError> {
    // file:///dir has an empty host; file://host/dir names a remote machine we can't write to.
    let path = match rest.strip_prefix("//") {
        Some(after) if after.starts_with('/') => after,
        Some(_) => {
            return Err(MailError::Config(format!(
                "mail URL file:{rest} names a host; use file:/path"
            )))
        }
        None => rest,
    };
    if path.is_empty() {
        return Err(MailError::Config(
            "mail URL file: needs a directory, e.g. file:/var/lib/masthead/outbox".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

fn scheme_of(url: &str) -> &str {
    url.split_once("://").map_or("", |(scheme, _)| scheme)
}

fn user_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| decode(u.username()))
        .unwrap_or_default()
}

fn decode(part: &str) -> String {
    percent_decode_str(part).decode_utf8_lossy().into_owned()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Plain,
    StartTls,
    Tls,
}

fn smtp_endpoint(raw: &str, opts: &MailOptions) -> Result<Endpoint, MailError> {
    let scheme = scheme_of(raw);
    let (security, default_port) = match scheme {
        "smtp" => (Scheme::Plain, 25),
        "smtp+starttls" => (Scheme::StartTls, 587),
        "smtps" => (Scheme::Tls, 465),
        _ => {
            return Err(MailError::Config(
                "mail URL must be smtp://, smtp+starttls://, smtps://, file:/dir or memory".into(),
            ))
        }
    };
    // The URL may hold a password, so errors name the scheme, never the URL.
    let url = url::Url::parse(raw)
        .map_err(|e| MailError::Config(format!("mail URL ({scheme}://…) is malformed: {e}")))?;
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => {
            return Err(MailError::Config(format!(
                "mail URL ({scheme}://…) has no host"
            )))
        }
    };
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(MailError::Config(format!(
            "mail URL ({scheme}://…) takes only user, password, host and port; other settings go in the config"
        )));
    }
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        (user, password) => Some(Credentials::new(
            decode(user),
            password.map(decode).unwrap_or_default(),
        )),
    };
    if credentials.is_some() && security == Scheme::Plain && !is_loopback(&host) {
        return Err(MailError::Config(format!(
            "refusing to send the SMTP password in clear text to {host}; use smtp+starttls:// or smtps://"
        )));
    }
    let extra_roots = match &opts.tls_ca_file {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            MailError::Config(format!("reading TLS CA file {}: {e}", path.display()))
        })?),
        None => None,
    };
    let security = match security {
        Scheme::Plain => Security::Plain,
        Scheme::StartTls => Security::start_tls(&host, extra_roots.as_deref())?,
        Scheme::Tls => Security::tls(&host, extra_roots.as_deref())?,
    };
    let hello = match &opts.helo_name {
        // It goes into the EHLO line as is, so it must be one word.
        Some(name) if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) => {
            return Err(MailError::Config(format!(
                "helo_name {name:?} must be one word of printable ASCII"
            )))
        }
        Some(name) => ClientId::Domain(name.clone()),
        None => ClientId::default(),
    };
    Ok(Endpoint {
        port: url.port().unwrap_or(default_port),
        host,
        security,
        credentials,
        hello,
        timeout: opts.timeout,
    })
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Writes the message as `<message-id>.eml`, so writing the same message again
/// (a retried job) replaces the file instead of adding a copy. The file appears
/// whole or not at all: readers watching the directory never see half a message.
async fn write_eml(dir: &Path, composed: &Composed) -> Result<(), MailError> {
    let name: String = composed
        .message_id
        .trim_matches(['<', '>'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let target = dir.join(format!("{name}.eml"));
    let partial = dir.join(format!(".{name}.eml.partial"));
    let io = |e: std::io::Error| {
        use std::io::ErrorKind::*;
        let text = format!("writing {}: {e}", target.display());
        match e.kind() {
            PermissionDenied | ReadOnlyFilesystem | NotADirectory => MailError::Config(text),
            _ => MailError::Transient(text),
        }
    };
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    tokio::fs::write(&partial, &composed.bytes)
        .await
        .map_err(io)?;
    tokio::fs::rename(&partial, &target).await.map_err(io)?;
    Ok(())
}
