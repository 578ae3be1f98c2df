//! One outgoing message as the rest of Masthead describes it, and its checked
//! conversion into RFC 5322 bytes plus an SMTP envelope.

use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::{body, MailError};

/// A message to one recipient. Newsletters are personalized, so each reader
/// gets their own `Email`; there is no Cc or Bcc.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Email {
    /// `"Name <addr@example.org>"` or a bare address.
    pub from: String,
    /// `"Name <addr@example.org>"` or a bare address.
    pub to: String,
    pub subject: String,
    /// The plain-text part, always sent. Line ends may be "\n" or "\r\n"; in a
    /// text-only message a text without a final newline arrives with one.
    pub text: String,
    /// With HTML the message becomes multipart/alternative (text first, HTML preferred).
    pub html: Option<String>,
    /// Extra headers passed through as given, e.g. List-Unsubscribe, List-Id.
    pub headers: Vec<(String, String)>,
    /// `<id@domain>`; when absent a random one at the sender's domain is made.
    pub message_id: Option<String>,
}

/// A message ready for any backend.
pub(crate) struct Composed {
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
    pub message_id: String,
}

/// Headers the builder sets itself; letting callers add them too would produce
/// duplicates that receivers resolve differently, and Cc/Bcc would bypass the envelope.
const RESERVED_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "return-path",
];

impl Email {
    /// Checks every field and renders the message. Everything a header could be
    /// smuggled through is checked here, before any backend sees the message.
    pub(crate) fn compose(&self) -> Result<Composed, MailError> {
        let from = mailbox("From", &self.from)?;
        let to = mailbox("To", &self.to)?;
        no_line_breaks("Subject", &self.subject)?;

        let message_id = match &self.message_id {
            Some(id) => checked_message_id(id)?,
            None => format!(
                "<{}@{}>",
                uuid::Uuid::new_v4().simple(),
                from.email.domain()
            ),
        };

        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(self.subject.as_str())
            .date_now()
            .message_id(Some(message_id.clone()));
        for (name, value) in &self.headers {
            builder = builder.raw_header(extra_header(name, value)?);
        }

        let message = match &self.html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(body::encode(&self.text, false)),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(body::encode(html, false)),
                    ),
            ),
            None => builder.singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(body::encode(&self.text, true)),
            ),
        }
        .map_err(|e| MailError::Invalid(e.to_string()))?;

        Ok(Composed {
            envelope: message.envelope().clone(),
            bytes: message.formatted(),
            message_id,
        })
    }
}

fn mailbox(field: &str, value: &str) -> Result<Mailbox, MailError> {
    no_line_breaks(field, value)?;
    value
        .trim()
        .parse()
        .map_err(|e| MailError::Invalid(format!("{field} address {value:?}: {e}")))
}

fn no_line_breaks(field: &str, value: &str) -> Result<(), MailError> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(MailError::Invalid(format!("{field} contains a line break")));
    }
    Ok(())
}

fn checked_message_id(id: &str) -> Result<String, MailError> {
    let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
    let well_formed = bare
        .split_once('@')
        .is_some_and(|(left, right)| !left.is_empty() && !right.is_empty())
        && bare
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>'));
    if !well_formed {
        return Err(MailError::Invalid(format!(
            "Message-ID {id:?} is not of the form <left@right>"
        )));
    }
    Ok(format!("<{bare}>"))
}

fn extra_header(name: &str, value: &str) -> Result<HeaderValue, MailError> {
    // RFC 5322 field names: printable ASCII without the colon.
    if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
        return Err(MailError::Invalid(format!(
            "header name {name:?} is not a valid field name"
        )));
    }
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(MailError::Invalid(format!(
            "header {name} is set by the mailer"
        )));
    }
    no_line_breaks(name, value)?;
    let name = HeaderName::new_from_ascii(name.to_owned())
        .map_err(|_| MailError::Invalid(format!("header name {name:?} is too long")))?;
    Ok(HeaderValue::new(name, value.to_owned()))
}
