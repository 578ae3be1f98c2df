//! Walks an article body's top-level Markdown elements and turns each into
//! one block, noting every problem with the line it is on.

use std::collections::HashMap;
use std::ops::Range;

use masthead_core::{count_words, Block, BlockKind, RenderProblem};
use pulldown_cmark::{html, CodeBlockKind, Event, HeadingLevel, Parser, Tag};

use crate::directive;
use crate::figure::{parse_figure, render_figure};
use crate::sanitize::{removal_note, sanitize_html};
use crate::text::{escape, readable_text, tag_end, tag_name};
use crate::{embed, markdown, pullquote, RenderedBody};

type Spanned<'a> = (Event<'a>, Range<usize>);

/// Renders a whole body; see the crate documentation for the syntax.
pub(crate) fn render(source: &str, media: &HashMap<String, (u32, u32)>) -> RenderedBody {
    let mut body = Body {
        source,
        lines: LineIndex::new(source),
        media,
        blocks: Vec::new(),
        problems: Vec::new(),
    };
    let mut element: Vec<Spanned<'_>> = Vec::new();
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(source, markdown::options()).into_offset_iter() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        element.push((event, range));
        if depth == 0 {
            body.element(&element);
            element.clear();
        }
    }
    if !element.is_empty() {
        body.element(&element);
    }
    body.finish()
}

struct Body<'s> {
    source: &'s str,
    lines: LineIndex,
    media: &'s HashMap<String, (u32, u32)>,
    blocks: Vec<Block>,
    problems: Vec<RenderProblem>,
}

