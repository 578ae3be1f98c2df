//! The file and memory backends, and the SMTP sink spoken to by other clients
//! (curl and Python's smtplib) and by hand.

use std::time::Duration;

use masthead_mail::testing::{Received, SmtpSink};
use masthead_mail::{Email, MailError, MailOptions, Mailer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const WAIT: Duration = Duration::from_secs(10);

fn magic_link() -> Email {
    Email {
        from: "Masthead <accounts@masthead.example>".into(),
        to: "ada@example.org".into(),
        subject: "Your sign-in link".into(),
        text: "Sign in: https://masthead.example/login/abc123?next=%2Faccount\n".into(),
        html: Some(
            "<p><a href='https://masthead.example/login/abc123?next=%2Faccount'>Sign in</a></p>"
                .into(),
        ),
        headers: vec![],
        message_id: None,
    }
}

#[tokio::test]
async fn the_file_backend_writes_one_parseable_eml_per_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = dir.path().join("outbox");
    let mailer = Mailer::from_url(
        &format!("file:{}", outbox.display()),
        MailOptions::default(),
    )
    .expect("mailer");
    assert!(mailer.sent().is_none());

    let id = mailer.send(&magic_link()).await.expect("send");
    // The same message again (a retried job) replaces its file.
    let again = Email {
        message_id: Some(id.clone()),
        ..magic_link()
    };
    mailer.send(&again).await.expect("send again");

    let files: Vec<_> = std::fs::read_dir(&outbox)
        .expect("outbox")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().and_then(|n| n.to_str()).expect("name");
    assert_eq!(name, format!("{}.eml", id.trim_matches(['<', '>'])));

    let raw = std::fs::read(&files[0]).expect("read");
    let m = Received::from_raw(raw);
    assert_eq!(m.subject().as_deref(), Some("Your sign-in link"));
    assert_eq!(m.header("Message-ID").as_deref(), Some(id.as_str()));
    assert_eq!(m.text_part().as_deref(), Some(magic_link().text.as_str()));
    assert_eq!(
        m.links(),
        vec!["https://masthead.example/login/abc123?next=%2Faccount".to_owned()]
    );
}

#[tokio::test]
async fn the_memory_backend_records_and_still_checks() {
    let mailer = Mailer::from_url("memory", MailOptions::default()).expect("mailer");
    let copy = mailer.clone();

    copy.send(&magic_link()).await.expect("send");
    let bad = Email {
        subject: "x\r\nBcc: y@z.example".into(),
        ..magic_link()
    };
    assert!(matches!(copy.send(&bad).await, Err(MailError::Invalid(_))));

    let sent = mailer.sent().expect("memory backend");
    assert_eq!(
        sent.len(),
        1,
        "clones share the store; the bad one is not in it"
    );
    assert_eq!(sent[0].envelope_from, "accounts@masthead.example");
    assert_eq!(sent[0].recipients, vec!["ada@example.org".to_owned()]);
    assert_eq!(
        sent[0].links(),
        vec!["https://masthead.example/login/abc123?next=%2Faccount".to_owned()]
    );
    assert_eq!(format!("{mailer}"), "memory");
}

/// Runs a command line to completion off the async threads; `None` if the program is missing.
async fn run(
    program: &'static str,
    args: Vec<String>,
    stdin: Option<String>,
) -> Option<std::process::Output> {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes()).expect("stdin");
        }
        child.wait_with_output().ok()
    })
    .await
    .expect("join")
}

#[tokio::test]
async fn curl_can_deliver_to_the_sink() {
    let sink = SmtpSink::start().await.expect("sink");
    let message = "From: a@example.org\r\nTo: b@example.org\r\nSubject: via curl\r\n\r\nhello\r\n.dot line\r\n";
    let args = [
        "--silent",
        "--show-error",
        "--url",
        &sink.url(),
        "--mail-from",
        "a@example.org",
        "--mail-rcpt",
        "b@example.org",
        "-T",
        "-",
    ]
    .map(String::from)
    .to_vec();
    let Some(output) = run("curl", args, Some(message.into())).await else {
        eprintln!("curl is not installed; skipping");
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].subject().as_deref(), Some("via curl"));
    assert_eq!(got[0].recipients, vec!["b@example.org".to_owned()]);
    assert!(
        got[0].raw.ends_with(b"hello\r\n.dot line\r\n"),
        "{:?}",
        String::from_utf8_lossy(&got[0].raw)
    );
}

#[tokio::test]
async fn python_smtplib_can_deliver_and_log_in() {
    let sink = SmtpSink::start().await.expect("sink");
    sink.reject_recipient("nobody@example.org", 550);
    let script = format!(
        r#"
import smtplib
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "a@example.org"
m["To"] = "b@example.org"
m["Subject"] = "via Python — ünïcode"
m.set_content("Zürich\n.leading dot\n")
with smtplib.SMTP("127.0.0.1", {port}) as s:
    s.noop()
    s.login("editor", "secret")
    refused = s.send_message(m, to_addrs=["b@example.org", "nobody@example.org"])
    assert list(refused) == ["nobody@example.org"], refused
    s.rset()
"#,
        port = sink.addr().port()
    );
    let Some(output) = run("python3", vec!["-c".into(), script], None).await else {
        eprintln!("python3 is not installed; skipping");
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].auth_user.as_deref(), Some("editor"));
    assert_eq!(got[0].recipients, vec!["b@example.org".to_owned()]);
    assert_eq!(got[0].subject().as_deref(), Some("via Python — ünïcode"));
    assert_eq!(
        got[0].text_part().as_deref(),
        Some("Zürich\n.leading dot\n")
    );
}

#[tokio::test]
async fn the_sink_speaks_plain_smtp_by_hand() {
    let sink = SmtpSink::start().await.expect("sink");
    let stream = tokio::net::TcpStream::connect(sink.addr())
        .await
        .expect("connect");
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut answer = async |command: &str| {
        if !command.is_empty() {
            write
                .write_all(format!("{command}\r\n").as_bytes())
                .await
                .expect("write");
        }
        // Multi-line replies continue with "NNN-"; the last line has "NNN ".
        loop {
            let line = lines.next_line().await.expect("read").expect("open");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line;
            }
        }
    };
    assert!(answer("").await.starts_with("220"));
    assert!(answer("HELO tester").await.starts_with("250"));
    assert!(
        answer("RCPT TO:<b@example.org>").await.starts_with("503"),
        "RCPT before MAIL"
    );
    assert!(answer("MAIL FROM:<>").await.starts_with("250"));
    assert!(answer("RCPT TO:<b@example.org>").await.starts_with("250"));
    assert!(answer("RSET").await.starts_with("250"));
    assert!(
        answer("DATA").await.starts_with("503"),
        "RSET forgot the recipients"
    );
    assert!(answer("mail from:<a@example.org> SIZE=100")
        .await
        .starts_with("250"));
    assert!(answer("rcpt to:<b@example.org>").await.starts_with("250"));
    assert!(answer("DATA").await.starts_with("354"));
    assert!(answer("Subject: hand\r\n\r\n..stuffed\r\n.")
        .await
        .starts_with("250"));
    assert!(answer("NOOP").await.starts_with("250"));
    assert!(answer("BOGUS").await.starts_with("500"));
    assert!(answer("QUIT").await.starts_with("221"));

    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got[0].envelope_from, "a@example.org");
    assert_eq!(got[0].raw, b"Subject: hand\r\n\r\n.stuffed\r\n");

    let addr = sink.addr();
    sink.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "stopped sink still listens"
    );
}
