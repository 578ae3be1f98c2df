//! Whatever text goes in comes back out of an independent MIME parser
//! (mail-parser) unchanged, whichever transfer encoding was chosen for it.

use masthead_mail::{Email, Mailer};
use proptest::prelude::*;

fn email(text: &str, html: Option<&str>) -> Email {
    Email {
        from: "News <news@masthead.example>".into(),
        to: "ada@example.org".into(),
        subject: "round trip".into(),
        text: text.into(),
        html: html.map(str::to_owned),
        ..Email::default()
    }
}

/// Text full of the awkward cases: dots and "=" at line starts, white space at
/// line ends, lone CRs, NULs, long lines, and mixes of ASCII, Latin and CJK.
fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z .=\t\n\rü—“”€\0]{0,300}",
        "[a-z ]{0,1200}\n?",
        "[東京の天気は晴れ a\n]{0,200}",
        "(\\.|=|From |  |\t|\r\n|\n|é|x{80}){0,40}",
    ]
}

fn same_text(sent: &str) -> String {
    sent.replace("\r\n", "\n")
}

/// 128 cases in the test command; `PROPTEST_CASES` (scripts/proptest-soak.sh)
/// asks for more.
fn cases() -> u32 {
    std::env::var_os("PROPTEST_CASES").map_or(128, |_| ProptestConfig::default().cases)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn text_and_html_parts_come_back_exactly(text in awkward_text(), html in awkward_text()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let mailer = Mailer::memory();
        runtime.block_on(mailer.send(&email(&text, Some(&html)))).expect("send");
        let m = &mailer.sent().expect("memory")[0];
        prop_assert_eq!(m.text_part().unwrap_or_default(), same_text(&text));
        prop_assert_eq!(m.html_part().unwrap_or_default(), same_text(&html));
        let raw = String::from_utf8(m.raw.clone()).expect("ASCII");
        prop_assert!(raw.is_ascii());
        prop_assert!(raw.split("\r\n").all(|line| line.len() <= 998 && !line.contains(['\r', '\n'])));
    }

    #[test]
    fn a_lone_text_part_comes_back_with_a_final_newline(text in awkward_text()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let mailer = Mailer::memory();
        runtime.block_on(mailer.send(&email(&text, None))).expect("send");
        let m = &mailer.sent().expect("memory")[0];
        let mut expected = same_text(&text);
        if !expected.ends_with('\n') {
            expected.push('\n');
        }
        prop_assert_eq!(m.text_part().unwrap_or_default(), expected);
    }
}
