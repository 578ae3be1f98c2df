//! The Markdown dialect of article bodies (CommonMark with tables,
//! strikethrough and smart punctuation), and rendering small pieces of it:
//! the text of a pull quote, a caption, an attribution.

use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};

/// Parser options for every piece of an article body.
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION
}

/// Markdown to (unsanitized) HTML, paragraphs and all.
pub(crate) fn to_html(markdown: &str) -> String {
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(markdown, options()));
    out
}

/// Markdown to (unsanitized) HTML with only the inline markup kept
/// (emphasis, links, code), for text that sits inside our own element,
/// such as an attribution in `<cite>`.
pub(crate) fn to_inline_html(markdown: &str) -> String {
    let mut out = String::new();
    let inline = Parser::new_ext(markdown, options()).filter_map(|event| match event {
        Event::Start(tag) if is_inline(&tag) => Some(Event::Start(tag)),
        Event::End(tag) if is_inline_end(tag) => Some(Event::End(tag)),
        Event::Start(_) | Event::End(_) => None,
        Event::SoftBreak => Some(Event::Text(" ".into())),
        other => Some(other),
    });
    html::push_html(&mut out, inline);
    out
}

fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. }
    )
}

fn is_inline_end(tag: TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup_without_blocks() {
        assert_eq!(
            to_inline_html("*Anna* \"Petrova\"\nof [us](/about)"),
            "<em>Anna</em> “Petrova” of <a href=\"/about\">us</a>"
        );
        assert_eq!(to_html("a\n\nb"), "<p>a</p>\n<p>b</p>\n");
    }
}
