//! The archive by date: how many stories each year, month and day holds,
//! and the stories of a span, for the /archive pages. Dates are UTC.

use chrono::{DateTime, Utc};
use masthead_core::Teaser;

use crate::articles::{TeaserRow, TEASER_COLS};
use crate::{Backend, Db, Page, Result};

/// One year, month or day of the archive and its number of stories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateCount {
    pub value: u32,
    pub count: i64,
}

/// A part of a timestamp column, as text ("2024", "05", "17"). Date
/// functions are the one thing here the backends spell differently.
fn date_part(backend: Backend, unit: char) -> &'static str {
    match (backend, unit) {
        (Backend::Sqlite, 'Y') => "strftime('%Y', published_at)",
        (Backend::Sqlite, 'M') => "strftime('%m', published_at)",
        (Backend::Sqlite, _) => "strftime('%d', published_at)",
        (Backend::Postgres, 'Y') => "to_char(published_at AT TIME ZONE 'UTC', 'YYYY')",
        (Backend::Postgres, 'M') => "to_char(published_at AT TIME ZONE 'UTC', 'MM')",
        (Backend::Postgres, _) => "to_char(published_at AT TIME ZONE 'UTC', 'DD')",
    }
}

impl Db {
    /// Published stories in [from, to), counted by year ('Y'), month ('M')
    /// or day ('D'), in calendar order.
    pub async fn archive_counts(&self, unit: char, from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<DateCount>> {
        let part = date_part(self.backend(), unit);
        let sql = format!(
            "SELECT {part} AS k, COUNT(*) AS n FROM articles
             WHERE status = 'published' AND published_at <= $1 AND published_at >= $2 AND published_at < $3
             GROUP BY {part} ORDER BY 1"
        );
        let rows: Vec<(String, i64)> =
            on_read!(self, pool => sqlx::query_as(&sql).bind(now).bind(from).bind(to).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .filter_map(|(k, count)| k.trim().parse::<u32>().ok().map(|value| DateCount { value, count }))
            .collect())
    }

    /// Published stories in [from, to), oldest first, as the day's paper ran.
    pub async fn archive_page(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<Teaser>> {
        let (limit, offset) = (limit.clamp(1, 200), offset.max(0));
        let cond = "a.status = 'published' AND a.published_at <= $1 AND a.published_at >= $2 AND a.published_at < $3";
        let list = format!("SELECT {TEASER_COLS} FROM articles a WHERE {cond} ORDER BY a.published_at, a.id LIMIT $4 OFFSET $5");
        let count = format!("SELECT COUNT(*) FROM articles a WHERE {cond}");
        let (rows, total): (Vec<TeaserRow>, i64) = on_read!(self, pool => (
            sqlx::query_as(&list).bind(now).bind(from).bind(to).bind(limit).bind(offset).fetch_all(pool).await?,
            sqlx::query_scalar(&count).bind(now).bind(from).bind(to).fetch_one(pool).await?,
        ));
        Ok(Page { items: self.teasers(rows).await?, total })
    }
}
