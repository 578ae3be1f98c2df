//! The audit log: who changed what in the desk or through the Admin API,
//! and when. The actor's name is copied in, so the record outlives the
//! staff account.

use chrono::{DateTime, Utc};

use crate::articles::Page;
use crate::{Db, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub staff_id: Option<i64>,
    pub actor: String,
    /// What was done, e.g. "article.publish", "staff.invite".
    pub action: String,
    /// What it was done to, e.g. "article:42".
    pub target: String,
    pub summary: String,
    pub created_at: DateTime<Utc>,
}

/// One thing to record.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub staff_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub summary: &'a str,
}

impl Db {
    pub async fn record_audit(&self, r: &AuditRecord<'_>, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO audit_log (staff_id, actor, action, target, summary, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        ).bind(r.staff_id).bind(r.actor).bind(r.action).bind(r.target).bind(r.summary).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Newest first; `target` narrows to one record ("article:42").
    pub async fn audit_log(&self, target: Option<&str>, limit: i64, offset: i64) -> Result<Page<AuditEntry>> {
        let (limit, offset) = (limit.clamp(1, 500), offset.max(0));
        let (items, total): (Vec<AuditEntry>, i64) = match target {
            Some(t) => on_read!(self, pool => (
                sqlx::query_as("SELECT * FROM audit_log WHERE target = $1 ORDER BY id DESC LIMIT $2 OFFSET $3")
                    .bind(t).bind(limit).bind(offset).fetch_all(pool).await?,
                sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE target = $1").bind(t).fetch_one(pool).await?,
            )),
            None => on_read!(self, pool => (
                sqlx::query_as("SELECT * FROM audit_log ORDER BY id DESC LIMIT $1 OFFSET $2").bind(limit).bind(offset).fetch_all(pool).await?,
                sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(pool).await?,
            )),
        };
        Ok(Page { items, total })
    }
}
