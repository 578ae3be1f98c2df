//! Authors, topics, regions and sections: the records an article points to,
//! each with a page of its own.

use std::collections::HashMap;

use masthead_core::{Author, Tag, TagKind};

use crate::{placeholders, Db, DbError, Result};

#[derive(sqlx::FromRow)]
struct TagRow {
    id: i64,
    slug: String,
    name: String,
    description: String,
}

impl From<TagRow> for Tag {
    fn from(r: TagRow) -> Self {
        Tag { id: r.id, slug: r.slug, name: r.name, description: r.description }
    }
}

#[derive(sqlx::FromRow)]
struct AuthorRow {
    id: i64,
    slug: String,
    name: String,
    title: String,
    bio: String,
}

impl From<AuthorRow> for Author {
    fn from(r: AuthorRow) -> Self {
        Author { id: r.id, slug: r.slug, name: r.name, title: r.title, bio: r.bio }
    }
}

impl Db {
    /// Creates a topic, region or section, or updates the one with that slug.
    pub async fn upsert_tag(&self, kind: TagKind, slug: &str, name: &str, description: &str) -> Result<Tag> {
        masthead_core::slug::validate_slug(slug).map_err(|e| DbError::Conflict(e.to_string()))?;
        let sql = format!(
            "INSERT INTO {} (slug, name, description) VALUES ($1, $2, $3)
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name, description = excluded.description
             RETURNING id, slug, name, description",
            kind.table()
        );
        let row: TagRow = on_write!(self, pool => sqlx::query_as(&sql).bind(slug).bind(name).bind(description).fetch_one(pool).await?);
        Ok(row.into())
    }

    /// All tags of a kind; sections in their set order, the rest by name.
    pub async fn tags(&self, kind: TagKind) -> Result<Vec<Tag>> {
        let order = if kind == TagKind::Section { "position, name" } else { "name" };
        let sql = format!("SELECT id, slug, name, description FROM {} ORDER BY {order}", kind.table());
        let rows: Vec<TagRow> = on_read!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Tag::from).collect())
    }

    pub async fn tag_by_slug(&self, kind: TagKind, slug: &str) -> Result<Option<Tag>> {
        let sql = format!("SELECT id, slug, name, description FROM {} WHERE slug = $1", kind.table());
        let row: Option<TagRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(slug).fetch_optional(pool).await?);
        Ok(row.map(Tag::from))
    }

    pub(crate) async fn tags_by_ids(&self, kind: TagKind, ids: &[i64]) -> Result<HashMap<i64, Tag>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT id, slug, name, description FROM {} WHERE id IN ({})",
            kind.table(),
            placeholders(0, ids.len())
        );
        let rows: Vec<TagRow> = on_read!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(|r| (r.id, Tag::from(r))).collect())
    }

    /// Sets the order sections appear in the navigation.
    pub async fn set_section_position(&self, slug: &str, position: i64) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("UPDATE sections SET position = $1 WHERE slug = $2").bind(position).bind(slug).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    pub async fn upsert_author(&self, slug: &str, name: &str, title: &str, bio: &str) -> Result<Author> {
        masthead_core::slug::validate_slug(slug).map_err(|e| DbError::Conflict(e.to_string()))?;
        let row: AuthorRow = on_write!(self, pool => sqlx::query_as(
            "INSERT INTO authors (slug, name, title, bio) VALUES ($1, $2, $3, $4)
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name, title = excluded.title, bio = excluded.bio
             RETURNING id, slug, name, title, bio",
        ).bind(slug).bind(name).bind(title).bind(bio).fetch_one(pool).await?);
        Ok(row.into())
    }

    pub async fn authors(&self) -> Result<Vec<Author>> {
        let rows: Vec<AuthorRow> = on_read!(self, pool => sqlx::query_as("SELECT id, slug, name, title, bio FROM authors ORDER BY name").fetch_all(pool).await?);
        Ok(rows.into_iter().map(Author::from).collect())
    }

    pub async fn author_by_slug(&self, slug: &str) -> Result<Option<Author>> {
        let row: Option<AuthorRow> = on_read!(self, pool => sqlx::query_as("SELECT id, slug, name, title, bio FROM authors WHERE slug = $1").bind(slug).fetch_optional(pool).await?);
        Ok(row.map(Author::from))
    }
}
