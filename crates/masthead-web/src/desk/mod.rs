//! The desk: the newsroom's screens under /admin. Every handler takes the
//! `Staff` extractor (signed-in, enabled staff only), asks
//! `masthead_core::staff::can` through `Staff::require` before it reads or
//! changes anything, checks the CSRF token on every form, and records
//! changes in the audit log. Pages are server-rendered and work without
//! JavaScript; `desk.js` only adds live preview, shortcuts and autosave.

pub mod articles;
pub mod audit;
pub mod business;
pub mod editor;
pub mod integrations;
pub mod members;
pub mod numbers;
pub mod people;
pub mod taxonomy;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use masthead_core::staff::{can, Action, Ownership};
use serde::Serialize;

use crate::auth::Staff;
use crate::site::chrome;
use crate::{AppError, AppResult, AppState};

impl Staff {
    /// True if this staff member may do `action`.
    pub fn may(&self, action: Action, ownership: Ownership) -> bool {
        can(self.role, action, ownership)
    }

    /// Forbidden (403) unless this staff member may do `action`.
    pub fn require(&self, action: Action, ownership: Ownership) -> AppResult<()> {
        if self.may(action, ownership) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whose article this is, from this staff member's point of view.
    pub fn ownership(&self, owner: Option<i64>) -> Ownership {
        if owner == Some(self.id) {
            Ownership::Own
        } else {
            Ownership::Others
        }
    }
}

/// What the desk's navigation shows to this staff member.
#[derive(Serialize)]
pub struct DeskNav {
    pub taxonomy: bool,
    pub numbers: bool,
    pub plans: bool,
    pub settings: bool,
    pub staff: bool,
    pub members: bool,
    pub audit: bool,
    pub integrations: bool,
    pub newsletters: bool,
    pub magazine: bool,
}

impl DeskNav {
    pub fn for_staff(s: &Staff) -> Self {
        let na = Ownership::NotApplicable;
        DeskNav {
            taxonomy: s.may(Action::ManageTaxonomy, na),
            numbers: s.may(Action::ViewNumbers, na),
            plans: s.may(Action::ManagePlans, na),
            settings: s.may(Action::ManageSettings, na),
            staff: s.may(Action::ManageStaff, na),
            members: s.may(Action::ManageMembers, na),
            audit: s.may(Action::ViewAudit, na),
            integrations: s.may(Action::ManageIntegrations, na),
            newsletters: s.may(Action::ManageNewsletters, na),
            magazine: s.may(Action::ManageMagazine, na),
        }
    }
}

/// Renders a desk page, with what every desk page shares.
pub fn page(state: &AppState, staff: &Staff, name: &str, path: &str, ctx: minijinja::Value) -> AppResult<Response> {
    let body = state.theme.render(
        name,
        minijinja::context! {
            chrome => chrome(state, path), staff => staff.name.clone(), staff_id => staff.id, role => staff.role.as_str(),
            csrf => staff.csrf(state), desk => DeskNav::for_staff(staff), ..ctx
        },
    )?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response())
}

/// The same page with another status (a form with errors: 422).
pub fn page_with_status(state: &AppState, staff: &Staff, name: &str, path: &str, status: StatusCode, ctx: minijinja::Value) -> AppResult<Response> {
    let mut res = page(state, staff, name, path, ctx)?;
    *res.status_mut() = status;
    Ok(res)
}

/// Records a change in the audit log.
pub async fn audit(state: &AppState, staff: &Staff, action: &str, target: &str, summary: &str) -> AppResult<()> {
    let actor = format!("{} <{}>", staff.name, staff.email);
    state
        .db
        .record_audit(
            &masthead_db::audit::AuditRecord { staff_id: Some(staff.id), actor: &actor, action, target, summary },
            Utc::now(),
        )
        .await?;
    Ok(())
}

/// Field errors as a map from field name to message, for templates.
pub fn field_errors(errs: &[masthead_core::FieldError]) -> std::collections::BTreeMap<String, String> {
    let mut m = std::collections::BTreeMap::new();
    for e in errs {
        m.entry(e.field.clone()).or_insert_with(|| e.message.clone());
    }
    m
}

/// Page number from a query (1-based), bounded.
pub fn page_number(p: Option<&str>) -> AppResult<i64> {
    match p.map(str::trim) {
        None | Some("") => Ok(1),
        Some(p) => match p.parse::<i64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
            _ => Err(AppError::BadRequest(format!("\"{p}\" is not a page number"))),
        },
    }
}
