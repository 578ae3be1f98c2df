//! A small SMTP server on 127.0.0.1 that accepts and records mail, so tests can
//! send over real TCP and then read what arrived. It speaks enough SMTP for
//! lettre, curl and Python's smtplib (EHLO/HELO, AUTH PLAIN/LOGIN accepting any
//! login, MAIL, RCPT, DATA, RSET, NOOP, VRFY, HELP, QUIT; PIPELINING offered),
//! optionally over TLS (STARTTLS or from the first byte) with a certificate the
//! test supplies, and can be told to refuse, throttle or dawdle.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use super::Received;

/// RFC 5321 allows 512 octets per command line; clients with long AUTH
/// responses go past that, so leave room.
const COMMAND_LINE_LIMIT: u64 = 4096;
/// Read at most this much of a DATA line at once; longer lines still arrive whole.
const DATA_CHUNK_LIMIT: u64 = 64 * 1024;
/// Bigger messages are answered 552 and dropped, so a runaway test can't eat memory.
const MESSAGE_LIMIT: usize = 50 * 1024 * 1024;

/// A running SMTP server. Stops when dropped or on [`SmtpSink::stop`].
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accepting: Option<JoinHandle<()>>,
}

/// How a TLS sink offers encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain at first, with STARTTLS offered (a submission port, 587).
    StartTls,
    /// TLS from the first byte (SMTPS, 465).
    Implicit,
}

/// What a session's connection is at the moment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    Plain,
    /// Plain, and STARTTLS may be asked for.
    Upgradable,
    /// Encrypted from the start.
    Encrypted,
    /// Encrypted by STARTTLS: no new greeting, the client speaks first.
    Upgraded,
}

struct Shared {
    tls: Option<(TlsAcceptor, TlsMode)>,
    book: Mutex<Book>,
    /// The number of recorded messages, for [`SmtpSink::wait_for`].
    arrivals: watch::Sender<usize>,
    connections: AtomicUsize,
}

#[derive(Default)]
struct Book {
    messages: Vec<Received>,
    /// Codes to answer the next transactions with at the end of DATA, one each.
    failures: VecDeque<u16>,
    /// Lower-cased address to the code its RCPT TO is answered with.
    refused: HashMap<String, u16>,
    /// Lower-cased address to the code its MAIL FROM is answered with.
    refused_senders: HashMap<String, u16>,
    delay: Duration,
    /// Whether EHLO offers PIPELINING; on unless a test turns it off.
    no_pipelining: bool,
}

impl SmtpSink {
    /// Listens on 127.0.0.1 at a port the system picks.
    pub async fn start() -> io::Result<SmtpSink> {
        SmtpSink::launch(None).await
    }

