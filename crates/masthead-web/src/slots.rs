//! The per-reader placeholders of a cached page (`<!--mh:account-->`,
//! `<!--mh:banner-->`, `<!--mh:ad:…-->`), filled in one pass over the bytes.
//! Cached pages are shared by every reader of a variant; what differs per
//! reader is spliced in here, on every request, so this is on the hot path:
//! one SIMD search for the common prefix, no UTF-8 re-validation, one copy.

use std::sync::LazyLock;

use bytes::Bytes;
use memchr::memmem::Finder;

static PREFIX: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<!--mh:"));
static AD_PREFIX: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<!--mh:ad:"));

/// True when the page has any placeholder left.
pub fn any(body: &[u8]) -> bool {
    PREFIX.find(body).is_some()
}

/// True when the page has an ad placeholder left.
pub fn any_ad(body: &[u8]) -> bool {
    AD_PREFIX.find(body).is_some()
}

/// The page with each placeholder in `fills` (the whole marker, with its
/// replacement) replaced wherever it occurs; other placeholders stay as
/// they are. The page itself, without a copy, when nothing was replaced.
pub fn fill(body: &Bytes, fills: &[(&str, &str)]) -> Bytes {
    let mut out: Option<Vec<u8>> = None;
    let mut done = 0;
    for pos in PREFIX.find_iter(body) {
        if pos < done {
            continue;
        }
        let rest = &body[pos..];
        if let Some((marker, with)) = fills.iter().find(|(m, _)| rest.starts_with(m.as_bytes())) {
            let o = out.get_or_insert_with(|| Vec::with_capacity(body.len() + fills.iter().map(|(_, w)| w.len()).sum::<usize>()));
            o.extend_from_slice(&body[done..pos]);
            o.extend_from_slice(with.as_bytes());
            done = pos + marker.len();
        }
    }
    match out {
        Some(mut o) => {
            o.extend_from_slice(&body[done..]);
            Bytes::from(o)
        }
        None => body.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_named_placeholder_and_leaves_the_rest() {
        let page = Bytes::from_static(b"<p><!--mh:account--></p><!--mh:ad:header--><!--mh:banner--><!--mh:other--><!--mh:account-->");
        let out = fill(&page, &[("<!--mh:account-->", "<a>Account</a>"), ("<!--mh:banner-->", ""), ("<!--mh:ad:header-->", "AD")]);
        assert_eq!(&out[..], b"<p><a>Account</a></p>AD<!--mh:other--><a>Account</a>");
        assert!(any(&out) && !any_ad(&out));
    }

    #[test]
    fn a_page_without_placeholders_is_returned_as_is() {
        let page = Bytes::from(vec![b'x'; 10_000]);
        let out = fill(&page, &[("<!--mh:account-->", "A")]);
        assert_eq!(out.as_ptr(), page.as_ptr(), "no copy");
        assert!(!any(&page));
        // A prefix that is not one of the named markers is kept.
        let odd = Bytes::from_static(b"a<!--mh:accoun<!--mh:account-->");
        assert_eq!(&fill(&odd, &[("<!--mh:account-->", "A")])[..], b"a<!--mh:accounA");
    }
}
