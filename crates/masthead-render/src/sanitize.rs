//! The one HTML allowlist. Everything a reader is served from an article
//! body passes through it, our own markup included, so a mistake in a
//! renderer cannot put a script on the page.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, Url, UrlRelative};
use pulldown_cmark::{Event, Tag};

use crate::directive::quoted;

/// Elements that may appear in a published body.
const TAGS: &[&str] = &[
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

/// Elements removed together with everything inside them: their content is
/// code or a form, never text meant for the reader.
const REMOVED_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
    "textarea", "select", "svg", "math", "noscript", "template", "noembed", "noframes", "title",
    "xmp",
];

/// The classes our renderers write; no other class value survives.
const CLASSES: &[(&str, &[&str])] = &[
    (
        "figure",
        &[
            "figure",
            "embed",
            "embed-video",
            "embed-social",
            "embed-link",
        ],
    ),
    ("a", &["embed-link"]),
    ("aside", &["pullquote"]),
    ("span", &["figure-meta", "credit"]),
    ("th", &["align-left", "align-center", "align-right"]),
    ("td", &["align-left", "align-center", "align-right"]),
];

/// URL schemes a link or image may use; relative URLs are allowed too.
const SCHEMES: &[&str] = &["http", "https", "mailto"];

/// `rel` for every link in a body, so a linked page cannot reach back into ours.
const LINK_REL: &str = "noopener noreferrer";
/// `rel` for embed placeholders: third-party posts we point at, not endorse.
const EMBED_LINK_REL: &str = "nofollow noopener noreferrer";

// Built once: the builder is immutable configuration, and rebuilding its
// sets for every block of every save would be wasted work.
static BODY: LazyLock<Builder<'static>> = LazyLock::new(|| allowlist(LINK_REL));
static EMBED: LazyLock<Builder<'static>> = LazyLock::new(|| allowlist(EMBED_LINK_REL));

/// Sanitizes untrusted HTML with the allowlist article bodies use:
/// script, style, iframe, object and form elements go with their content,
/// event handlers, inline styles and unknown attributes are removed, links
/// and images keep only http, https, mailto or relative URLs, and every
/// link gets `rel="noopener noreferrer"`.
pub fn sanitize_html(html: &str) -> String {
    BODY.clean(html).to_string()
}

/// The same allowlist, for embed placeholders, whose links also get `nofollow`.
pub(crate) fn sanitize_embed_html(html: &str) -> String {
    EMBED.clean(html).to_string()
}

/// Whether the sanitizer keeps this URL in an `href` or `src`; used to tell
/// an editor which of their links were removed.
pub(crate) fn url_allowed(url: &str) -> bool {
    match Url::parse(url.trim()) {
        Ok(parsed) => SCHEMES.contains(&parsed.scheme()),
        Err(ammonia::url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
    }
}

/// What an editor should hear when a piece of Markdown holds something
/// the sanitizer will remove.
pub(crate) fn removal_note(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Html(raw) | Event::InlineHtml(raw) => unsafe_html_note(raw).map(str::to_owned),
        Event::Start(Tag::Link { dest_url, .. }) if !url_allowed(dest_url) => Some(format!(
            "link to {} was removed (the words were kept): links must start with https://, http://, mailto: or /",
            quoted(dest_url)
        )),
        Event::Start(Tag::Image { dest_url, .. }) if !url_allowed(dest_url) => Some(format!(
            "image {} was removed: use a ```figure block with media:KEY or an https:// address",
            quoted(dest_url)
        )),
        _ => None,
    }
}

fn unsafe_html_note(raw: &str) -> Option<&'static str> {
    let lower = raw.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    Some(if has("<iframe") || has("<object") || has("<embed") {
        "embedded player was removed: put the address of the video or post in an ```embed block instead"
    } else if has("<script") {
        "<script> was removed: scripts are never published"
    } else if has_event_handler(&lower) {
        "event handler (an on...= attribute) was removed: scripts are never published"
    } else if has("<style") || has("style=") {
        "styling in the HTML was removed: the look of the page comes from the theme"
    } else if has("<form") {
        "<form> was removed: forms cannot be part of an article"
    } else if has("<svg") || has("<math") {
        "inline <svg> or <math> was removed: upload graphics as images and use a ```figure block"
    } else if has("javascript:") || has("=data:") || has("\"data:") || has("'data:") {
        "a javascript: or data: address was removed"
    } else {
        return None;
    })
}

