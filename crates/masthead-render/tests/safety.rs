//! Nothing an editor types, pastes or mistypes puts active content on a
//! reader's page. Assertions are on the bytes of the rendered blocks.

use std::collections::HashMap;

use masthead_core::{Block, BlockKind};
use masthead_render::{render_body, sanitize_html, RenderedBody};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn media() -> HashMap<String, (u32, u32)> {
    HashMap::from([("photo".to_owned(), (1600, 900))])
}

fn render(markdown: &str) -> RenderedBody {
    render_body(markdown, &media())
}

fn all_html(out: &RenderedBody) -> String {
    out.blocks
        .iter()
        .map(|b| b.html.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Attacks editors have been known to paste, knowingly or not.
const ATTACKS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnError=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<img srcset=\"javascript:alert(1) 1x\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "[click](javascript:alert(1))",
    "![pic](javascript:alert(1))",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<style>body{display:none}</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "![pic](data:image/svg+xml;base64,PHN2Zz4=)",
    "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
    "<form action=\"https://evil.example\"><input name=pw></form>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<div onclick=\"alert(1)\" onmouseover=alert(1)>hover</div>",
    "<body onload=alert(1)>",
    "<a href=x onclick=alert(1)>x</a>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<<script>script>alert(1)<</script>/script>",
];

/// Strings that must never appear in rendered HTML, in any case, when the
/// attack was in a place that is parsed as markup.
const FORBIDDEN: &[&str] = &[
    "<script",
    "</script",
    "javascript:",
    "data:",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "<iframe",
    "<style",
    "style=",
    "<svg",
    "<math",
    "<object",
    "<embed",
    "<form",
    "<input",
    "alert(",
];

fn assert_clean_bytes(html: &str, context: &str) {
    let lower = html.to_lowercase();
    for needle in FORBIDDEN {
        assert!(
            !lower.contains(needle),
            "{needle:?} survived in {context}: {html}"
        );
    }
    assert_inert(html);
}

/// An element as the serializer writes it: its name and attributes.
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
}

/// Reads every tag in sanitized HTML. Text never holds a raw `<`, so every
/// `<` must start a tag.
fn elements(html: &str) -> Vec<Element> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let body = rest.trim_start_matches('/');
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(!name.is_empty(), "a raw '<' in text: {html}");
        let mut attrs_src = &body[name.len()..];
        let mut attributes = Vec::new();
        loop {
            attrs_src = attrs_src.trim_start();
            if let Some(after) = attrs_src.strip_prefix('>') {
                rest = after;
                break;
            }
            let attr: String = attrs_src
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '=' && *c != '>')
                .collect();
            assert!(!attr.is_empty(), "unreadable tag in {html}");
            attrs_src = &attrs_src[attr.len()..];
            let value = if let Some(quoted) = attrs_src.strip_prefix("=\"") {
                let end = quoted.find('"').expect("closing quote");
                attrs_src = &quoted[end + 1..];
                quoted[..end].to_owned()
            } else {
                String::new()
            };
            attributes.push((attr.to_lowercase(), value));
        }
        if !closing {
            found.push(Element {
                name: name.to_lowercase(),
                attributes,
            });
        }
    }
    found
}

