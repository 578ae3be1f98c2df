//! Pictures: the ```` ```figure ```` directive in a body, and the markup for
//! one figure (inline or an article's hero), with responsive renditions for
//! images from our media store.

use std::collections::{HashMap, HashSet};

use ammonia::Url;
use chrono::NaiveDate;
use masthead_core::{Figure, RenderProblem};

use crate::directive::{quoted, Line};
use crate::text::escape;

/// Widths, in pixels, of the renditions kept for every image in the media
/// store; each is served at [`media_url`]`(key, "{width}.jpg")`.
pub const RENDITION_WIDTHS: [u32; 3] = [480, 960, 1600];

/// The rendition used as `src`, and the width the `width`/`height`
/// attributes describe (they give the browser the aspect ratio before the
/// image arrives).
const DEFAULT_WIDTH: u32 = 960;

/// The body column is at most 960 CSS pixels wide.
const SIZES: &str = "(max-width: 960px) 100vw, 960px";

/// The fields a ```` ```figure ```` block may set.
const FIELDS: [&str; 6] = ["src", "alt", "caption", "credit", "date", "place"];

/// Where a rendition of a stored image is served: `/media/{key}/{rendition}`,
/// e.g. `media_url("heihe-border", "960.jpg")`.
pub fn media_url(key: &str, rendition: &str) -> String {
    format!("/media/{key}/{rendition}")
}

/// The HTML for one figure, used for inline figures and for an article's
/// hero. `class` goes on the `<figure>`; `eager` loads the image at once
/// (for a hero at the top of the page) instead of lazily.
///
/// Every text is escaped. A `media:KEY` source gets the renditions as a
/// `srcset`, with `width` and `height` from `media` when the key is known.
/// A source that is none of `media:KEY`, a site path starting with `/` or
/// an `https://` address gives an empty string: there is nothing safe to show.
pub fn render_figure(
    fig: &Figure,
    media: &HashMap<String, (u32, u32)>,
    class: &str,
    eager: bool,
) -> String {
    let Some(source) = ImageSource::parse(&fig.src) else {
        return String::new();
    };
    let mut img = String::from("<img");
    let mut attr = |name: &str, value: &str| {
        img.push_str(&format!(" {name}=\"{}\"", escape(value)));
    };
    match &source {
        ImageSource::Media(key) => attr("src", &media_url(key, &format!("{DEFAULT_WIDTH}.jpg"))),
        ImageSource::Address(url) => attr("src", url),
    }
    attr("alt", &fig.alt);
    if let ImageSource::Media(key) = &source {
        if let Some((width, height)) = media.get(*key).and_then(|&size| display_size(size)) {
            attr("width", &width.to_string());
            attr("height", &height.to_string());
        }
    }
    attr("loading", if eager { "eager" } else { "lazy" });
    attr("decoding", "async");
    if let ImageSource::Media(key) = &source {
        let srcset = RENDITION_WIDTHS
            .iter()
            .map(|w| format!("{} {w}w", media_url(key, &format!("{w}.jpg"))))
            .collect::<Vec<_>>()
            .join(", ");
        attr("srcset", &srcset);
        attr("sizes", SIZES);
    }
    img.push('>');

    let mut caption_parts = Vec::new();
    if !fig.caption.trim().is_empty() {
        caption_parts.push(escape(fig.caption.trim()));
    }
    let meta = figure_meta(fig);
    if !meta.is_empty() {
        caption_parts.push(format!(
            r#"<span class="figure-meta">{}</span>"#,
            escape(&meta)
        ));
    }
    if !fig.credit.trim().is_empty() {
        caption_parts.push(format!(
            r#"<span class="credit">{}</span>"#,
            escape(fig.credit.trim())
        ));
    }
    let caption = if caption_parts.is_empty() {
        String::new()
    } else {
        format!("<figcaption>{}</figcaption>", caption_parts.join(" "))
    };
    format!(
        r#"<figure class="{}">{img}{caption}</figure>"#,
        escape(class)
    )
}

/// Where and when the picture was taken, dateline style: "HEIHE, March 2, 2026".
fn figure_meta(fig: &Figure) -> String {
    let place = fig.place.trim().to_uppercase();
    let date = fig.date.map(|d| d.format("%B %-d, %Y").to_string());
    match (place.is_empty(), date) {
        (false, Some(date)) => format!("{place}, {date}"),
        (true, Some(date)) => date,
        (_, None) => place,
    }
}

/// An original's size scaled to the default rendition's width.
fn display_size((width, height): (u32, u32)) -> Option<(u32, u32)> {
    if width == 0 || height == 0 {
        return None;
    }
    let scaled =
        (u64::from(height) * u64::from(DEFAULT_WIDTH) + u64::from(width) / 2) / u64::from(width);
    Some((
        DEFAULT_WIDTH,
        u32::try_from(scaled.max(1)).unwrap_or(u32::MAX),
    ))
}

/// Where a figure's image comes from.
enum ImageSource<'a> {
    /// A key in our media store (`media:KEY`).
    Media(&'a str),
    /// A path on this site starting with `/`, or an `https://` address.
    Address(String),
}

