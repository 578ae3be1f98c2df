//! Staff accounts: the people who run the desk. Passwords arrive here
//! already hashed; hashing happens off the async threads, upstream.

use chrono::{DateTime, Utc};
use masthead_core::staff::Role;

use crate::{Db, DbError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    password_hash: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<StaffRow> for StaffMember {
    type Error = DbError;
    fn try_from(r: StaffRow) -> Result<Self> {
        Ok(StaffMember {
            role: Role::parse(&r.role).ok_or_else(|| DbError::corrupt("staff.role", &r.role))?,
            id: r.id,
            email: r.email,
            name: r.name,
            password_hash: r.password_hash,
            created_at: r.created_at,
        })
    }
}

impl Db {
    /// Adds a staff member; an address already on staff is a conflict.
    pub async fn create_staff(&self, email: &str, name: &str, role: Role, password_hash: &str, now: DateTime<Utc>) -> Result<StaffMember> {
        let email = email.trim().to_lowercase();
        let row: std::result::Result<StaffRow, sqlx::Error> = on_write!(self, pool => sqlx::query_as(
            "INSERT INTO staff (email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *",
        ).bind(&email).bind(name).bind(role.as_str()).bind(password_hash).bind(now).fetch_one(pool).await);
        match row {
            Ok(r) => r.try_into(),
            Err(e) => {
                let e = DbError::from(e);
                if e.is_unique_violation() {
                    Err(DbError::Conflict(format!("{email} is already on staff")))
                } else {
                    Err(e)
                }
            }
        }
    }

    pub async fn staff_by_email(&self, email: &str) -> Result<Option<StaffMember>> {
        let row: Option<StaffRow> = on_read!(self, pool => sqlx::query_as("SELECT * FROM staff WHERE email = $1").bind(email.trim().to_lowercase()).fetch_optional(pool).await?);
        row.map(StaffMember::try_from).transpose()
    }

    pub async fn set_staff_password(&self, id: i64, password_hash: &str) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2").bind(password_hash).bind(id).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }
}

impl Db {
    pub async fn staff_by_id(&self, id: i64) -> Result<Option<StaffMember>> {
        let row: Option<StaffRow> = on_read!(self, pool => sqlx::query_as("SELECT * FROM staff WHERE id = $1").bind(id).fetch_optional(pool).await?);
        row.map(StaffMember::try_from).transpose()
    }

    pub async fn staff(&self) -> Result<Vec<StaffMember>> {
        let rows: Vec<StaffRow> = on_read!(self, pool => sqlx::query_as("SELECT * FROM staff ORDER BY id").fetch_all(pool).await?);
        rows.into_iter().map(StaffMember::try_from).collect()
    }
}
