//! The numbers, as server-rendered SVG charts from first-party data: the
//! paywall funnel (from the daily counters the site and billing feed),
//! subscribers and monthly recurring revenue over time and churn (from
//! the subscriptions), trial conversion, and the most read articles.

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Duration, NaiveDate, Utc};
use masthead_core::billing::{format_money, Interval, SubscriptionStatus};
use masthead_core::numbers::{daily, monthly_churn, rate, Span};
use masthead_core::staff::{Action, Ownership};
use serde::Deserialize;

use super::page;
use crate::auth::Staff;
use crate::charts::{self, Series};
use crate::counters::{ARTICLE_READ, CHECKOUT_STARTED, METER_VIEW, OFFER_SHOWN, TRIAL_CONVERTED, TRIAL_STARTED};
use crate::{AppError, AppResult, AppState};

#[derive(Deserialize)]
pub struct NumbersQuery {
    days: Option<String>,
}

pub const PERIODS: [i64; 4] = [7, 30, 90, 365];

fn count(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else {
        format!("{v:.0}")
    }
}

fn percent(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

pub async fn numbers(State(state): State<AppState>, staff: Staff, Query(q): Query<NumbersQuery>) -> AppResult<Response> {
    staff.require(Action::ViewNumbers, Ownership::NotApplicable)?;
    let days: i64 = match q.days.as_deref() {
        None | Some("") => 30,
        Some(d) => d.parse().ok().filter(|d| PERIODS.contains(d)).ok_or_else(|| AppError::BadRequest("choose 7, 30, 90 or 365 days".into()))?,
    };
    let today = Utc::now().date_naive();
    let from = today - Duration::days(days - 1);
    let db = &state.db;

    // The funnel, over the period.
    let stages = [
        ("Meter views", METER_VIEW),
        ("Offers shown", OFFER_SHOWN),
        ("Checkouts started", CHECKOUT_STARTED),
        ("Trials started", TRIAL_STARTED),
        ("Trials converted", TRIAL_CONVERTED),
    ];
    let mut funnel = Vec::new();
    for (label, name) in stages {
        funnel.push((label.to_string(), db.counter_total(name, from, today).await? as f64));
    }
    let funnel_svg = charts::bars(&format!("Paywall funnel, last {days} days"), &funnel, &count);
    let trial_rate = rate(funnel[4].1 as i64, funnel[3].1 as i64);
    let offer_to_checkout = rate(funnel[2].1 as i64, funnel[1].1 as i64);

    // Day by day: reads and offers.
    let dates: Vec<NaiveDate> = (0..days).map(|i| from + Duration::days(i)).collect();
    let labels: Vec<String> = dates.iter().map(|d| d.format("%b %-d").to_string()).collect();
    let by_day = |series: Vec<(NaiveDate, i64)>| -> Vec<f64> {
        dates.iter().map(|d| series.iter().find(|(x, _)| x == d).map(|(_, v)| *v as f64).unwrap_or(0.0)).collect()
    };
    let views = by_day(db.counter_series(METER_VIEW, from, today).await?);
    let offers = by_day(db.counter_series(OFFER_SHOWN, from, today).await?);
    let daily_svg = charts::line(
        "Meter views and offers shown per day",
        &labels,
        &[Series { name: "Meter views", values: views }, Series { name: "Offers shown", values: offers }],
        &count,
    );

    // Subscribers and revenue, from the subscriptions.
    let spans: Vec<Span> = db
        .subscription_history()
        .await?
        .iter()
        .filter_map(|r| {
            Some(Span::of(SubscriptionStatus::parse(&r.status)?, r.created_at, r.updated_at, r.trial_end, r.price_minor, Interval::parse(&r.interval)?))
        })
        .collect();
    let currency = db.subscription_history().await?.first().map(|r| r.currency.clone()).unwrap_or_else(|| "USD".into());
    let per_day = daily(&spans, &dates);
    let subs_svg = charts::line(
        "Subscribers (trialing and paying)",
        &labels,
        &[Series { name: "Subscribers", values: per_day.iter().map(|(_, s, _)| *s as f64).collect() }],
        &count,
    );
    let cur = currency.clone();
    let mrr_svg = charts::line(
        "Monthly recurring revenue",
        &labels,
        &[Series { name: "MRR", values: per_day.iter().map(|(_, _, m)| *m as f64).collect() }],
        &move |v| format_money(v as i64, &cur),
    );
    let churn = monthly_churn(&spans, today, 6);
    let churn_svg = charts::columns(
        "Churn per month (ended ÷ active at the month's start)",
        &churn.iter().map(|(m, r)| (m.format("%b %Y").to_string(), *r)).collect::<Vec<_>>(),
        &percent,
    );
    let (now_subs, now_mrr) = per_day.last().map(|(_, s, m)| (*s, *m)).unwrap_or((0, 0));

    // Most read, over the period.
    let top = db.counter_top(ARTICLE_READ, from, today, 10).await?;
    let mut most_read = Vec::new();
    for (item, reads) in top {
        let Ok(id) = item.parse::<i64>() else { continue };
        match db.article_by_id(id).await {
            Ok(a) => most_read.push(minijinja::context! { headline => a.headline, url => crate::views::article_url(&a.slug), id, reads }),
            Err(masthead_db::DbError::NotFound) => most_read.push(minijinja::context! { headline => "(deleted article)", id, reads }),
            Err(e) => return Err(e.into()),
        }
    }

    page(
        &state,
        &staff,
        "admin/numbers.html",
        "/admin/numbers",
        minijinja::context! {
            days, periods => PERIODS,
            funnel => funnel.iter().map(|(l, v)| minijinja::context! { label => l, value => *v as i64 }).collect::<Vec<_>>(),
            funnel_svg, daily_svg, subs_svg, mrr_svg, churn_svg,
            trial_rate => trial_rate.map(percent), offer_to_checkout => offer_to_checkout.map(percent),
            now_subs, now_mrr => format_money(now_mrr, &currency), most_read,
        },
    )
}
