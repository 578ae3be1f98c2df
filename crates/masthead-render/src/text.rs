//! Plain text in and out of HTML: escaping what we write into markup, and
//! reading the readable text back out of sanitized blocks for word counts,
//! search snippets and feeds.

/// Escapes text for use in HTML content or a double-quoted attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// The text a reader sees in a piece of sanitized HTML: tags dropped,
/// entities decoded, block boundaries kept apart by a space so that list
/// items and table cells do not run into one word. Runs of whitespace
/// become one space, as a browser shows prose.
///
/// Meant for the serializer's output (well-formed, attributes quoted), not
/// for arbitrary HTML.
pub(crate) fn readable_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find(['<', '&']) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        if rest.starts_with('<') {
            let end = tag_end(rest);
            if separates_words(&rest[..end]) {
                out.push(' ');
            }
            rest = &rest[end..];
        } else {
            let (decoded, used) = decode_entity(rest);
            out.push_str(&decoded);
            rest = &rest[used..];
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Byte length of the tag at the start of `s` (which starts with `<`),
/// skipping `>` inside quoted attribute values.
pub(crate) fn tag_end(s: &str) -> usize {
    let mut quote = None;
    for (i, ch) in s.char_indices().skip(1) {
        match (quote, ch) {
            (None, '"' | '\'') => quote = Some(ch),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return i + 1,
            _ => {}
        }
    }
    s.len()
}

/// The lowercase element name of a tag such as `<p>` or `</td>`.
pub(crate) fn tag_name(tag: &str) -> String {
    tag.trim_start_matches(['<', '/'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Whether a tag marks a boundary between words (a new paragraph, list
/// item or cell) rather than a change of style inside a sentence.
fn separates_words(tag: &str) -> bool {
    !matches!(
        tag_name(tag).as_str(),
        "a" | "em" | "strong" | "b" | "i" | "s" | "del" | "code" | "sub" | "sup" | "span" | "img"
    )
}

/// Decodes the entity at the start of `s` (which starts with `&`); returns
/// the text and how many bytes it used. Anything unrecognised stays as it is.
fn decode_entity(s: &str) -> (String, usize) {
    let Some(semi) = s
        .char_indices()
        .take(12)
        .find(|&(_, c)| c == ';')
        .map(|(i, _)| i)
    else {
        return ("&".to_owned(), 1);
    };
    let name = &s[1..semi];
    let decoded = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => name
            .strip_prefix("#x")
            .or_else(|| name.strip_prefix("#X"))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
            .and_then(char::from_u32),
    };
    match decoded {
        Some(ch) => (ch.to_string(), semi + 1),
        None => ("&".to_owned(), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn reads_text_out_of_blocks() {
        let html = "<ul><li>One <em>big</em> river</li><li>Two&nbsp;&amp; three</li></ul>";
        assert_eq!(readable_text(html), "One big river Two & three");
        assert_eq!(readable_text(r#"<img alt="a > b" src="/x">after"#), "after");
        assert_eq!(
            readable_text("AT&T &#8212; &#x2019; &bogus;"),
            "AT&T — ’ &bogus;"
        );
    }
}
