//! What can go wrong when sending, sorted by what the caller should do next:
//! retry later, give up on this recipient, fix the message, or stop and fix the mailer.

/// Why a message was not accepted. Each variant names a different reaction, so
/// delivery jobs can decide without reading the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// A 4xx answer, a timeout, a refused or broken connection: the same message
    /// may go through later, so retry with backoff.
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// A 5xx answer about this message or recipient: don't retry it. For a
    /// newsletter that means suppressing the address.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
    /// A bad address, header or message id, caught before anything was sent.
    #[error("invalid message: {0}")]
    Invalid(String),
    /// The mailer itself is wrong (bad URL, login refused, TLS failure, the relay
    /// rejecting our commands or our sender): no message will go through until an
    /// operator fixes it, so pause sending rather than retrying or suppressing.
    #[error("mail setup problem: {0}")]
    Config(String),
}

impl MailError {
    /// Whether sending the same message again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient(_))
    }
}

/// Sorts lettre's SMTP errors into our four reactions.
pub(crate) fn classify(err: &lettre::transport::smtp::Error) -> MailError {
    let text = err.to_string();
    if err.is_timeout() || err.is_transient() {
        return MailError::Transient(text);
    }
    if err.is_permanent() {
        let code = err.status().map(u16::from);
        return match code {
            // Syntax errors and authentication answers are about our client or our
            // account, not the recipient: suppressing addresses on them would empty the list.
            Some(500..=504 | 530 | 534 | 535 | 538) => MailError::Config(text),
            // Enhanced codes 5.1.7 and 5.1.8 reject the sender address, again not the recipient.
            _ if text.contains("5.1.7") || text.contains("5.1.8") => MailError::Config(text),
            _ => MailError::Permanent(text),
        };
    }
    if err.is_tls() || err.is_client() {
        return MailError::Config(text);
    }
    // Connection refused, reset, DNS failure, an unparseable answer: worth another try.
    MailError::Transient(text)
}
