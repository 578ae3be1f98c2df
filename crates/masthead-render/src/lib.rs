//! Turns an article body written in Markdown into the sanitized HTML blocks
//! readers are served. It runs when an article is saved, never per request:
//! a published article is its list of [`Block`]s, each safe to put on a
//! page as it is, with its plain text for word counts, snippets and feeds.
//!
//! # Body syntax
//!
//! CommonMark with tables, strikethrough and smart punctuation. Every
//! top-level element becomes exactly one block:
//!
//! | Markdown | Block | HTML |
//! | --- | --- | --- |
//! | paragraph | `Paragraph` | `<p>` |
//! | `#`, `##` heading | `Subhead` | `<h2>` (the headline is the page's only `<h1>`) |
//! | `###` and smaller | `Subhead` | `<h3>` |
//! | list | `List` | `<ul>`/`<ol>`, the whole list |
//! | `>` quote | `BlockQuote` | `<blockquote>` |
//! | `---` | `Rule` | `<hr>` |
//! | indented or fenced code | `Code` | `<pre><code>` |
//! | table | `Table` | `<table>`, alignment as `align-*` classes |
//! | raw HTML | by its first element | sanitized, see below |
//!
//! Three fenced blocks are directives rather than code:
//!
//! ````markdown
//! ```figure
//! src: media:heihe-border
//! alt: A customs post on the frozen Amur river
//! caption: The crossing at Heihe, closed since January.
//! credit: Photo: Ivan Petrov via Zuma Press
//! date: 2026-03-02
//! place: Heihe
//! ```
//!
//! ```pullquote
//! We used to cross for *lunch*.
//! -- Anna Petrova, Heihe resident
//! ```
//!
//! ```embed
//! https://www.youtube.com/watch?v=abc123
//! Footage of the crossing, filmed by residents.
//! ```
//! ````
//!
//! - **figure**: `src` is `media:KEY` (an image in our media store, served
//!   in [`RENDITION_WIDTHS`] renditions), a site path starting with `/`, or
//!   an `https://` address; `src` and `alt` are required, `caption`,
//!   `credit`, `date` (YYYY-MM-DD) and `place` are optional. Rendered by
//!   [`render_figure`].
//! - **pullquote**: the quote (inline Markdown allowed), then optionally a
//!   last line starting with `-- ` or `— ` naming who said it.
//! - **embed**: an `https://` address on the first line and an optional
//!   caption after it. Shown as a link placeholder (`embed-video`,
//!   `embed-social` or `embed-link`), never an iframe: a reader's page
//!   makes no request to a third party.
//!
//! # Safety
//!
//! Every block's final HTML goes through [`sanitize_html`], our own markup
//! included. Raw HTML is never trusted: script, style, iframe, object and
//! form elements are removed with their content; event handlers, inline
//! styles and `javascript:`/`data:` URLs never survive.
//!
//! # Problems
//!
//! Rendering never fails. What cannot be shown is left out and reported as
//! a [`RenderProblem`] with its line in the Markdown, in words an editor
//! understands; everything else is still saved.

mod body;
mod directive;
mod embed;
pub mod epub;
mod figure;
mod markdown;
mod pullquote;
mod sanitize;
mod text;

use std::collections::HashMap;

pub use figure::{media_url, render_figure, RENDITION_WIDTHS};
use masthead_core::{Block, RenderProblem};
pub use sanitize::sanitize_html;
use serde::{Deserialize, Serialize};

/// An article body rendered for saving.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RenderedBody {
    /// The blocks readers are served, in order.
    pub blocks: Vec<Block>,
    /// Everything that was left out or changed, for the editor.
    pub problems: Vec<RenderProblem>,
    /// Words in the story's text: paragraphs, subheads, lists, quotes and
    /// tables, not captions, embeds or code.
    pub word_count: u32,
}

/// Renders an article body. `media` maps the keys of images in our media
/// store to the (width, height) of the original, for `media:KEY` figures.
pub fn render_body(markdown: &str, media: &HashMap<String, (u32, u32)>) -> RenderedBody {
    body::render(markdown, media)
}
