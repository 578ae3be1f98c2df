//! The business side of the desk, for administrators: plans (price,
//! interval, trial, badge, benefits), the paywall (meter quotas, window,
//! preview, registration wall, network meter, grace and gift links), the
//! offer's wording, and the site's settings (name, tagline, colours,
//! navigation). Each form keeps what was typed and shows errors by field.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use chrono::Utc;
use masthead_core::billing::{format_money, Interval, Plan};
use masthead_core::staff::{Action, Ownership};
use masthead_core::{Benefit, FieldError, MeterPolicy, MeterWindow};
use serde::{Deserialize, Serialize};

use super::{audit, field_errors, page_with_status};
use crate::auth::Staff;
use crate::paywall::{Paywall, SETTINGS_KEY};
use crate::{AppError, AppResult, AppState};

/// The offer's words, the publisher's to change. Empty means the theme's
/// default wording.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OfferWording {
    /// Heading when the free articles are used up.
    pub limit_heading: String,
    /// Heading on a subscribers-only article.
    pub subscribers_heading: String,
    /// The line under the heading.
    pub lede: String,
    /// One benefit per line; "(NEW)" at the end marks a new one.
    pub benefits: String,
    /// The shorter prompt at the end of a cut article.
    pub end_prompt: String,
}

pub const OFFER_KEY: &str = "offer";

impl OfferWording {
    pub fn from_settings(s: &HashMap<String, String>) -> Self {
        s.get(OFFER_KEY).and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
    }

    /// The benefits as the offer lists them: (text, new).
    pub fn benefit_lines(&self) -> Vec<(String, bool)> {
        self.benefits
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| match l.strip_suffix("(NEW)") {
                Some(t) => (t.trim().to_string(), true),
                None => (l.to_string(), false),
            })
            .collect()
    }
}

fn num<T: std::str::FromStr>(field: &str, s: &str, errs: &mut Vec<FieldError>, what: &str) -> Option<T> {
    match s.trim().parse::<T>() {
        Ok(v) => Some(v),
        Err(_) => {
            errs.push(FieldError::new(field, what));
            None
        }
    }
}

fn pairs(body: &[u8]) -> AppResult<Vec<(String, String)>> {
    serde_urlencoded::from_bytes(body).map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))
}

fn get<'a>(p: &'a [(String, String)], k: &str) -> &'a str {
    p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// A plan as its form shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanForm {
    pub slug: String,
    pub name: String,
    pub price: String,
    pub currency: String,
    pub interval: String,
    pub trial_days: String,
    pub badge: String,
    pub benefits: Vec<String>,
    pub active: bool,
    pub provider_price_id: String,
    pub position: String,
}

impl PlanForm {
    fn of(p: &Plan, position: i64) -> Self {
        PlanForm {
            slug: p.slug.clone(),
            name: p.name.clone(),
            price: format!("{}.{:02}", p.price_minor / 100, p.price_minor % 100),
            currency: p.currency.clone(),
            interval: p.interval.as_str().into(),
            trial_days: p.trial_days.to_string(),
            badge: p.badge.clone(),
            benefits: p.benefits.iter().map(|b| b.as_str().to_string()).collect(),
            active: p.active,
            provider_price_id: p.provider_price_id.clone(),
            position: position.to_string(),
        }
    }

    fn parse(p: &[(String, String)]) -> Self {
        PlanForm {
            slug: get(p, "slug").trim().into(),
            name: get(p, "name").trim().into(),
            price: get(p, "price").trim().into(),
            currency: get(p, "currency").trim().to_uppercase(),
            interval: get(p, "interval").into(),
            trial_days: get(p, "trial_days").trim().into(),
            badge: get(p, "badge").trim().into(),
            benefits: p.iter().filter(|(k, _)| k == "benefits").map(|(_, v)| v.clone()).collect(),
            active: !get(p, "active").is_empty(),
            provider_price_id: get(p, "provider_price_id").trim().into(),
            position: get(p, "position").trim().into(),
        }
    }

