//! The archive by date: /archive (years), /archive/{year} (months),
//! /archive/{year}/{month} (days), /archive/{year}/{month}/{day} (the
//! day's stories, paginated). These pages list teasers only, the same for
//! every reader; whether an old article may be read is the article page's
//! decision (`decide` cuts articles beyond the archive age for readers
//! without the Archives benefit).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Months, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::site::{cached, chrome, PER_PAGE};
use crate::views::{Link, Pagination, TeaserView};
use crate::{AppError, AppResult, AppState};

#[derive(Deserialize)]
pub struct PageParam {
    page: Option<String>,
}

fn page_of(p: &PageParam) -> AppResult<i64> {
    match p.page.as_deref() {
        None | Some("") => Ok(1),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=100_000).contains(&n) => Ok(n),
            _ => Err(AppError::BadRequest(format!("\"{}\" is not a page number", s.chars().take(20).collect::<String>()))),
        },
    }
}

/// One entry of a years, months or days list.
#[derive(Serialize)]
struct Period {
    label: String,
    url: String,
    count: i64,
}

fn midnight(d: NaiveDate) -> AppResult<DateTime<Utc>> {
    d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t)).ok_or(AppError::NotFound)
}

fn parse_year(s: &str) -> AppResult<i32> {
    s.parse::<i32>().ok().filter(|y| (1000..=9999).contains(y)).ok_or(AppError::NotFound)
}

fn parse_part(s: &str, max: u32) -> AppResult<u32> {
    s.parse::<u32>().ok().filter(|v| (1..=max).contains(v)).ok_or(AppError::NotFound)
}

fn month_name(m: u32) -> String {
    NaiveDate::from_ymd_opt(2000, m, 1).map(|d| d.format("%B").to_string()).unwrap_or_default()
}

fn render_periods(state: &AppState, path: &str, title: String, crumbs: Vec<Link>, periods: Vec<Period>, unit: &str) -> AppResult<String> {
    Ok(state.theme.render(
        "archive.html",
        minijinja::context! { chrome => chrome(state, path), title, crumbs, periods, unit },
    )?)
}

/// GET /archive
pub async fn years(State(state): State<AppState>) -> AppResult<Response> {
    let s = state.clone();
    cached(&state, "/archive".into(), || async move {
        let from = midnight(NaiveDate::from_ymd_opt(1000, 1, 1).ok_or(AppError::NotFound)?)?;
        let to = midnight(NaiveDate::from_ymd_opt(9999, 12, 31).ok_or(AppError::NotFound)?)?;
        let counts = s.db.archive_counts('Y', from, to, Utc::now()).await?;
        let periods = counts
            .iter()
            .rev()
            .map(|c| Period { label: c.value.to_string(), url: format!("/archive/{}", c.value), count: c.count })
            .collect();
        render_periods(&s, "/archive", "The archive".into(), Vec::new(), periods, "year")
    })
    .await
}

/// GET /archive/{year}
pub async fn year(State(state): State<AppState>, Path(year): Path<String>) -> AppResult<Response> {
    let y = parse_year(&year)?;
    let s = state.clone();
    cached(&state, format!("/archive/{y}"), || async move {
        let from = midnight(NaiveDate::from_ymd_opt(y, 1, 1).ok_or(AppError::NotFound)?)?;
        let to = midnight(NaiveDate::from_ymd_opt(y + 1, 1, 1).ok_or(AppError::NotFound)?)?;
        let counts = s.db.archive_counts('M', from, to, Utc::now()).await?;
        if counts.is_empty() {
            return Err(AppError::NotFound);
        }
        let periods = counts
            .iter()
            .map(|c| Period { label: month_name(c.value), url: format!("/archive/{y}/{:02}", c.value), count: c.count })
            .collect();
        let crumbs = vec![Link { name: "Archive".into(), url: "/archive".into() }];
        render_periods(&s, &format!("/archive/{y}"), y.to_string(), crumbs, periods, "month")
    })
    .await
}

/// GET /archive/{year}/{month}
pub async fn month(State(state): State<AppState>, Path((year, month)): Path<(String, String)>) -> AppResult<Response> {
    let y = parse_year(&year)?;
    let m = parse_part(&month, 12)?;
    let s = state.clone();
    cached(&state, format!("/archive/{y}/{m:02}"), || async move {
        let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or(AppError::NotFound)?;
        let next = first.checked_add_months(Months::new(1)).ok_or(AppError::NotFound)?;
        let counts = s.db.archive_counts('D', midnight(first)?, midnight(next)?, Utc::now()).await?;
        if counts.is_empty() {
            return Err(AppError::NotFound);
        }
        let periods = counts
            .iter()
            .filter_map(|c| {
                let d = NaiveDate::from_ymd_opt(y, m, c.value)?;
                Some(Period { label: d.format("%A %-d").to_string(), url: format!("/archive/{y}/{m:02}/{:02}", c.value), count: c.count })
            })
            .collect();
        let crumbs = vec![Link { name: "Archive".into(), url: "/archive".into() }, Link { name: y.to_string(), url: format!("/archive/{y}") }];
        render_periods(&s, &format!("/archive/{y}/{m:02}"), format!("{} {y}", month_name(m)), crumbs, periods, "day")
    })
    .await
}

/// GET /archive/{year}/{month}/{day}
pub async fn day(
    State(state): State<AppState>,
    Path((year, month, day)): Path<(String, String, String)>,
    Query(p): Query<PageParam>,
) -> AppResult<Response> {
    let y = parse_year(&year)?;
    let m = parse_part(&month, 12)?;
    let d = parse_part(&day, 31)?;
    let page = page_of(&p)?;
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or(AppError::NotFound)?;
    let s = state.clone();
    cached(&state, format!("/archive/{y}/{m:02}/{d:02}?{page}"), || async move {
        let from = midnight(date)?;
        let to = midnight(date.succ_opt().ok_or(AppError::NotFound)?)?;
        let list = s.db.archive_page(from, to, Utc::now(), PER_PAGE, (page - 1) * PER_PAGE).await?;
        if list.items.is_empty() {
            return Err(AppError::NotFound);
        }
        let dims = s.dims();
        let items: Vec<TeaserView> = list.items.iter().map(|t| TeaserView::new(t, &dims)).collect();
        let base = format!("/archive/{y}/{m:02}/{d:02}");
        let pagination = Pagination::new(&base, page, PER_PAGE, list.total);
        let path = if page > 1 { format!("{base}?page={page}") } else { base.clone() };
        let crumbs = vec![
            Link { name: "Archive".into(), url: "/archive".into() },
            Link { name: y.to_string(), url: format!("/archive/{y}") },
            Link { name: month_name(m), url: format!("/archive/{y}/{m:02}") },
        ];
        Ok(s.theme.render(
            "archive_day.html",
            minijinja::context! {
                chrome => chrome(&s, &path),
                title => date.format("%A, %B %-d, %Y").to_string(),
                crumbs,
                items,
                pagination,
                total => list.total,
            },
        )?)
    })
    .await
}
