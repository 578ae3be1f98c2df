//! A DKIM verifier for tests (RFC 6376 relaxed/relaxed; rsa-sha256 and, RFC 8463,
//! ed25519-sha256), given the DNS TXT record instead of looking it up. Written
//! apart from src/dkim.rs, line by line from the RFC, so that the two agreeing
//! means something: a shared mistake would have to be made twice. The RSA check
//! is the `rsa` crate's, not ring's, which signs.
//!
//! Also used by masthead-web's tests (through `#[path]`).
#![allow(dead_code)]

use base64::Engine as _;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

/// A public key as published at `selector._domainkey.domain`.
pub enum PublicKey {
    Rsa(rsa::RsaPublicKey),
    Ed25519(Vec<u8>),
}

impl PublicKey {
    /// Parses a TXT record such as `v=DKIM1; k=rsa; p=MIIB...`.
    pub fn from_dns_record(txt: &str) -> PublicKey {
        let tags = tag_list(txt);
        let tag = |name: &str| {
            tags.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(tag("v"), Some("DKIM1"), "{txt}");
        let p = b64(tag("p").expect("p="));
        match tag("k").unwrap_or("rsa") {
            "rsa" => PublicKey::Rsa(
                rsa::RsaPublicKey::from_public_key_der(&p).expect("an RSA SubjectPublicKeyInfo"),
            ),
            "ed25519" => PublicKey::Ed25519(p),
            other => panic!("unknown key type {other}"),
        }
    }
}

/// What a signature said about itself, once verified.
#[derive(Debug)]
pub struct Verified {
    pub algorithm: String,
    pub domain: String,
    pub selector: String,
    /// The h= list, lower-cased, in order, repeats kept.
    pub signed_headers: Vec<String>,
}

/// Checks the message's one DKIM-Signature against `key`. An error says which
/// step failed.
pub fn verify(raw: &[u8], key: &PublicKey) -> Result<Verified, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "not UTF-8".to_string())?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("no blank line after the header")?;
    let fields = fields(head);
    let sigs: Vec<&String> = fields
        .iter()
        .filter(|f| name_of(f).eq_ignore_ascii_case("DKIM-Signature"))
        .collect();
    let [sig_field] = sigs[..] else {
        return Err(format!("{} DKIM-Signature fields", sigs.len()));
    };
    let value = &sig_field[sig_field.find(':').ok_or("no colon")? + 1..];
    let tags = tag_list(value);
    let tag = |name: &str| {
        tags.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or(format!("no {name}= tag"))
    };
    if tag("v")? != "1" {
        return Err("v= is not 1".into());
    }
    if tag("c")? != "relaxed/relaxed" {
        return Err(format!("c={}", tag("c")?));
    }
    let algorithm = tag("a")?;

    // The body hash.
    let body_hash = b64_encode(&Sha256::digest(relaxed_body(body)));
    if body_hash != tag("bh")? {
        return Err(format!(
            "body hash mismatch: computed {body_hash}, signed {}",
            tag("bh")?
        ));
    }

    // The signed header fields, each instance taken from the bottom up.
    let signed_headers: Vec<String> = tag("h")?
        .split(':')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    if !signed_headers.iter().any(|n| n == "from") {
        return Err("h= must include From".into());
    }
    let mut data = String::new();
    let mut used: Vec<usize> = Vec::new();
    for name in &signed_headers {
        let pick = (0..fields.len())
            .rev()
            .find(|i| !used.contains(i) && name_of(&fields[*i]).eq_ignore_ascii_case(name));
        if let Some(i) = pick {
            used.push(i);
            data.push_str(&relaxed_header(&fields[i]));
            data.push_str("\r\n");
        }
    }
    // Then the signature field itself, its b= value emptied, without a final CRLF.
    data.push_str(&relaxed_header(&without_b_value(sig_field)));

    let signature = b64(&tag("b")?);
    let digest = Sha256::digest(data.as_bytes());
    match (algorithm.as_str(), key) {
        ("rsa-sha256", PublicKey::Rsa(public)) => public
            .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &signature)
            .map_err(|e| format!("RSA signature does not verify: {e}"))?,
        ("ed25519-sha256", PublicKey::Ed25519(public)) => {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public)
                .verify(&digest, &signature)
                .map_err(|_| "Ed25519 signature does not verify".to_string())?
        }
        (a, _) => return Err(format!("a={a} does not match the key")),
    }
    Ok(Verified {
        algorithm,
        domain: tag("d")?,
        selector: tag("s")?,
        signed_headers,
    })
}

/// Header fields, each with its folds (CRLF kept), in order.
fn fields(head: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        match out.last_mut() {
            Some(field) if line.starts_with([' ', '\t']) => {
                field.push_str("\r\n");
                field.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

fn name_of(field: &str) -> &str {
    field.split(':').next().unwrap_or("").trim()
}

/// RFC 6376 3.4.2, without the trailing CRLF.
fn relaxed_header(field: &str) -> String {
    let (name, value) = field.split_once(':').expect("a colon");
    let unfolded = value.replace("\r\n", "");
    let value = unfolded
        .split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    format!("{}:{}", name.trim().to_ascii_lowercase(), value)
}

/// RFC 6376 3.4.4.
fn relaxed_body(body: &str) -> String {
    let mut lines: Vec<String> = body
        .split("\r\n")
        .map(|line| {
            let mut out = String::new();
            let mut last_ws = false;
            for c in line.chars() {
                let ws = c == ' ' || c == '\t';
                if !(ws && last_ws) {
                    out.push(if ws { ' ' } else { c });
                }
                last_ws = ws;
            }
            out.trim_end_matches(' ').to_string()
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// `name=value` pairs; white space in values removed (base64 and h= may be folded anywhere).
fn tag_list(value: &str) -> Vec<(String, String)> {
    value
        .split(';')
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            let (n, v) = t.split_once('=').unwrap_or((t, ""));
            (
                n.trim().to_string(),
                v.chars().filter(|c| !c.is_whitespace()).collect(),
            )
        })
        .collect()
}

/// The field with everything between `b=` and the next `;` (or the end) removed.
fn without_b_value(field: &str) -> String {
    let colon = field.find(':').expect("colon") + 1;
    let mut out = field[..colon].to_string();
    let parts: Vec<&str> = field[colon..].split(';').collect();
    let kept: Vec<String> = parts
        .iter()
        .map(|&part| {
            let (n, _) = part.split_once('=').unwrap_or((part, ""));
            if n.trim() == "b" {
                format!("{}=", &part[..part.find('=').expect("=")])
            } else {
                part.to_string()
            }
        })
        .collect();
    out.push_str(&kept.join(";"));
    out
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

fn b64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
