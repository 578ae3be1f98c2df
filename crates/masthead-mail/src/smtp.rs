//! The SMTP backend: lettre's async client for the session (EHLO, STARTTLS, AUTH,
//! reply parsing) on sockets and a pool we own, with the mail transaction itself
//! (MAIL, RCPT, DATA, body) written here.
//!
//! Why not lettre's `AsyncSmtpTransport` (0.11.23), from reading its source:
//! - its pool's `max_size` caps only *idle* connections, so a burst opens any number;
//! - its async client has no command timeout, and wrapping a send in
//!   `tokio::time::timeout` hands a half-finished session back to its pool, where the
//!   next message's commands could land inside the previous message's DATA;
//! - it sends a message in two writes without TCP_NODELAY, so every message waits
//!   out the peer's delayed ACK (about 40 ms: 22 messages/s per connection);
//! - it never pipelines, and it drops the session after any refused recipient;
//! - its errors don't say at which step a 5xx came, and a refused *sender* must not
//!   be read as a dead recipient.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::commands::{Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use crate::MailError;

/// How the connection is protected.
pub(crate) enum Security {
    /// Plain text, for a relay on loopback or a trusted local network.
    Plain,
    /// Plain text upgraded with STARTTLS, which must be offered.
    StartTls(TlsParameters),
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    ),
}

impl Security {
    /// `extra_roots` is PEM with more certificates to trust, for a relay with a private CA.
    pub fn start_tls(host: &str, extra_roots: Option<&[u8]>) -> Result<Security, MailError> {
        let setup = |e: lettre::transport::smtp::Error| {
            MailError::Config(format!("TLS setup for {host}: {e}"))
        };
        let mut params = TlsParameters::builder(host.to_owned());
        if let Some(pem) = extra_roots {
            params = params.add_root_certificate(Certificate::from_pem(pem).map_err(setup)?);
        }
        Ok(Security::StartTls(params.build_rustls().map_err(setup)?))
    }

    /// TLS on ring with the Mozilla roots compiled in, like lettre's own STARTTLS
    /// setup, so both schemes trust the same servers.
    pub fn tls(host: &str, extra_roots: Option<&[u8]>) -> Result<Security, MailError> {
        let setup = |e: String| MailError::Config(format!("TLS setup for {host}: {e}"));
        let name = ServerName::try_from(host.to_owned()).map_err(|e| setup(e.to_string()))?;
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for cert in CertificateDer::pem_slice_iter(extra_roots.unwrap_or_default()) {
            roots
                .add(cert.map_err(|e| setup(e.to_string()))?)
                .map_err(|e| setup(e.to_string()))?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Security::Tls(
            tokio_rustls::TlsConnector::from(Arc::new(config)),
            name,
        ))
    }
}

/// Where and how to connect, as parsed from the mail URL.
pub(crate) struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<Credentials>,
    pub hello: ClientId,
    pub timeout: Duration,
}

/// An open SMTP session.
struct Session {
    conn: AsyncSmtpConnection,
    /// Whether the server offers PIPELINING (lettre's `ServerInfo` doesn't record it).
    pipelining: bool,
}

/// A session unused since `since`.
struct Parked {
    session: Session,
    since: Instant,
}

/// Reused without a probe when parked for less than this: in a bulk send the
/// session was used a moment ago, and a NOOP per message costs a round trip.
const PROBE_AFTER: Duration = Duration::from_secs(2);
/// Dropped rather than reused after this long idle: servers close idle sessions
/// (Postfix after 300 s, some providers far sooner) and we would only find out by failing.
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// A QUIT to a server that no longer answers must not hold a task for long.
const QUIT_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct SmtpRelay {
    endpoint: Endpoint,
    idle: Mutex<Vec<Parked>>,
    /// One permit per session that may be open at once.
    permits: Semaphore,
}

/// How a transaction ended, and whether its session can carry another.
struct Outcome {
    result: Result<(), MailError>,
    reusable: bool,
}

/// The step a reply answered; a 5xx means different things at each.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Sender,
    Recipient,
    Content,
}

impl SmtpRelay {
    pub fn new(endpoint: Endpoint, max_connections: usize) -> SmtpRelay {
        SmtpRelay {
            endpoint,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(max_connections.max(1)),
        }
    }

