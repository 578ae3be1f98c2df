//! Staff: the list with roles, invitations by email (a single-use link
//! that sets a password), disabling an account, and each member's own
//! second factor (TOTP), asked for at sign-in once it is on.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use masthead_core::staff::{can_assign, Action, Ownership, Role};
use masthead_db::staff::StaffMember;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{audit, page_with_status};
use crate::auth::{self, masthead_password, Staff};
use crate::site::chrome;
use crate::{totp, AppError, AppResult, AppState};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// How long the second-factor step may take after the password.
const SECOND_FACTOR_SECONDS: i64 = 300;
const PENDING_COOKIE: &str = "mh_staff_2fa";

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn set_cookie(res: &mut Response, value: String) {
    if let Ok(v) = value.parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Signs a staff member in: the session cookie and a redirect.
pub fn start_session(state: &AppState, staff_id: i64, next: &str) -> Response {
    let session = auth::staff_session(&state.config.secret_key, staff_id);
    let mut res = Redirect::to(next).into_response();
    set_cookie(&mut res, auth::set_cookie(auth::STAFF_COOKIE, &session, Some(auth::STAFF_SESSION.num_seconds()), state.config.secure_cookies));
    set_cookie(&mut res, auth::set_cookie(PENDING_COOKIE, "", Some(0), state.config.secure_cookies));
    tracing::info!(staff = staff_id, "staff signed in");
    res
}

/// After a correct password: a session, or the second-factor step.
pub fn after_password(state: &AppState, member: &StaffMember, next: &str) -> AppResult<Response> {
    if member.totp_secret.is_none() {
        return Ok(start_session(state, member.id, next));
    }
    let expires = Utc::now().timestamp() + SECOND_FACTOR_SECONDS;
    let pending = auth::sign(&state.config.secret_key, "staff-2fa", &format!("{}:{expires}", member.id));
    let mut res = second_factor_page(state, next, None, StatusCode::OK)?;
    set_cookie(&mut res, auth::set_cookie(PENDING_COOKIE, &pending, Some(SECOND_FACTOR_SECONDS), state.config.secure_cookies));
    Ok(res)
}

fn second_factor_page(state: &AppState, next: &str, error: Option<&str>, status: StatusCode) -> AppResult<Response> {
    let token = auth::random_token();
    let body = state.theme.render(
        "admin/login_code.html",
        minijinja::context! { chrome => chrome(state, "/admin/login"), csrf => token, next, error },
    )?;
    let mut res = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response();
    set_cookie(&mut res, auth::set_cookie(auth::CSRF_COOKIE, &token, Some(3600), state.config.secure_cookies));
    Ok(res)
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
    next: Option<String>,
}

/// The second step of signing in: a code from the authenticator app.
pub async fn login_code(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<CodeForm>) -> AppResult<Response> {
    let next = crate::admin::safe_next(f.next.as_deref());
    let cookie_token = auth::cookie(&headers, auth::CSRF_COOKIE).unwrap_or_default();
    if cookie_token.is_empty() || !auth::constant_time_eq(cookie_token.as_bytes(), f.csrf.as_bytes()) {
        return Err(AppError::Forbidden);
    }
    let pending = auth::cookie(&headers, PENDING_COOKIE)
        .and_then(|c| auth::verify(&state.config.secret_key, "staff-2fa", &c))
        .and_then(|v| {
            let (id, exp) = v.split_once(':')?;
            Some((id.parse::<i64>().ok()?, exp.parse::<i64>().ok()?))
        });
    let Some((id, expires)) = pending.filter(|(_, exp)| *exp >= Utc::now().timestamp()) else {
        return Ok(Redirect::to("/admin/login").into_response());
    };
    let _ = expires;
    if !state.limits.allow(&format!("staff-code:{id}"), 5, Duration::from_secs(300)).await {
        return second_factor_page(&state, &next, Some("Too many attempts. Please wait a few minutes and try again."), StatusCode::TOO_MANY_REQUESTS);
    }
    let member = state.db.staff_by_id(id).await?.filter(|m| m.disabled_at.is_none()).ok_or(AppError::Unauthorized)?;
    let ok = member.totp_secret.as_deref().is_some_and(|s| totp::verify(s, &f.code, Utc::now().timestamp()));
    if !ok {
        tracing::info!(staff = id, "staff second factor refused");
        return second_factor_page(&state, &next, Some("That code is not right. Use the current code from your app."), StatusCode::UNAUTHORIZED);
    }
    Ok(start_session(&state, id, &next))
}

#[derive(Serialize)]
struct StaffRowView {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    totp: bool,
    disabled: bool,
    is_me: bool,
    /// Roles this viewer may give this member; empty when none.
    assignable: Vec<&'static str>,
}

fn assignable(actor: &Staff, current: Option<Role>) -> Vec<&'static str> {
    Role::ALL.into_iter().filter(|r| can_assign(actor.role, current, *r)).map(Role::as_str).collect()
}

