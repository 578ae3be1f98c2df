//! The ```` ```embed ```` directive: a video or social post shown as a safe
//! link placeholder. We never load a third party's player or script into
//! a reader's page, so no iframe and no request leaves our site until the
//! reader clicks.

use ammonia::Url;

use crate::directive::{quoted, Line};
use crate::markdown;
use crate::sanitize::{sanitize_embed_html, sanitize_html};
use crate::text::{escape, readable_text};

/// An embed ready to be a block.
pub(crate) struct Embed {
    pub html: String,
    pub text: String,
}

/// What an embed points at, which decides its wording and styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    Video,
    Social,
    Link,
}

const VIDEO_HOSTS: &[&str] = &[
    "youtube.com",
    "youtu.be",
    "youtube-nocookie.com",
    "vimeo.com",
    "dailymotion.com",
];
const SOCIAL_HOSTS: &[&str] = &[
    "x.com",
    "twitter.com",
    "instagram.com",
    "facebook.com",
    "tiktok.com",
    "bsky.app",
    "threads.net",
    "threads.com",
    "t.me",
    "telegram.me",
];

/// Renders an embed from its lines: the address first, then an optional
/// caption. `Err` carries the line and message when there is nothing safe
/// to show.
pub(crate) fn render(fence_line: usize, lines: &[Line<'_>]) -> Result<Embed, (usize, String)> {
    let mut content = lines.iter().filter(|line| !line.text.trim().is_empty());
    let Some(first) = content.next() else {
        return Err((
            fence_line,
            "embed is empty: put the https:// address of the video or post on its first line; it was left out".to_owned(),
        ));
    };
    let address = first.text.trim();
    let url = match Url::parse(address) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some() => url,
        _ => {
            return Err((
                first.number,
                format!(
                    "embed address {} is not an https:// address; the embed was left out",
                    quoted(address)
                ),
            ))
        }
    };
    let host = display_host(url.host_str().unwrap_or_default());
    let platform = platform(host);
    let (class, label) = match platform {
        Platform::Video => ("embed-video", format!("Watch the video on {host}")),
        Platform::Social => ("embed-social", format!("View the post on {host}")),
        Platform::Link => ("embed-link", format!("Open link on {host}")),
    };

    let caption_markdown = content
        .map(|line| line.text.trim())
        .collect::<Vec<_>>()
        .join(" ");
    let caption_html = sanitize_html(&markdown::to_inline_html(&caption_markdown));
    let caption_text = readable_text(&caption_html);
    let figcaption = if caption_text.is_empty() && !caption_html.contains("<img") {
        String::new()
    } else {
        format!("<figcaption>{caption_html}</figcaption>")
    };
    let html = sanitize_embed_html(&format!(
        r#"<figure class="embed {class}"><a href="{href}" rel="nofollow noopener noreferrer" class="embed-link">{label}</a>{figcaption}</figure>"#,
        href = escape(url.as_str()),
        label = escape(&label),
    ));
    let text = if caption_text.is_empty() {
        label
    } else {
        format!("{label}. {caption_text}")
    };
    Ok(Embed { html, text })
}

/// The host as a reader knows it: without `www.` or `m.`.
fn display_host(host: &str) -> &str {
    host.strip_prefix("www.")
        .or_else(|| host.strip_prefix("m."))
        .unwrap_or(host)
}

fn platform(host: &str) -> Platform {
    let on = |domains: &[&str]| {
        domains
            .iter()
            .any(|d| host == *d || host.strip_suffix(d).is_some_and(|sub| sub.ends_with('.')))
    };
    if on(VIDEO_HOSTS) {
        Platform::Video
    } else if on(SOCIAL_HOSTS) || host.contains("mastodon") {
        Platform::Social
    } else {
        Platform::Link
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_by_host() {
        assert_eq!(platform("youtube.com"), Platform::Video);
        assert_eq!(platform("music.youtube.com"), Platform::Video);
        assert_eq!(platform("notyoutube.com"), Platform::Link);
        assert_eq!(platform("t.me"), Platform::Social);
        assert_eq!(platform("mastodon.social"), Platform::Social);
        assert_eq!(platform("example.org"), Platform::Link);
        assert_eq!(display_host("www.youtube.com"), "youtube.com");
        assert_eq!(display_host("m.facebook.com"), "facebook.com");
    }
}
