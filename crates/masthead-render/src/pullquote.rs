//! The ```` ```pullquote ```` directive: a line from the story set large,
//! with an optional attribution on a last line starting with `-- ` or `— `.

use crate::directive::Line;
use crate::markdown;
use crate::sanitize::sanitize_html;
use crate::text::readable_text;

/// A pull quote ready to be a block.
pub(crate) struct PullQuote {
    pub html: String,
    pub text: String,
}

/// Renders a pull quote; `None` if there is nothing to quote.
pub(crate) fn render(lines: &[Line<'_>]) -> Option<PullQuote> {
    let mut quote: Vec<&str> = lines.iter().map(|line| line.text).collect();
    while quote.last().is_some_and(|line| line.trim().is_empty()) {
        quote.pop();
    }
    let attribution = quote.last().and_then(|line| attribution(line));
    if attribution.is_some() {
        quote.pop();
    }

    let quote_html = sanitize_html(&markdown::to_html(&quote.join("\n")));
    let quote_html = quote_html.trim();
    let quote_text = readable_text(quote_html);
    if quote_text.is_empty() {
        return None;
    }
    let (cite_html, cite_text) = match attribution {
        Some(who) => {
            let html = sanitize_html(&markdown::to_inline_html(who));
            let text = readable_text(&html);
            (format!("<cite>{html}</cite>"), text)
        }
        None => (String::new(), String::new()),
    };
    let html = sanitize_html(&format!(
        r#"<aside class="pullquote">{quote_html}{cite_html}</aside>"#
    ));
    let text = if cite_text.is_empty() {
        quote_text
    } else {
        format!("{quote_text} — {cite_text}")
    };
    Some(PullQuote { html, text })
}

/// The attribution on a line like `-- Anna Petrova, Heihe resident`.
fn attribution(line: &str) -> Option<&str> {
    let line = line.trim();
    let who = line
        .strip_prefix("-- ")
        .or_else(|| line.strip_prefix("— "))?
        .trim();
    (!who.is_empty()).then_some(who)
}