/// Whether lowercase HTML has an attribute like ` onerror=`.
fn has_event_handler(lower: &str) -> bool {
    lower.match_indices("on").any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let name: String = lower[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let after = lower[at + name.len()..].trim_start();
        matches!(before, Some(c) if c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            && name.len() > 2
            && after.starts_with('=')
    })
}

fn allowlist(link_rel: &'static str) -> Builder<'static> {
    let mut builder = Builder::empty();
    let tag_attributes = HashMap::from([
        ("a", HashSet::from(["href", "title"])),
        (
            "img",
            HashSet::from([
                "src", "alt", "width", "height", "srcset", "sizes", "loading", "decoding",
            ]),
        ),
        ("ol", HashSet::from(["start"])),
    ]);
    let classes = CLASSES
        .iter()
        .map(|&(tag, classes)| (tag, classes.iter().copied().collect()))
        .collect();
    builder
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(REMOVED_WITH_CONTENT.iter().copied().collect())
        .generic_attributes(HashSet::new())
        .tag_attributes(tag_attributes)
        .allowed_classes(classes)
        .url_schemes(SCHEMES.iter().copied().collect())
        .url_relative(UrlRelative::PassThrough)
        .link_rel(Some(link_rel))
        .strip_comments(true)
        .attribute_filter(filter_attribute);
    builder
}

/// Checks attribute values the allowlist alone cannot: `srcset` holds URLs
/// the sanitizer does not know to look at, and the rest must be plain
/// keywords or numbers.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    let keep = match (element, attribute) {
        ("img", "srcset") => srcset_is_safe(value),
        ("img", "loading") => matches!(value, "lazy" | "eager"),
        ("img", "decoding") => matches!(value, "async" | "sync" | "auto"),
        ("img", "width" | "height") | ("ol", "start") => {
            !value.is_empty() && value.len() <= 9 && value.bytes().all(|b| b.is_ascii_digit())
        }
        _ => true,
    };
    keep.then_some(Cow::Borrowed(value))
}

/// Every candidate in a `srcset` must be a path on this site or an
/// http(s) address.
fn srcset_is_safe(srcset: &str) -> bool {
    srcset.split(',').all(|candidate| {
        let url = candidate.split_whitespace().next().unwrap_or_default();
        let lower = url.to_ascii_lowercase();
        (url.starts_with('/') && !url.starts_with("//"))
            || lower.starts_with("https://")
            || lower.starts_with("http://")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_active_content() {
        let out = sanitize_html(
            r#"<p style="color:red" onclick="x()">Hi<script>alert(1)</script></p><iframe src="https://evil.example"></iframe><a href="javascript:alert(1)">x</a>"#,
        );
        assert_eq!(out, r#"<p>Hi</p><a rel="noopener noreferrer">x</a>"#);
    }

    #[test]
    fn keeps_our_classes_only() {
        let out = sanitize_html(
            r#"<aside class="pullquote evil"><span class="credit x">c</span></aside><p class="figure">p</p>"#,
        );
        assert_eq!(
            out,
            r#"<aside class="pullquote"><span class="credit">c</span></aside><p>p</p>"#
        );
    }

    #[test]
    fn srcset_and_numbers_are_checked() {
        let out = sanitize_html(
            r#"<img src="/a.jpg" srcset="javascript:alert(1) 1x" width="10px" height="20" loading="lazy">"#,
        );
        assert_eq!(out, r#"<img src="/a.jpg" height="20" loading="lazy">"#);
    }

    #[test]
    fn embed_links_are_nofollow() {
        let out = sanitize_embed_html(r#"<a href="https://x.com/a" rel="opener">x</a>"#);
        assert_eq!(
            out,
            r#"<a href="https://x.com/a" rel="nofollow noopener noreferrer">x</a>"#
        );
    }

    #[test]
    fn tells_which_urls_survive() {
        assert!(url_allowed("/about"));
        assert!(url_allowed("https://example.com"));
        assert!(url_allowed("mailto:desk@example.com"));
        assert!(!url_allowed("javascript:alert(1)"));
        assert!(!url_allowed(" JavaScript:alert(1)"));
        assert!(!url_allowed("data:text/html,x"));
    }

    #[test]
    fn notices_event_handlers() {
        assert!(has_event_handler("<img src=x onerror=alert(1)>"));
        assert!(has_event_handler("<p/onclick = \"x\">"));
        assert!(!has_event_handler("<p>on one condition=yes</p>"));
        assert!(!has_event_handler("<a href=\"/online\">"));
    }
}
