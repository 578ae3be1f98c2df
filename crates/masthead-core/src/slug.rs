//! Slugs: the readable part of an article's URL. Made from a headline,
//! lower-case ASCII letters, digits and single hyphens, at most 80 chars.

use crate::DomainError;

pub const MAX_SLUG_LEN: usize = 80;

/// Makes a slug from any text: accents folded where the letter is plain
/// Latin underneath, everything else turned into hyphens.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_hyphen = false;
    for ch in text.chars().flat_map(fold) {
        if ch.is_ascii_alphanumeric() {
            let hyphen = pending_hyphen && !out.is_empty();
            // The hyphen and the letter go in together or not at all, so a
            // slug never runs past the limit.
            if out.len() + usize::from(hyphen) + 1 > MAX_SLUG_LEN {
                break;
            }
            if hyphen {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(ch.to_ascii_lowercase());
        } else if ch == '\'' || ch == '\u{2019}' {
            // "Europe's" reads better as "europes" than "europe-s".
        } else {
            pending_hyphen = true;
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "untitled".to_string()
    } else {
        trimmed.to_string()
    }
}

fn fold(ch: char) -> impl Iterator<Item = char> {
    let s: &'static str = match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' | 'ă' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ą' | 'Ă' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
        'ď' | 'đ' | 'Ď' | 'Đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ę' | 'Ě' => "e",
        'ğ' | 'Ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'İ' => "i",
        'ł' | 'Ł' | 'ľ' | 'Ľ' => "l",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => "o",
        'œ' | 'Œ' => "oe",
        'ř' | 'Ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' | 'Ś' | 'Š' | 'Ş' | 'Ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' | 'Ť' | 'Ţ' | 'Ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        _ => "",
    };
    let single = if s.is_empty() { Some(ch) } else { None };
    s.chars().chain(single)
}

/// Checks a slug typed by an editor.
pub fn validate_slug(slug: &str) -> Result<(), DomainError> {
    let ok = !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok {
        Ok(())
    } else {
        Err(DomainError::field(
            "slug",
            "use lower-case letters, digits and single hyphens, at most 80 characters",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn headlines_become_readable_slugs() {
        assert_eq!(slugify("Heihe, on the Amur: Life Across the River"), "heihe-on-the-amur-life-across-the-river");
        assert_eq!(slugify("Europe's « long » night — Łódź, Zürich"), "europes-long-night-lodz-zurich");
        assert_eq!(slugify("!!!"), "untitled");
    }

    #[test]
    fn a_word_break_at_the_limit_never_makes_a_slug_too_long() {
        // 79 letters, then a space and more: the hyphen and the next letter
        // would make 81 characters, so the slug stops at 79.
        let text = format!("{} b", "a".repeat(79));
        let slug = slugify(&text);
        assert_eq!(slug, "a".repeat(79));
        assert!(validate_slug(&slug).is_ok());
        let exact = "a".repeat(100);
        assert_eq!(slugify(&exact).len(), MAX_SLUG_LEN);
    }

    proptest! {
        #[test]
        fn every_slug_made_is_valid(text in ".{0,200}") {
            let slug = slugify(&text);
            prop_assert!(validate_slug(&slug).is_ok(), "{slug:?}");
        }
    }
}
