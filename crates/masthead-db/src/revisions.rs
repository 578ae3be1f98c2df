//! Article revisions: every save keeps the editor's draft as it was, so
//! the desk can compare two versions and restore an old one. Autosaves are
//! revisions too, one per article and staff member (the newest replaces
//! the last), and never touch the article itself.

use chrono::{DateTime, Utc};
use masthead_core::ArticleDraft;

use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionKind {
    /// Created or saved by an editor.
    Save,
    /// Kept by the editor's script while typing.
    Autosave,
    /// An older revision brought back.
    Restore,
}

impl RevisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionKind::Save => "save",
            RevisionKind::Autosave => "autosave",
            RevisionKind::Restore => "restore",
        }
    }
    fn parse(s: &str) -> Result<Self> {
        match s {
            "save" => Ok(RevisionKind::Save),
            "autosave" => Ok(RevisionKind::Autosave),
            "restore" => Ok(RevisionKind::Restore),
            other => Err(DbError::corrupt("article_revisions.kind", other)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub id: i64,
    pub article_id: i64,
    /// The article's revision counter this save made (an autosave: the
    /// one it was typed on top of).
    pub revision: i64,
    pub kind: RevisionKind,
    pub staff_id: Option<i64>,
    /// Who, by name, when known.
    pub staff_name: Option<String>,
    pub draft: ArticleDraft,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    id: i64,
    article_id: i64,
    revision: i64,
    kind: String,
    staff_id: Option<i64>,
    staff_name: Option<String>,
    draft_json: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<RevisionRow> for Revision {
    type Error = DbError;
    fn try_from(r: RevisionRow) -> Result<Self> {
        Ok(Revision {
            kind: RevisionKind::parse(&r.kind)?,
            draft: serde_json::from_str(&r.draft_json).map_err(|e| DbError::corrupt("article_revisions.draft_json", e))?,
            id: r.id,
            article_id: r.article_id,
            revision: r.revision,
            staff_id: r.staff_id,
            staff_name: r.staff_name,
            created_at: r.created_at,
        })
    }
}

const COLS: &str = "r.id, r.article_id, r.revision, r.kind, r.staff_id, s.name AS staff_name, r.draft_json, r.created_at";

impl Db {
    pub async fn add_revision(
        &self,
        article_id: i64,
        revision: i64,
        kind: RevisionKind,
        staff_id: Option<i64>,
        draft: &ArticleDraft,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let json = serde_json::to_string(draft).map_err(|e| DbError::corrupt("article draft", e))?;
        let id: i64 = on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            if kind == RevisionKind::Autosave {
                sqlx::query("DELETE FROM article_revisions WHERE article_id = $1 AND kind = 'autosave' AND staff_id = $2")
                    .bind(article_id).bind(staff_id).execute(&mut *tx).await?;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO article_revisions (article_id, revision, kind, staff_id, draft_json, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            ).bind(article_id).bind(revision).bind(kind.as_str()).bind(staff_id).bind(&json).bind(now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// An article's revisions, newest first.
    pub async fn revisions(&self, article_id: i64) -> Result<Vec<Revision>> {
        let sql = format!("SELECT {COLS} FROM article_revisions r LEFT JOIN staff s ON s.id = r.staff_id WHERE r.article_id = $1 ORDER BY r.id DESC");
        let rows: Vec<RevisionRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(article_id).fetch_all(pool).await?);
        rows.into_iter().map(Revision::try_from).collect()
    }

    pub async fn revision(&self, id: i64) -> Result<Revision> {
        let sql = format!("SELECT {COLS} FROM article_revisions r LEFT JOIN staff s ON s.id = r.staff_id WHERE r.id = $1");
        let row: Option<RevisionRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        row.ok_or(DbError::NotFound)?.try_into()
    }

    /// This staff member's autosave of an article, if it is newer than the
    /// article's last save.
    pub async fn pending_autosave(&self, article_id: i64, staff_id: i64, saved_at: DateTime<Utc>) -> Result<Option<Revision>> {
        let sql = format!(
            "SELECT {COLS} FROM article_revisions r LEFT JOIN staff s ON s.id = r.staff_id
             WHERE r.article_id = $1 AND r.kind = 'autosave' AND r.staff_id = $2 AND r.created_at > $3 ORDER BY r.id DESC LIMIT 1"
        );
        let row: Option<RevisionRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(article_id).bind(staff_id).bind(saved_at).fetch_optional(pool).await?);
        row.map(Revision::try_from).transpose()
    }

    /// Who started an article, if a staff member did.
    pub async fn article_owner(&self, article_id: i64) -> Result<Option<i64>> {
        let row: Option<Option<i64>> = on_read!(self, pool => sqlx::query_scalar("SELECT created_by FROM articles WHERE id = $1").bind(article_id).fetch_optional(pool).await?);
        row.ok_or(DbError::NotFound)
    }

    pub async fn set_article_owner(&self, article_id: i64, staff_id: i64) -> Result<()> {
        on_write!(self, pool => sqlx::query("UPDATE articles SET created_by = $1 WHERE id = $2").bind(staff_id).bind(article_id).execute(pool).await?.rows_affected());
        Ok(())
    }
}
