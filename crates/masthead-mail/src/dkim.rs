//! DKIM signatures (RFC 6376) on outgoing mail, so receivers can check that a
//! message, its List-Unsubscribe links included, left us unaltered: relaxed/relaxed
//! canonicalization, rsa-sha256 or ed25519-sha256 (RFC 8463), over the bytes a
//! backend is about to send.
//!
//! Written here over ring rather than with lettre's `dkim` feature: ring is already
//! built for TLS, so this adds no crate to the build, its RSA is constant-time (the
//! `rsa` crate lettre uses is not, RUSTSEC-2023-0071), and lettre's key loader takes
//! only PKCS#1 PEM while `openssl genpkey` writes PKCS#8.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::PrivateKeyDer;

use crate::MailError;

/// The header fields a signature covers, when the message has them. A receiver
/// that checks the signature knows these are as we sent them.
const SIGNED_HEADERS: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Id",
];

/// Lines of the DKIM-Signature field are folded to stay this short (RFC 5322's
/// recommended 78, with room for the tab that starts a continuation).
const FOLD_AT: usize = 76;

/// Signs mail as one domain with one key. Cheap to clone. Its `Debug` shows the
/// domain, selector and algorithm, never the key.
#[derive(Clone)]
pub struct Dkim(Arc<Signer>);

struct Signer {
    domain: String,
    selector: String,
    key: Key,
    rng: SystemRandom,
}

enum Key {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// Which setting is wrong, so the error can name it. Key errors never quote the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DkimError {
    #[error("{0}")]
    Domain(String),
    #[error("{0}")]
    Selector(String),
    #[error("{0}")]
    Key(String),
}

impl Dkim {
    /// A signer for `d=domain; s=selector` with a private key in PEM: RSA (PKCS#8
    /// `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`, 2048 to 4096 bits) or
    /// Ed25519 (PKCS#8), unencrypted.
    pub fn new(domain: &str, selector: &str, private_key_pem: &str) -> Result<Dkim, DkimError> {
        let domain = dns_name(domain).map_err(|e| DkimError::Domain(format!("{domain:?} {e}")))?;
        let selector =
            dns_name(selector).map_err(|e| DkimError::Selector(format!("{selector:?} {e}")))?;
        let key = Key::from_pem(private_key_pem).map_err(DkimError::Key)?;
        Ok(Dkim(Arc::new(Signer {
            domain,
            selector,
            key,
            rng: SystemRandom::new(),
        })))
    }

    pub fn domain(&self) -> &str {
        &self.0.domain
    }

    pub fn selector(&self) -> &str {
        &self.0.selector
    }

    /// The `a=` tag: "rsa-sha256" or "ed25519-sha256".
    pub fn algorithm(&self) -> &'static str {
        match self.0.key {
            Key::Rsa(_) => "rsa-sha256",
            Key::Ed25519(_) => "ed25519-sha256",
        }
    }

    /// Where receivers look up the public key: `selector._domainkey.domain`.
    pub fn dns_name(&self) -> String {
        format!("{}._domainkey.{}", self.0.selector, self.0.domain)
    }

    /// The message with a DKIM-Signature field put in front. `message` is what
    /// the composer made: CRLF line ends, header fields, a blank line, the body.
    pub(crate) fn sign(&self, message: &[u8], now: SystemTime) -> Result<Vec<u8>, MailError> {
        let (head, body) = split_message(message);
        let fields = header_fields(head);
        let body_hash = base64(digest(&SHA256, &relaxed_body(body)).as_ref());

        // Each present field is signed from the bottom up, and its name listed once
        // more than it occurs: a receiver treats the extra entry as an empty field,
        // so a second From or List-Unsubscribe added on the way breaks the signature.
        let mut names = Vec::new();
        let mut hashed = Vec::new();
        for &name in SIGNED_HEADERS {
            let instances: Vec<&[u8]> = fields
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, field)| *field)
                .collect();
            if instances.is_empty() {
                continue;
            }
            for field in instances.iter().rev() {
                hashed.extend_from_slice(&relaxed_header(field));
                names.push(name.to_ascii_lowercase());
            }
            names.push(name.to_ascii_lowercase());
        }

        let timestamp = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut field = self.unsigned_field(timestamp, &names, &body_hash);
        // The field as receivers will hash it: with an empty b= and no final CRLF.
        let canonical = relaxed_header(field.text.as_bytes());
        hashed.extend_from_slice(canonical.strip_suffix(b"\r\n").unwrap_or(&canonical));

        let signature = match &self.0.key {
            Key::Rsa(key) => {
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &self.0.rng, &hashed, &mut signature)
                    .map_err(|_| MailError::Config("DKIM: RSA signing failed".into()))?;
                signature
            }
            // RFC 8463: Ed25519 signs the SHA-256 hash of the data, not the data.
            Key::Ed25519(key) => key
                .sign(digest(&SHA256, &hashed).as_ref())
                .as_ref()
                .to_vec(),
        };

        field.fill(&base64(&signature));
        let mut signed = Vec::with_capacity(field.text.len() + 2 + message.len());
        signed.extend_from_slice(field.text.as_bytes());
        signed.extend_from_slice(b"\r\n");
        signed.extend_from_slice(message);
        Ok(signed)
    }

    /// The DKIM-Signature field up to and including `b=`, folded. The signature
    /// value is appended to this exact text, so it is also what is hashed.
    fn unsigned_field(&self, timestamp: u64, names: &[String], body_hash: &str) -> Folded {
        let mut field = Folded {
            text: String::from("DKIM-Signature:"),
            column: "DKIM-Signature:".len(),
        };
        for tag in [
            "v=1;".to_owned(),
            format!("a={};", self.algorithm()),
            "c=relaxed/relaxed;".to_owned(),
            format!("d={};", self.0.domain),
            format!("s={};", self.0.selector),
            format!("t={timestamp};"),
        ] {
            field.word(&tag);
        }
        // h= may be folded before its colons.
        for (i, name) in names.iter().enumerate() {
            match i {
                0 => field.word(&format!("h={name}")),
                _ => field.glued(&format!(":{name}")),
            }
        }
        field.glued(";");
        field.word(&format!("bh={body_hash};"));
        field.word("b=");
        field
    }
}

