//! What the JSON API sends and takes. These are views, not rows: they are
//! made from domain types, documented with utoipa for the OpenAPI
//! document, and change only deliberately (the snapshot tests say so).

use chrono::{DateTime, NaiveDate, Utc};
use masthead_core::{AccessLevel, Article, ArticleDraft, ArticleStatus, Author, Block, BlockKind, Figure, Provenance, Tag};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The error every API failure answers with.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: not_found, bad_request, invalid_input,
    /// unauthorized, forbidden, conflict, rate_limited, payload_too_large,
    /// unsupported_media_type, method_not_allowed, internal.
    pub code: String,
    pub message: String,
    /// Present for invalid_input: one entry per field with a problem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// The field's name, dotted for nested ones (e.g. "hero.alt").
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AccessDto {
    Free,
    Metered,
    SubscribersOnly,
}

impl From<AccessLevel> for AccessDto {
    fn from(a: AccessLevel) -> Self {
        match a {
            AccessLevel::Free => AccessDto::Free,
            AccessLevel::Metered => AccessDto::Metered,
            AccessLevel::SubscribersOnly => AccessDto::SubscribersOnly,
        }
    }
}

impl From<AccessDto> for AccessLevel {
    fn from(a: AccessDto) -> Self {
        match a {
            AccessDto::Free => AccessLevel::Free,
            AccessDto::Metered => AccessLevel::Metered,
            AccessDto::SubscribersOnly => AccessLevel::SubscribersOnly,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StatusDto {
    Draft,
    Scheduled,
    Published,
}

impl From<ArticleStatus> for StatusDto {
    fn from(s: ArticleStatus) -> Self {
        match s {
            ArticleStatus::Draft => StatusDto::Draft,
            ArticleStatus::Scheduled => StatusDto::Scheduled,
            ArticleStatus::Published => StatusDto::Published,
        }
    }
}

/// A kind of tag, as paths name it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TagKindDto {
    Topics,
    Regions,
    Sections,
}

/// The Admin API article list's order.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ArticleSortDto {
    Updated,
    Published,
    Headline,
    Oldest,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorDto {
    pub slug: String,
    pub name: String,
    pub title: String,
    pub bio: String,
}

impl From<&Author> for AuthorDto {
    fn from(a: &Author) -> Self {
        AuthorDto { slug: a.slug.clone(), name: a.name.clone(), title: a.title.clone(), bio: a.bio.clone() }
    }
}

/// A topic, region or section.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TagDto {
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl From<&Tag> for TagDto {
    fn from(t: &Tag) -> Self {
        TagDto { slug: t.slug.clone(), name: t.name.clone(), description: t.description.clone() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct FigureDto {
    /// `media:KEY` for an uploaded image, or a path on this site.
    pub src: String,
    pub alt: String,
    #[serde(default)]
    pub caption: String,
    #[serde(default)]
    pub credit: String,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub place: String,
}

impl From<&Figure> for FigureDto {
    fn from(f: &Figure) -> Self {
        FigureDto { src: f.src.clone(), alt: f.alt.clone(), caption: f.caption.clone(), credit: f.credit.clone(), date: f.date, place: f.place.clone() }
    }
}

impl From<FigureDto> for Figure {
    fn from(f: FigureDto) -> Self {
        Figure { src: f.src, alt: f.alt, caption: f.caption, credit: f.credit, date: f.date, place: f.place }
    }
}

/// Where a translated piece first appeared.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct ProvenanceDto {
    pub publication: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub url: String,
    /// BCP 47 tag of the original's language, e.g. "ru".
    pub language: String,
    #[serde(default)]
    pub published_on: Option<NaiveDate>,
    #[serde(default)]
    pub translator: String,
}

impl From<&Provenance> for ProvenanceDto {
    fn from(p: &Provenance) -> Self {
        ProvenanceDto {
            publication: p.publication.clone(),
            title: p.title.clone(),
            url: p.url.clone(),
            language: p.language.clone(),
            published_on: p.published_on,
            translator: p.translator.clone(),
        }
    }
}

impl From<ProvenanceDto> for Provenance {
    fn from(p: ProvenanceDto) -> Self {
        Provenance { publication: p.publication, title: p.title, url: p.url, language: p.language, published_on: p.published_on, translator: p.translator }
    }
}

/// One block of a body, as sanitized HTML.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BlockDto {
    /// paragraph, subhead, figure, pull_quote, block_quote, list, embed, rule, code or table.
    pub kind: String,
    pub html: String,
}

fn kind_name(k: BlockKind) -> &'static str {
    match k {
        BlockKind::Paragraph => "paragraph",
        BlockKind::Subhead => "subhead",
        BlockKind::Figure => "figure",
        BlockKind::PullQuote => "pull_quote",
        BlockKind::BlockQuote => "block_quote",
        BlockKind::List => "list",
        BlockKind::Embed => "embed",
        BlockKind::Rule => "rule",
        BlockKind::Code => "code",
        BlockKind::Table => "table",
    }
}

impl From<&Block> for BlockDto {
    fn from(b: &Block) -> Self {
        BlockDto { kind: kind_name(b.kind).to_string(), html: b.html.clone() }
    }
}

/// A published article in a list: never any of the body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArticleSummary {
    pub id: i64,
    pub slug: String,
    /// The article's page on the site.
    pub url: String,
    pub headline: String,
    pub standfirst: String,
    pub dateline: String,
    pub access: AccessDto,
    pub section: Option<TagDto>,
    pub authors: Vec<AuthorDto>,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArticleList {
    pub items: Vec<ArticleSummary>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// How much of the body this response carries, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BodyAccess {
    /// True when `body` is the whole article.
    pub full: bool,
    pub visible_blocks: usize,
    pub total_blocks: usize,
    /// Why the body was cut: metered, limit_reached, subscribers_only,
    /// archive_only or registration_required.
    pub reason: Option<String>,
}

/// A published article from the Content API. The body is cut exactly as
/// the web page cuts it for an anonymous reader whose free articles are
/// used up: blocks beyond the cut are not in the response at all.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContentArticle {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    pub hero: Option<FigureDto>,
    pub topics: Vec<TagDto>,
    pub regions: Vec<TagDto>,
    pub provenance: Option<ProvenanceDto>,
    pub reading_minutes: u32,
    pub word_count: u32,
    pub updated_at: DateTime<Utc>,
    pub body: Vec<BlockDto>,
    pub body_access: BodyAccess,
}

impl ArticleSummary {
    pub fn of(a: &Article) -> Self {
        ArticleSummary {
            id: a.id,
            slug: a.slug.clone(),
            url: crate::views::article_url(&a.slug),
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            dateline: a.dateline.clone(),
            access: a.access.into(),
            section: a.section.as_ref().map(TagDto::from),
            authors: a.authors.iter().map(AuthorDto::from).collect(),
            published_at: a.published_at,
        }
    }

