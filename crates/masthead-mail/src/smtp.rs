//! The SMTP backend: lettre's async client on connections we pool ourselves.
//!
//! We don't use lettre's pool for two reasons found in its source (0.11.23):
//! its `max_size` only caps *idle* connections, so a burst of sends opens any
//! number at once; and its async client has no command timeout, while wrapping
//! a send in `tokio::time::timeout` would hand a half-finished connection back to
//! its pool (the drop guard recycles it), where the next message's commands could
//! land inside the previous message's DATA. Here a connection lives inside the
//! send future, so a timeout drops it and the socket closes.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::{ClientId, Extension};
use tokio::sync::Semaphore;

use crate::error::classify;
use crate::MailError;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    /// Plain text, for a relay on loopback or a trusted local network.
    Plain,
    /// Plain text upgraded with STARTTLS, which must be offered.
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// A connection unused since `since`.
struct Parked {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// Reused without a probe when parked for less than this: in a bulk send the
/// connection was used a moment ago, and a NOOP per message costs a round trip.
const PROBE_AFTER: Duration = Duration::from_secs(2);
/// Dropped rather than reused after this long idle: servers close idle sessions
/// (Postfix after 300 s, some providers far sooner) and we would only find out by failing.
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// A QUIT to a server that no longer answers must not hold a task for long.
const QUIT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and how to connect, as parsed from the mail URL.
pub(crate) struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<Credentials>,
    /// Set for [`Security::StartTls`] and [`Security::Tls`].
    pub tls: Option<TlsParameters>,
    pub hello: ClientId,
    pub timeout: Duration,
}

pub(crate) struct SmtpRelay {
    endpoint: Endpoint,
    idle: Mutex<Vec<Parked>>,
    /// One permit per connection that may be open at once.
    permits: Semaphore,
}

impl SmtpRelay {
    pub fn new(endpoint: Endpoint, max_connections: usize) -> SmtpRelay {
        SmtpRelay { endpoint, idle: Mutex::new(Vec::new()), permits: Semaphore::new(max_connections.max(1)) }
    }

    /// Sends one message. Waiting for a free connection is not counted against
    /// the timeout; connecting and the whole exchange are.
    pub async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), MailError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| MailError::Config("the mailer has been closed".into()))?;
        let Endpoint { host, port, timeout, .. } = &self.endpoint;
        match tokio::time::timeout(*timeout, self.exchange(envelope, bytes)).await {
            Ok(result) => result,
            Err(_) => Err(MailError::Transient(format!(
                "no answer from {host}:{port} within {} s",
                timeout.as_secs_f32()
            ))),
        }
    }

    async fn exchange(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), MailError> {
        let mut conn = self.checkout().await?;
        // lettre refuses non-ASCII addresses without SMTPUTF8 as a client error, which we
        // would read as a broken setup; it is a fact about this one recipient.
        let needs_utf8 = envelope.to().iter().any(|a| !a.to_string().is_ascii());
        if needs_utf8 && !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            self.park(conn);
            return Err(MailError::Permanent("the relay does not accept internationalized addresses (no SMTPUTF8)".into()));
        }
        // lettre ends DATA with "\r\n.\r\n" even after a message that already ends in
        // CRLF, which would add a blank line to every message; the message's own last
        // CRLF is the first half of that terminator.
        let bytes = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
        match conn.send(envelope, bytes).await {
            Ok(_) => {
                self.park(conn);
                Ok(())
            }
            Err(err) => {
                // lettre closes the session itself on any error answer; a client-side
                // refusal leaves it clean and reusable.
                if !conn.has_broken() {
                    self.park(conn);
                }
                Err(classify(&err))
            }
        }
    }

    /// The most recently used idle connection, else a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, MailError> {
        loop {
            let parked = {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                retire_stale(&mut idle);
                idle.pop()
            };
            let Some(parked) = parked else {
                return self.connect().await;
            };
            let mut conn = parked.conn;
            if parked.since.elapsed() < PROBE_AFTER || conn.test_connected().await {
                return Ok(conn);
            }
        }
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.push(Parked { conn, since: Instant::now() });
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let at = &self.endpoint;
        let wrapper = match at.security {
            Security::Tls => at.tls.clone(),
            Security::Plain | Security::StartTls => None,
        };
        let mut conn =
            AsyncSmtpConnection::connect_tokio1((at.host.as_str(), at.port), Some(at.timeout), &at.hello, wrapper, None)
                .await
                .map_err(|e| classify(&e))?;
        if let (Security::StartTls, Some(tls)) = (at.security, &at.tls) {
            conn.starttls(tls.clone(), &at.hello).await.map_err(|e| classify(&e))?;
        }
        if let Some(credentials) = &at.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(|e| classify(&e))?;
        }
        Ok(conn)
    }

    /// Says QUIT on every idle connection, so the relay logs a clean end.
    pub async fn close(&self) {
        let parked = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        for Parked { mut conn, .. } in parked {
            // A failed QUIT leaves nothing to clean up: the socket closes on drop either way.
            let _ = tokio::time::timeout(QUIT_TIMEOUT, conn.quit()).await;
        }
    }
}

/// Removes connections idle past [`IDLE_LIMIT`] and says QUIT on them in the background.
fn retire_stale(idle: &mut Vec<Parked>) {
    // Checked first because this runs before every message and is almost always a no-op.
    if !idle.iter().any(|p| p.since.elapsed() >= IDLE_LIMIT) {
        return;
    }
    let (stale, fresh): (Vec<Parked>, Vec<Parked>) =
        std::mem::take(idle).into_iter().partition(|p| p.since.elapsed() >= IDLE_LIMIT);
    *idle = fresh;
    for Parked { mut conn, .. } in stale {
        tokio::spawn(async move {
            let _ = tokio::time::timeout(QUIT_TIMEOUT, conn.quit()).await;
        });
    }
}