    /// The plan, or every problem with the form.
    fn to_plan(&self) -> Result<(Plan, i64), Vec<FieldError>> {
        let mut errs = Vec::new();
        if let Err(masthead_core::DomainError::Invalid(mut e)) = masthead_core::slug::validate_slug(&self.slug) {
            errs.append(&mut e);
        }
        if self.name.is_empty() {
            errs.push(FieldError::new("name", "give the plan a name"));
        }
        let price_minor = parse_price(&self.price).or_else(|| {
            errs.push(FieldError::new("price", "a price like 2.90"));
            None
        });
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            errs.push(FieldError::new("currency", "a three-letter currency code such as USD"));
        }
        let interval = Interval::parse(&self.interval).or_else(|| {
            errs.push(FieldError::new("interval", "month or year"));
            None
        });
        let trial_days = if self.trial_days.is_empty() { Some(0) } else { num::<u32>("trial_days", &self.trial_days, &mut errs, "a number of days, 0 for none") };
        let position = if self.position.is_empty() { Some(0) } else { num::<i64>("position", &self.position, &mut errs, "a whole number") };
        let mut benefits = Vec::new();
        for b in &self.benefits {
            match Benefit::parse(b) {
                Some(b) => benefits.push(b),
                None => errs.push(FieldError::new("benefits", format!("unknown benefit \"{b}\""))),
            }
        }
        match (price_minor, interval, trial_days, position, errs.is_empty()) {
            (Some(price_minor), Some(interval), Some(trial_days), Some(position), true) => Ok((
                Plan {
                    id: 0,
                    slug: self.slug.clone(),
                    name: self.name.clone(),
                    price_minor,
                    currency: self.currency.clone(),
                    interval,
                    trial_days,
                    badge: self.badge.clone(),
                    benefits,
                    active: self.active,
                    provider_price_id: self.provider_price_id.clone(),
                },
                position,
            )),
            _ => Err(errs),
        }
    }
}

/// "2.90" → 290; "19" → 1900.
pub fn parse_price(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac).filter(|v| *v <= 100_000_000)
}

/// The paywall as its form shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PaywallForm {
    pub anonymous_quota: String,
    pub registered_quota: String,
    pub window: String,
    pub window_days: String,
    pub archive_after_days: String,
    pub preview_blocks: String,
    pub registration_wall: bool,
    pub network_quota: String,
    pub grace_days: String,
    pub gift_links_per_month: String,
    pub gift_link_days: String,
}

impl PaywallForm {
    fn of(p: &Paywall) -> Self {
        let m = &p.meter;
        let (window, window_days) = match m.window {
            MeterWindow::CalendarMonth => ("calendar_month", String::from("30")),
            MeterWindow::RollingDays(d) => ("rolling", d.to_string()),
        };
        PaywallForm {
            anonymous_quota: m.anonymous_quota.to_string(),
            registered_quota: m.registered_quota.to_string(),
            window: window.into(),
            window_days,
            archive_after_days: m.archive_after_days.map(|d| d.to_string()).unwrap_or_default(),
            preview_blocks: m.preview_blocks.to_string(),
            registration_wall: m.registration_wall,
            network_quota: m.network_quota.map(|d| d.to_string()).unwrap_or_default(),
            grace_days: p.grace_days.to_string(),
            gift_links_per_month: p.gift_links_per_month.to_string(),
            gift_link_days: p.gift_link_days.to_string(),
        }
    }

