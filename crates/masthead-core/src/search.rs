//! Search without I/O: the reader's query parsed into a safe structured
//! form (the storage layer writes FTS5 or tsquery syntax from it, never
//! from the raw text), what a searcher may have matched and quoted (asked
//! of `decide`, like every other channel), and result snippets built only
//! from the blocks the searcher may read.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{decide, AccessLevel, ArticleFacts, MeterCount, MeterPolicy, ReaderFacts};

/// Characters of a query that are read; the rest is ignored, with a note.
pub const MAX_QUERY_CHARS: usize = 256;
/// Words and phrases a query may hold.
pub const MAX_TERMS: usize = 12;
/// Words a quoted phrase may hold.
pub const MAX_PHRASE_WORDS: usize = 8;
/// Characters of one word; longer ones are cut.
pub const MAX_WORD_CHARS: usize = 64;

/// One thing to look for: a word (or the start of one) or an exact phrase.
/// Words hold letters and digits only, lowercased, so no backend syntax
/// can be smuggled through them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Term {
    Word { text: String, prefix: bool },
    Phrase(Vec<String>),
}

impl Term {
    fn words(&self) -> Vec<(&str, bool)> {
        match self {
            Term::Word { text, prefix } => vec![(text.as_str(), *prefix)],
            Term::Phrase(ws) => ws.iter().map(|w| (w.as_str(), false)).collect(),
        }
    }
}

/// A parsed query: every group must match (a group matches when any of its
/// terms does), and none of the excluded terms may.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SearchQuery {
    pub all: Vec<Vec<Term>>,
    pub none: Vec<Term>,
    /// What the reader should know about how the query was read.
    pub notes: Vec<String>,
}

impl SearchQuery {
    /// True when there is something to look for.
    pub fn is_searchable(&self) -> bool {
        !self.all.is_empty()
    }

