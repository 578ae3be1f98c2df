//! The article and the records around it (authors, topics, regions,
//! sections), as an editor thinks of them. Bodies are Markdown written by
//! staff and turned into a list of sanitized HTML blocks when saved; the
//! blocks are what readers are served, cut or whole.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{DomainError, FieldError};

/// Who may read an article without a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    /// Anyone, and it never counts against the meter.
    Free,
    /// Free up to the meter's quota, then cut.
    Metered,
    /// Only readers with full access.
    SubscribersOnly,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Free => "free",
            AccessLevel::Metered => "metered",
            AccessLevel::SubscribersOnly => "subscribers_only",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "free" => Some(Self::Free),
            "metered" => Some(Self::Metered),
            "subscribers_only" => Some(Self::SubscribersOnly),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            AccessLevel::Free => "Free",
            AccessLevel::Metered => "Metered",
            AccessLevel::SubscribersOnly => "Subscribers only",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    Scheduled,
    Published,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "scheduled" => Some(Self::Scheduled),
            "published" => Some(Self::Published),
            _ => None,
        }
    }
}

/// A picture with everything a caption line needs. `src` is either a
/// media key of ours (`media:KEY`) or a path/URL on this site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Figure {
    pub src: String,
    pub alt: String,
    #[serde(default)]
    pub caption: String,
    #[serde(default)]
    pub credit: String,
    /// When the picture was taken, if the caption says so.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Where it was taken, if the caption says so.
    #[serde(default)]
    pub place: String,
}

/// Where a translated piece first appeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Provenance {
    pub publication: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub url: String,
    /// BCP 47 language tag of the original, e.g. "ru", "zh-Hans".
    pub language: String,
    #[serde(default)]
    pub published_on: Option<NaiveDate>,
    #[serde(default)]
    pub translator: String,
}

/// What one rendered block of an article body is. The kind matters to the
/// page (styling, where an in-article box may go) and to the cut (the
/// paywall counts blocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Paragraph,
    Subhead,
    Figure,
    PullQuote,
    BlockQuote,
    List,
    Embed,
    Rule,
    Code,
    Table,
}

/// One block of an article body, rendered and sanitized at save time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    /// Sanitized HTML, safe to insert into a page as it is.
    pub html: String,
    /// The block's readable text, for word counts, snippets and feeds.
    pub text: String,
}

/// A problem found in a body that was still saved: what and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderProblem {
    /// 1-based line in the Markdown source.
    pub line: usize,
    pub message: String,
}

pub const WORDS_PER_MINUTE: u32 = 230;

/// Whole minutes to read a number of words, at least one.
pub fn reading_minutes(words: u32) -> u32 {
    words.div_ceil(WORDS_PER_MINUTE).max(1)
}

/// Counts words the way a reader would: runs of letters or digits.
pub fn count_words(text: &str) -> u32 {
    let mut n = 0u32;
    let mut in_word = false;
    for ch in text.chars() {
        let w = ch.is_alphanumeric();
        if w && !in_word {
            n += 1;
        }
        in_word = w || (in_word && (ch == '\'' || ch == '\u{2019}' || ch == '-'));
    }
    n
}

/// An author, contributor or translator with a page of their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// Short line under the byline, e.g. "Moscow correspondent".
    pub title: String,
    pub bio: String,
}

/// A topic, region or section: the same shape, different purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// Which kind of tag a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum TagKind {
    Topic,
    Region,
    Section,
}

impl TagKind {
    pub fn table(self) -> &'static str {
        match self {
            TagKind::Topic => "topics",
            TagKind::Region => "regions",
            TagKind::Section => "sections",
        }
    }
    pub fn path(self) -> &'static str {
        match self {
            TagKind::Topic => "topic",
            TagKind::Region => "region",
            TagKind::Section => "section",
        }
    }
}

/// An article as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub dateline: String,
    pub hero: Option<Figure>,
    pub body_markdown: String,
    pub blocks: Vec<Block>,
    pub render_problems: Vec<RenderProblem>,
    pub access: AccessLevel,
    pub status: ArticleStatus,
    pub section: Option<Tag>,
    pub authors: Vec<Author>,
    pub topics: Vec<Tag>,
    pub regions: Vec<Tag>,
    pub provenance: Option<Provenance>,
    pub seo_title: String,
    pub seo_description: String,
    pub word_count: u32,
    pub reading_minutes: u32,
    pub published_at: Option<DateTime<Utc>>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Article {
    pub fn is_translation(&self) -> bool {
        self.provenance.is_some()
    }
}

/// What an editor submits to create or change an article. Author, topic,
/// region and section are referred to by slug, so the same draft works
/// from the admin, the API and the demo generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ArticleDraft {
    pub headline: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub standfirst: String,
    #[serde(default)]
    pub dateline: String,
    #[serde(default)]
    pub hero: Option<Figure>,
    #[serde(default)]
    pub body_markdown: String,
    #[serde(default = "default_access")]
    pub access: AccessLevel,
    #[serde(default)]
    pub section: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub provenance: Option<Provenance>,
    #[serde(default)]
    pub seo_title: String,
    #[serde(default)]
    pub seo_description: String,
}

