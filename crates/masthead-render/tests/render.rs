//! What an editor writes and what a reader is served: every block kind, a
//! whole article, figures, and the problems reported for broken bodies.

use std::collections::HashMap;

use masthead_core::{Block, BlockKind, Figure};
use masthead_render::{media_url, render_body, render_figure, RenderedBody, RENDITION_WIDTHS};

fn media() -> HashMap<String, (u32, u32)> {
    HashMap::from([
        ("heihe-border".to_owned(), (4000, 3000)),
        ("amur-bridge".to_owned(), (1200, 800)),
    ])
}

fn render(markdown: &str) -> RenderedBody {
    render_body(markdown, &media())
}

/// The only block of a body that should have exactly one.
fn only_block(markdown: &str) -> Block {
    let out = render(markdown);
    assert_eq!(
        out.blocks.len(),
        1,
        "expected one block from {markdown:?}, got {:#?}",
        out.blocks
    );
    out.blocks.into_iter().next().expect("one block")
}

fn kinds(out: &RenderedBody) -> Vec<BlockKind> {
    out.blocks.iter().map(|b| b.kind).collect()
}

#[test]
fn paragraph() {
    let block = only_block("The bridge at *Heihe* is **closed**, with `no` traffic and ~~hope~~.");
    assert_eq!(block.kind, BlockKind::Paragraph);
    assert_eq!(
        block.html,
        "<p>The bridge at <em>Heihe</em> is <strong>closed</strong>, with <code>no</code> traffic and <del>hope</del>.</p>"
    );
    assert_eq!(
        block.text,
        "The bridge at Heihe is closed, with no traffic and hope."
    );
}

#[test]
fn links_get_rel() {
    let block = only_block("Read [the decree](https://example.gov/decree?a=1&b=2) or [write to us](mailto:desk@example.com).");
    assert_eq!(
        block.html,
        r#"<p>Read <a href="https://example.gov/decree?a=1&amp;b=2" rel="noopener noreferrer">the decree</a> or <a href="mailto:desk@example.com" rel="noopener noreferrer">write to us</a>.</p>"#
    );
}

