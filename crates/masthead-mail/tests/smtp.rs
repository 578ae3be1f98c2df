//! The Mailer against a real SMTP server on a loopback port: what survives the
//! trip, how refusals are sorted, and that pooled concurrent sends arrive once each.

use std::collections::HashSet;
use std::time::Duration;

use masthead_mail::testing::SmtpSink;
use masthead_mail::{Email, MailError, MailOptions, Mailer};

const WAIT: Duration = Duration::from_secs(10);

fn newsletter() -> Email {
    Email {
        from: "Masthead Daily <news@masthead.example>".into(),
        to: "Ada Reader <ada@example.org>".into(),
        subject: "Zürich — “quotes” and a long subject line that goes on well past the seventy-eight characters of one header line".into(),
        text: concat!(
            "Grüezi from Zürich — “quotes”, ‘single’, and ellipses…\n",
            ".a line that starts with a dot\n",
            ".\n",
            "..two dots\n",
            "Read on: https://masthead.example/a/zurich?utm=nl&x=1\n",
        )
        .to_owned()
            + &"long line ".repeat(150)
            + "\nend\n",
        html: Some(concat!(
            "<p>Grüezi from <b>Zürich</b> — “quotes”</p>\n",
            ".<p>dot first</p>\n",
            "<a href=\"https://masthead.example/a/zurich?utm=nl&amp;x=1\">Read on</a>\n",
        )
        .to_owned()),
        headers: vec![
            (
                "List-Unsubscribe".into(),
                "<https://masthead.example/unsubscribe/3f9a?sig=ab12>, <mailto:unsubscribe@masthead.example?subject=3f9a>"
                    .into(),
            ),
            ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
            ("List-Id".into(), "Masthead Daily <daily.masthead.example>".into()),
        ],
        message_id: None,
    }
}

fn mailer_for(sink: &SmtpSink) -> Mailer {
    Mailer::from_url(&sink.url(), MailOptions::default()).expect("mailer")
}

#[tokio::test]
async fn headers_and_both_parts_survive_the_trip() {
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = mailer_for(&sink);
    let email = newsletter();

    let id = mailer.send(&email).await.expect("send");

    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.envelope_from, "news@masthead.example");
    assert_eq!(m.recipients, vec!["ada@example.org".to_owned()]);

    assert!(
        id.starts_with('<') && id.ends_with("@masthead.example>"),
        "{id}"
    );
    assert_eq!(m.header("Message-ID").as_deref(), Some(id.as_str()));
    let date = m.header("Date").expect("Date");
    chrono::DateTime::parse_from_rfc2822(&date).expect("RFC 2822 date");
    assert!(m
        .header("From")
        .expect("From")
        .contains("<news@masthead.example>"));
    assert!(m.header("To").expect("To").contains("<ada@example.org>"));
    assert_eq!(m.subject().as_deref(), Some(email.subject.as_str()));
    assert_eq!(
        m.header("List-Unsubscribe").as_deref(),
        Some(email.headers[0].1.as_str())
    );
    assert_eq!(
        m.header("list-unsubscribe-post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(
        m.header("List-Id").as_deref(),
        Some("Masthead Daily <daily.masthead.example>")
    );
    assert!(m
        .header("Content-Type")
        .expect("Content-Type")
        .starts_with("multipart/alternative"));
    assert_eq!(m.header("MIME-Version").as_deref(), Some("1.0"));

    assert_eq!(m.text_part().as_deref(), Some(email.text.as_str()));
    assert_eq!(m.html_part().as_deref(), email.html.as_deref());
    assert_eq!(
        m.links(),
        vec!["https://masthead.example/a/zurich?utm=nl&x=1".to_owned()]
    );

    // Transport rules hold on the wire: CRLF only, no line past 998 octets, 7-bit.
    let raw = String::from_utf8(m.raw.clone()).expect("ASCII message");
    assert!(raw.is_ascii());
    assert!(raw
        .split("\r\n")
        .all(|line| line.len() <= 998 && !line.contains('\n')));
}