    fn parse(p: &[(String, String)]) -> Self {
        PaywallForm {
            anonymous_quota: get(p, "anonymous_quota").trim().into(),
            registered_quota: get(p, "registered_quota").trim().into(),
            window: get(p, "window").into(),
            window_days: get(p, "window_days").trim().into(),
            archive_after_days: get(p, "archive_after_days").trim().into(),
            preview_blocks: get(p, "preview_blocks").trim().into(),
            registration_wall: !get(p, "registration_wall").is_empty(),
            network_quota: get(p, "network_quota").trim().into(),
            grace_days: get(p, "grace_days").trim().into(),
            gift_links_per_month: get(p, "gift_links_per_month").trim().into(),
            gift_link_days: get(p, "gift_link_days").trim().into(),
        }
    }

    fn to_paywall(&self) -> Result<Paywall, Vec<FieldError>> {
        let mut e = Vec::new();
        let count = "a whole number, 0 or more";
        let anonymous_quota = num::<u32>("anonymous_quota", &self.anonymous_quota, &mut e, count);
        let registered_quota = num::<u32>("registered_quota", &self.registered_quota, &mut e, count);
        let window = match self.window.as_str() {
            "calendar_month" => Some(MeterWindow::CalendarMonth),
            "rolling" => num::<u32>("window_days", &self.window_days, &mut e, "a number of days from 1 to 366")
                .filter(|d| (1..=366).contains(d))
                .map(MeterWindow::RollingDays)
                .or_else(|| {
                    if !e.iter().any(|x| x.field == "window_days") {
                        e.push(FieldError::new("window_days", "a number of days from 1 to 366"));
                    }
                    None
                }),
            _ => {
                e.push(FieldError::new("window", "calendar month or rolling days"));
                None
            }
        };
        let optional = |field: &str, s: &str, e: &mut Vec<FieldError>| -> Option<Option<u32>> {
            if s.is_empty() {
                Some(None)
            } else {
                num::<u32>(field, s, e, "a whole number, or empty for none").map(Some)
            }
        };
        let archive_after_days = optional("archive_after_days", &self.archive_after_days, &mut e);
        let network_quota = optional("network_quota", &self.network_quota, &mut e);
        let preview_blocks = num::<u32>("preview_blocks", &self.preview_blocks, &mut e, count);
        let grace_days = num::<u32>("grace_days", &self.grace_days, &mut e, count);
        let gift_links_per_month = num::<u32>("gift_links_per_month", &self.gift_links_per_month, &mut e, count);
        let gift_link_days = num::<u32>("gift_link_days", &self.gift_link_days, &mut e, count);
        if let (Some(a), Some(r)) = (anonymous_quota, registered_quota) {
            if r < a {
                e.push(FieldError::new("registered_quota", "a free account should give at least as many articles as no account"));
            }
        }
        if !e.is_empty() {
            return Err(e);
        }
        match (anonymous_quota, registered_quota, window, archive_after_days, preview_blocks, network_quota, grace_days, gift_links_per_month, gift_link_days) {
            (Some(aq), Some(rq), Some(w), Some(arch), Some(pb), Some(nq), Some(g), Some(gl), Some(gd)) => Ok(Paywall {
                meter: MeterPolicy {
                    anonymous_quota: aq,
                    registered_quota: rq,
                    window: w,
                    archive_after_days: arch,
                    preview_blocks: pb,
                    registration_wall: self.registration_wall,
                    network_quota: nq,
                },
                grace_days: g,
                gift_links_per_month: gl,
                gift_link_days: gd,
            }),
            _ => Err(e),
        }
    }
}

const BENEFITS: [(&str, &str); 5] = [
    ("full_access", "Every article in full"),
    ("ad_free", "No ads"),
    ("magazine", "The weekly magazine"),
    ("premium_newsletters", "Premium newsletters"),
    ("archives", "The archives"),
];

#[derive(Default)]
struct PlansExtras {
    plan_form: Option<PlanForm>,
    paywall_form: Option<PaywallForm>,
    offer_form: Option<OfferWording>,
    errors: Vec<FieldError>,
    which: &'static str,
}

