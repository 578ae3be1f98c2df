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