#[test]
fn smart_punctuation() {
    let block = only_block(r#"She said "it's over" -- and left..."#);
    assert_eq!(block.text, "She said “it’s over” – and left…");
}

#[test]
fn subheads_never_outrank_the_headline() {
    let out = render("# One\n\n## Two\n\n### Three\n\n###### Six");
    assert_eq!(kinds(&out), [BlockKind::Subhead; 4]);
    let html: Vec<_> = out.blocks.iter().map(|b| b.html.as_str()).collect();
    assert_eq!(
        html,
        [
            "<h2>One</h2>",
            "<h2>Two</h2>",
            "<h3>Three</h3>",
            "<h3>Six</h3>"
        ]
    );
}

#[test]
fn a_list_is_one_block() {
    let block = only_block("- Heihe\n- Blagoveshchensk\n  - nested\n- Harbin");
    assert_eq!(block.kind, BlockKind::List);
    assert!(
        block.html.starts_with("<ul>") && block.html.ends_with("</ul>"),
        "{}",
        block.html
    );
    assert_eq!(block.html.matches("<li>").count(), 4);
    assert_eq!(block.text, "Heihe Blagoveshchensk nested Harbin");

    let ordered = only_block("3. third\n4. fourth");
    assert_eq!(ordered.kind, BlockKind::List);
    assert!(
        ordered.html.starts_with(r#"<ol start="3">"#),
        "{}",
        ordered.html
    );
}

#[test]
fn block_quote() {
    let block = only_block("> The river froze early.\n> Nobody crossed.");
    assert_eq!(block.kind, BlockKind::BlockQuote);
    assert!(block.html.starts_with("<blockquote>") && block.html.ends_with("</blockquote>"));
    assert_eq!(block.text, "The river froze early. Nobody crossed.");
}

#[test]
fn rule() {
    let out = render("Before\n\n---\n\nAfter");
    assert_eq!(
        kinds(&out),
        [BlockKind::Paragraph, BlockKind::Rule, BlockKind::Paragraph]
    );
    assert_eq!(out.blocks[1].html, "<hr>");
}

#[test]
fn code_is_escaped() {
    let fenced = only_block("```rust\nif a < b && c > d { \"<b>\" }\n```");
    assert_eq!(fenced.kind, BlockKind::Code);
    assert_eq!(
        fenced.html,
        "<pre><code>if a &lt; b &amp;&amp; c &gt; d { \"&lt;b&gt;\" }</code></pre>"
    );
    assert_eq!(fenced.text, "if a < b && c > d { \"<b>\" }");

    let indented = only_block("    <script>alert(1)</script>");
    assert_eq!(indented.kind, BlockKind::Code);
    assert_eq!(
        indented.html,
        "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>"
    );
}

#[test]
fn table_keeps_alignment_as_classes() {
    let block = only_block("| Town | Population |\n| :--- | ---: |\n| Heihe | 200,000 |");
    assert_eq!(block.kind, BlockKind::Table);
    assert!(
        block.html.starts_with("<table><thead><tr>"),
        "{}",
        block.html
    );
    assert!(
        block.html.contains(r#"<th class="align-left">Town</th>"#),
        "{}",
        block.html
    );
    assert!(
        block
            .html
            .contains(r#"<td class="align-right">200,000</td>"#),
        "{}",
        block.html
    );
    assert!(!block.html.contains("style"));
    assert_eq!(block.text, "Town Population Heihe 200,000");
}

#[test]
fn figure_from_the_media_store() {
    let md = "```figure
src: media:heihe-border
alt: A customs post on the frozen Amur river
caption: The crossing at Heihe, closed since January.
credit: Photo: Ivan Petrov via Zuma Press
date: 2026-03-02
place: Heihe
```";
    let out = render(md);
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    let block = &out.blocks[0];
    assert_eq!(block.kind, BlockKind::Figure);
    assert_eq!(
        block.html,
        concat!(
            r#"<figure class="figure"><img src="/media/heihe-border/960.jpg" alt="A customs post on the frozen Amur river" "#,
            r#"width="960" height="720" loading="lazy" decoding="async" "#,
            r#"srcset="/media/heihe-border/480.jpg 480w, /media/heihe-border/960.jpg 960w, /media/heihe-border/1600.jpg 1600w" "#,
            r#"sizes="(max-width: 960px) 100vw, 960px">"#,
            r#"<figcaption>The crossing at Heihe, closed since January. "#,
            r#"<span class="figure-meta">HEIHE, March 2, 2026</span> "#,
            r#"<span class="credit">Photo: Ivan Petrov via Zuma Press</span></figcaption></figure>"#
        )
    );
    assert_eq!(
        block.text,
        "The crossing at Heihe, closed since January. Photo: Ivan Petrov via Zuma Press"
    );
    assert_eq!(
        out.word_count, 0,
        "captions are not part of the story's length"
    );
}

#[test]
fn figure_meta_with_only_a_date_or_only_a_place() {
    let dated = only_block("```figure\nsrc: media:amur-bridge\nalt: Bridge\ndate: 2025-12-31\n```");
    assert!(
        dated
            .html
            .contains(r#"<span class="figure-meta">December 31, 2025</span>"#),
        "{}",
        dated.html
    );
    assert!(
        dated.html.contains(r#"width="960" height="640""#),
        "{}",
        dated.html
    );

    let placed =
        only_block("```figure\nsrc: media:amur-bridge\nalt: Bridge\nplace: Blagoveshchensk\n```");
    assert!(
        placed
            .html
            .contains(r#"<span class="figure-meta">BLAGOVESHCHENSK</span>"#),
        "{}",
        placed.html
    );

    let bare = only_block("```figure\nsrc: media:amur-bridge\nalt: Bridge\n```");
    assert!(!bare.html.contains("figcaption"), "{}", bare.html);
}

#[test]
fn figure_from_a_path_or_https_address_has_no_srcset() {
    for src in ["/static/map.png", "https://cdn.example.org/map.png"] {
        let block = only_block(&format!(
            "```figure\nsrc: {src}\nalt: Map of the border\n```"
        ));
        assert_eq!(block.kind, BlockKind::Figure);
        assert!(
            block
                .html
                .contains(&format!(r#"<img src="{src}" alt="Map of the border""#)),
            "{}",
            block.html
        );
        assert!(!block.html.contains("srcset"));
        assert!(!block.html.contains("width="));
    }
}

#[test]
fn render_figure_for_a_hero() {
    let hero = Figure {
        src: "media:amur-bridge".into(),
        alt: "The \"bridge\" <at> dusk".into(),
        caption: "Tom & Jerry's <b>bridge</b>".into(),
        credit: "Photo: A. Reporter".into(),
        ..Default::default()
    };
    let html = render_figure(&hero, &media(), "hero", true);
    assert!(html.starts_with(r#"<figure class="hero"><img src="/media/amur-bridge/960.jpg" alt="The &quot;bridge&quot; &lt;at&gt; dusk" width="960" height="640" loading="eager""#), "{html}");
    assert!(html.contains("<figcaption>Tom &amp; Jerry&#39;s &lt;b&gt;bridge&lt;/b&gt; <span class=\"credit\">Photo: A. Reporter</span></figcaption>"), "{html}");
    for width in RENDITION_WIDTHS {
        assert!(
            html.contains(&format!(
                "{} {width}w",
                media_url("amur-bridge", &format!("{width}.jpg"))
            )),
            "{html}"
        );
    }
    // A hero whose original size is unknown still gets renditions.
    let html = render_figure(&hero, &HashMap::new(), "hero", false);
    assert!(
        html.contains("srcset=") && !html.contains("width="),
        "{html}"
    );
}

#[test]
fn media_urls() {
    assert_eq!(
        media_url("heihe-border", "480.jpg"),
        "/media/heihe-border/480.jpg"
    );
    assert_eq!(RENDITION_WIDTHS, [480, 960, 1600]);
}

#[test]
fn unknown_media_is_reported_on_its_line() {
    let md = "Intro.\n\n```figure\nalt: Missing\nsrc: media:not-uploaded\n```\n\nAfter.";
    let out = render(md);
    assert_eq!(kinds(&out), [BlockKind::Paragraph, BlockKind::Paragraph]);
    assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
    assert_eq!(out.problems[0].line, 5);
    assert!(
        out.problems[0]
            .message
            .contains("unknown image media:not-uploaded"),
        "{:?}",
        out.problems
    );
}

#[test]
fn pull_quote_with_attribution() {
    let out = render("```pullquote\nWe used to cross for *lunch*. Now we don't cross at all.\n-- Anna Petrova, Heihe resident\n```");
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    let block = &out.blocks[0];
    assert_eq!(block.kind, BlockKind::PullQuote);
    assert_eq!(
        block.html,
        "<aside class=\"pullquote\"><p>We used to cross for <em>lunch</em>. Now we don’t cross at all.</p><cite>Anna Petrova, Heihe resident</cite></aside>"
    );
    assert_eq!(
        block.text,
        "We used to cross for lunch. Now we don’t cross at all. — Anna Petrova, Heihe resident"
    );
    assert_eq!(out.word_count, 16);

    let dash = only_block("```pullquote\nIt is over.\n— Ivan\n```");
    assert!(
        dash.html.ends_with("<cite>Ivan</cite></aside>"),
        "{}",
        dash.html
    );
    let anonymous = only_block("```pullquote\nIt is over.\n```");
    assert_eq!(
        anonymous.html,
        "<aside class=\"pullquote\"><p>It is over.</p></aside>"
    );
}

#[test]
fn empty_pull_quote_is_dropped() {
    let out = render("```pullquote\n\n-- Nobody\n```\n\nText.");
    assert_eq!(kinds(&out), [BlockKind::Paragraph]);
    assert_eq!(out.problems.len(), 1);
    assert_eq!(out.problems[0].line, 1);
    assert!(out.problems[0].message.contains("pull quote is empty"));
}

#[test]
fn embeds_are_placeholders() {
    let cases = [
        (
            "https://www.youtube.com/watch?v=abc123",
            "embed-video",
            "Watch the video on youtube.com",
        ),
        (
            "https://youtu.be/abc123",
            "embed-video",
            "Watch the video on youtu.be",
        ),
        (
            "https://vimeo.com/1234",
            "embed-video",
            "Watch the video on vimeo.com",
        ),
        (
            "https://x.com/someone/status/1",
            "embed-social",
            "View the post on x.com",
        ),
        (
            "https://t.me/channel/42",
            "embed-social",
            "View the post on t.me",
        ),
        (
            "https://bsky.app/profile/a/post/b",
            "embed-social",
            "View the post on bsky.app",
        ),
        (
            "https://mastodon.social/@a/1",
            "embed-social",
            "View the post on mastodon.social",
        ),
        (
            "https://www.example.org/report.pdf",
            "embed-link",
            "Open link on example.org",
        ),
    ];
    for (url, class, label) in cases {
        let block = only_block(&format!("```embed\n{url}\n```"));
        assert_eq!(block.kind, BlockKind::Embed);
        assert_eq!(
            block.html,
            format!(
                r#"<figure class="embed {class}"><a href="{url}" class="embed-link" rel="nofollow noopener noreferrer">{label}</a></figure>"#
            )
        );
        assert!(!block.html.contains("iframe"));
    }
    let captioned =
        only_block("```embed\nhttps://youtu.be/abc\nResidents filmed the *crossing*.\n```");
    assert!(
        captioned
            .html
            .ends_with("<figcaption>Residents filmed the <em>crossing</em>.</figcaption></figure>"),
        "{}",
        captioned.html
    );
    assert_eq!(
        captioned.text,
        "Watch the video on youtu.be. Residents filmed the crossing."
    );
}

#[test]
fn bad_embeds_are_reported() {
    let out = render(
        "```embed\nhttp://example.com/video\n```\n\n```embed\nnot a url\n```\n\n```embed\n```",
    );
    assert!(out.blocks.is_empty());
    let lines: Vec<_> = out.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 6, 9]);
    assert!(
        out.problems[0].message.contains("https://"),
        "{:?}",
        out.problems
    );
}

#[test]
fn raw_html_blocks_get_a_kind() {
    let out = render(
        "<table><tr><td>1</td></tr></table>\n\n<div>Loose <b>text</b></div>\n\n<ul><li>a</li></ul>\n\n<div class=\"x\">Intro<p>Para</p></div>",
    );
    assert_eq!(
        kinds(&out),
        [
            BlockKind::Table,
            BlockKind::Paragraph,
            BlockKind::List,
            BlockKind::Paragraph
        ]
    );
    assert_eq!(
        out.blocks[0].html,
        "<table><tbody><tr><td>1</td></tr></tbody></table>"
    );
    assert_eq!(out.blocks[1].html, "<p>Loose <b>text</b></p>");
    assert_eq!(out.blocks[3].html, "<p>Intro</p><p>Para</p>");
}

#[test]
fn word_count_covers_the_story_text_only() {
    let md = "# Two words\n\nThree more words.\n\n- four\n- five\n\n```\nnot counted code\n```\n\n```embed\nhttps://youtu.be/x\nnot counted caption\n```";
    assert_eq!(render(md).word_count, 7);
}

#[test]
fn a_whole_article() {
    let md = r#"Residents of Heihe woke on Monday to find the bridge closed.

## What happened

The order came at 3 a.m., officials said.

```figure
src: media:heihe-border
alt: A customs post on the frozen Amur river
caption: The crossing at Heihe.
credit: Photo: Ivan Petrov via Zuma Press
date: 2026-03-02
place: Heihe
```

```pullquote
We used to cross for lunch.
-- Anna Petrova
```

> "Nobody told us," one trader said.

- Trade fell by half.
- Flights were cancelled.

| Month | Crossings |
| --- | ---: |
| January | 1,200 |

```embed
https://www.youtube.com/watch?v=abc123
Residents filmed the closure.
```

---

```
raw data
```

The end."#;
    let out = render(md);
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    assert_eq!(
        kinds(&out),
        [
            BlockKind::Paragraph,
            BlockKind::Subhead,
            BlockKind::Paragraph,
            BlockKind::Figure,
            BlockKind::PullQuote,
            BlockKind::BlockQuote,
            BlockKind::List,
            BlockKind::Table,
            BlockKind::Embed,
            BlockKind::Rule,
            BlockKind::Code,
            BlockKind::Paragraph,
        ]
    );
    let counted = "Residents of Heihe woke on Monday to find the bridge closed. What happened \
        The order came at 3 a.m., officials said. We used to cross for lunch. — Anna Petrova \
        “Nobody told us,” one trader said. Trade fell by half. Flights were cancelled. \
        Month Crossings January 1,200 The end.";
    assert_eq!(out.word_count, masthead_core::count_words(counted));
    for block in &out.blocks {
        assert_eq!(
            block.html,
            block.html.trim(),
            "no stray whitespace around blocks"
        );
    }
}

#[test]
fn malformed_bodies_keep_what_is_valid() {
    let md = "First paragraph.

```figure
src: media:heihe-border
caption: No alt text here
```

```figure
src: media:heihe-border
alt: A customs post
colour: blue
this line is nonsense
date: March 2
```

Middle paragraph.

```pullquote
Never closed";
    let out = render(md);
    assert_eq!(
        kinds(&out),
        [
            BlockKind::Paragraph,
            BlockKind::Figure,
            BlockKind::Paragraph,
            BlockKind::PullQuote
        ]
    );
    assert!(
        !out.blocks[1].html.contains("figure-meta"),
        "bad date is ignored"
    );
    let problems: Vec<_> = out
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    let expect = [
        (3, "alt text"),
        (11, "no field \"colour\""),
        (12, "\"field: value\""),
        (13, "not a date"),
        (18, "never closed"),
    ];
    assert_eq!(problems.len(), expect.len(), "{problems:#?}");
    for ((line, message), (want_line, want)) in problems.iter().zip(expect) {
        assert_eq!(*line, want_line, "{message}");
        assert!(
            message.contains(want),
            "{message:?} should mention {want:?}"
        );
    }
}

#[test]
fn unclosed_fence_runs_to_the_end() {
    let out = render("Intro.\n\n```figure\nsrc: media:heihe-border\nalt: Post\n\nThis paragraph became part of the figure.");
    assert_eq!(kinds(&out), [BlockKind::Paragraph, BlockKind::Figure]);
    let lines: Vec<_> = out.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [3, 7], "{:?}", out.problems);
}

#[test]
fn figure_without_src_or_with_a_bad_src_is_dropped() {
    let out = render("```figure\nalt: x\n```\n\n```figure\nsrc: http://insecure.example/a.jpg\nalt: x\n```\n\n```figure\nsrc: //cdn.example/a.jpg\nalt: x\n```");
    assert!(out.blocks.is_empty());
    let lines: Vec<_> = out.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 6, 11], "{:?}", out.problems);
}

#[test]
fn empty_and_whitespace_bodies() {
    assert_eq!(render(""), RenderedBody::default());
    assert_eq!(render("\n\n   \n"), RenderedBody::default());
    let out = render("<!-- a note to the desk -->\n\n#\n\n```\n```");
    assert!(out.blocks.is_empty(), "{:?}", out.blocks);
}

#[test]
fn windows_line_endings() {
    let out = render(
        "Intro.\r\n\r\n```figure\r\nsrc: media:heihe-border\r\nalt: Post\r\ncaption: Hi\r\n```\r\n",
    );
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    assert_eq!(kinds(&out), [BlockKind::Paragraph, BlockKind::Figure]);
    assert!(out.blocks[1].html.contains("<figcaption>Hi</figcaption>"));
}