impl<'a> ImageSource<'a> {
    fn parse(src: &'a str) -> Option<Self> {
        let src = src.trim();
        if let Some(key) = src.strip_prefix("media:") {
            let key = key.trim();
            return is_media_key(key).then_some(Self::Media(key));
        }
        if src.starts_with('/') && !src.starts_with("//") && !src.contains(char::is_whitespace) {
            return Some(Self::Address(src.to_owned()));
        }
        match Url::parse(src) {
            Ok(url) if url.scheme() == "https" && url.host_str().is_some() => {
                Some(Self::Address(url.into()))
            }
            _ => None,
        }
    }
}

/// Media keys are path-safe names: letters, digits, `-`, `_`, `.` and `/`,
/// with no `..` segment.
fn is_media_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 200
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && !key.starts_with('/')
        && !key.ends_with('/')
        && key
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

/// Whether a caption line holds a tag, which a figure shows as text.
fn looks_like_html(value: &str) -> bool {
    value.match_indices('<').any(|(at, _)| {
        value[at + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!')
    })
}

/// Reads the `key: value` lines of a ```` ```figure ```` block. Returns the
/// figure if it can be shown; everything wrong is reported, and a figure
/// without a usable image or alt text is left out.
pub(crate) fn parse_figure(
    fence_line: usize,
    lines: &[Line<'_>],
    media: &HashMap<String, (u32, u32)>,
    problems: &mut Vec<RenderProblem>,
) -> Option<Figure> {
    let mut fig = Figure::default();
    let mut src_line = fence_line;
    let mut seen = HashSet::new();
    let mut problem = |line: usize, message: String| problems.push(RenderProblem { line, message });
    for line in lines {
        let text = line.text.trim();
        if text.is_empty() {
            continue;
        }
        let Some((key, value)) = text.split_once(':') else {
            problem(
                line.number,
                format!(
                    "figure line {} is not a \"field: value\" line; it was ignored",
                    quoted(text)
                ),
            );
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if !FIELDS.contains(&key.as_str()) {
            problem(
                line.number,
                format!(
                    "figure has no field {} (use {}); the line was ignored",
                    quoted(&key),
                    FIELDS.join(", ")
                ),
            );
            continue;
        }
        if key != "src" && looks_like_html(value) {
            problem(
                line.number,
                format!(
                    "figure {} is plain text: the HTML in it will show as typed",
                    quoted(&key)
                ),
            );
        }
        if !seen.insert(key.clone()) {
            problem(
                line.number,
                format!(
                    "figure field {} is given twice; the last one is used",
                    quoted(&key)
                ),
            );
        }
        match key.as_str() {
            "src" => {
                src_line = line.number;
                fig.src = value.to_owned();
            }
            "alt" => fig.alt = value.to_owned(),
            "caption" => fig.caption = value.to_owned(),
            "credit" => fig.credit = value.to_owned(),
            "place" => fig.place = value.to_owned(),
            "date" => {
                fig.date = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
                if fig.date.is_none() {
                    problem(
                        line.number,
                        format!(
                            "figure date {} is not a date like 2026-03-02; it was left out",
                            quoted(value)
                        ),
                    );
                }
            }
            _ => {} // reported above
        }
    }

    if fig.src.is_empty() {
        problem(
            fence_line,
            "figure has no src (e.g. \"src: media:KEY\"); it was left out".to_owned(),
        );
        return None;
    }
    match ImageSource::parse(&fig.src) {
        None => {
            problem(
                src_line,
                format!(
                    "figure src {} must be media:KEY, a path starting with /, or an https:// address; the figure was left out",
                    quoted(&fig.src)
                ),
            );
            return None;
        }
        Some(ImageSource::Media(key)) if !media.contains_key(key) => {
            problem(
                src_line,
                format!("unknown image media:{key}: upload it to the media library first; the figure was left out"),
            );
            return None;
        }
        Some(_) => {}
    }
    if fig.alt.is_empty() {
        problem(
            fence_line,
            "figure has no alt text describing the image for readers who cannot see it; it was left out".to_owned(),
        );
        return None;
    }
    Some(fig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_keys_are_path_safe() {
        assert!(is_media_key("2026/03/heihe-border.v2"));
        assert!(!is_media_key("../etc/passwd"));
        assert!(!is_media_key("a//b"));
        assert!(!is_media_key("a b"));
        assert!(!is_media_key("/abs"));
    }

    #[test]
    fn sources() {
        assert!(matches!(
            ImageSource::parse("media:abc"),
            Some(ImageSource::Media("abc"))
        ));
        assert!(matches!(
            ImageSource::parse("/static/a.jpg"),
            Some(ImageSource::Address(_))
        ));
        assert!(matches!(
            ImageSource::parse("https://cdn.example/a.jpg"),
            Some(ImageSource::Address(_))
        ));
        assert!(ImageSource::parse("//evil.example/a.jpg").is_none());
        assert!(ImageSource::parse("http://example.com/a.jpg").is_none());
        assert!(ImageSource::parse("javascript:alert(1)").is_none());
        assert!(ImageSource::parse("data:image/png;base64,AAAA").is_none());
    }

    #[test]
    fn sizes_keep_the_aspect_ratio() {
        assert_eq!(display_size((4000, 3000)), Some((960, 720)));
        assert_eq!(display_size((640, 427)), Some((960, 641)));
        assert_eq!(display_size((0, 10)), None);
    }

    #[test]
    fn invalid_source_renders_nothing() {
        let fig = Figure {
            src: "javascript:alert(1)".into(),
            alt: "x".into(),
            ..Default::default()
        };
        assert_eq!(render_figure(&fig, &HashMap::new(), "hero", true), "");
    }
}