/// A header field being written, folded so its lines stay under [`FOLD_AT`].
struct Folded {
    text: String,
    /// Characters on the current line, a continuation's tab counted as one.
    column: usize,
}

impl Folded {
    /// Appends `piece` after a space, or on a new line where it would not fit.
    fn word(&mut self, piece: &str) {
        self.put(" ", piece);
    }

    /// Appends `piece` directly, or on a new line where it would not fit.
    fn glued(&mut self, piece: &str) {
        self.put("", piece);
    }

    fn put(&mut self, gap: &str, piece: &str) {
        if self.column + gap.len() + piece.len() > FOLD_AT {
            self.text.push_str("\r\n\t");
            self.column = 1;
        } else {
            self.text.push_str(gap);
            self.column += gap.len();
        }
        self.text.push_str(piece);
        self.column += piece.len();
    }

    /// Appends base64, which may be broken anywhere (RFC 6376 3.5), filling lines.
    fn fill(&mut self, base64: &str) {
        let mut rest = base64;
        while !rest.is_empty() {
            if self.column >= FOLD_AT {
                self.text.push_str("\r\n\t");
                self.column = 1;
            }
            let (line, after) = rest.split_at((FOLD_AT - self.column).min(rest.len()));
            self.text.push_str(line);
            self.column += line.len();
            rest = after;
        }
    }
}

impl fmt::Debug for Dkim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dkim")
            .field("domain", &self.0.domain)
            .field("selector", &self.0.selector)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// Two signers are the same when they sign as the same name with the same key.
impl PartialEq for Dkim {
    fn eq(&self, other: &Dkim) -> bool {
        self.0.domain == other.0.domain
            && self.0.selector == other.0.selector
            && self.0.key.public() == other.0.key.public()
    }
}

impl Eq for Dkim {}

impl Key {
    fn from_pem(pem_text: &str) -> Result<Key, String> {
        let der = PrivateKeyDer::from_pem_slice(pem_text.as_bytes()).map_err(|e| {
            // pem::Error can quote lines of the input; say only what kind of problem it is.
            match e {
                pem::Error::NoItemsFound => "holds no unencrypted private key (expected \
                    -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)"
                    .to_owned(),
                pem::Error::MissingSectionEnd { .. } => {
                    "is cut short: its -----END ...----- line is missing".to_owned()
                }
                _ => "is not valid PEM".to_owned(),
            }
        })?;
        match der {
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der())
                .map(Key::Rsa)
                .map_err(|e| rsa_rejected(&e)),
            PrivateKeyDer::Pkcs8(der) => {
                let der = der.secret_pkcs8_der();
                match RsaKeyPair::from_pkcs8(der) {
                    Ok(key) => Ok(Key::Rsa(key)),
                    // Broken DER says nothing about which kind of key it was meant to be.
                    Err(e) if e.to_string() == "InvalidEncoding" => {
                        Err("is not a usable private key (not well-formed PKCS#8)".to_owned())
                    }
                    Err(e) if e.to_string() != "WrongAlgorithm" => Err(rsa_rejected(&e)),
                    // openssl writes Ed25519 keys as PKCS#8 v1, without the public key.
                    Err(_) => Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                        .map(Key::Ed25519)
                        .map_err(|e| match e.to_string().as_str() {
                            "WrongAlgorithm" => "is neither an RSA nor an Ed25519 key".to_owned(),
                            other => format!("is not a usable Ed25519 key ({other})"),
                        }),
                }
            }
            PrivateKeyDer::Sec1(_) => {
                Err("is an EC key; DKIM signs with RSA or Ed25519".to_owned())
            }
            _ => Err("is not an RSA or Ed25519 private key".to_owned()),
        }
    }

    fn public(&self) -> &[u8] {
        match self {
            Key::Rsa(key) => key.public().as_ref(),
            Key::Ed25519(key) => key.public_key().as_ref(),
        }
    }
}

