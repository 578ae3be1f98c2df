//! DKIM signing checked from the receiving end: messages go through the real SMTP
//! client to the loopback sink (or into the file and memory backends), and what
//! arrives is verified by an independent verifier (tests/support/dkim_verify.rs)
//! against the DNS record an operator would publish, made with the openssl
//! commands in the README. Tampering must break it; untouched mail must pass.

#[path = "support/dkim_verify.rs"]
mod dkim_verify;

use std::time::Duration;

use dkim_verify::{verify, PublicKey};
use masthead_mail::testing::{Received, SmtpSink};
use masthead_mail::{Dkim, DkimError, Email, MailOptions, Mailer};

const WAIT: Duration = Duration::from_secs(10);

// Test-only keys (tests/fixtures/README.md): nothing outside these tests trusts them.
const RSA_KEY: &str = include_str!("fixtures/dkim-rsa.key");
const RSA_RECORD: &str = include_str!("fixtures/dkim-rsa.txt");
const ED25519_KEY: &str = include_str!("fixtures/dkim-ed25519.key");
const ED25519_RECORD: &str = include_str!("fixtures/dkim-ed25519.txt");
const RSA_1024_KEY: &str = include_str!("fixtures/dkim-rsa-1024.key");
const EC_KEY: &str = include_str!("fixtures/localhost.key");

/// A newsletter as the delivery runtime makes one, with what tends to break
/// signatures on the way: lines starting with dots (SMTP dot-stuffing), long
/// lines (quoted-printable soft breaks), non-ASCII, folded headers.
fn newsletter() -> Email {
    Email {
        from: "Masthead Daily <daily@masthead.example>".into(),
        to: "Ada Reader <ada@example.org>".into(),
        subject: "Zürich — a subject long enough to be folded over more than one header line, as lettre does".into(),
        text: concat!(
            "Grüezi from Zürich — “quotes”.\n",
            ".a line that starts with a dot\n",
            ".\n",
            "..two dots\n",
            "trailing spaces   \n",
            "\ttabbed\t\tline\n",
        )
        .to_owned()
            + &"long line ".repeat(150)
            + "\nend\n\n\n",
        html: Some("<p>Grüezi from <b>Zürich</b></p>\n.<p>dot first</p>\n".into()),
        headers: vec![
            (
                "List-Unsubscribe".into(),
                "<https://masthead.example/newsletters/unsubscribe/3f9a?sig=ab12>, <mailto:daily@masthead.example?subject=unsubscribe>".into(),
            ),
            ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
            ("List-Id".into(), "Masthead Daily <daily.masthead.example>".into()),
        ],
        message_id: None,
    }
}

fn rsa_signer() -> Dkim {
    Dkim::new("masthead.example", "mh2025", RSA_KEY).expect("the test RSA key")
}

fn signing(url: &str, dkim: Dkim) -> Mailer {
    Mailer::from_url(
        url,
        MailOptions {
            dkim: Some(dkim),
            ..MailOptions::default()
        },
    )
    .expect("mailer")
}

/// The message with its first `from` replaced by `to`, which must occur.
fn replaced(m: &Received, from: &str, to: &str) -> Vec<u8> {
    let raw = String::from_utf8(m.raw.clone()).expect("ASCII");
    assert!(raw.contains(from), "{from:?} is not in the message");
    raw.replacen(from, to, 1).into_bytes()
}

