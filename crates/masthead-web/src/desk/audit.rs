//! The audit log page: who changed what, newest first, optionally for one
//! record (an article's history links here with its target).

use axum::extract::{Query, State};
use axum::response::Response;
use masthead_core::staff::{Action, Ownership};
use serde::Deserialize;

use super::{page, page_number};
use crate::auth::Staff;
use crate::views::Pagination;
use crate::{AppResult, AppState};

pub const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<String>,
    target: Option<String>,
}

pub async fn log(State(state): State<AppState>, staff: Staff, Query(q): Query<AuditQuery>) -> AppResult<Response> {
    staff.require(Action::ViewAudit, Ownership::NotApplicable)?;
    let n = page_number(q.page.as_deref())?;
    let target = q.target.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let list = state.db.audit_log(target, PER_PAGE, (n - 1) * PER_PAGE).await?;
    let entries: Vec<_> = list
        .items
        .iter()
        .map(|e| {
            minijinja::context! {
                at => e.created_at.format("%Y-%m-%d %H:%M UTC").to_string(), actor => e.actor, action => e.action,
                target => e.target, target_url => format!("/admin/audit?target={}", crate::account::urlencode(&e.target)), summary => e.summary,
            }
        })
        .collect();
    let base = match target {
        Some(t) => format!("/admin/audit?target={}", crate::account::urlencode(t)),
        None => "/admin/audit".to_string(),
    };
    let mut pagination = Pagination::new(&base, n, PER_PAGE, list.total);
    if target.is_some() {
        pagination.prev = pagination.prev.map(|p| p.replace("?page=", "&page="));
        pagination.next = pagination.next.map(|p| p.replace("?page=", "&page="));
    }
    page(&state, &staff, "admin/audit.html", "/admin/audit", minijinja::context! { entries, total => list.total, pagination, target })
}
