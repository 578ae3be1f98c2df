//! Publication settings as key/value pairs (name, tagline, ...), read
//! once at start and after an edit.

use std::collections::HashMap;

use crate::{Db, Result};

impl Db {
    pub async fn settings(&self) -> Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> = on_read!(self, pool => sqlx::query_as("SELECT key, value FROM settings").fetch_all(pool).await?);
        Ok(rows.into_iter().collect())
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        ).bind(key).bind(value).execute(pool).await?.rows_affected());
        Ok(())
    }
}