#[tokio::test]
async fn a_newsletter_signed_with_rsa_verifies_after_the_smtp_trip() {
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = signing(&sink.url(), rsa_signer());
    mailer.send(&newsletter()).await.expect("send");
    let m = &sink.wait_for(1, WAIT).await[0];

    let key = PublicKey::from_dns_record(RSA_RECORD);
    let v =
        verify(&m.raw, &key).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&m.raw)));
    assert_eq!(
        (v.algorithm.as_str(), v.domain.as_str(), v.selector.as_str()),
        ("rsa-sha256", "masthead.example", "mh2025")
    );
    for name in [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "list-id",
    ] {
        assert!(v.signed_headers.iter().any(|n| n == name), "{name}: {v:?}");
    }
    // The signature comes first and keeps to short lines, like the rest.
    let raw = String::from_utf8(m.raw.clone()).expect("ASCII");
    assert!(raw.starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"));
    assert!(raw.split("\r\n").all(|line| line.len() <= 998));
    let field_lines = raw
        .split("\r\n")
        .take_while(|l| l.starts_with("DKIM-Signature") || l.starts_with('\t'));
    assert!(field_lines.clone().count() > 3);
    assert!(field_lines.clone().all(|l| l.len() <= 78), "{raw}");
    // And the reader still gets the text as written.
    assert_eq!(m.text_part().as_deref(), Some(newsletter().text.as_str()));
}

#[tokio::test]
async fn tampering_with_a_signed_header_or_the_body_breaks_the_signature() {
    let sink = SmtpSink::start().await.expect("sink");
    signing(&sink.url(), rsa_signer())
        .send(&newsletter())
        .await
        .expect("send");
    let m = &sink.wait_for(1, WAIT).await[0];
    let key = PublicKey::from_dns_record(RSA_RECORD);
    verify(&m.raw, &key).expect("untouched, it verifies");

    let tampered = [
        (
            "an unsubscribe link",
            replaced(m, "unsubscribe/3f9a", "unsubscribe/3f9b"),
        ),
        (
            "the one-click header",
            replaced(
                m,
                "List-Unsubscribe=One-Click",
                "List-Unsubscribe=One-Clack",
            ),
        ),
        (
            "the list id",
            replaced(m, "<daily.masthead.example>", "<other.masthead.example>"),
        ),
        (
            "the sender",
            replaced(m, "<daily@masthead.example>", "<daily@masthead.exampIe>"),
        ),
        (
            "a second From added below",
            replaced(m, "\r\nDate: ", "\r\nFrom: evil@attacker.example\r\nDate: "),
        ),
        // Above the signed one: caught only because From is listed once more than it occurs.
        (
            "a second From added on top",
            [b"From: evil@attacker.example\r\n".to_vec(), m.raw.clone()].concat(),
        ),
        ("a word of the text", replaced(m, "two dots", "two dogs")),
        (
            "a line added at the end",
            [m.raw.clone(), b"P.S. one more line\r\n".to_vec()].concat(),
        ),
        ("the body hash", replaced(m, "bh=", "bh=A")),
    ];
    for (what, raw) in tampered {
        assert!(
            verify(&raw, &key).is_err(),
            "changing {what} must break the signature"
        );
    }
    // What relaxed canonicalization forgives, and fields the signature does not
    // cover, leave it valid: the verifier is not just refusing everything.
    let forgiven = [
        (
            "a header re-folded",
            replaced(
                m,
                "List-Unsubscribe-Post: ",
                "List-Unsubscribe-Post:\r\n\t  ",
            ),
        ),
        (
            "a relay's trace field",
            [
                b"Received: from relay.example by mx.example\r\n".to_vec(),
                m.raw.clone(),
            ]
            .concat(),
        ),
        (
            "empty lines at the end",
            [m.raw.clone(), b"\r\n\r\n".to_vec()].concat(),
        ),
    ];
    for (what, raw) in forgiven {
        verify(&raw, &key).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    // The signature must match the published key, not any key.
    let other = PublicKey::from_dns_record(ED25519_RECORD);
    assert!(verify(&m.raw, &other).is_err());
}

#[tokio::test]
async fn ed25519_signs_a_text_only_message_into_the_file_backend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dkim = Dkim::new("masthead.example", "ed2025", ED25519_KEY).expect("the test Ed25519 key");
    assert_eq!(dkim.algorithm(), "ed25519-sha256");
    let mailer = signing(&format!("file:{}", dir.path().display()), dkim);
    let email = Email {
        html: None,
        ..newsletter()
    };
    mailer.send(&email).await.expect("send");

    let file = std::fs::read_dir(dir.path())
        .expect("outbox")
        .next()
        .expect("one file")
        .expect("entry")
        .path();
    let raw = std::fs::read(file).expect("read");
    let v = verify(&raw, &PublicKey::from_dns_record(ED25519_RECORD)).expect("verifies");
    assert_eq!(v.algorithm, "ed25519-sha256");
    assert!(
        v.signed_headers
            .iter()
            .any(|n| n == "content-transfer-encoding"),
        "{v:?}"
    );
    let changed = String::from_utf8(raw)
        .expect("ASCII")
        .replacen("\r\nend\r\n", "\r\nend.\r\n", 1);
    assert!(verify(
        changed.as_bytes(),
        &PublicKey::from_dns_record(ED25519_RECORD)
    )
    .is_err());
}