    fn positive_words(&self) -> impl Iterator<Item = (&str, bool)> {
        self.all.iter().flatten().flat_map(|t| t.words())
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// A word as search compares it: lowercased, letters and digits only.
/// Lowercasing can add characters that are neither ("İ" becomes "i" and a
/// combining dot), so they are dropped after it, not only before.
fn fold(word: &str) -> String {
    word.to_lowercase().chars().filter(|c| is_word_char(*c)).collect()
}

/// Splits text into lowercased runs of letters and digits.
fn words_of(s: &str) -> Vec<String> {
    s.split(|c: char| !is_word_char(c))
        .map(|w| fold(&w.chars().take(MAX_WORD_CHARS).collect::<String>()))
        .filter(|w| !w.is_empty())
        .collect()
}

fn term_of(words: Vec<String>, prefix: bool) -> Option<Term> {
    match words.len() {
        0 => None,
        1 => words.into_iter().next().map(|text| Term::Word { text, prefix }),
        _ => Some(Term::Phrase(words.into_iter().take(MAX_PHRASE_WORDS).collect())),
    }
}

/// Reads a query as a reader types it: words (all must appear), `word*`
/// for words starting so, `"an exact phrase"`, `-word` or `NOT word` to
/// leave out, `a OR b` for either. Anything else (brackets, colons,
/// carets, stray quotes) is read as plain text, never as syntax, so no
/// input can make the search fail.
pub fn parse_query(input: &str) -> SearchQuery {
    let mut q = SearchQuery::default();
    let total = input.chars().count();
    let mut text: String = input.chars().take(MAX_QUERY_CHARS).collect();
    if total > MAX_QUERY_CHARS {
        // Never end on half a word: it would be looked for as a word.
        if let Some(cut) = text.rfind(char::is_whitespace) {
            text.truncate(cut);
        }
        q.notes.push(format!("Your search was long; only its first {MAX_QUERY_CHARS} characters were used."));
    }
    let mut chars = text.chars().peekable();
    let mut negate_next = false;
    let mut or_next = false;
    let mut terms = 0usize;
    let mut dropped = false;
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        let mut negated = std::mem::take(&mut negate_next);
        let mut prefix = false;
        if c == '"' || c == '\u{201c}' || c == '\u{201d}' {
            chars.next();
            let mut s = String::new();
            let mut closed = false;
            for ch in chars.by_ref() {
                if ch == '"' || ch == '\u{201c}' || ch == '\u{201d}' {
                    closed = true;
                    break;
                }
                s.push(ch);
            }
            if !closed {
                q.notes.push("A quotation mark was not closed; the phrase was read to the end of the search.".into());
            }
            let words = words_of(&s);
            match term_of(words, false) {
                Some(t) => push_term(&mut q, t, negated, std::mem::take(&mut or_next), &mut terms, &mut dropped),
                None => or_next = false,
            }
            continue;
        }
        if c == '-' {
            chars.next();
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                negated = true;
            }
        }
        let mut s = String::new();
        while let Some(&ch) = chars.peek() {
            if ch.is_whitespace() || ch == '"' || ch == '\u{201c}' || ch == '\u{201d}' {
                break;
            }
            s.push(ch);
            chars.next();
        }
        let raw = s;
        match raw.as_str() {
            "AND" | "&&" => continue,
            "OR" | "||" | "|" => {
                or_next = !q.all.is_empty();
                continue;
            }
            "NOT" => {
                negate_next = true;
                continue;
            }
            _ => {}
        }
        let trimmed = raw.trim_end_matches(|c: char| !is_word_char(c));
        if raw[trimmed.len()..].contains('*') {
            prefix = true;
        }
        // A prefix applies to a single word; "covid-19*" is read as a phrase.
        let term = term_of(words_of(trimmed), prefix);
        match term {
            Some(t) => push_term(&mut q, t, negated, std::mem::take(&mut or_next), &mut terms, &mut dropped),
            None => or_next = false,
        }
    }
    if dropped {
        q.notes.push(format!("Only the first {MAX_TERMS} words and phrases were used."));
    }
    if q.all.is_empty() && !q.none.is_empty() {
        q.notes.push("Add a word to look for, not only words to leave out.".into());
        q.none.clear();
    }
    q
}

fn push_term(q: &mut SearchQuery, t: Term, negated: bool, or_previous: bool, terms: &mut usize, dropped: &mut bool) {
    let duplicate = if negated {
        q.none.contains(&t)
    } else if or_previous {
        q.all.last().is_some_and(|g| g.contains(&t))
    } else {
        q.all.iter().any(|g| g.len() == 1 && g[0] == t)
    };
    if duplicate {
        return;
    }
    if *terms >= MAX_TERMS {
        *dropped = true;
        return;
    }
    *terms += 1;
    match (negated, or_previous, q.all.last_mut()) {
        (true, ..) => q.none.push(t),
        (false, true, Some(last)) => last.push(t),
        _ => q.all.push(vec![t]),
    }
}

/// A meter that is used up: search never spends a reader's free reads, so
/// it treats metered articles as a reader who cannot use the meter would
/// meet them.
const NO_METER: MeterCount = MeterCount { used: u32::MAX, already_read: false };

/// Who is searching, and under which policy, for the one decision.
#[derive(Debug, Clone)]
pub struct Searcher {
    pub reader: ReaderFacts,
    pub policy: MeterPolicy,
    pub now: DateTime<Utc>,
}

/// Which articles a searcher may have matched and quoted in full, by access
/// level, for articles inside and beyond the archive age. Derived from
/// `decide`, so the storage layer can say it in SQL without re-implementing
/// the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchReach {
    pub full_when_current: Vec<AccessLevel>,
    pub full_when_archived: Vec<AccessLevel>,
    /// Articles published before this are in the archive.
    pub archive_cutoff: Option<DateTime<Utc>>,
}

const LEVELS: [AccessLevel; 3] = [AccessLevel::Free, AccessLevel::Metered, AccessLevel::SubscribersOnly];