    /// Like [`SmtpSink::start`], speaking TLS with this certificate chain and
    /// private key (PEM), which should name 127.0.0.1. Clients must trust its
    /// issuer, e.g. through [`crate::MailOptions::tls_ca_file`].
    pub async fn start_with_tls(
        mode: TlsMode,
        cert_chain_pem: &[u8],
        key_pem: &[u8],
    ) -> io::Result<SmtpSink> {
        let bad =
            |e: &dyn std::fmt::Display| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
        let chain = CertificateDer::pem_slice_iter(cert_chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(&e))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| bad(&e))?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(&e))?;
        SmtpSink::launch(Some((TlsAcceptor::from(Arc::new(config)), mode))).await
    }

    async fn launch(tls: Option<(TlsAcceptor, TlsMode)>) -> io::Result<SmtpSink> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            tls,
            book: Mutex::new(Book::default()),
            arrivals: watch::Sender::new(0),
            connections: AtomicUsize::new(0),
        });
        let accepting = tokio::spawn(accept(listener, Arc::clone(&shared)));
        Ok(SmtpSink {
            addr,
            shared,
            accepting: Some(accepting),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:PORT`, ready for [`crate::Mailer::from_url`]; with TLS
    /// `smtp+starttls://…` or `smtps://…`.
    pub fn url(&self) -> String {
        let scheme = match &self.shared.tls {
            None => "smtp",
            Some((_, TlsMode::StartTls)) => "smtp+starttls",
            Some((_, TlsMode::Implicit)) => "smtps",
        };
        format!("{scheme}://{}", self.addr)
    }

    /// Every message accepted so far, in order of acceptance.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.book().messages.clone()
    }

    /// Waits until at least `n` messages have arrived or `timeout` has passed, and
    /// returns what arrived either way, so the caller's assertion shows the shortfall.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let mut arrivals = self.shared.arrivals.subscribe();
        // The sender lives in `shared`, which we hold, so waiting can only end by count or time.
        let _ = tokio::time::timeout(timeout, arrivals.wait_for(|count| *count >= n)).await;
        self.messages()
    }

    /// Answers the next `n` transactions with `code` after their DATA, as a
    /// throttling relay does (451 "try again later"), instead of accepting them.
    /// Calls queue up: `fail_next(1, 451); fail_next(1, 554)` fails two in that order.
    pub fn fail_next(&self, n: usize, code: u16) {
        self.shared
            .book()
            .failures
            .extend(std::iter::repeat_n(code, n));
    }

    /// Answers RCPT TO for this address (any case) with `code`, e.g. 550 for an unknown user.
    pub fn reject_recipient(&self, address: &str, code: u16) {
        self.shared
            .book()
            .refused
            .insert(address.to_ascii_lowercase(), code);
    }

    /// Answers MAIL FROM with this address (any case) with `code`, as a relay does
    /// for a sender it won't send for.
    pub fn reject_sender(&self, address: &str, code: u16) {
        self.shared
            .book()
            .refused_senders
            .insert(address.to_ascii_lowercase(), code);
    }

    /// Waits this long before every reply, greeting included; zero turns it off.
    pub fn set_delay(&self, delay: Duration) {
        self.shared.book().delay = delay;
    }

    /// Offer PIPELINING (RFC 2920) in EHLO, the default, or not. Commands are
    /// answered in order either way; this only changes what clients are told.
    pub fn set_pipelining(&self, offered: bool) {
        self.shared.book().no_pipelining = !offered;
    }

    /// How many TCP connections have been accepted, to check pooling.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Closes the listener and every open session. Returns once the port is closed.
    pub async fn stop(mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
            // The task was just aborted; its cancellation error is the expected outcome.
            let _ = accepting.await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(accepting) = &self.accepting {
            accepting.abort();
        }
    }
}

impl Shared {
    fn book(&self) -> MutexGuard<'_, Book> {
        // A test that panicked while holding the lock leaves a usable book behind.
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn delay(&self) -> Duration {
        self.book().delay
    }

    /// Stores the message and returns how many there are now.
    fn record(&self, received: Received) -> usize {
        let count = {
            let mut book = self.book();
            book.messages.push(received);
            book.messages.len()
        };
        self.arrivals.send_replace(count);
        count
    }
}

/// The accept loop owns the session tasks, so aborting it ends them all.
async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        // Errors here are per connection (e.g. the client gave up before accept); keep serving.
        if let Ok((stream, _)) = listener.accept().await {
            shared.connections.fetch_add(1, Ordering::Relaxed);
            // No reply should wait for more bytes from us: SMTP is one small write per turn.
            let _ = stream.set_nodelay(true);
            sessions.spawn(session(stream, Arc::clone(&shared)));
        }
        while sessions.try_join_next().is_some() {}
    }
}

/// The state of one SMTP session.
#[derive(Default)]
struct Session {
    from: Option<String>,
    recipients: Vec<String>,
    auth_user: Option<String>,
}

enum Line {
    Text(String),
    TooLong,
    Closed,
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    // An I/O error means the client went away or botched TLS; there is no one left to tell.
    let _ = serve(stream, &shared).await;
}