fn rsa_rejected(e: &ring::error::KeyRejected) -> String {
    match e.to_string().as_str() {
        "TooSmall" => "is an RSA key of fewer than 2048 bits, which RFC 8301 advises \
            against and Masthead refuses: make a 2048-bit key"
            .to_owned(),
        "TooLarge" => "is an RSA key of more than 4096 bits, which receivers need not accept \
            (RFC 8301): make a 2048-bit key"
            .to_owned(),
        other => format!("is not a usable RSA key ({other})"),
    }
}

/// A domain or selector as it goes into d=, s= and the DNS name: dot-separated
/// labels of letters, digits, hyphens and underscores (also how the operator's
/// crawler domains are checked).
pub fn dns_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim().trim_end_matches('.');
    if name.is_empty() {
        return Err("is empty");
    }
    if name.len() > 253 {
        return Err("is longer than a DNS name may be");
    }
    let fine = name.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if !fine {
        return Err("is not a DNS name (letters, digits, hyphens and dots; IDNs in xn-- form)");
    }
    Ok(name.to_owned())
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The header block (with its final CRLF) and the body after the blank line.
fn split_message(message: &[u8]) -> (&[u8], &[u8]) {
    if message.starts_with(b"\r\n") {
        return (&[], &message[2..]);
    }
    match message.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => (&message[..at + 2], &message[at + 4..]),
        None => (message, &[]),
    }
}