    /// Sends one message. Waiting for a free session is not counted against the
    /// timeout; connecting and the whole exchange are. A timed-out session is
    /// dropped inside the future, so its socket closes and is never reused.
    pub async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), MailError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| MailError::Config("the mailer has been closed".into()))?;
        let Endpoint {
            host,
            port,
            timeout,
            ..
        } = &self.endpoint;
        match tokio::time::timeout(*timeout, self.exchange(envelope, bytes)).await {
            Ok(result) => result,
            Err(_) => Err(MailError::Transient(format!(
                "no answer from {host}:{port} within {} s",
                timeout.as_secs_f32()
            ))),
        }
    }

    async fn exchange(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), MailError> {
        let mut session = self.checkout().await?;
        let outcome = transact(&mut session, envelope, bytes).await;
        if outcome.reusable {
            self.park(session);
        }
        outcome.result
    }

    /// The most recently used idle session, else a new one.
    async fn checkout(&self) -> Result<Session, MailError> {
        loop {
            let parked = {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                retire_stale(&mut idle);
                idle.pop()
            };
            let Some(parked) = parked else {
                return self.connect().await;
            };
            let mut session = parked.session;
            if parked.since.elapsed() < PROBE_AFTER || session.conn.test_connected().await {
                return Ok(session);
            }
        }
    }

    fn park(&self, session: Session) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.push(Parked {
            session,
            since: Instant::now(),
        });
    }

    async fn connect(&self) -> Result<Session, MailError> {
        let at = &self.endpoint;
        let tcp = TcpStream::connect((at.host.as_str(), at.port))
            .await
            .map_err(|e| {
                MailError::Transient(format!("connecting to {}:{}: {e}", at.host, at.port))
            })?;
        // SMTP is request and reply; without this, a write that follows a write
        // waits for the peer's delayed ACK.
        tcp.set_nodelay(true)
            .map_err(|e| MailError::Transient(format!("socket option: {e}")))?;
        let stream: Box<dyn AsyncTokioStream> = match &at.security {
            Security::Plain | Security::StartTls(_) => Box::new(tcp),
            Security::Tls(connector, name) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| tls_failure(&at.host, e))?;
                Box::new(TlsSocket(tls))
            }
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &at.hello)
            .await
            .map_err(|e| session_failure(&e))?;
        if let Security::StartTls(params) = &at.security {
            conn.starttls(params.clone(), &at.hello)
                .await
                .map_err(|e| session_failure(&e))?;
        }
        // lettre keeps only the extensions it knows, so ask again and read the list
        // ourselves; before AUTH, since a fresh EHLO may reset a server's state.
        let capabilities = conn
            .command(Ehlo::new(at.hello.clone()))
            .await
            .map_err(|e| session_failure(&e))?;
        let pipelining = capabilities.message().any(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|word| word.eq_ignore_ascii_case("PIPELINING"))
        });
        if let Some(credentials) = &at.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(|e| session_failure(&e))?;
        }
        Ok(Session { conn, pipelining })
    }

    /// Says QUIT on every idle session, so the relay logs a clean end.
    pub async fn close(&self) {
        let parked = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        for Parked {
            session: Session { mut conn, .. },
            ..
        } in parked
        {
            // A failed QUIT leaves nothing to clean up: the socket closes on drop either way.
            let _ = tokio::time::timeout(QUIT_TIMEOUT, conn.quit()).await;
        }
    }
}

/// One mail transaction on an open session. With PIPELINING the envelope
/// commands go out in one write and the message in another: two round trips
/// per message instead of four.
async fn transact(session: &mut Session, envelope: &Envelope, bytes: &[u8]) -> Outcome {
    let Session { conn, pipelining } = session;
    let info = conn.server_info();
    let mut params = Vec::new();
    if envelope
        .to()
        .iter()
        .chain(envelope.from())
        .any(|a| !a.to_string().is_ascii())
    {
        if !info.supports_feature(Extension::SmtpUtfEight) {
            return Outcome {
                result: Err(MailError::Permanent(
                    "the relay does not accept internationalized addresses (no SMTPUTF8)".into(),
                )),
                reusable: true,
            };
        }
        params.push(MailParameter::SmtpUtfEight);
    }
    // What we compose is 7-bit; this only guards against that changing unnoticed.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Outcome {
            result: Err(MailError::Invalid("message is not UTF-8".into())),
            reusable: true,
        };
    };
    if !text.is_ascii() {
        if !info.supports_feature(Extension::EightBitMime) {
            return Outcome {
                result: Err(MailError::Config(
                    "the relay does not accept 8-bit mail".into(),
                )),
                reusable: true,
            };
        }
        params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }

    let mail = Mail::new(envelope.from().cloned(), params).to_string();
    let rcpts: Vec<String> = envelope
        .to()
        .iter()
        .map(|to| Rcpt::new(to.clone(), vec![]).to_string())
        .collect();
    let mut replies = Vec::with_capacity(rcpts.len() + 2);
    if *pipelining {
        // RFC 2920: every reply is read even after a refusal, or the session falls out of step.
        let batch = std::iter::once(mail.as_str())
            .chain(rcpts.iter().map(String::as_str))
            .chain(["DATA\r\n"])
            .collect::<String>();
        replies.push(conn.command(Raw(&batch)).await);
        for _ in 0..=rcpts.len() {
            replies.push(conn.read_response().await);
        }
    } else {
        for command in std::iter::once(&mail)
            .chain(&rcpts)
            .map(String::as_str)
            .chain(["DATA\r\n"])
        {
            let reply = conn.command(Raw(command)).await;
            let refused = reply.is_err();
            replies.push(reply);
            if refused {
                break;
            }
        }
    }

    let last = rcpts.len() + 1;
    let step_of = |i: usize| match i {
        0 => Step::Sender,
        i if i == last => Step::Content,
        _ => Step::Recipient,
    };
    let first_refusal = replies
        .iter()
        .enumerate()
        .find_map(|(i, r)| r.as_ref().err().map(|e| (step_of(i), e)));
    if let Some((step, err)) = first_refusal {
        let (result, judged_reusable) = judge(step, err);
        let mut reusable = judged_reusable && replies.iter().all(session_alive);
        // A server that answered DATA with 354 despite refusing everyone now waits for
        // a message; a lone dot ends it, as RFC 2920 asks.
        if reusable && replies.len() == last + 1 && replies[last].is_ok() {
            reusable = session_alive(&conn.command(Raw(".\r\n")).await);
        }
        // Leave the session clean for the next message.
        reusable = reusable && session_alive(&conn.command(Rset).await);
        return Outcome {
            result: Err(result),
            reusable,
        };
    }

    match conn.command(Raw(&dot_stuffed(text))).await {
        Ok(_) => Outcome {
            result: Ok(()),
            reusable: true,
        },
        Err(err) => {
            let (result, reusable) = judge(Step::Content, &err);
            Outcome {
                result: Err(result),
                reusable,
            }
        }
    }
}

