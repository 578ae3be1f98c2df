//! Tools for tests of anything that sends mail: [`SmtpSink`], a real SMTP
//! server on a loopback port, and [`Received`], one accepted message with helpers
//! that decode what a reader would see. Always compiled: other crates' tests use
//! it, and the memory backend stores its messages as [`Received`] too.

mod sink;

pub use sink::{SmtpSink, TlsMode};

use lettre::address::Envelope;
use mail_parser::{MessageParser, PartType};

/// One message as a server accepted it: the SMTP envelope and the raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The MAIL FROM address; empty for the null sender `<>`.
    pub envelope_from: String,
    /// The accepted RCPT TO addresses.
    pub recipients: Vec<String>,
    /// The message as transferred: CRLF line ends, dots already unstuffed.
    pub raw: Vec<u8>,
    /// The user name the client logged in with, if it did.
    pub auth_user: Option<String>,
    /// Whether the message came over TLS.
    pub tls: bool,
}

impl Received {
    /// A message known only by its bytes, e.g. an .eml file the file backend wrote.
    pub fn from_raw(raw: Vec<u8>) -> Received {
        Received {
            envelope_from: String::new(),
            recipients: Vec::new(),
            raw,
            auth_user: None,
            tls: false,
        }
    }

    pub(crate) fn from_envelope(envelope: &Envelope, raw: Vec<u8>) -> Received {
        Received {
            envelope_from: envelope.from().map(ToString::to_string).unwrap_or_default(),
            recipients: envelope.to().iter().map(ToString::to_string).collect(),
            raw,
            auth_user: None,
            tls: false,
        }
    }

    /// The first top-level header of that name (any case), unfolded and trimmed,
    /// as written: RFC 2047 encoded words are left alone (see [`Received::subject`]).
    pub fn header(&self, name: &str) -> Option<String> {
        let mut found: Option<String> = None;
        for line in self
            .header_block()
            .split("\r\n")
            .flat_map(|l| l.split('\n'))
        {
            match &mut found {
                // A line starting with white space continues the previous field.
                Some(value) if line.starts_with([' ', '\t']) => value.push_str(line),
                Some(_) => break,
                None => {
                    if let Some((field, value)) = line.split_once(':') {
                        if field.trim_end().eq_ignore_ascii_case(name) {
                            found = Some(value.to_owned());
                        }
                    }
                }
            }
        }
        found.map(|v| v.trim().to_owned())
    }

    /// The Subject, decoded.
    pub fn subject(&self) -> Option<String> {
        MessageParser::default()
            .parse(&self.raw)?
            .subject()
            .map(str::to_owned)
    }

    /// The first text/plain part, decoded, with CRLF turned back into `\n`.
    pub fn text_part(&self) -> Option<String> {
        self.part(|body| matches!(body, PartType::Text(_)))
    }

    /// The first text/html part, decoded, with CRLF turned back into `\n`.
    pub fn html_part(&self) -> Option<String> {
        self.part(|body| matches!(body, PartType::Html(_)))
    }

    /// Every http(s) link in the HTML part's href attributes and the text part,
    /// in that order, without repeats. Handy for following magic links in tests.
    pub fn links(&self) -> Vec<String> {
        let mut links: Vec<String> = Vec::new();
        let mut add = |link: String| {
            if !links.contains(&link) {
                links.push(link);
            }
        };
        if let Some(html) = self.html_part() {
            for quote in ['"', '\''] {
                let opener = format!("href={quote}");
                for (at, _) in html.match_indices(&opener) {
                    let rest = &html[at + opener.len()..];
                    let href = rest.split(quote).next().unwrap_or_default();
                    let href = href.replace("&amp;", "&").replace("&#38;", "&");
                    if href.starts_with("http://") || href.starts_with("https://") {
                        add(href);
                    }
                }
            }
        }
        if let Some(text) = self.text_part() {
            for word in text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')) {
                if let Some(at) = word.find("http://").or_else(|| word.find("https://")) {
                    let link =
                        word[at..].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'']);
                    add(link.to_owned());
                }
            }
        }
        links
    }

    fn header_block(&self) -> &str {
        let text = std::str::from_utf8(&self.raw).unwrap_or_default();
        let end = text
            .find("\r\n\r\n")
            .or_else(|| text.find("\n\n"))
            .unwrap_or(text.len());
        &text[..end]
    }

    fn part(&self, wanted: impl Fn(&PartType<'_>) -> bool) -> Option<String> {
        let message = MessageParser::default().parse(&self.raw)?;
        let part = message.parts.iter().find(|p| wanted(&p.body))?;
        part.text_contents().map(|text| text.replace("\r\n", "\n"))
    }
}
