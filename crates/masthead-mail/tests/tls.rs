//! STARTTLS and SMTPS for real: the sink speaks TLS with a certificate from a
//! throwaway test CA (tests/fixtures), which the Mailer is told to trust.

use std::path::PathBuf;
use std::time::Duration;

use masthead_mail::testing::{SmtpSink, TlsMode};
use masthead_mail::{Email, MailError, MailOptions, Mailer};

const WAIT: Duration = Duration::from_secs(10);
const CERT: &[u8] = include_bytes!("fixtures/localhost.pem");
const KEY: &[u8] = include_bytes!("fixtures/localhost.key");

fn trusting_test_ca() -> MailOptions {
    MailOptions {
        tls_ca_file: Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-ca.pem"),
        ),
        ..MailOptions::default()
    }
}

fn receipt() -> Email {
    Email {
        from: "Masthead <billing@masthead.example>".into(),
        to: "ada@example.org".into(),
        subject: "Your receipt — 12 €".into(),
        text: "Thank you.\n".into(),
        ..Email::default()
    }
}

#[tokio::test]
async fn starttls_with_login() {
    let sink = SmtpSink::start_with_tls(TlsMode::StartTls, CERT, KEY)
        .await
        .expect("sink");
    let url = sink.url().replace("://", "://billing:s3cret@");
    assert!(
        url.starts_with("smtp+starttls://billing:s3cret@127.0.0.1:"),
        "{url}"
    );
    let mailer = Mailer::from_url(&url, trusting_test_ca()).expect("mailer");

    mailer.send(&receipt()).await.expect("send");
    mailer
        .send(&receipt())
        .await
        .expect("send on the same session");

    let got = sink.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| m.tls), "sent in the clear");
    assert_eq!(got[0].auth_user.as_deref(), Some("billing"));
    assert_eq!(got[0].subject().as_deref(), Some("Your receipt — 12 €"));
    assert_eq!(sink.connections(), 1);
}

#[tokio::test]
async fn smtps_from_the_first_byte() {
    let sink = SmtpSink::start_with_tls(TlsMode::Implicit, CERT, KEY)
        .await
        .expect("sink");
    let mailer = Mailer::from_url(&sink.url(), trusting_test_ca()).expect("mailer");

    mailer.send(&receipt()).await.expect("send");

    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].tls);
    assert_eq!(got[0].text_part().as_deref(), Some("Thank you.\n"));
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_config_error() {
    for mode in [TlsMode::StartTls, TlsMode::Implicit] {
        let sink = SmtpSink::start_with_tls(mode, CERT, KEY)
            .await
            .expect("sink");
        // Without the test CA only the built-in roots count, and they don't know it.
        let mailer = Mailer::from_url(&sink.url(), MailOptions::default()).expect("mailer");
        let err = mailer.send(&receipt()).await.expect_err("untrusted");
        assert!(matches!(err, MailError::Config(_)), "{mode:?}: {err:?}");
        assert!(sink.messages().is_empty());
    }
}

#[tokio::test]
async fn a_missing_ca_file_is_a_config_error() {
    let opts = MailOptions {
        tls_ca_file: Some("/nonexistent/ca.pem".into()),
        ..MailOptions::default()
    };
    let err = Mailer::from_url("smtps://mail.example", opts).expect_err("no such file");
    assert!(matches!(err, MailError::Config(_)), "{err:?}");
}