#[tokio::test]
async fn text_only_mail_is_a_single_utf8_part() {
    let sink = SmtpSink::start().await.expect("sink");
    let email = Email {
        html: None,
        headers: vec![],
        ..newsletter()
    };

    mailer_for(&sink).send(&email).await.expect("send");

    let m = &sink.wait_for(1, WAIT).await[0];
    let content_type = m
        .header("Content-Type")
        .expect("Content-Type")
        .to_ascii_lowercase();
    assert!(
        content_type.starts_with("text/plain") && content_type.contains("utf-8"),
        "{content_type}"
    );
    assert_eq!(m.text_part().as_deref(), Some(email.text.as_str()));
    assert_eq!(m.html_part(), None);
    assert_eq!(m.header("List-Unsubscribe"), None);
}

#[tokio::test]
async fn a_given_message_id_is_used_and_checked() {
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = mailer_for(&sink);

    let id = mailer
        .send(&Email {
            message_id: Some("issue-42.ada@masthead.example".into()),
            ..newsletter()
        })
        .await
        .expect("send");
    assert_eq!(id, "<issue-42.ada@masthead.example>");
    assert_eq!(
        sink.wait_for(1, WAIT).await[0]
            .header("Message-ID")
            .as_deref(),
        Some(id.as_str())
    );

    for bad in ["no-at-sign", "<a b@c>", "<x@y>\r\nBcc: z@w"] {
        let err = mailer
            .send(&Email {
                message_id: Some(bad.into()),
                ..newsletter()
            })
            .await;
        assert!(
            matches!(err, Err(MailError::Invalid(_))),
            "{bad:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn throttling_is_transient_and_a_retry_arrives_once() {
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = mailer_for(&sink);
    sink.fail_next(1, 451);

    let err = mailer.send(&newsletter()).await.expect_err("451 must fail");
    assert!(
        matches!(&err, MailError::Transient(text) if text.contains("451")),
        "{err:?}"
    );
    assert!(err.is_transient());

    mailer
        .send(&newsletter())
        .await
        .expect("the retry goes through");
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn an_unknown_recipient_is_permanent() {
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = mailer_for(&sink);
    sink.reject_recipient("gone@example.org", 550);

    let err = mailer
        .send(&Email {
            to: "Gone <GONE@example.org>".into(),
            ..newsletter()
        })
        .await
        .expect_err("550 must fail");
    assert!(
        matches!(&err, MailError::Permanent(text) if text.contains("550")),
        "{err:?}"
    );

    mailer
        .send(&newsletter())
        .await
        .expect("others still go through");
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].recipients, vec!["ada@example.org".to_owned()]);
}

#[tokio::test]
async fn refusals_leave_the_session_usable_with_and_without_pipelining() {
    for pipelining in [true, false] {
        let sink = SmtpSink::start().await.expect("sink");
        sink.set_pipelining(pipelining);
        sink.reject_recipient("gone@example.org", 550);
        let mailer = mailer_for(&sink);
        let gone = Email {
            to: "gone@example.org".into(),
            ..newsletter()
        };

        assert!(matches!(
            mailer.send(&gone).await,
            Err(MailError::Permanent(_))
        ));
        mailer
            .send(&newsletter())
            .await
            .expect("after a refused recipient");
        sink.fail_next(1, 452);
        assert!(matches!(
            mailer.send(&newsletter()).await,
            Err(MailError::Transient(_))
        ));
        mailer
            .send(&newsletter())
            .await
            .expect("after a refused message");
        sink.fail_next(1, 554);
        assert!(matches!(
            mailer.send(&newsletter()).await,
            Err(MailError::Permanent(_))
        ));
        mailer
            .send(&newsletter())
            .await
            .expect("after a rejected message");

        assert_eq!(
            sink.wait_for(3, WAIT).await.len(),
            3,
            "pipelining {pipelining}"
        );
        assert_eq!(
            sink.connections(),
            1,
            "pipelining {pipelining}: one session carried everything"
        );
    }
}

#[tokio::test]
async fn a_closing_server_is_transient_and_its_session_is_not_reused() {
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = mailer_for(&sink);
    sink.fail_next(1, 421);
    assert!(matches!(
        mailer.send(&newsletter()).await,
        Err(MailError::Transient(_))
    ));
    mailer.send(&newsletter()).await.expect("on a new session");
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
    assert_eq!(sink.connections(), 2);
}

#[tokio::test]
async fn a_refused_sender_is_a_config_error_not_a_bounce() {
    let sink = SmtpSink::start().await.expect("sink");
    sink.reject_sender("news@masthead.example", 550);
    let err = mailer_for(&sink)
        .send(&newsletter())
        .await
        .expect_err("sender refused");
    assert!(matches!(err, MailError::Config(_)), "{err:?}");
}

#[tokio::test]
async fn refusals_about_our_account_are_config_errors_not_bounces() {
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = mailer_for(&sink);
    // Suppressing the recipient on a 535 would empty the list; the operator must act instead.
    sink.fail_next(1, 535);
    let err = mailer.send(&newsletter()).await.expect_err("535 must fail");
    assert!(matches!(err, MailError::Config(_)), "{err:?}");
}

#[tokio::test]
async fn a_closed_port_is_transient() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mailer = Mailer::from_url(&format!("smtp://127.0.0.1:{port}"), MailOptions::default())
        .expect("mailer");
    let err = mailer
        .send(&newsletter())
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
}

