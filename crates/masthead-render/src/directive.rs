//! What the three fenced directives (```` ```figure ````, ```` ```pullquote ````,
//! ```` ```embed ````) share: their lines with source line numbers, and the
//! check that the fence was closed.

/// One line inside a fenced block.
pub(crate) struct Line<'a> {
    /// 1-based line in the article's Markdown.
    pub number: usize,
    pub text: &'a str,
}

/// The lines of a fenced block's content, numbered from the line after the fence.
pub(crate) fn lines(content: &str, fence_line: usize) -> Vec<Line<'_>> {
    content
        .lines()
        .enumerate()
        .map(|(i, text)| Line {
            number: fence_line + 1 + i,
            text,
        })
        .collect()
}

/// Whether a fenced block's source (opening fence to the end of its range)
/// ends with a closing fence. An unclosed fence swallows the rest of the
/// article, which an editor needs to hear about.
pub(crate) fn fence_is_closed(block_source: &str) -> bool {
    let mut source_lines = block_source.lines();
    let opening = source_lines.next().unwrap_or_default().trim_start();
    let Some(fence) = opening.chars().next().filter(|c| matches!(c, '`' | '~')) else {
        return true;
    };
    let width = opening.chars().take_while(|&c| c == fence).count();
    source_lines
        .rfind(|line| !line.trim().is_empty())
        .is_some_and(|last| {
            let last = last.trim();
            last.chars().all(|c| c == fence) && last.chars().count() >= width
        })
}

/// Quotes an editor's text in a message, shortened so one bad line cannot
/// make a message unreadable.
pub(crate) fn quoted(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() > MAX {
        let short: String = text.chars().take(MAX).collect();
        format!("\"{short}…\"")
    } else {
        format!("\"{text}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_and_unclosed_fences() {
        assert!(fence_is_closed("```figure\nsrc: x\n```\n"));
        assert!(fence_is_closed("~~~~\ncode\n~~~~~"));
        assert!(!fence_is_closed("```figure\nsrc: x\n"));
        assert!(!fence_is_closed("````\ncode\n```\n"));
        assert!(!fence_is_closed("```"));
    }

    #[test]
    fn long_text_is_shortened() {
        assert_eq!(quoted("abc"), "\"abc\"");
        assert!(quoted(&"x".repeat(100)).ends_with("…\""));
    }
}