async fn serve(tcp: TcpStream, shared: &Shared) -> io::Result<()> {
    match &shared.tls {
        None => converse(tcp, shared, Link::Plain).await.map(drop),
        Some((acceptor, TlsMode::Implicit)) => {
            let tls = acceptor.accept(tcp).await?;
            converse(tls, shared, Link::Encrypted).await.map(drop)
        }
        Some((acceptor, TlsMode::StartTls)) => match converse(tcp, shared, Link::Upgradable).await?
        {
            Some(tcp) => {
                let tls = acceptor.accept(tcp).await?;
                converse(tls, shared, Link::Upgraded).await.map(drop)
            }
            None => Ok(()),
        },
    }
}

/// Runs the session until QUIT or the client leaves. Returns the stream when the
/// client asked for STARTTLS, for the caller to encrypt and go on with.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    shared: &Shared,
    link: Link,
) -> io::Result<Option<S>> {
    // One BufReader for both ways: it passes writes through, and gives the bare
    // stream back for STARTTLS (dropping anything the client sent early, as RFC 3207 asks).
    let mut io = BufReader::new(stream);
    let mut state = Session::default();
    let encrypted = matches!(link, Link::Encrypted | Link::Upgraded);
    if link != Link::Upgraded {
        reply(&mut io, shared, "220 masthead-sink ESMTP ready").await?;
    }
    loop {
        let line = match read_command(&mut io).await? {
            Line::Text(line) => line,
            Line::TooLong => {
                reply(&mut io, shared, "500 5.5.6 Line too long").await?;
                return Ok(None);
            }
            Line::Closed => return Ok(None),
        };
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let arg = arg.trim();
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                state = Session {
                    auth_user: state.auth_user.take(),
                    ..Session::default()
                };
                let pipelining = if shared.book().no_pipelining {
                    ""
                } else {
                    "250-PIPELINING\r\n"
                };
                let starttls = if link == Link::Upgradable {
                    "250-STARTTLS\r\n"
                } else {
                    ""
                };
                let greeting = format!(
                    "250-masthead-sink greets {arg}\r\n{pipelining}{starttls}250-8BITMIME\r\n250-SMTPUTF8\r\n\
                     250-SIZE {MESSAGE_LIMIT}\r\n250-AUTH PLAIN LOGIN\r\n250 HELP"
                );
                reply(&mut io, shared, &greeting).await?;
            }
            "HELO" => {
                state = Session {
                    auth_user: state.auth_user.take(),
                    ..Session::default()
                };
                reply(&mut io, shared, "250 masthead-sink").await?;
            }
            "STARTTLS" if link == Link::Upgradable => {
                reply(&mut io, shared, "220 2.0.0 Ready to start TLS").await?;
                return Ok(Some(io.into_inner()));
            }
            "STARTTLS" => reply(&mut io, shared, "502 5.5.1 STARTTLS not offered").await?,
            "AUTH" => {
                let answer = authenticate(arg, &mut io, shared, &mut state).await?;
                reply(&mut io, shared, answer).await?;
            }
            "MAIL" => {
                let answer = match (&state.from, path_after(arg, "FROM:")) {
                    (Some(_), _) => "503 5.5.1 Sender already given".to_owned(),
                    (None, None) => "501 5.5.4 Syntax: MAIL FROM:<address>".to_owned(),
                    (None, Some(from)) => match shared
                        .book()
                        .refused_senders
                        .get(&from.to_ascii_lowercase())
                    {
                        Some(&code) => refusal(code),
                        None => {
                            state.from = Some(from);
                            "250 2.1.0 Sender OK".to_owned()
                        }
                    },
                };
                reply(&mut io, shared, &answer).await?;
            }
            "RCPT" => {
                let answer = match (&state.from, path_after(arg, "TO:")) {
                    (None, _) => "503 5.5.1 Need MAIL first".to_owned(),
                    (Some(_), None) => "501 5.5.4 Syntax: RCPT TO:<address>".to_owned(),
                    (Some(_), Some(to)) => {
                        match shared.book().refused.get(&to.to_ascii_lowercase()) {
                            Some(&code) => refusal(code),
                            None => {
                                state.recipients.push(to);
                                "250 2.1.5 Recipient OK".to_owned()
                            }
                        }
                    }
                };
                reply(&mut io, shared, &answer).await?;
            }
            "DATA" => {
                if state.recipients.is_empty() {
                    reply(&mut io, shared, "503 5.5.1 Need RCPT first").await?;
                    continue;
                }
                reply(&mut io, shared, "354 End data with <CR><LF>.<CR><LF>").await?;
                let Some(raw) = read_data(&mut io).await? else {
                    // The client left mid-message; nothing was accepted.
                    return Ok(None);
                };
                let from = state.from.take().unwrap_or_default();
                let recipients = std::mem::take(&mut state.recipients);
                if raw.len() > MESSAGE_LIMIT {
                    reply(&mut io, shared, "552 5.3.4 Message too big").await?;
                    continue;
                }
                let failure = shared.book().failures.pop_front();
                match failure {
                    Some(code) => {
                        reply(&mut io, shared, &refusal(code)).await?;
                        // 421 means the server is closing the session.
                        if code == 421 {
                            return Ok(None);
                        }
                    }
                    None => {
                        let auth_user = state.auth_user.clone();
                        let count = shared.record(Received {
                            envelope_from: from,
                            recipients,
                            raw,
                            auth_user,
                            tls: encrypted,
                        });
                        reply(&mut io, shared, &format!("250 2.0.0 OK queued as {count}")).await?;
                    }
                }
            }
            "RSET" => {
                state.from = None;
                state.recipients.clear();
                reply(&mut io, shared, "250 2.0.0 OK").await?;
            }
            "NOOP" => reply(&mut io, shared, "250 2.0.0 OK").await?,
            "VRFY" => {
                reply(
                    &mut io,
                    shared,
                    "252 2.5.2 Cannot VRFY user, but will accept message",
                )
                .await?
            }
            "HELP" => {
                reply(
                    &mut io,
                    shared,
                    "214 2.0.0 EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY QUIT",
                )
                .await?
            }
            "QUIT" => {
                reply(&mut io, shared, "221 2.0.0 Bye").await?;
                return Ok(None);
            }
            _ => reply(&mut io, shared, "500 5.5.2 Command not recognized").await?,
        }
    }
}