async fn plans_page(state: &AppState, staff: &Staff, x: PlansExtras) -> AppResult<Response> {
    let plans = state.db.all_plans().await?;
    let monthly = plans.iter().find(|(p, _)| p.interval == Interval::Month && p.active).map(|(p, _)| p.clone());
    let rows: Vec<_> = plans
        .iter()
        .map(|(p, pos)| {
            minijinja::context! {
                form => PlanForm::of(p, *pos), price => format_money(p.price_minor, &p.currency),
                saving => monthly.as_ref().and_then(|m| masthead_core::billing::annual_saving(m, p)).map(|s| format_money(s, &p.currency)),
            }
        })
        .collect();
    let settings = state.db.settings().await?;
    let status = if x.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page_with_status(
        state,
        staff,
        "admin/plans.html",
        "/admin/plans",
        status,
        minijinja::context! {
            plans => rows,
            new_plan => x.plan_form.unwrap_or_else(|| PlanForm { currency: "USD".into(), interval: "month".into(), active: true, benefits: Benefit::ALL.iter().map(|b| b.as_str().to_string()).collect(), ..Default::default() }),
            paywall => x.paywall_form.unwrap_or_else(|| PaywallForm::of(&state.policy())),
            offer => x.offer_form.unwrap_or_else(|| OfferWording::from_settings(&settings)),
            benefits => BENEFITS, errors => field_errors(&x.errors), which => x.which,
        },
    )
}

pub async fn plans(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    staff.require(Action::ManagePlans, Ownership::NotApplicable)?;
    plans_page(&state, &staff, PlansExtras::default()).await
}

/// Creates a plan, or updates the one with the slug.
pub async fn save_plan(State(state): State<AppState>, staff: Staff, body: Bytes) -> AppResult<Response> {
    staff.require(Action::ManagePlans, Ownership::NotApplicable)?;
    let p = pairs(&body)?;
    staff.check_csrf(&state, get(&p, "csrf"))?;
    let form = PlanForm::parse(&p);
    let (plan, position) = match form.to_plan() {
        Ok(x) => x,
        Err(errors) => return plans_page(&state, &staff, PlansExtras { plan_form: Some(form), errors, which: "plan", ..Default::default() }).await,
    };
    let saved = state.db.upsert_plan(&plan, position, Utc::now()).await?;
    state.reload().await.map_err(AppError::internal)?;
    audit(
        &state,
        &staff,
        "plan.save",
        &format!("plan:{}", saved.slug),
        &format!("{} at {} a {}{}", saved.name, format_money(saved.price_minor, &saved.currency), saved.interval.as_str(), if saved.active { "" } else { " (not on offer)" }),
    )
    .await?;
    Ok(Redirect::to("/admin/plans#plans").into_response())
}

pub async fn save_paywall(State(state): State<AppState>, staff: Staff, body: Bytes) -> AppResult<Response> {
    staff.require(Action::ManageSettings, Ownership::NotApplicable)?;
    let p = pairs(&body)?;
    staff.check_csrf(&state, get(&p, "csrf"))?;
    let form = PaywallForm::parse(&p);
    let paywall = match form.to_paywall() {
        Ok(x) => x,
        Err(errors) => return plans_page(&state, &staff, PlansExtras { paywall_form: Some(form), errors, which: "paywall", ..Default::default() }).await,
    };
    let json = serde_json::to_string(&paywall).map_err(AppError::internal)?;
    state.db.set_setting(SETTINGS_KEY, &json).await?;
    state.reload().await.map_err(AppError::internal)?;
    let m = &paywall.meter;
    audit(&state, &staff, "paywall.save", "setting:paywall", &format!("{} free anonymous, {} registered, preview {} blocks", m.anonymous_quota, m.registered_quota, m.preview_blocks)).await?;
    Ok(Redirect::to("/admin/plans#paywall").into_response())
}