#[tokio::test]
async fn a_server_that_stalls_times_out_as_transient() {
    let sink = SmtpSink::start().await.expect("sink");
    // Every reply waits 5 s, so a whole exchange would take half a minute; a
    // generous 1 s timeout keeps the recovery below safe on a loaded machine.
    sink.set_delay(Duration::from_secs(5));
    let opts = MailOptions {
        timeout: Duration::from_secs(1),
        ..MailOptions::default()
    };
    let mailer = Mailer::from_url(&sink.url(), opts).expect("mailer");

    let started = std::time::Instant::now();
    let err = mailer.send(&newsletter()).await.expect_err("must time out");
    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );

    // Once the server is quick again the same mailer recovers.
    sink.set_delay(Duration::ZERO);
    mailer.send(&newsletter()).await.expect("send after stall");
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn header_injection_is_refused_before_connecting() {
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = mailer_for(&sink);
    let header = |name: &str, value: &str| Email {
        headers: vec![(name.into(), value.into())],
        ..newsletter()
    };
    let attempts = [
        Email {
            subject: "Hello\r\nBcc: everyone@example.org".into(),
            ..newsletter()
        },
        Email {
            subject: "Hello\nX-Evil: 1".into(),
            ..newsletter()
        },
        Email {
            to: "ada@example.org\r\nBcc: everyone@example.org".into(),
            ..newsletter()
        },
        Email {
            from: "News <news@masthead.example>\nBcc: x@y.z".into(),
            ..newsletter()
        },
        Email {
            to: "not an address".into(),
            ..newsletter()
        },
        header(
            "List-Unsubscribe",
            "<https://x.example/u>\r\nBcc: everyone@example.org",
        ),
        header("X-Campaign\r\nBcc", "everyone@example.org"),
        header("Bad Name", "1"),
        header("Bad:Name", "1"),
        header("", "1"),
        header("bcc", "everyone@example.org"),
        header("Subject", "a second subject"),
    ];
    for email in &attempts {
        let err = mailer.send(email).await;
        assert!(
            matches!(err, Err(MailError::Invalid(_))),
            "{email:?}: {err:?}"
        );
    }
    assert_eq!(sink.connections(), 0, "nothing may reach the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_messages_over_eight_connections_arrive_exactly_once() {
    let sink = SmtpSink::start().await.expect("sink");
    let opts = MailOptions {
        max_connections: 8,
        ..MailOptions::default()
    };
    let mailer = Mailer::from_url(&sink.url(), opts).expect("mailer");

    let mut sends = tokio::task::JoinSet::new();
    for i in 0..200 {
        let mailer = mailer.clone();
        sends.spawn(async move {
            let email = Email {
                to: format!("reader{i}@example.org"),
                subject: format!("Issue for reader {i}"),
                ..newsletter()
            };
            mailer.send(&email).await
        });
    }
    let mut sent_ids = HashSet::new();
    while let Some(result) = sends.join_next().await {
        sent_ids.insert(result.expect("task").expect("send"));
    }
    assert_eq!(sent_ids.len(), 200);

    let got = sink.wait_for(200, WAIT).await;
    assert_eq!(got.len(), 200);
    let received_ids: HashSet<String> = got
        .iter()
        .map(|m| m.header("Message-ID").expect("id"))
        .collect();
    assert_eq!(received_ids, sent_ids);
    let recipients: HashSet<String> = got.iter().flat_map(|m| m.recipients.clone()).collect();
    assert_eq!(recipients.len(), 200);
    assert!(
        sink.connections() <= 8,
        "{} connections for a pool of 8",
        sink.connections()
    );
    mailer.close().await;
}

#[tokio::test]
async fn credentials_come_from_the_url_and_never_show() {
    let sink = SmtpSink::start().await.expect("sink");
    let url = format!("smtp://news%40masthead.example:s3cr%3At@{}", sink.addr());
    let mailer = Mailer::from_url(&url, MailOptions::default()).expect("mailer");

    mailer.send(&newsletter()).await.expect("send");
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got[0].auth_user.as_deref(), Some("news@masthead.example"));

    let shown = format!("{mailer} {mailer:?}");
    assert!(!shown.contains("s3cr"), "{shown}");
    assert!(shown.contains("news@masthead.example"), "{shown}");
}