/// Each header field as (name, the whole field with its folds, without the final CRLF).
fn header_fields(head: &[u8]) -> Vec<(&str, &[u8])> {
    let mut fields: Vec<(&str, &[u8])> = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < head.len() {
        let end = head[at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(head.len(), |n| at + n);
        let next = (end + 2).min(head.len());
        // A line starting with white space continues the field.
        let continues = matches!(head.get(next), Some(b' ' | b'\t'));
        if !continues {
            let field = &head[start..end];
            let name = field
                .iter()
                .position(|&b| b == b':')
                .and_then(|colon| std::str::from_utf8(&field[..colon]).ok())
                .map_or("", str::trim_end);
            fields.push((name, field));
            start = next;
        }
        at = next;
    }
    fields
}

/// RFC 6376 3.4.2: the name lower-cased, folds undone, runs of white space made
/// one space, white space around the colon and at the end dropped; CRLF after.
fn relaxed_header(field: &[u8]) -> Vec<u8> {
    let colon = field.iter().position(|&b| b == b':').unwrap_or(field.len());
    let mut out = Vec::with_capacity(field.len() + 2);
    let name = &field[..colon];
    let name_end = name
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |i| i + 1);
    out.extend(name[..name_end].iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    // White space is written only between two other characters of the value.
    let (mut space, mut started) = (false, false);
    for &b in field.get(colon + 1..).unwrap_or_default() {
        match b {
            b'\r' | b'\n' => {}
            b' ' | b'\t' => space = true,
            _ => {
                if space && started {
                    out.push(b' ');
                }
                (space, started) = (false, true);
                out.push(b);
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// RFC 6376 3.4.4: runs of white space in a line made one space, white space at
/// line ends and empty lines at the end dropped, and a non-empty body ends in CRLF.
fn relaxed_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut empty_lines = 0;
    let mut rest = body;
    while !rest.is_empty() {
        let (line, after) = match rest.windows(2).position(|w| w == b"\r\n") {
            Some(at) => (&rest[..at], &rest[at + 2..]),
            None => (rest, &[][..]),
        };
        rest = after;
        let mut canonical = Vec::with_capacity(line.len());
        let mut space = false;
        for &b in line {
            if matches!(b, b' ' | b'\t') {
                space = true;
            } else {
                if space {
                    canonical.push(b' ');
                }
                space = false;
                canonical.push(b);
            }
        }
        if canonical.is_empty() {
            empty_lines += 1;
            continue;
        }
        for _ in 0..empty_lines {
            out.extend_from_slice(b"\r\n");
        }
        empty_lines = 0;
        out.extend_from_slice(&canonical);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_body_follows_rfc_6376_examples() {
        // RFC 6376 3.4.6, the body of example 1.
        assert_eq!(relaxed_body(b" C \r\nD \t E\r\n\r\n\r\n"), b" C\r\nD E\r\n");
        assert_eq!(relaxed_body(b""), b"");
        assert_eq!(relaxed_body(b"\r\n\r\n"), b"");
        assert_eq!(relaxed_body(b"no final break"), b"no final break\r\n");
        assert_eq!(relaxed_body(b"a\r\n\r\nb\r\n"), b"a\r\n\r\nb\r\n");
        assert_eq!(relaxed_body(b"tab\tin \r\n  \r\n"), b"tab in\r\n");
    }

    #[test]
    fn relaxed_header_follows_rfc_6376_examples() {
        // RFC 6376 3.4.6, the headers of example 1.
        assert_eq!(relaxed_header(b"A: X"), b"a:X\r\n");
        assert_eq!(relaxed_header(b"B : Y\t\r\n\tZ  "), b"b:Y Z\r\n");
        assert_eq!(relaxed_header(b"List-Id:  x  <y>"), b"list-id:x <y>\r\n");
        assert_eq!(relaxed_header(b"Subject: Re: \t x"), b"subject:Re: x\r\n");
    }

    #[test]
    fn header_fields_keep_their_folds() {
        let head = b"From: a@b\r\nSubject: one\r\n two\r\nTo: c@d\r\n";
        let fields = header_fields(head);
        let got: Vec<(&str, &[u8])> = fields.iter().map(|(n, f)| (*n, *f)).collect();
        assert_eq!(
            got,
            vec![
                ("From", &b"From: a@b"[..]),
                ("Subject", &b"Subject: one\r\n two"[..]),
                ("To", &b"To: c@d"[..]),
            ]
        );
    }

    #[test]
    fn the_signature_field_comes_first_folded_short() {
        let key = include_str!("../tests/fixtures/dkim-ed25519.key");
        let dkim = Dkim::new("news.example.org", "s1", key).expect("the test key");
        let message =
            b"From: a@news.example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody \r\n\r\n";
        let at = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let signed = String::from_utf8(dkim.sign(message, at).expect("signs")).expect("ASCII");
        let (field, rest) = signed
            .split_once("\r\nFrom:")
            .expect("the field comes first");
        assert_eq!(
            format!("From:{rest}").as_bytes(),
            message,
            "the message follows unchanged"
        );
        assert!(
            field.split("\r\n").all(|line| line.len() <= FOLD_AT),
            "{field}"
        );
        assert!(
            field
                .split("\r\n")
                .skip(1)
                .all(|line| line.starts_with('\t')),
            "{field}"
        );
        let unfolded = field.replace("\r\n\t", "");
        let body_hash = base64(digest(&SHA256, b"body\r\n").as_ref());
        for tag in [
            "v=1;",
            "a=ed25519-sha256;",
            "c=relaxed/relaxed;",
            "d=news.example.org;",
            "s=s1;",
            "t=1700000000;",
            "h=from:from:to:to:subject:subject;",
            &format!("bh={body_hash};"),
        ] {
            assert!(unfolded.contains(tag), "{tag} in {field}");
        }
    }

    #[test]
    fn names_must_be_dns_names() {
        assert_eq!(
            dns_name(" news.example.org. "),
            Ok("news.example.org".into())
        );
        assert_eq!(dns_name("mh2025_a"), Ok("mh2025_a".into()));
        for bad in ["", "a b", "a;b=c", "-x.org", "a..b", "zürich.ch"] {
            assert!(dns_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bad_keys_are_refused_without_quoting_them() {
        let body = "MIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEA";
        for (pem, says) in [
            ("not a key at all".to_owned(), "no unencrypted private key"),
            (format!("-----BEGIN PRIVATE KEY-----\n{body}\n"), "cut short"),
            (
                format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"),
                "not a usable",
            ),
            (
                format!("-----BEGIN ENCRYPTED PRIVATE KEY-----\n{body}\n-----END ENCRYPTED PRIVATE KEY-----\n"),
                "no unencrypted private key",
            ),
        ] {
            let err = Dkim::new("news.example", "s1", &pem).expect_err(&pem);
            let DkimError::Key(text) = &err else {
                panic!("{err:?}")
            };
            assert!(text.contains(says), "{pem}: {text}");
            assert!(!text.contains(&body[10..30]), "{text}");
        }
    }
}