pub async fn save_offer(State(state): State<AppState>, staff: Staff, body: Bytes) -> AppResult<Response> {
    staff.require(Action::ManageSettings, Ownership::NotApplicable)?;
    let p = pairs(&body)?;
    staff.check_csrf(&state, get(&p, "csrf"))?;
    let offer = OfferWording {
        limit_heading: get(&p, "limit_heading").trim().into(),
        subscribers_heading: get(&p, "subscribers_heading").trim().into(),
        lede: get(&p, "lede").trim().into(),
        benefits: get(&p, "benefits").replace("\r\n", "\n").trim().into(),
        end_prompt: get(&p, "end_prompt").trim().into(),
    };
    let too_long: Vec<FieldError> = [("limit_heading", &offer.limit_heading), ("subscribers_heading", &offer.subscribers_heading), ("lede", &offer.lede), ("end_prompt", &offer.end_prompt)]
        .iter()
        .filter(|(_, v)| v.chars().count() > 500)
        .map(|(f, _)| FieldError::new(*f, "at most 500 characters"))
        .collect();
    if !too_long.is_empty() {
        return plans_page(&state, &staff, PlansExtras { offer_form: Some(offer), errors: too_long, which: "offer", ..Default::default() }).await;
    }
    state.db.set_setting(OFFER_KEY, &serde_json::to_string(&offer).map_err(AppError::internal)?).await?;
    state.reload().await.map_err(AppError::internal)?;
    audit(&state, &staff, "offer.save", "setting:offer", "changed the offer's wording").await?;
    Ok(Redirect::to("/admin/plans#offer").into_response())
}

/// The site's settings as the form shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SettingsForm {
    pub name: String,
    pub tagline: String,
    pub description: String,
    pub language: String,
    pub accent: String,
    pub link: String,
    pub paper: String,
    /// One link a line: "Name | /path".
    pub navigation: String,
}

pub const SITE_KEYS: [&str; 8] =
    ["site.name", "site.tagline", "site.description", "site.language", "site.accent", "site.link", "site.paper", "site.navigation"];

fn is_color(s: &str) -> bool {
    s.is_empty() || (s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses the navigation setting: "Name | /path" lines, site paths or
/// http(s) addresses only.
pub fn parse_navigation(text: &str) -> Result<Vec<crate::views::Link>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty()) {
        let (name, url) = line.split_once('|').ok_or_else(|| format!("line {}: write \"Name | /path\"", i + 1))?;
        let (name, url) = (name.trim(), url.trim());
        let safe = (url.starts_with('/') && !url.starts_with("//")) || url.starts_with("https://") || url.starts_with("http://");
        if name.is_empty() || !safe || url.contains(char::is_whitespace) {
            return Err(format!("line {}: a name, then a path starting with / or an http(s) address", i + 1));
        }
        out.push(crate::views::Link { name: name.to_string(), url: url.to_string() });
    }
    Ok(out)
}

pub async fn settings(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    staff.require(Action::ManageSettings, Ownership::NotApplicable)?;
    let s = state.db.settings().await?;
    let g = |k: &str| s.get(k).cloned().unwrap_or_default();
    let form = SettingsForm {
        name: g("site.name"),
        tagline: g("site.tagline"),
        description: g("site.description"),
        language: g("site.language"),
        accent: g("site.accent"),
        link: g("site.link"),
        paper: g("site.paper"),
        navigation: g("site.navigation"),
    };
    page_with_status(&state, &staff, "admin/settings.html", "/admin/settings", StatusCode::OK, minijinja::context! { form, errors => field_errors(&[]) })
}

