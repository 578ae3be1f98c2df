//! The record of each uploaded image: its size and whether its responsive
//! renditions are made yet. The bytes live in the media store, not here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::{Db, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MediaRecord {
    pub key: String,
    pub kind: String,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub original_name: String,
    pub renditions_ready: bool,
    pub created_at: DateTime<Utc>,
}

impl Db {
    /// Records an upload; the same picture uploaded twice is one record.
    pub async fn insert_media(&self, m: &MediaRecord) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO media (key, kind, width, height, bytes, original_name, renditions_ready, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&m.key).bind(&m.kind).bind(m.width).bind(m.height).bind(m.bytes).bind(&m.original_name)
        .bind(m.renditions_ready).bind(m.created_at)
        .execute(pool).await?.rows_affected());
        Ok(())
    }

    pub async fn media(&self, key: &str) -> Result<Option<MediaRecord>> {
        let r = on_read!(self, pool => sqlx::query_as("SELECT * FROM media WHERE key = $1").bind(key).fetch_optional(pool).await?);
        Ok(r)
    }

    pub async fn mark_renditions_ready(&self, key: &str) -> Result<()> {
        on_write!(self, pool => sqlx::query("UPDATE media SET renditions_ready = TRUE WHERE key = $1").bind(key).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Every image's dimensions, keyed by media key, for the renderer.
    pub async fn media_dimensions(&self) -> Result<HashMap<String, (u32, u32)>> {
        let rows: Vec<(String, i64, i64)> = on_read!(self, pool => sqlx::query_as("SELECT key, width, height FROM media").fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(k, w, h)| (k, (u32::try_from(w).unwrap_or(0), u32::try_from(h).unwrap_or(0))))
            .collect())
    }
}
