//! The desk's article list: every article of every status, searchable by
//! headline, filtered by status, author, topic, section and access level,
//! sorted and paged. The filters are a plain GET form.

use axum::extract::{Query, State};
use axum::response::Response;
use masthead_core::staff::{Action, Ownership};
use masthead_core::{AccessLevel, ArticleStatus, TagKind};
use masthead_db::desk::{DeskQuery, DeskSort};
use serde::{Deserialize, Serialize};

use super::{page, page_number};
use crate::auth::Staff;
use crate::views::{byline, Pagination};
use crate::{AppError, AppResult, AppState};

pub const PER_PAGE: i64 = 25;

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub access: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub mine: String,
    pub page: Option<String>,
    pub deleted: Option<String>,
}

impl ListQuery {
    /// The query as the store takes it; unknown filter values are a bad
    /// request, not silently ignored.
    pub fn to_desk(&self, staff_id: i64, page: i64) -> Result<DeskQuery, AppError> {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(DeskQuery {
            search: opt(&self.q),
            status: match self.status.as_str() {
                "" => None,
                s => Some(ArticleStatus::parse(s).ok_or_else(|| AppError::BadRequest(format!("unknown status \"{s}\"")))?),
            },
            access: match self.access.as_str() {
                "" => None,
                s => Some(AccessLevel::parse(s).ok_or_else(|| AppError::BadRequest(format!("unknown access level \"{s}\"")))?),
            },
            author: opt(&self.author),
            topic: opt(&self.topic),
            section: opt(&self.section),
            created_by: (!self.mine.is_empty()).then_some(staff_id),
            live_at: None,
            sort: match self.sort.as_str() {
                "" => DeskSort::Updated,
                s => DeskSort::parse(s).ok_or_else(|| AppError::BadRequest(format!("unknown sort \"{s}\"")))?,
            },
            limit: PER_PAGE,
            offset: (page - 1) * PER_PAGE,
        })
    }

    /// The query string of this list without the page, for page links.
    fn base(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [("q", &self.q), ("status", &self.status), ("author", &self.author), ("topic", &self.topic), ("section", &self.section), ("access", &self.access), ("sort", &self.sort), ("mine", &self.mine)] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", crate::account::urlencode(v)));
            }
        }
        parts.join("&")
    }
}

pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<ListQuery>) -> AppResult<Response> {
    staff.require(Action::ViewDesk, Ownership::NotApplicable)?;
    let n = page_number(q.page.as_deref())?;
    let result = state.db.desk_articles(&q.to_desk(staff.id, n)?).await?;
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let items: Vec<_> = result
        .items
        .iter()
        .map(|a| {
            minijinja::context! {
                id => a.id, headline => a.headline, status => a.status.as_str(), access => a.access.label(),
                byline => byline(&a.authors), section => a.section.as_ref().map(|s| s.name.clone()),
                updated => fmt(a.updated_at), published => a.published_at.map(fmt), scheduled => a.scheduled_for.map(fmt),
                url => crate::views::article_url(&a.slug), mine => a.created_by == Some(staff.id), words => a.word_count,
            }
        })
        .collect();
    let base = q.base();
    let mut pagination = Pagination::new("/admin", n, PER_PAGE, result.total);
    let with = |p: Option<String>| {
        p.map(|link| {
            let page = link.split("page=").nth(1).map(|p| format!("page={p}"));
            let qs: Vec<String> = [Some(base.clone()).filter(|b| !b.is_empty()), page].into_iter().flatten().collect();
            if qs.is_empty() { "/admin".to_string() } else { format!("/admin?{}", qs.join("&")) }
        })
    };
    pagination.prev = with(pagination.prev);
    pagination.next = with(pagination.next);
    let tags = |v: Vec<masthead_core::Tag>| v.into_iter().map(|t| minijinja::context! { slug => t.slug, name => t.name }).collect::<Vec<_>>();
    page(
        &state,
        &staff,
        "admin/index.html",
        "/admin",
        minijinja::context! {
            items, total => result.total, pagination, query => q, deleted => q.deleted.is_some(),
            authors => state.db.authors().await?.into_iter().map(|a| minijinja::context! { slug => a.slug, name => a.name }).collect::<Vec<_>>(),
            topics => tags(state.db.tags(TagKind::Topic).await?),
            sections => tags(state.db.tags(TagKind::Section).await?),
        },
    )
}