/// Handles AUTH PLAIN and AUTH LOGIN, with or without an initial response,
/// accepting any credentials and remembering the user. Returns the final answer.
async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    arg: &str,
    io: &mut BufReader<S>,
    shared: &Shared,
    state: &mut Session,
) -> io::Result<&'static str> {
    let (mechanism, initial) = arg.split_once(' ').unwrap_or((arg, ""));
    let decode = |b64: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let user = match mechanism.to_ascii_uppercase().as_str() {
        // PLAIN carries "authzid\0user\0password".
        "PLAIN" => ask(io, shared, "334 ", initial)
            .await?
            .and_then(|b64| decode(&b64))
            .and_then(|plain| plain.split('\0').nth(1).map(str::to_owned)),
        "LOGIN" => {
            let user = ask(io, shared, "334 VXNlcm5hbWU6", initial)
                .await?
                .and_then(|b64| decode(&b64));
            // The password is read and forgotten: the sink accepts any.
            match user {
                Some(user) => ask(io, shared, "334 UGFzc3dvcmQ6", "").await?.map(|_| user),
                None => None,
            }
        }
        _ => return Ok("504 5.5.4 Unrecognized authentication type"),
    };
    match user {
        Some(user) => {
            state.auth_user = Some(user);
            Ok("235 2.7.0 Authentication successful")
        }
        None => Ok("501 5.5.2 Cannot decode response"),
    }
}