impl Body<'_> {
    /// One top-level element, from its opening event to its closing one.
    fn element(&mut self, events: &[Spanned<'_>]) {
        let Some((first, range)) = events.first() else {
            return;
        };
        let line = self.lines.line(range.start);
        match first {
            Event::Start(Tag::CodeBlock(kind)) => {
                return self.code_block(kind, range.clone(), events)
            }
            Event::Rule => return self.push(BlockKind::Rule, "<hr>".to_owned(), String::new()),
            _ => {}
        }
        self.note_removed_content(events);
        match first {
            Event::Start(Tag::Heading { level, .. }) => {
                let tag = if *level <= HeadingLevel::H2 {
                    "h2"
                } else {
                    "h3"
                };
                let inner = sanitize_html(&to_html(inner_events(events)));
                self.markup(BlockKind::Subhead, &format!("<{tag}>{inner}</{tag}>"));
            }
            Event::Start(Tag::List(_)) => self.markup(BlockKind::List, &to_html(events)),
            Event::Start(Tag::BlockQuote(_)) => {
                self.markup(BlockKind::BlockQuote, &to_html(events))
            }
            Event::Start(Tag::Table(_)) => {
                self.markup(BlockKind::Table, &alignment_as_class(&to_html(events)))
            }
            Event::Start(Tag::HtmlBlock) => self.html_block(events),
            // Paragraphs, and anything the enabled options should never produce.
            _ => {
                if !matches!(first, Event::Start(Tag::Paragraph)) {
                    self.problem(
                        line,
                        "this part of the text was not recognised and is shown as a paragraph"
                            .to_owned(),
                    );
                }
                self.markup(BlockKind::Paragraph, &to_html(events));
            }
        }
    }

    /// Sanitizes a block's HTML and keeps it if anything is left to show.
    fn markup(&mut self, kind: BlockKind, html: &str) {
        let html = sanitize_html(html);
        let text = readable_text(&html);
        if !text.is_empty() || html.contains("<img") || html.contains("<hr") {
            self.push(kind, html, text);
        }
    }

    /// Raw HTML an editor typed or pasted: sanitized like everything else,
    /// and given the kind of the element it starts with.
    fn html_block(&mut self, events: &[Spanned<'_>]) {
        let raw: String = events
            .iter()
            .filter_map(|(event, _)| match event {
                Event::Html(html) | Event::Text(html) => Some(html.as_ref()),
                _ => None,
            })
            .collect();
        let html = paragraphs_for_loose_text(&sanitize_html(&raw));
        let (kind, html) = match first_element(&html).as_deref() {
            Some("p") => (BlockKind::Paragraph, html),
            Some("h2" | "h3") => (BlockKind::Subhead, html),
            Some("ul" | "ol") => (BlockKind::List, html),
            Some("blockquote") => (BlockKind::BlockQuote, html),
            Some("table") => (BlockKind::Table, html),
            Some("pre") => (BlockKind::Code, html),
            Some("hr") => (BlockKind::Rule, html),
            Some("figure") => (BlockKind::Figure, html),
            Some("aside") => (BlockKind::PullQuote, html),
            _ => (BlockKind::Paragraph, html),
        };
        self.markup(kind, &html);
    }

    /// Fenced and indented code, and the three directives that borrow the
    /// fence syntax.
    fn code_block(
        &mut self,
        kind: &CodeBlockKind<'_>,
        range: Range<usize>,
        events: &[Spanned<'_>],
    ) {
        let fence_line = self.lines.line(range.start);
        let content: String = events
            .iter()
            .filter_map(|(event, _)| match event {
                Event::Text(text) => Some(text.as_ref()),
                _ => None,
            })
            .collect();
        let info = match kind {
            CodeBlockKind::Fenced(info) => info
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            CodeBlockKind::Indented => String::new(),
        };
        if matches!(kind, CodeBlockKind::Fenced(_))
            && !directive::fence_is_closed(self.source.get(range).unwrap_or_default())
        {
            self.problem(
                fence_line,
                format!(
                    "this ```{info} block is never closed, so everything after it became part of it; \
                     end it with a line of ```"
                ),
            );
        }
        let lines = directive::lines(&content, fence_line);
        match info.as_str() {
            "figure" => self.figure(fence_line, &lines),
            "pullquote" | "pull-quote" => self.pull_quote(fence_line, &lines),
            "embed" => self.embed(fence_line, &lines),
            _ => self.code(&content),
        }
    }

    fn figure(&mut self, fence_line: usize, lines: &[directive::Line<'_>]) {
        let Some(fig) = parse_figure(fence_line, lines, self.media, &mut self.problems) else {
            return;
        };
        let html = sanitize_html(&render_figure(&fig, self.media, "figure", false));
        let text = [fig.caption.trim(), fig.credit.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        self.push(BlockKind::Figure, html, text);
    }

    fn pull_quote(&mut self, fence_line: usize, lines: &[directive::Line<'_>]) {
        self.note_removed_in_lines(lines);
        match pullquote::render(lines) {
            Some(quote) => self.push(BlockKind::PullQuote, quote.html, quote.text),
            None => self.problem(
                fence_line,
                "pull quote is empty; it was left out".to_owned(),
            ),
        }
    }

    fn embed(&mut self, fence_line: usize, lines: &[directive::Line<'_>]) {
        self.note_removed_in_lines(lines);
        match embed::render(fence_line, lines) {
            Ok(embed) => self.push(BlockKind::Embed, embed.html, embed.text),
            Err((line, message)) => self.problem(line, message),
        }
    }

    fn code(&mut self, content: &str) {
        let code = content.trim_end_matches(['\n', '\r']);
        if !code.trim().is_empty() {
            let html = sanitize_html(&format!("<pre><code>{}</code></pre>", escape(code)));
            self.push(BlockKind::Code, html, code.to_owned());
        }
    }

    /// Tells the editor about markup the sanitizer is about to remove, so
    /// nothing disappears from a story without a word.
    fn note_removed_content(&mut self, events: &[Spanned<'_>]) {
        for (event, range) in events {
            if let Some(message) = removal_note(event) {
                let line = self.lines.line(range.start);
                self.problem(line, message);
            }
        }
    }

    /// The same for a directive's lines, each read as Markdown on its own.
    fn note_removed_in_lines(&mut self, lines: &[directive::Line<'_>]) {
        for line in lines {
            for event in Parser::new_ext(line.text, markdown::options()) {
                if let Some(message) = removal_note(&event) {
                    self.problem(line.number, message);
                }
            }
        }
    }

    fn push(&mut self, kind: BlockKind, html: String, text: String) {
        let html = html.trim().to_owned();
        self.blocks.push(Block { kind, html, text });
    }

    fn problem(&mut self, line: usize, message: String) {
        self.problems.push(RenderProblem { line, message });
    }

    fn finish(mut self) -> RenderedBody {
        // An editor fixes problems top to bottom; directives report theirs
        // after looking at the whole block.
        self.problems.sort_by_key(|problem| problem.line);
        let word_count = self
            .blocks
            .iter()
            .filter(|block| counts_toward_length(block.kind))
            .map(|block| count_words(&block.text))
            .sum();
        RenderedBody {
            blocks: self.blocks,
            problems: self.problems,
            word_count,
        }
    }
}

/// Whether a block's words are part of the story's length. Captions,
/// embeds and code are not what a reader means by "a 5-minute read".
fn counts_toward_length(kind: BlockKind) -> bool {
    matches!(
        kind,
        BlockKind::Paragraph
            | BlockKind::Subhead
            | BlockKind::List
            | BlockKind::BlockQuote
            | BlockKind::PullQuote
            | BlockKind::Table
    )
}

fn to_html<'e, 'a: 'e>(events: impl IntoIterator<Item = &'e Spanned<'a>>) -> String {
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter().map(|(event, _)| event.clone()));
    out
}

/// The events inside an element's opening and closing events.
fn inner_events<'e, 'a>(events: &'e [Spanned<'a>]) -> &'e [Spanned<'a>] {
    match events {
        [_, inner @ .., _] => inner,
        _ => &[],
    }
}

/// pulldown-cmark aligns table cells with inline styles, which the
/// sanitizer removes; classes from our allowlist carry the alignment instead.
fn alignment_as_class(html: &str) -> String {
    html.replace(r#" style="text-align: left""#, r#" class="align-left""#)
        .replace(r#" style="text-align: center""#, r#" class="align-center""#)
        .replace(r#" style="text-align: right""#, r#" class="align-right""#)
}

/// Puts text and inline elements that sit loose between blocks (what is
/// left of a `<div>` after sanitizing) into paragraphs, so every line of a
/// body is in a block element the theme styles. Expects sanitized HTML.
fn paragraphs_for_loose_text(html: &str) -> String {
    fn flush(run: &mut String, out: &mut String) {
        if !readable_text(run).is_empty() || run.contains("<img") {
            out.push_str("<p>");
            out.push_str(run.trim());
            out.push_str("</p>");
        }
        run.clear();
    }
    let mut out = String::with_capacity(html.len() + 7);
    let mut run = String::new();
    let mut depth = 0usize;
    let mut in_block = false;
    let mut rest = html;
    while !rest.is_empty() {
        let (piece, is_tag) = match rest.find('<') {
            Some(0) => (&rest[..tag_end(rest)], true),
            Some(at) => (&rest[..at], false),
            None => (rest, false),
        };
        rest = &rest[piece.len()..];
        if depth == 0 {
            let starts_block =
                is_tag && !piece.starts_with("</") && is_block_element(&tag_name(piece));
            if starts_block && !in_block {
                flush(&mut run, &mut out);
            }
            in_block = starts_block;
        }
        if is_tag && !matches!(tag_name(piece).as_str(), "br" | "hr" | "img") {
            if piece.starts_with("</") {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
            }
        }
        if in_block {
            out.push_str(piece);
        } else {
            run.push_str(piece);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn is_block_element(name: &str) -> bool {
    matches!(
        name,
        "p" | "h2"
            | "h3"
            | "ul"
            | "ol"
            | "blockquote"
            | "table"
            | "pre"
            | "hr"
            | "figure"
            | "aside"
    )
}

/// The name of the first element in sanitized HTML, if it starts with one.
fn first_element(html: &str) -> Option<String> {
    let rest = html.trim_start().strip_prefix('<')?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

/// Byte offsets to 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(source: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_to_lines() {
        let index = LineIndex::new("a\nbc\n\nd");
        assert_eq!(
            [0, 1, 2, 4, 5, 6].map(|o| index.line(o)),
            [1, 1, 2, 2, 3, 4]
        );
    }

    #[test]
    fn first_elements() {
        assert_eq!(first_element("  <table><tr>").as_deref(), Some("table"));
        assert_eq!(first_element("text <b>x</b>"), None);
    }

    #[test]
    fn loose_text_goes_into_paragraphs() {
        assert_eq!(
            paragraphs_for_loose_text("text<p>para</p>"),
            "<p>text</p><p>para</p>"
        );
        assert_eq!(
            paragraphs_for_loose_text(
                "<p>a</p>\nloose <b>bold</b><hr><ul><li>x</li></ul> <i> </i>"
            ),
            "<p>a</p><p>loose <b>bold</b></p><hr><ul><li>x</li></ul>"
        );
        assert_eq!(
            paragraphs_for_loose_text("<img src=\"/a.jpg\">"),
            "<p><img src=\"/a.jpg\"></p>"
        );
    }
}