#[derive(Default, Serialize)]
struct InviteForm {
    email: String,
    name: String,
    role: String,
}

async fn staff_page(state: &AppState, staff: &Staff, form: InviteForm, errors: Vec<masthead_core::FieldError>, notice: Option<String>) -> AppResult<Response> {
    let members = state.db.staff().await?;
    let rows: Vec<StaffRowView> = members
        .iter()
        .map(|m| StaffRowView {
            id: m.id,
            name: m.name.clone(),
            email: m.email.clone(),
            role: m.role.as_str(),
            totp: m.totp_secret.is_some(),
            disabled: m.disabled_at.is_some(),
            is_me: m.id == staff.id,
            assignable: if m.id == staff.id { Vec::new() } else { assignable(staff, Some(m.role)) },
        })
        .collect();
    let invitations = state.db.open_invitations(Utc::now()).await?;
    let invitations: Vec<_> = invitations
        .iter()
        .map(|i| minijinja::context! { email => i.email, name => i.name, role => i.role.as_str(), expires => crate::views::human_date(i.expires_at) })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page_with_status(
        state,
        staff,
        "admin/staff.html",
        "/admin/staff",
        status,
        minijinja::context! { members => rows, invitations, form, errors => super::field_errors(&errors), notice, roles => assignable(staff, None) },
    )
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    staff.require(Action::ManageStaff, Ownership::NotApplicable)?;
    staff_page(&state, &staff, InviteForm { role: "author".into(), ..Default::default() }, Vec::new(), None).await
}

#[derive(Deserialize)]
pub struct InvitePost {
    csrf: String,
    email: String,
    #[serde(default)]
    name: String,
    role: String,
}