/// One SASL step: the response given with the AUTH command, else prompt for it.
/// `None` when the client cancels with `*` or leaves.
async fn ask<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    shared: &Shared,
    prompt: &str,
    given: &str,
) -> io::Result<Option<String>> {
    if !given.trim().is_empty() {
        return Ok(Some(given.trim().to_owned()));
    }
    reply(io, shared, prompt).await?;
    match read_command(io).await? {
        Line::Text(line) if line.trim() != "*" => Ok(Some(line.trim().to_owned())),
        Line::Text(_) | Line::TooLong | Line::Closed => Ok(None),
    }
}

/// `FROM:<a@b> SIZE=10` gives `a@b`; `FROM:<>` gives an empty path.
fn path_after(arg: &str, keyword: &str) -> Option<String> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    match rest.strip_prefix('<') {
        Some(inner) => inner.split_once('>').map(|(path, _)| path.to_owned()),
        None => rest.split_whitespace().next().map(str::to_owned),
    }
}

/// The answer for an injected failure, with a plausible enhanced status code.
fn refusal(code: u16) -> String {
    let text = match code {
        421 => "4.3.2 Service not available, closing channel",
        450 => "4.2.1 Mailbox busy, try again later",
        451 => "4.7.1 Try again later",
        452 => "4.2.2 Insufficient system storage",
        550 => "5.1.1 Mailbox unavailable",
        552 => "5.2.2 Mailbox full",
        553 => "5.1.3 Mailbox name not allowed",
        554 => "5.7.1 Transaction failed",
        c if c < 500 => "4.0.0 Temporary failure (test sink)",
        _ => "5.0.0 Refused (test sink)",
    };
    format!("{code} {text}")
}

async fn reply<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    shared: &Shared,
    text: &str,
) -> io::Result<()> {
    let delay = shared.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut bytes = Vec::with_capacity(text.len() + 2);
    bytes.extend_from_slice(text.as_bytes());
    bytes.extend_from_slice(b"\r\n");
    // Straight to the stream: BufReader buffers only reads.
    let stream = io.get_mut();
    stream.write_all(&bytes).await?;
    stream.flush().await
}

async fn read_command<R: AsyncRead + Unpin>(read: &mut BufReader<R>) -> io::Result<Line> {
    let mut buf = Vec::new();
    let n = read
        .take(COMMAND_LINE_LIMIT)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(Line::Closed);
    }
    if !buf.ends_with(b"\n") {
        return Ok(if n as u64 >= COMMAND_LINE_LIMIT {
            Line::TooLong
        } else {
            Line::Closed
        });
    }
    let text = String::from_utf8_lossy(&buf);
    Ok(Line::Text(text.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Reads a DATA body up to the lone dot, undoing dot-stuffing. Returns `None`
/// if the client closed the connection first. Past [`MESSAGE_LIMIT`] the rest is
/// read and thrown away, and the returned body is one byte over the limit.
async fn read_data<R: AsyncRead + Unpin>(read: &mut BufReader<R>) -> io::Result<Option<Vec<u8>>> {
    let mut raw = Vec::new();
    let mut chunk = Vec::new();
    let mut at_line_start = true;
    loop {
        chunk.clear();
        let n = read
            .take(DATA_CHUNK_LIMIT)
            .read_until(b'\n', &mut chunk)
            .await?;
        if n == 0 {
            return Ok(None);
        }
        let line_start = at_line_start;
        at_line_start = chunk.ends_with(b"\n");
        if line_start && (chunk == b".\r\n" || chunk == b".\n") {
            return Ok(Some(raw));
        }
        let content = if line_start && chunk.starts_with(b".") {
            &chunk[1..]
        } else {
            &chunk[..]
        };
        if raw.len() + content.len() <= MESSAGE_LIMIT {
            raw.extend_from_slice(content);
        } else if raw.len() <= MESSAGE_LIMIT {
            raw.resize(MESSAGE_LIMIT + 1, 0);
        }
    }
}