/// The scheme a browser would see in an attribute value as serialized:
/// escapes undone, surrounding spaces and controls trimmed, tabs and
/// newlines removed, as the URL standard does.
fn url_scheme(serialized: &str) -> Option<String> {
    let value = serialized
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    let cleaned: String = value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let colon = cleaned.find(':')?;
    let scheme = &cleaned[..colon];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// No element can run script: allowlisted names only, no event handlers or
/// styles, and URLs only with safe schemes.
fn assert_inert(html: &str) {
    const ALLOWED: &[&str] = &[
        "p",
        "h2",
        "h3",
        "a",
        "em",
        "strong",
        "b",
        "i",
        "s",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "hr",
        "br",
        "figure",
        "figcaption",
        "img",
        "aside",
        "cite",
        "span",
        "sub",
        "sup",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ];
    for element in elements(html) {
        assert!(
            ALLOWED.contains(&element.name.as_str()),
            "<{}> in {html}",
            element.name
        );
        for (name, value) in &element.attributes {
            assert!(!name.starts_with("on"), "event handler {name} in {html}");
            assert!(name != "style", "style attribute in {html}");
            let urls: Vec<&str> = match name.as_str() {
                "href" | "src" => vec![value.as_str()],
                "srcset" => value
                    .split(',')
                    .filter_map(|c| c.split_whitespace().next())
                    .collect(),
                _ => vec![],
            };
            for url in urls {
                let scheme = url_scheme(url);
                assert!(
                    matches!(scheme.as_deref(), None | Some("http" | "https" | "mailto")),
                    "{name} with scheme {scheme:?} in {html}"
                );
            }
        }
    }
}

#[test]
fn attacks_in_paragraphs_and_raw_html_blocks() {
    for attack in ATTACKS {
        for markdown in [
            attack.to_string(),
            format!("Before {attack} after."),
            format!("> quoted {attack}"),
            format!("- item {attack}"),
        ] {
            let out = render(&markdown);
            assert_clean_bytes(&all_html(&out), &markdown);
        }
    }
}

#[test]
fn a_paragraph_that_was_only_a_script_is_dropped() {
    let out = render("Before.\n\n<script>alert(1)</script>\n\n<style>p{}</style>\n\n<iframe src=\"https://evil.example\"></iframe>\n\nAfter.");
    let texts: Vec<_> = out.blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(texts, ["Before.", "After."]);
    let lines: Vec<_> = out.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [3, 5, 7], "{:?}", out.problems);
}

#[test]
fn attacks_in_pull_quotes() {
    for attack in ATTACKS {
        let markdown =
            format!("```pullquote\nThey said {attack} and left.\n-- Someone {attack}\n```");
        let out = render(&markdown);
        assert_clean_bytes(&all_html(&out), &markdown);
        assert!(out.blocks.iter().all(|b| b.kind == BlockKind::PullQuote));
    }
}

#[test]
fn attacks_in_embeds() {
    for attack in ATTACKS {
        let markdown =
            format!("```embed\nhttps://youtu.be/abc\nFootage {attack} of the crossing.\n```");
        let out = render(&markdown);
        assert_eq!(out.blocks.len(), 1, "{markdown}");
        assert_clean_bytes(&all_html(&out), &markdown);
    }
    for address in [
        "javascript:alert(1)",
        "data:text/html,x",
        "http://example.com",
        "//evil.example/x",
    ] {
        let out = render(&format!("```embed\n{address}\n```"));
        assert!(out.blocks.is_empty(), "{address}");
        assert_eq!(out.problems.len(), 1, "{address}");
    }
    // Quotes and brackets in an address are percent-encoded, never markup.
    let out = render("```embed\nhttps://evil.example/\"><script>alert(1)</script>\n```");
    let html = all_html(&out);
    assert_inert(&html);
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert_eq!(elements(&html).len(), 2, "{html}");
}

#[test]
fn attacks_in_figure_fields_stay_text() {
    for attack in ATTACKS {
        for field in ["caption", "credit", "alt", "place"] {
            let markdown =
                format!("```figure\nsrc: media:photo\nalt: A photo\n{field}: {attack}\n```");
            let out = render(&markdown);
            let html = all_html(&out);
            assert_inert(&html);
            // Our one image, and the attack shown as text if at all.
            assert_eq!(
                elements(&html).iter().filter(|e| e.name == "img").count(),
                1,
                "{html}"
            );
            let lower = html.to_lowercase();
            for needle in ["<script", "<iframe", "<style", "<svg", "<a "] {
                assert!(!lower.contains(needle), "{needle} in {html}");
            }
        }
    }
    for src in [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "JAVASCRIPT:alert(1)",
        "media:photo\" onerror=\"alert(1)",
        "/x.jpg\" onerror=\"alert(1)",
    ] {
        let out = render(&format!("```figure\nsrc: {src}\nalt: x\n```"));
        assert!(out.blocks.is_empty(), "{src}: {:?}", out.blocks);
        assert_eq!(out.problems.len(), 1, "{src}: {:?}", out.problems);
    }
}

#[test]
fn urls_as_a_browser_reads_them() {
    assert_eq!(url_scheme(" JaVa&amp;Script:x").as_deref(), None);
    assert_eq!(
        url_scheme("\tjava\nscript:alert(1)").as_deref(),
        Some("javascript")
    );
    assert_eq!(url_scheme("/path?q=javascript:x"), None);
    assert_eq!(url_scheme("HTTPS://example.com").as_deref(), Some("https"));
}