/// Invites someone by email; the link sets their password.
pub async fn invite(State(state): State<AppState>, staff: Staff, Form(f): Form<InvitePost>) -> AppResult<Response> {
    staff.require(Action::ManageStaff, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    let email = f.email.trim().to_lowercase();
    let mut errors = Vec::new();
    if !crate::account::valid_email(&email) {
        errors.push(masthead_core::FieldError::new("email", "enter an email address like name@example.org"));
    }
    let role = Role::parse(&f.role);
    match role {
        None => errors.push(masthead_core::FieldError::new("role", "choose a role")),
        Some(r) if !can_assign(staff.role, None, r) => return Err(AppError::Forbidden),
        Some(_) => {}
    }
    if errors.is_empty() && state.db.staff_by_email(&email).await?.is_some() {
        errors.push(masthead_core::FieldError::new("email", "this address is already on staff"));
    }
    let form = InviteForm { email: f.email.clone(), name: f.name.clone(), role: f.role.clone() };
    let (Some(role), true) = (role, errors.is_empty()) else {
        return staff_page(&state, &staff, form, errors, None).await;
    };
    let token = auth::random_token();
    let now = Utc::now();
    state
        .db
        .create_invitation(&hash_token(&token), &email, f.name.trim(), role, staff.id, now + chrono::Duration::days(INVITATION_DAYS), now)
        .await?;
    let site = state.site();
    let link = format!("{}/admin/invite/{token}", state.config.base_url.trim_end_matches('/'));
    crate::account::send_mail(
        &state,
        &email,
        &format!("You're invited to the {} desk", site.name),
        "email/staff_invite",
        minijinja::context! { site, link, inviter => staff.name.clone(), role => role.label(), days => INVITATION_DAYS },
    )
    .await;
    audit(&state, &staff, "staff.invite", &format!("staff-invitation:{email}"), &format!("invited {email} as {}", role.as_str())).await?;
    staff_page(&state, &staff, InviteForm { role: "author".into(), ..Default::default() }, Vec::new(), Some(format!("Invitation sent to {email}."))).await
}

#[derive(Deserialize)]
pub struct MemberPost {
    csrf: String,
    /// "role", "disable" or "enable".
    action: String,
    role: Option<String>,
}

/// Changes a member's role, or disables or re-enables their account.
pub async fn change(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<MemberPost>) -> AppResult<Response> {
    staff.require(Action::ManageStaff, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    let member = state.db.staff_by_id(id).await?.ok_or(AppError::NotFound)?;
    if member.id == staff.id {
        return Err(AppError::Conflict("you cannot change your own role or account here; ask another administrator".into()));
    }
    // Changing or disabling someone needs the right to give their role.
    if !can_assign(staff.role, Some(member.role), member.role.min(staff.role)) {
        return Err(AppError::Forbidden);
    }
    let last_owner = member.role == Role::Owner && state.db.count_active_staff_with_role(Role::Owner).await? <= 1;
    let summary = match f.action.as_str() {
        "role" => {
            let new = f.role.as_deref().and_then(Role::parse).ok_or_else(|| AppError::BadRequest("choose a role".into()))?;
            if !can_assign(staff.role, Some(member.role), new) {
                return Err(AppError::Forbidden);
            }
            if last_owner && new != Role::Owner {
                return Err(AppError::Conflict("the publication must keep at least one owner".into()));
            }
            state.db.set_staff_role(id, new).await?;
            format!("{} is now {}", member.email, new.as_str())
        }
        "disable" => {
            if last_owner {
                return Err(AppError::Conflict("the publication must keep at least one owner".into()));
            }
            state.db.set_staff_disabled(id, Some(Utc::now())).await?;
            format!("disabled {}", member.email)
        }
        "enable" => {
            state.db.set_staff_disabled(id, None).await?;
            format!("re-enabled {}", member.email)
        }
        other => return Err(AppError::BadRequest(format!("unknown action \"{other}\""))),
    };
    audit(&state, &staff, &format!("staff.{}", f.action), &format!("staff:{id}"), &summary).await?;
    Ok(Redirect::to("/admin/staff").into_response())
}

fn invitation_page(state: &AppState, token: &str, email: &str, name: &str, error: Option<String>, status: StatusCode) -> AppResult<Response> {
    let csrf = auth::random_token();
    let body = state.theme.render(
        "admin/invite.html",
        minijinja::context! { chrome => chrome(state, "/admin/invite"), csrf, token, email, name, error, min => masthead_password::MIN_LEN },
    )?;
    let mut res = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response();
    res.headers_mut().insert("referrer-policy", header::HeaderValue::from_static("no-referrer"));
    set_cookie(&mut res, auth::set_cookie(auth::CSRF_COOKIE, &csrf, Some(3600), state.config.secure_cookies));
    Ok(res)
}

/// The invitation link: a form to choose a name and password.
pub async fn invitation(State(state): State<AppState>, Path(token): Path<String>) -> AppResult<Response> {
    let inv = state.db.invitation(&hash_token(&token), Utc::now()).await?.ok_or(AppError::NotFound)?;
    invitation_page(&state, &token, &inv.email, &inv.name, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct AcceptForm {
    csrf: String,
    name: String,
    password: String,
}

/// Accepts an invitation: creates the account and signs it in.
pub async fn accept(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>, Form(f): Form<AcceptForm>) -> AppResult<Response> {
    let cookie_token = auth::cookie(&headers, auth::CSRF_COOKIE).unwrap_or_default();
    if cookie_token.is_empty() || !auth::constant_time_eq(cookie_token.as_bytes(), f.csrf.as_bytes()) {
        return Err(AppError::Forbidden);
    }
    let hash = hash_token(&token);
    let inv = state.db.invitation(&hash, Utc::now()).await?.ok_or(AppError::NotFound)?;
    let name = f.name.trim();
    let error = if name.is_empty() {
        Some("Tell us your name, as colleagues will see it.".to_string())
    } else if f.password.chars().count() < masthead_password::MIN_LEN {
        Some(format!("Choose a password of at least {} characters.", masthead_password::MIN_LEN))
    } else {
        None
    };
    if let Some(e) = error {
        return invitation_page(&state, &token, &inv.email, name, Some(e), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash_pw = auth::hash_password(f.password).await?;
    let member = state.db.accept_invitation(&hash, name, &hash_pw, Utc::now()).await?.ok_or(AppError::NotFound)?;
    let actor = format!("{} <{}>", member.name, member.email);
    state
        .db
        .record_audit(
            &masthead_db::audit::AuditRecord {
                staff_id: Some(member.id),
                actor: &actor,
                action: "staff.join",
                target: &format!("staff:{}", member.id),
                summary: &format!("accepted the invitation as {}", member.role.as_str()),
            },
            Utc::now(),
        )
        .await?;
    Ok(start_session(&state, member.id, "/admin"))
}

/// The member's own security page: the second factor.
pub async fn security(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    staff.require(Action::ViewDesk, Ownership::NotApplicable)?;
    security_page(&state, &staff, None, None, StatusCode::OK).await
}

async fn security_page(state: &AppState, staff: &Staff, secret: Option<String>, error: Option<&str>, status: StatusCode) -> AppResult<Response> {
    let member = state.db.staff_by_id(staff.id).await?.ok_or(AppError::Unauthorized)?;
    let enabled = member.totp_secret.is_some();
    let secret = if enabled { None } else { Some(secret.unwrap_or_else(totp::new_secret)) };
    let uri = secret.as_deref().map(|s| totp::otpauth_uri(&state.site().name, &member.email, s));
    page_with_status(
        state,
        staff,
        "admin/security.html",
        "/admin/security",
        status,
        minijinja::context! { enabled, secret, uri, error },
    )
}

#[derive(Deserialize)]
pub struct TotpForm {
    csrf: String,
    /// "enable" (with the secret shown) or "disable".
    action: String,
    #[serde(default)]
    secret: String,
    code: String,
}

/// Turns the second factor on (proving the app has the secret) or off
/// (proving the member still has it).
pub async fn set_totp(State(state): State<AppState>, staff: Staff, Form(f): Form<TotpForm>) -> AppResult<Response> {
    staff.require(Action::ViewDesk, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    if !state.limits.allow(&format!("staff-code:{}", staff.id), 5, Duration::from_secs(300)).await {
        return Err(AppError::TooMany);
    }
    let member = state.db.staff_by_id(staff.id).await?.ok_or(AppError::Unauthorized)?;
    let now = Utc::now().timestamp();
    match f.action.as_str() {
        "enable" => {
            if totp::base32_decode(&f.secret).is_none_or(|s| s.len() < 16) {
                return Err(AppError::BadRequest("that secret is not one this page made".into()));
            }
            if !totp::verify(&f.secret, &f.code, now) {
                return security_page(&state, &staff, Some(f.secret), Some("That code doesn't match. Check the app's clock and try the current code."), StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            state.db.set_staff_totp(staff.id, Some(&f.secret)).await?;
            audit(&state, &staff, "staff.totp_enable", &format!("staff:{}", staff.id), "turned on the second factor").await?;
        }
        "disable" => {
            if !member.totp_secret.as_deref().is_some_and(|s| totp::verify(s, &f.code, now)) {
                return security_page(&state, &staff, None, Some("That code doesn't match."), StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            state.db.set_staff_totp(staff.id, None).await?;
            audit(&state, &staff, "staff.totp_disable", &format!("staff:{}", staff.id), "turned off the second factor").await?;
        }
        other => return Err(AppError::BadRequest(format!("unknown action \"{other}\""))),
    }
    Ok(Redirect::to("/admin/security").into_response())
}