impl SearchReach {
    pub fn everything(&self) -> bool {
        self.full_when_current.len() == LEVELS.len() && (self.archive_cutoff.is_none() || self.full_when_archived.len() == LEVELS.len())
    }
    pub fn nothing(&self) -> bool {
        self.full_when_current.is_empty() && (self.archive_cutoff.is_none() || self.full_when_archived.is_empty())
    }
}

impl Searcher {
    /// A searcher as search sees them: no crawler or gift-link privilege
    /// (a gift opens one article, not the archive's full text).
    pub fn new(reader: &ReaderFacts, policy: &MeterPolicy, now: DateTime<Utc>) -> Searcher {
        let reader = ReaderFacts { verified_crawler: false, gift_link: false, ..reader.clone() };
        Searcher { reader, policy: policy.clone(), now }
    }

    /// How many leading blocks of an article this searcher may be quoted.
    pub fn visible_blocks(&self, access: AccessLevel, published_at: DateTime<Utc>, block_count: usize) -> usize {
        let facts = ArticleFacts { access, published_at, block_count };
        decide(&facts, &self.reader, NO_METER, Some(NO_METER), &self.policy, self.now).visible_blocks(block_count)
    }

    pub fn reach(&self) -> SearchReach {
        let archive_cutoff = self.policy.archive_after_days.map(|d| self.now - chrono::Duration::days(i64::from(d)));
        let full = |access: AccessLevel, published_at: DateTime<Utc>| {
            let facts = ArticleFacts { access, published_at, block_count: 2 };
            decide(&facts, &self.reader, NO_METER, Some(NO_METER), &self.policy, self.now).is_full()
        };
        let archived_at = archive_cutoff.map(|c| c - chrono::Duration::days(1)).unwrap_or(self.now);
        SearchReach {
            full_when_current: LEVELS.into_iter().filter(|l| full(*l, self.now)).collect(),
            full_when_archived: LEVELS.into_iter().filter(|l| full(*l, archived_at)).collect(),
            archive_cutoff,
        }
    }
}

/// How many leading blocks of an article every searcher may read, whoever
/// they are and however old the article gets: the part of the body that is
/// indexed for everyone. The rest is matched only for searchers whose
/// `reach` covers the article.
pub fn open_blocks(access: AccessLevel, block_count: usize, policy: &MeterPolicy, now: DateTime<Utc>) -> usize {
    let anonymous = ReaderFacts::default();
    [now, DateTime::<Utc>::MIN_UTC]
        .into_iter()
        .map(|published_at| {
            let facts = ArticleFacts { access, published_at, block_count };
            decide(&facts, &anonymous, NO_METER, Some(NO_METER), policy, now).visible_blocks(block_count)
        })
        .min()
        .unwrap_or(0)
}

/// A run of snippet text; `hit` runs are the query's words, to be marked.
/// Plain text: the template escapes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fragment {
    pub text: String,
    pub hit: bool,
}

/// A light English stemmer, enough to mark "elections" for "election";
/// the backends decide what matches, this only decides what is marked.
fn stem(w: &str) -> &str {
    let n = w.len();
    for (suffix, min) in [("ing", 6), ("ies", 5), ("es", 5), ("ed", 5), ("s", 4)] {
        if n >= min && w.ends_with(suffix) && !(suffix == "s" && w.ends_with("ss")) {
            return &w[..n - suffix.len()];
        }
    }
    w
}

fn is_hit(word: &str, query: &[(String, bool)]) -> bool {
    let lw = fold(word);
    query.iter().any(|(t, prefix)| if *prefix { lw.starts_with(t.as_str()) } else { lw == *t || stem(&lw) == stem(t) })
}