#[tokio::test]
async fn bad_urls_are_config_errors_that_hide_the_password() {
    let refused = [
        "ftp://mail.example",
        "smtp://",
        "smtp://user:hunter2@mail.example:25",
        "smtp://mail.example:25/path",
        "smtp://mail.example:25?pool=8",
        "file:",
        "file://otherhost/dir",
        "",
    ];
    for url in refused {
        match Mailer::from_url(url, MailOptions::default()) {
            Err(MailError::Config(text)) => assert!(!text.contains("hunter2"), "{text}"),
            other => panic!("{url:?}: {other:?}"),
        }
    }
    for url in [
        "smtp+starttls://u:p@mail.example",
        "smtps://mail.example",
        "smtp://[::1]:2525",
        "memory",
        "file:///tmp/x",
    ] {
        Mailer::from_url(url, MailOptions::default()).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[tokio::test]
async fn starttls_required_but_not_offered_is_a_config_error() {
    let sink = SmtpSink::start().await.expect("sink");
    let url = format!("smtp+starttls://localhost:{}", sink.addr().port());
    let mailer = Mailer::from_url(&url, MailOptions::default()).expect("mailer");
    let err = mailer
        .send(&newsletter())
        .await
        .expect_err("no STARTTLS on the sink");
    assert!(matches!(err, MailError::Config(_)), "{err:?}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn smtps_to_a_plain_server_is_a_config_error() {
    let sink = SmtpSink::start().await.expect("sink");
    let opts = MailOptions {
        timeout: Duration::from_secs(2),
        ..MailOptions::default()
    };
    let mailer = Mailer::from_url(&format!("smtps://localhost:{}", sink.addr().port()), opts)
        .expect("mailer");
    let err = mailer
        .send(&newsletter())
        .await
        .expect_err("the sink speaks no TLS");
    assert!(matches!(err, MailError::Config(_)), "{err:?}");
    assert!(sink.messages().is_empty());
}