pub async fn save_settings(State(state): State<AppState>, staff: Staff, body: Bytes) -> AppResult<Response> {
    staff.require(Action::ManageSettings, Ownership::NotApplicable)?;
    let p = pairs(&body)?;
    staff.check_csrf(&state, get(&p, "csrf"))?;
    let form = SettingsForm {
        name: get(&p, "name").trim().into(),
        tagline: get(&p, "tagline").trim().into(),
        description: get(&p, "description").trim().into(),
        language: get(&p, "language").trim().into(),
        accent: get(&p, "accent").trim().to_lowercase(),
        link: get(&p, "link").trim().to_lowercase(),
        paper: get(&p, "paper").trim().to_lowercase(),
        navigation: get(&p, "navigation").replace("\r\n", "\n").trim().into(),
    };
    let mut errs = Vec::new();
    if form.name.is_empty() {
        errs.push(FieldError::new("name", "the publication needs a name"));
    }
    if form.name.chars().count() > 120 {
        errs.push(FieldError::new("name", "at most 120 characters"));
    }
    if form.tagline.chars().count() > 200 {
        errs.push(FieldError::new("tagline", "at most 200 characters"));
    }
    if !form.language.is_empty() && !masthead_core::is_language_tag(&form.language) {
        errs.push(FieldError::new("language", "a language tag such as en or en-GB"));
    }
    for (f, v) in [("accent", &form.accent), ("link", &form.link), ("paper", &form.paper)] {
        if !is_color(v) {
            errs.push(FieldError::new(f, "a colour like #7a1f1f, or empty for the theme's"));
        }
    }
    if let Err(m) = parse_navigation(&form.navigation) {
        errs.push(FieldError::new("navigation", m));
    }
    if !errs.is_empty() {
        return page_with_status(&state, &staff, "admin/settings.html", "/admin/settings", StatusCode::UNPROCESSABLE_ENTITY, minijinja::context! { form, errors => field_errors(&errs) });
    }
    let values = [&form.name, &form.tagline, &form.description, &form.language, &form.accent, &form.link, &form.paper, &form.navigation];
    for (k, v) in SITE_KEYS.iter().zip(values) {
        state.db.set_setting(k, v).await?;
    }
    state.reload().await.map_err(AppError::internal)?;
    audit(&state, &staff, "settings.save", "setting:site", &format!("name \"{}\", tagline \"{}\"", form.name, form.tagline)).await?;
    Ok(Redirect::to("/admin/settings?saved=1").into_response())
}

/// The publisher's colours as CSS custom properties, linked after the
/// theme's stylesheet (inline styles are not allowed by the CSP).
pub async fn colors_css(State(state): State<AppState>) -> Response {
    let site = state.site();
    let mut css = String::from(":root {");
    for (var, value) in [("--accent", &site.accent), ("--link", &site.link), ("--paper", &site.paper)] {
        // Only #rrggbb values are ever stored; checked again here.
        if !value.is_empty() && is_color(value) {
            css.push_str(&format!(" {var}: {value};"));
        }
    }
    css.push_str(" }\n");
    ([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"), (axum::http::header::CACHE_CONTROL, "public, max-age=31536000, immutable")], css).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_exactly() {
        assert_eq!(parse_price("2.90"), Some(290));
        assert_eq!(parse_price("19.9"), Some(1990));
        assert_eq!(parse_price("19"), Some(1900));
        assert_eq!(parse_price("0.05"), Some(5));
        for bad in ["", "2,90", "-1", "2.905", "abc", "1e3", ".5"] {
            assert_eq!(parse_price(bad), None, "{bad}");
        }
    }

    #[test]
    fn navigation_lines() {
        let n = parse_navigation("World | /section/world\n\nAbout | https://example.org/about").unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(n[1].url, "https://example.org/about");
        assert!(parse_navigation("Evil | javascript:alert(1)").is_err());
        assert!(parse_navigation("No pipe here").is_err());
        assert!(parse_navigation("Proto | //evil.example").is_err());
    }

    #[test]
    fn offer_benefits_mark_new_ones() {
        let o = OfferWording { benefits: "Archives\nA weekly magazine (NEW)\n".into(), ..Default::default() };
        assert_eq!(o.benefit_lines(), vec![("Archives".to_string(), false), ("A weekly magazine".to_string(), true)]);
    }
}
