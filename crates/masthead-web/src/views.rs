//! What templates see: plain, pre-formatted values made from domain types.
//! Templates never format dates or build URLs themselves.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use masthead_core::{language_name, Article, Author, Block, BlockKind, Provenance, Tag, TagKind, Teaser};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Link {
    pub name: String,
    pub url: String,
}

pub fn article_url(slug: &str) -> String {
    format!("/article/{slug}")
}

pub fn author_url(slug: &str) -> String {
    format!("/author/{slug}")
}

pub fn tag_url(kind: TagKind, slug: &str) -> String {
    format!("/{}/{slug}", kind.path())
}

pub fn human_date(t: DateTime<Utc>) -> String {
    t.format("%B %-d, %Y").to_string()
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthorView {
    pub name: String,
    pub url: String,
    pub title: String,
    pub bio: String,
}

impl From<&Author> for AuthorView {
    fn from(a: &Author) -> Self {
        AuthorView { name: a.name.clone(), url: author_url(&a.slug), title: a.title.clone(), bio: a.bio.clone() }
    }
}

fn tag_links(kind: TagKind, tags: &[Tag]) -> Vec<Link> {
    tags.iter().map(|t| Link { name: t.name.clone(), url: tag_url(kind, &t.slug) }).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct BlockView {
    pub kind: &'static str,
    pub html: String,
}

pub fn block_views(blocks: &[Block]) -> Vec<BlockView> {
    blocks
        .iter()
        .map(|b| BlockView {
            kind: match b.kind {
                BlockKind::Paragraph => "paragraph",
                BlockKind::Subhead => "subhead",
                BlockKind::Figure => "figure",
                BlockKind::PullQuote => "pullquote",
                BlockKind::BlockQuote => "blockquote",
                BlockKind::List => "list",
                BlockKind::Embed => "embed",
                BlockKind::Rule => "rule",
                BlockKind::Code => "code",
                BlockKind::Table => "table",
            },
            html: b.html.clone(),
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceView {
    pub publication: String,
    pub title: String,
    pub url: String,
    pub language: String,
    pub language_tag: String,
    pub published: String,
    pub translator: String,
}

impl From<&Provenance> for ProvenanceView {
    fn from(p: &Provenance) -> Self {
        ProvenanceView {
            publication: p.publication.clone(),
            title: p.title.clone(),
            url: p.url.clone(),
            language: language_name(&p.language).to_string(),
            language_tag: p.language.clone(),
            published: p.published_on.map(|d| d.format("%B %-d, %Y").to_string()).unwrap_or_default(),
            translator: p.translator.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    pub url: String,
    pub headline: String,
    pub standfirst: String,
    pub dateline: String,
    pub hero_html: String,
    pub authors: Vec<AuthorView>,
    pub published: String,
    pub published_iso: String,
    pub updated: String,
    pub updated_iso: String,
    pub was_updated: bool,
    pub reading_minutes: u32,
    pub word_count: u32,
    pub access: &'static str,
    pub blocks: Vec<BlockView>,
    /// Blocks beyond the free preview, shown only to those who may read them.
    pub gated_blocks: Vec<BlockView>,
    pub provenance: Option<ProvenanceView>,
    pub section: Option<Link>,
    pub topics: Vec<Link>,
    pub regions: Vec<Link>,
    pub description: String,
    pub title: String,
}

impl ArticleView {
    /// `blocks` are the blocks this reader may be sent; those from
    /// `gated_from` on are marked as the gated part.
    pub fn new(a: &Article, blocks: &[Block], gated_from: usize, dims: &HashMap<String, (u32, u32)>) -> Self {
        let published = a.published_at.unwrap_or(a.created_at);
        let all = block_views(blocks);
        let split = gated_from.min(all.len());
        ArticleView {
            url: article_url(&a.slug),
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            dateline: a.dateline.to_uppercase(),
            hero_html: a.hero.as_ref().map(|f| masthead_render::render_figure(f, dims, "hero", true)).unwrap_or_default(),
            authors: a.authors.iter().map(AuthorView::from).collect(),
            published: human_date(published),
            published_iso: published.to_rfc3339(),
            updated: human_date(a.updated_at),
            updated_iso: a.updated_at.to_rfc3339(),
            was_updated: a.updated_at.date_naive() > published.date_naive(),
            reading_minutes: a.reading_minutes,
            word_count: a.word_count,
            access: a.access.as_str(),
            blocks: all[..split].to_vec(),
            gated_blocks: all[split..].to_vec(),
            provenance: a.provenance.as_ref().map(ProvenanceView::from),
            section: a.section.as_ref().map(|s| Link { name: s.name.clone(), url: tag_url(TagKind::Section, &s.slug) }),
            topics: tag_links(TagKind::Topic, &a.topics),
            regions: tag_links(TagKind::Region, &a.regions),
            description: if a.seo_description.is_empty() { a.standfirst.clone() } else { a.seo_description.clone() },
            title: if a.seo_title.is_empty() { a.headline.clone() } else { a.seo_title.clone() },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TeaserView {
    pub url: String,
    pub headline: String,
    pub standfirst: String,
    pub dateline: String,
    pub image_html: String,
    pub byline: String,
    pub section: Option<Link>,
    pub published: String,
    pub published_iso: String,
    pub reading_minutes: u32,
    pub translated_from: Option<String>,
    pub access: &'static str,
}

impl TeaserView {
    pub fn new(t: &Teaser, dims: &HashMap<String, (u32, u32)>) -> Self {
        let published = t.published_at.unwrap_or_default();
        TeaserView {
            url: article_url(&t.slug),
            headline: t.headline.clone(),
            standfirst: t.standfirst.clone(),
            dateline: t.dateline.to_uppercase(),
            image_html: t.hero.as_ref().map(|f| masthead_render::render_figure(f, dims, "teaser-image", false)).unwrap_or_default(),
            byline: byline(&t.authors),
            section: t.section.as_ref().map(|s| Link { name: s.name.clone(), url: tag_url(TagKind::Section, &s.slug) }),
            published: human_date(published),
            published_iso: published.to_rfc3339(),
            reading_minutes: t.reading_minutes,
            translated_from: t.original_language.as_deref().map(|l| language_name(l).to_string()),
            access: t.access.as_str(),
        }
    }
}

/// "Anna Kowal", "Anna Kowal and Li Wei", "A, B and C".
pub fn byline(authors: &[Author]) -> String {
    match authors {
        [] => String::new(),
        [one] => one.name.clone(),
        [init @ .., last] => format!("{} and {}", init.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", "), last.name),
    }
}

/// Page links for a list of `total` items, `per_page` at a time.
#[derive(Debug, Clone, Serialize)]
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pagination {
    pub fn new(base: &str, page: i64, per_page: i64, total: i64) -> Self {
        let pages = ((total + per_page - 1) / per_page).max(1);
        let link = |p: i64| if p == 1 { base.to_string() } else { format!("{base}?page={p}") };
        Pagination {
            page,
            pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bylines_read_naturally() {
        let a = |n: &str| Author { id: 1, slug: "x".into(), name: n.into(), title: String::new(), bio: String::new() };
        assert_eq!(byline(&[]), "");
        assert_eq!(byline(&[a("A")]), "A");
        assert_eq!(byline(&[a("A"), a("B")]), "A and B");
        assert_eq!(byline(&[a("A"), a("B"), a("C")]), "A, B and C");
    }

    #[test]
    fn pagination_links() {
        let p = Pagination::new("/latest", 1, 20, 45);
        assert_eq!((p.pages, p.prev.clone(), p.next.clone()), (3, None, Some("/latest?page=2".into())));
        let p = Pagination::new("/latest", 2, 20, 45);
        assert_eq!(p.prev.as_deref(), Some("/latest"));
        let p = Pagination::new("/latest", 1, 20, 0);
        assert_eq!(p.pages, 1);
    }
}