#[tokio::test]
async fn a_pkcs1_key_signs_the_same_way() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let pkcs1 = rsa::RsaPrivateKey::from_pkcs8_pem(RSA_KEY)
        .expect("PKCS#8")
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .expect("PKCS#1");
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let dkim = Dkim::new("masthead.example", "mh2025", &pkcs1).expect("a PKCS#1 key");
    assert_eq!(dkim, rsa_signer(), "the same key, however it is written");

    let mailer = signing("memory", dkim);
    mailer.send(&newsletter()).await.expect("send");
    let sent = mailer.sent().expect("memory backend");
    verify(&sent[0].raw, &PublicKey::from_dns_record(RSA_RECORD)).expect("verifies");
}

#[tokio::test]
async fn without_dkim_nothing_is_signed() {
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = Mailer::from_url(&sink.url(), MailOptions::default()).expect("mailer");
    mailer.send(&newsletter()).await.expect("send");
    let m = &sink.wait_for(1, WAIT).await[0];
    assert_eq!(m.header("DKIM-Signature"), None);
    assert!(verify(&m.raw, &PublicKey::from_dns_record(RSA_RECORD)).is_err());
}

#[test]
fn bad_keys_and_names_are_clear_errors_that_never_show_the_key() {
    let key_error = |pem: &str| match Dkim::new("masthead.example", "s1", pem) {
        Err(DkimError::Key(text)) => text,
        other => panic!("expected a key error, got {other:?}"),
    };
    assert!(key_error(RSA_1024_KEY).contains("fewer than 2048 bits"));
    assert!(key_error(EC_KEY).contains("neither an RSA nor an Ed25519 key"));
    assert!(key_error("").contains("no unencrypted private key"));
    // A key with one character changed inside is refused, and not quoted.
    let lines: Vec<&str> = RSA_KEY.lines().collect();
    let broken_line = lines[5].replacen(|c: char| c.is_ascii_alphanumeric(), "!", 1);
    let broken = RSA_KEY.replacen(lines[5], &broken_line, 1);
    let text = key_error(&broken);
    assert!(
        !text.contains(&lines[5][..20]) && !text.contains(&broken_line[..20]),
        "{text}"
    );
    let cut = &RSA_KEY[..RSA_KEY.len() / 2];
    assert!(key_error(cut).contains("cut short"), "{}", key_error(cut));

    assert!(matches!(
        Dkim::new("masthead example", "s1", RSA_KEY),
        Err(DkimError::Domain(_))
    ));
    assert!(matches!(
        Dkim::new("masthead.example", "s1; x=y", RSA_KEY),
        Err(DkimError::Selector(_))
    ));

    let dkim = rsa_signer();
    assert_eq!(dkim.dns_name(), "mh2025._domainkey.masthead.example");
    let debug = format!(
        "{dkim:?} {:?}",
        MailOptions {
            dkim: Some(dkim.clone()),
            ..MailOptions::default()
        }
    );
    assert!(
        debug.contains("mh2025") && !debug.contains(&lines[3][..20]),
        "{debug}"
    );
}