fn default_access() -> AccessLevel {
    AccessLevel::Metered
}

impl Default for AccessLevel {
    fn default() -> Self {
        AccessLevel::Metered
    }
}

pub const MAX_HEADLINE: usize = 300;
pub const MAX_STANDFIRST: usize = 1_000;
pub const MAX_BODY: usize = 500_000;

impl ArticleDraft {
    /// Checks what can be checked without the database; every problem at
    /// once, so a form can show them all.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errs = Vec::new();
        let headline = self.headline.trim();
        if headline.is_empty() {
            errs.push(FieldError::new("headline", "an article needs a headline"));
        } else if headline.chars().count() > MAX_HEADLINE {
            errs.push(FieldError::new("headline", format!("at most {MAX_HEADLINE} characters")));
        }
        if self.standfirst.chars().count() > MAX_STANDFIRST {
            errs.push(FieldError::new("standfirst", format!("at most {MAX_STANDFIRST} characters")));
        }
        if self.body_markdown.len() > MAX_BODY {
            errs.push(FieldError::new("body_markdown", format!("at most {MAX_BODY} bytes")));
        }
        if let Some(slug) = &self.slug {
            if let Err(DomainError::Invalid(mut e)) = crate::slug::validate_slug(slug) {
                errs.append(&mut e);
            }
        }
        if let Some(hero) = &self.hero {
            if hero.src.trim().is_empty() {
                errs.push(FieldError::new("hero.src", "a hero figure needs an image"));
            }
            if hero.alt.trim().is_empty() {
                errs.push(FieldError::new("hero.alt", "describe the image for readers who cannot see it"));
            }
        }
        if let Some(p) = &self.provenance {
            if p.publication.trim().is_empty() {
                errs.push(FieldError::new("provenance.publication", "name the original publication"));
            }
            if !is_language_tag(&p.language) {
                errs.push(FieldError::new("provenance.language", "use a language tag such as \"ru\" or \"pt-BR\""));
            }
            if !p.url.is_empty() && !(p.url.starts_with("https://") || p.url.starts_with("http://")) {
                errs.push(FieldError::new("provenance.url", "the original's address must start with https:// or http://"));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(errs))
        }
    }
}

/// A loose BCP 47 check: a 2-3 letter primary tag and alphanumeric subtags.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(primary) = parts.next() else { return false };
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// English name of the languages a newsroom most often translates from;
/// the tag itself otherwise.
pub fn language_name(tag: &str) -> &str {
    let primary = tag.split('-').next().unwrap_or(tag);
    match primary {
        "ar" => "Arabic",
        "de" => "German",
        "en" => "English",
        "es" => "Spanish",
        "fa" => "Persian",
        "fr" => "French",
        "he" => "Hebrew",
        "hi" => "Hindi",
        "it" => "Italian",
        "ja" => "Japanese",
        "ko" => "Korean",
        "nl" => "Dutch",
        "pl" => "Polish",
        "pt" => "Portuguese",
        "ru" => "Russian",
        "sv" => "Swedish",
        "tr" => "Turkish",
        "uk" => "Ukrainian",
        "zh" => "Chinese",
        _ => tag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_minutes() {
        assert_eq!(count_words("The river's edge — at dusk, 2026."), 6);
        assert_eq!(reading_minutes(0), 1);
        assert_eq!(reading_minutes(230), 1);
        assert_eq!(reading_minutes(231), 2);
    }

    #[test]
    fn drafts_report_every_problem() {
        let d = ArticleDraft {
            headline: " ".into(),
            slug: Some("Bad Slug".into()),
            provenance: Some(Provenance { publication: "".into(), language: "russian!".into(), ..Default::default() }),
            ..Default::default()
        };
        let Err(DomainError::Invalid(errs)) = d.validate() else { panic!("expected errors") };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["headline", "slug", "provenance.publication", "provenance.language"]);
    }

    #[test]
    fn language_tags() {
        assert!(is_language_tag("ru"));
        assert!(is_language_tag("zh-Hans"));
        assert!(!is_language_tag("r"));
        assert!(!is_language_tag("ru-"));
        assert_eq!(language_name("pt-BR"), "Portuguese");
    }
}

/// What a list of articles shows of each: enough for a headline, a
/// standfirst, a picture and a byline, never the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Teaser {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub dateline: String,
    pub hero: Option<Figure>,
    pub access: AccessLevel,
    pub section: Option<Tag>,
    pub authors: Vec<Author>,
    pub original_language: Option<String>,
    pub reading_minutes: u32,
    pub published_at: Option<DateTime<Utc>>,
}

impl Article {
    /// The article as a list shows it.
    pub fn teaser(&self) -> Teaser {
        Teaser {
            id: self.id,
            slug: self.slug.clone(),
            headline: self.headline.clone(),
            standfirst: self.standfirst.clone(),
            dateline: self.dateline.clone(),
            hero: self.hero.clone(),
            access: self.access,
            section: self.section.clone(),
            authors: self.authors.clone(),
            original_language: self.provenance.as_ref().map(|p| p.language.clone()),
            reading_minutes: self.reading_minutes,
            published_at: self.published_at,
        }
    }
}