/// Whether the session is still in step after this reply: any SMTP answer but
/// 421 keeps it, a socket or parse failure ends it.
fn session_alive(reply: &Result<Response, lettre::transport::smtp::Error>) -> bool {
    match reply {
        Ok(_) => true,
        Err(err) => err.status().is_some_and(|code| u16::from(code) != 421),
    }
}

/// Sorts an error from one step, and says whether the session survives it.
fn judge(step: Step, err: &lettre::transport::smtp::Error) -> (MailError, bool) {
    let text = err.to_string();
    let code = err.status().map(u16::from);
    match code {
        // 421: the server is closing the session.
        Some(421) => (MailError::Transient(text), false),
        Some(400..=499) => (MailError::Transient(text), true),
        Some(500..=599) => {
            let ours = matches!(code, Some(500..=504 | 530 | 534 | 535 | 538))
                || step == Step::Sender
                || text.contains("5.1.7")
                || text.contains("5.1.8")
                || text.to_ascii_lowercase().contains("relay");
            // Syntax and authentication answers, a refused sender and "relaying denied"
            // are about our setup: suppressing the recipient for them would empty the list.
            (
                if ours {
                    MailError::Config(text)
                } else {
                    MailError::Permanent(text)
                },
                true,
            )
        }
        // No reply code: the socket failed or the reply was garbage; the session is gone.
        _ => (MailError::Transient(text), false),
    }
}

/// Sorts a failure while opening a session (greeting, EHLO, STARTTLS, AUTH).
fn session_failure(err: &lettre::transport::smtp::Error) -> MailError {
    let text = err.to_string();
    if let Some(tls) = io_source(err).filter(|e| e.kind() == io::ErrorKind::InvalidData) {
        // rustls reports bad certificates and protocol mismatches as InvalidData.
        return MailError::Config(format!("TLS: {tls}"));
    }
    match err.status().map(u16::from) {
        Some(400..=499) => MailError::Transient(text),
        Some(_) => MailError::Config(text),
        // "STARTTLS is not supported", "no compatible authentication mechanism".
        None if err.is_client() || err.is_tls() => MailError::Config(text),
        None => MailError::Transient(text),
    }
}

fn tls_failure(host: &str, err: io::Error) -> MailError {
    let text = format!("TLS with {host}: {err}");
    if err.kind() == io::ErrorKind::InvalidData {
        MailError::Config(text)
    } else {
        MailError::Transient(text)
    }
}

fn io_source(err: &lettre::transport::smtp::Error) -> Option<&io::Error> {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return Some(io);
        }
        source = cause.source();
    }
    None
}

/// The message as DATA content: a dot doubled at the start of every line,
/// ended by the lone dot.
fn dot_stuffed(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 64 + 5);
    for line in text.split_inclusive('\n') {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
    }
    if !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

/// Bytes handed to lettre's `command`, which writes them in one go and reads one reply.
struct Raw<'a>(&'a str);

impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Removes sessions idle past [`IDLE_LIMIT`] and says QUIT on them in the background.
fn retire_stale(idle: &mut Vec<Parked>) {
    // Checked first because this runs before every message and is almost always a no-op.
    if !idle.iter().any(|p| p.since.elapsed() >= IDLE_LIMIT) {
        return;
    }
    let (stale, fresh): (Vec<Parked>, Vec<Parked>) = std::mem::take(idle)
        .into_iter()
        .partition(|p| p.since.elapsed() >= IDLE_LIMIT);
    *idle = fresh;
    for Parked {
        session: Session { mut conn, .. },
        ..
    } in stale
    {
        tokio::spawn(async move {
            let _ = tokio::time::timeout(QUIT_TIMEOUT, conn.quit()).await;
        });
    }
}

/// A TLS socket lettre can run a session on: it accepts any tokio stream that
/// implements its `AsyncTokioStream`, and implements that only for `TcpStream`.
#[derive(Debug)]
struct TlsSocket(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for TlsSocket {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for TlsSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