#[test]
fn sanitize_html_for_other_callers() {
    for attack in ATTACKS.iter().filter(|a| a.starts_with('<')) {
        assert_clean_bytes(&sanitize_html(attack), attack);
    }
    assert_eq!(
        sanitize_html("<b onclick=x>bold</b> <u>under</u>"),
        "<b>bold</b> under"
    );
}

#[test]
fn pathological_nesting_does_not_overflow() {
    // Deep enough to overflow a recursive renderer; the HTML parser's
    // scope checks make deeper raw HTML slow (quadratic), not dangerous.
    let inputs = [
        "> ".repeat(3_000) + "deep",
        "- ".repeat(2_000) + "deep",
        "*".repeat(20_000),
        "[".repeat(20_000),
        "<div>".repeat(3_000),
        "`".repeat(20_000),
    ];
    for markdown in inputs {
        let out = render(&markdown);
        assert_inert(&all_html(&out));
    }
}

/// Pieces that combine into nasty documents: directive fences, Markdown
/// structure, and halves of attacks that might meet across a boundary.
fn fragment() -> impl Strategy<Value = String> {
    let pieces: Vec<&'static str> = [
        "```figure\n",
        "```pullquote\n",
        "```embed\n",
        "```\n",
        "~~~\n",
        "    ",
        "\n",
        "\n\n",
        "> ",
        "- ",
        "1. ",
        "# ",
        "### ",
        "---\n",
        "| a | b |\n|---|:-:|\n| c | d |\n",
        "src: media:photo\n",
        "src: ",
        "alt: ",
        "caption: ",
        "credit: ",
        "date: 2026-02-30\n",
        "place: ",
        "-- ",
        "— ",
        "https://youtu.be/x\n",
        "javascript:alert(1)",
        "data:text/html,x",
        "<",
        ">",
        "\"",
        "'",
        "=",
        "<scr",
        "ipt>",
        "</script>",
        "<img src=x ",
        "onerror=alert(1)",
        "<a href=\"",
        "\">",
        "</a>",
        "[x](",
        ")",
        "![x](",
        "&#106;avascript:",
        "&lt;",
        "<!--",
        "-->",
        "<svg>",
        "<style>",
        "<iframe ",
        "*",
        "_",
        "`",
        "\\",
        "\r\n",
        "é",
        "\u{0}",
        "\u{feff}",
    ]
    .into_iter()
    .chain(ATTACKS.iter().copied())
    .collect();
    prop::sample::select(pieces).prop_map(str::to_owned)
}

fn check_blocks(out: &RenderedBody, source: &str) {
    let last_line = source.lines().count().max(1) + 1;
    for Block { html, .. } in &out.blocks {
        assert_eq!(html, html.trim());
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert_inert(html);
    }
    for problem in &out.problems {
        assert!(
            (1..=last_line).contains(&problem.line),
            "line {} of {last_line}: {}",
            problem.line,
            problem.message
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        // 512 in the test command; `PROPTEST_CASES` (scripts/proptest-soak.sh) asks for more.
        cases: std::env::var_os("PROPTEST_CASES").map_or(512, |_| ProptestConfig::default().cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/safety.proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    /// Arbitrary text never panics and never yields script.
    #[test]
    fn arbitrary_input_is_safe(source in any::<String>()) {
        let out = render(&source);
        check_blocks(&out, &source);
        for block in &out.blocks {
            let lower = block.html.to_lowercase();
            for needle in ["<script", "javascript:", "onerror=", "onload=", "onclick="] {
                prop_assert!(!lower.contains(needle), "{} in {}", needle, block.html);
            }
        }
    }

    /// Documents built from directive fences, Markdown and attack pieces.
    /// Attack text may survive as visible, escaped text (in code spans or
    /// figure captions), so here the check is on the elements themselves.
    #[test]
    fn adversarial_documents_are_safe(pieces in prop::collection::vec(fragment(), 0..60)) {
        let source = pieces.concat();
        let out = render(&source);
        check_blocks(&out, &source);
    }
}