    pub fn of_desk(a: &masthead_db::desk::DeskArticle) -> Self {
        ArticleSummary {
            id: a.id,
            slug: a.slug.clone(),
            url: crate::views::article_url(&a.slug),
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            dateline: a.dateline.clone(),
            access: a.access.into(),
            section: a.section.as_ref().map(TagDto::from),
            authors: a.authors.iter().map(AuthorDto::from).collect(),
            published_at: a.published_at,
        }
    }
}

/// An article as the Admin API shows it: everything, Markdown included.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminArticle {
    pub id: i64,
    pub slug: String,
    pub status: StatusDto,
    /// Send this back with an update; a newer one on the server means
    /// someone else saved first (409).
    pub revision: i64,
    pub headline: String,
    pub standfirst: String,
    pub dateline: String,
    pub hero: Option<FigureDto>,
    pub body_markdown: String,
    /// Problems found in the body; what was valid was saved.
    pub body_problems: Vec<String>,
    pub access: AccessDto,
    pub section: Option<String>,
    pub authors: Vec<String>,
    pub topics: Vec<String>,
    pub regions: Vec<String>,
    pub provenance: Option<ProvenanceDto>,
    pub seo_title: String,
    pub seo_description: String,
    pub word_count: u32,
    pub published_at: Option<DateTime<Utc>>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AdminArticle {
    pub fn of(a: &Article, revision: i64) -> Self {
        AdminArticle {
            id: a.id,
            slug: a.slug.clone(),
            status: a.status.into(),
            revision,
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            dateline: a.dateline.clone(),
            hero: a.hero.as_ref().map(FigureDto::from),
            body_markdown: a.body_markdown.clone(),
            body_problems: a.render_problems.iter().map(|p| format!("line {}: {}", p.line, p.message)).collect(),
            access: a.access.into(),
            section: a.section.as_ref().map(|s| s.slug.clone()),
            authors: a.authors.iter().map(|x| x.slug.clone()).collect(),
            topics: a.topics.iter().map(|x| x.slug.clone()).collect(),
            regions: a.regions.iter().map(|x| x.slug.clone()).collect(),
            provenance: a.provenance.as_ref().map(ProvenanceDto::from),
            seo_title: a.seo_title.clone(),
            seo_description: a.seo_description.clone(),
            word_count: a.word_count,
            published_at: a.published_at,
            scheduled_for: a.scheduled_for,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// One row of the Admin API's article list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminArticleSummary {
    pub id: i64,
    pub slug: String,
    pub status: StatusDto,
    pub revision: i64,
    pub headline: String,
    pub access: AccessDto,
    pub authors: Vec<String>,
    pub section: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<&masthead_db::desk::DeskArticle> for AdminArticleSummary {
    fn from(a: &masthead_db::desk::DeskArticle) -> Self {
        AdminArticleSummary {
            id: a.id,
            slug: a.slug.clone(),
            status: a.status.into(),
            revision: a.revision,
            headline: a.headline.clone(),
            access: a.access.into(),
            authors: a.authors.iter().map(|x| x.slug.clone()).collect(),
            section: a.section.as_ref().map(|s| s.slug.clone()),
            published_at: a.published_at,
            scheduled_for: a.scheduled_for,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminArticleList {
    pub items: Vec<AdminArticleSummary>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// What a client sends to create or replace an article. Authors, topics,
/// regions and the section are named by slug.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// Not blank; at most 300 characters once trimmed.
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    pub headline: String,
    /// Made from the headline when absent or empty (on create); kept when
    /// absent (on update). Lower-case letters, digits and single hyphens.
    #[serde(default)]
    #[schema(max_length = 80, pattern = r"^([a-z0-9]+(-[a-z0-9]+)*)?$")]
    pub slug: Option<String>,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub standfirst: String,
    #[serde(default)]
    pub dateline: String,
    #[serde(default)]
    pub hero: Option<FigureDto>,
    #[serde(default)]
    pub body_markdown: String,
    #[serde(default)]
    pub access: Option<AccessDto>,
    #[serde(default)]
    pub section: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub provenance: Option<ProvenanceDto>,
    #[serde(default)]
    pub seo_title: String,
    #[serde(default)]
    pub seo_description: String,
    /// Required on update: the revision this change is based on.
    #[serde(default)]
    pub revision: Option<i64>,
}

impl ArticleInput {
    pub fn draft(self) -> ArticleDraft {
        ArticleDraft {
            headline: self.headline,
            slug: self.slug.filter(|s| !s.is_empty()),
            standfirst: self.standfirst,
            dateline: self.dateline,
            hero: self.hero.map(Figure::from),
            body_markdown: self.body_markdown,
            access: self.access.map(AccessLevel::from).unwrap_or(AccessLevel::Metered),
            section: self.section.filter(|s| !s.is_empty()),
            authors: self.authors,
            topics: self.topics,
            regions: self.regions,
            provenance: self.provenance.map(Provenance::from),
            seo_title: self.seo_title,
            seo_description: self.seo_description,
        }
    }
}

/// When to publish: now when `at` is absent or past, else scheduled.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorInput {
    /// Not blank; at most 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub bio: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    /// Not blank; at most 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A reader, as the Admin API shows them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberDto {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The latest subscription's status (trialing, active, past_due,
    /// canceled, unpaid, incomplete, ended), if any.
    pub subscription_status: Option<String>,
    pub plan: Option<String>,
}

impl From<&masthead_db::desk::MemberRow> for MemberDto {
    fn from(m: &masthead_db::desk::MemberRow) -> Self {
        MemberDto {
            id: m.id,
            email: m.email.clone(),
            name: m.name.clone(),
            created_at: m.created_at,
            last_seen_at: m.last_seen_at,
            subscription_status: m.subscription_status.clone(),
            plan: m.plan_name.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<MemberDto>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionDto {
    pub plan: String,
    pub status: String,
    pub current_period_end: DateTime<Utc>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComplimentaryDto {
    pub benefits: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: String,
}

/// A reader with their subscriptions, complimentary access and meter.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberDetail {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Benefits held right now, from any source.
    pub benefits: Vec<String>,
    pub subscriptions: Vec<SubscriptionDto>,
    pub complimentary: Vec<ComplimentaryDto>,
    /// Metered articles read in the current window.
    pub meter_used: u32,
    pub meter_quota: u32,
}

/// What a webhook's `data` carries for article events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArticleEvent {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub status: StatusDto,
    pub url: String,
    pub published_at: Option<DateTime<Utc>>,
}

impl ArticleEvent {
    pub fn of(a: &Article) -> Self {
        ArticleEvent {
            id: a.id,
            slug: a.slug.clone(),
            headline: a.headline.clone(),
            status: a.status.into(),
            url: crate::views::article_url(&a.slug),
            published_at: a.published_at,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}