/// Tokens of a text: (start, end, is_word).
fn tokens(text: &str) -> Vec<(usize, usize, bool)> {
    let mut out: Vec<(usize, usize, bool)> = Vec::new();
    for (i, c) in text.char_indices() {
        let w = is_word_char(c);
        match out.last_mut() {
            Some(last) if last.2 == w => last.1 = i + c.len_utf8(),
            _ => out.push((i, i + c.len_utf8(), w)),
        }
    }
    out
}

fn query_words(query: &SearchQuery) -> Vec<(String, bool)> {
    query.positive_words().map(|(w, p)| (w.to_string(), p)).collect()
}

/// The whole of a short text (a headline) with the query's words marked.
pub fn highlight(text: &str, query: &SearchQuery) -> Vec<Fragment> {
    let qw = query_words(query);
    let mut out: Vec<Fragment> = Vec::new();
    for (s, e, w) in tokens(text) {
        let hit = w && is_hit(&text[s..e], &qw);
        match out.last_mut() {
            Some(f) if f.hit == hit && !hit => f.text.push_str(&text[s..e]),
            _ => out.push(Fragment { text: text[s..e].to_string(), hit }),
        }
    }
    out
}

/// A snippet of about `max_words` words from `blocks` (only blocks the
/// searcher may read: the caller cuts them with `decide` first), around
/// the place where the query's words are densest, with those words marked.
/// Without a match, the opening words.
pub fn snippet(blocks: &[&str], query: &SearchQuery, max_words: usize) -> Vec<Fragment> {
    let qw = query_words(query);
    let max_words = max_words.max(1);
    // Best window: the most distinct query words, then the most hits.
    let mut best: Option<(usize, usize, usize, usize)> = None; // (block, first word index, distinct, hits)
    let toks: Vec<Vec<(usize, usize, bool)>> = blocks.iter().map(|b| tokens(b)).collect();
    for (bi, (text, tk)) in blocks.iter().zip(&toks).enumerate() {
        let words: Vec<(usize, usize)> = tk.iter().filter(|t| t.2).map(|t| (t.0, t.1)).collect();
        let hits: Vec<bool> = words.iter().map(|(s, e)| is_hit(&text[*s..*e], &qw)).collect();
        for start in 0..words.len() {
            if !hits[start] {
                continue;
            }
            let end = (start + max_words).min(words.len());
            let mut seen: Vec<String> = Vec::new();
            let mut n = 0;
            for i in start..end {
                if hits[i] {
                    n += 1;
                    let w = fold(&text[words[i].0..words[i].1]);
                    if !seen.contains(&w) {
                        seen.push(w);
                    }
                }
            }
            let cand = (bi, start, seen.len(), n);
            if best.is_none_or(|b| (cand.2, cand.3) > (b.2, b.3)) {
                best = Some(cand);
            }
        }
    }
    let (bi, first) = match best {
        // Start a few words before the first hit, for context.
        Some((bi, start, ..)) => (bi, start.saturating_sub(max_words / 5)),
        None => match blocks.iter().position(|b| b.chars().any(is_word_char)) {
            Some(bi) => (bi, 0),
            None => return Vec::new(),
        },
    };
    let text = blocks[bi];
    let tk = &toks[bi];
    let word_idx: Vec<usize> = tk.iter().enumerate().filter(|(_, t)| t.2).map(|(i, _)| i).collect();
    let Some(&from_tok) = word_idx.get(first) else { return Vec::new() };
    let last_word = (first + max_words).min(word_idx.len()) - 1;
    let to_tok = word_idx[last_word];
    let mut out: Vec<Fragment> = Vec::new();
    if from_tok > 0 {
        out.push(Fragment { text: "… ".into(), hit: false });
    }
    // Keep the punctuation that closes the last word's sentence.
    let mut end_tok = to_tok;
    if let Some(next) = tk.get(to_tok + 1) {
        if !next.2 && text[next.0..next.1].trim_start().starts_with(['.', '!', '?', ',', ';', ':', '"', '\u{201d}']) {
            end_tok = to_tok + 1;
        }
    }
    for &(s, e, w) in &tk[from_tok..=end_tok] {
        let hit = w && is_hit(&text[s..e], &qw);
        match out.last_mut() {
            Some(f) if !f.hit && !hit => f.text.push_str(&text[s..e]),
            _ => out.push(Fragment { text: text[s..e].to_string(), hit }),
        }
    }
    let more_in_block = word_idx.len() > last_word + 1;
    if more_in_block || bi + 1 < blocks.len() {
        if let Some(f) = out.last_mut().filter(|f| !f.hit) {
            let t = f.text.trim_end().to_string();
            f.text = t;
        }
        out.push(Fragment { text: " …".into(), hit: false });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Benefit, Entitlements};
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn w(s: &str) -> Term {
        Term::Word { text: s.into(), prefix: false }
    }

    #[test]
    fn words_phrases_prefixes_and_exclusions() {
        let q = parse_query(r#"Putin "grain deal" export* -wheat"#);
        assert_eq!(q.all, vec![vec![w("putin")], vec![Term::Phrase(vec!["grain".into(), "deal".into()])], vec![Term::Word { text: "export".into(), prefix: true }]]);
        assert_eq!(q.none, vec![w("wheat")]);
        assert!(q.notes.is_empty());
        let q = parse_query("kyiv OR kiev NOT moscow AND ports");
        assert_eq!(q.all, vec![vec![w("kyiv"), w("kiev")], vec![w("ports")]]);
        assert_eq!(q.none, vec![w("moscow")]);
    }

    #[test]
    fn syntax_is_read_as_text() {
        let q = parse_query(r#"( AND OR NOT ) * : ^ - "unbalanced"#);
        assert_eq!(q.all, vec![vec![w("unbalanced")]]);
        assert_eq!(q.notes.len(), 1, "{:?}", q.notes);
        let q = parse_query("title:war^2 NEAR(a b)");
        assert_eq!(q.all, vec![vec![Term::Phrase(vec!["title".into(), "war".into(), "2".into()])], vec![Term::Phrase(vec!["near".into(), "a".into()])], vec![w("b")]]);
        assert!(!parse_query("-only -negatives").is_searchable());
        assert!(!parse_query("   ").is_searchable());
        assert!(!parse_query("\"\"").is_searchable());
    }

    #[test]
    fn long_queries_are_cut_with_a_note() {
        let long = "abcde ".repeat(1000);
        let q = parse_query(&long);
        assert_eq!(q.all.len(), 1, "repeated words collapse, and no half word is left at the cut");
        assert_eq!(q.notes.len(), 1);
        let many = (0..40).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let q = parse_query(&many);
        assert_eq!(q.all.len(), MAX_TERMS);
        assert!(q.notes.iter().any(|n| n.contains("first 12")));
    }

    #[test]
    fn unicode_words_survive() {
        let q = parse_query("Zürich «Харків» 北京 naïve");
        assert_eq!(q.all.len(), 4);
        assert_eq!(q.all[1], vec![w("харків")]);
    }

    #[test]
    fn lowercasing_never_brings_in_marks() {
        // "İ" lowercases to "i" and a combining dot above, which is no letter.
        let q = parse_query("İstanbul");
        assert_eq!(q.all, vec![vec![w("istanbul")]]);
        let s = snippet(&["Flights from İstanbul resumed."], &q, 10);
        assert_eq!(s.iter().filter(|f| f.hit).map(|f| f.text.as_str()).collect::<Vec<_>>(), vec!["İstanbul"]);
    }

    proptest! {
        #[test]
        fn any_input_parses_to_plain_words(s in "\\PC{0,400}") {
            let q = parse_query(&s);
            for t in q.all.iter().flatten().chain(q.none.iter()) {
                for (word, _) in t.words() {
                    prop_assert!(!word.is_empty());
                    prop_assert!(word.chars().all(char::is_alphanumeric), "{word:?}");
                }
            }
            prop_assert!(q.all.iter().map(Vec::len).sum::<usize>() + q.none.len() <= MAX_TERMS);
        }

        #[test]
        fn snippets_only_quote_the_given_text(blocks in proptest::collection::vec("\\PC{0,200}", 0..5), q in "\\PC{0,40}") {
            let refs: Vec<&str> = blocks.iter().map(String::as_str).collect();
            let frags = snippet(&refs, &parse_query(&q), 30);
            for f in frags {
                let t = f.text.trim_matches(|c: char| c == '…' || c.is_whitespace());
                prop_assert!(t.is_empty() || blocks.iter().any(|b| b.contains(t)), "{t:?}");
            }
        }
    }

    #[test]
    fn snippets_mark_the_densest_place() {
        let blocks = ["The weather was mild.", "Later, the grain deal collapsed, and grain prices rose at the ports.", "Nothing else."];
        let q = parse_query("grain ports");
        let s = snippet(&blocks, &q, 8);
        let marked: Vec<&str> = s.iter().filter(|f| f.hit).map(|f| f.text.as_str()).collect();
        assert!(marked.contains(&"grain") && marked.contains(&"ports"), "{marked:?}");
        assert!(s.last().is_some_and(|f| f.text.contains('…')));
        let s = snippet(&blocks, &parse_query("elections"), 5);
        assert_eq!(s[0].text, "The weather was mild.");
        let s = snippet(&["Elections in the election year"], &parse_query("election"), 10);
        assert_eq!(s.iter().filter(|f| f.hit).count(), 2);
        let s = snippet(&["Exporters export exports"], &parse_query("export*"), 10);
        assert_eq!(s.iter().filter(|f| f.hit).count(), 3);
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).single().expect("valid date")
    }

    #[test]
    fn reach_follows_the_decision() {
        let policy = MeterPolicy::default();
        let anon = Searcher::new(&ReaderFacts::default(), &policy, now());
        let r = anon.reach();
        assert_eq!(r.full_when_current, vec![AccessLevel::Free]);
        assert!(r.full_when_archived.is_empty());
        assert_eq!(r.archive_cutoff, Some(now() - Duration::days(365)));
        let sub = ReaderFacts { registered: true, entitlements: Entitlements::of(&[Benefit::FullAccess]), ..Default::default() };
        let r = Searcher::new(&sub, &policy, now()).reach();
        assert_eq!(r.full_when_current.len(), 3);
        assert!(r.full_when_archived.is_empty(), "no archives benefit");
        let all = ReaderFacts { registered: true, entitlements: Entitlements::all(), ..Default::default() };
        assert!(Searcher::new(&all, &policy, now()).reach().everything());
        let crawler = ReaderFacts { verified_crawler: true, gift_link: true, ..Default::default() };
        assert_eq!(Searcher::new(&crawler, &policy, now()).reach(), anon.reach(), "no crawler privilege in search");
        let no_archive = MeterPolicy { archive_after_days: None, ..policy.clone() };
        assert!(Searcher::new(&ReaderFacts::default(), &no_archive, now()).reach().full_when_current == vec![AccessLevel::Free]);
    }

    #[test]
    fn open_blocks_are_what_everyone_may_read() {
        let p = MeterPolicy { preview_blocks: 3, ..Default::default() };
        assert_eq!(open_blocks(AccessLevel::SubscribersOnly, 10, &p, now()), 3);
        assert_eq!(open_blocks(AccessLevel::Metered, 10, &p, now()), 3);
        // A free article is cut once it is in the archive.
        assert_eq!(open_blocks(AccessLevel::Free, 10, &p, now()), 3);
        let no_archive = MeterPolicy { archive_after_days: None, ..p.clone() };
        assert_eq!(open_blocks(AccessLevel::Free, 10, &no_archive, now()), 10);
        assert_eq!(open_blocks(AccessLevel::SubscribersOnly, 1, &p, now()), 0);
    }
}
