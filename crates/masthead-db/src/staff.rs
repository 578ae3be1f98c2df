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
    /// Base32 secret of the TOTP second factor, when it is on.
    pub totp_secret: Option<String>,
    /// A disabled member cannot sign in or use their tokens.
    pub disabled_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    password_hash: String,
    created_at: DateTime<Utc>,
    totp_secret: Option<String>,
    disabled_at: Option<DateTime<Utc>>,
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
            totp_secret: r.totp_secret,
            disabled_at: r.disabled_at,
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

impl Db {
    pub async fn set_staff_role(&self, id: i64, role: Role) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("UPDATE staff SET role = $1 WHERE id = $2").bind(role.as_str()).bind(id).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    pub async fn set_staff_name(&self, id: i64, name: &str) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("UPDATE staff SET name = $1 WHERE id = $2").bind(name).bind(id).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Turns the second factor on (with its secret) or off (None).
    pub async fn set_staff_totp(&self, id: i64, secret: Option<&str>) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("UPDATE staff SET totp_secret = $1 WHERE id = $2").bind(secret).bind(id).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Disables (Some(time)) or re-enables (None) a staff account.
    pub async fn set_staff_disabled(&self, id: i64, at: Option<DateTime<Utc>>) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("UPDATE staff SET disabled_at = $1 WHERE id = $2").bind(at).bind(id).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Enabled staff with a role, to keep at least one owner.
    pub async fn count_active_staff_with_role(&self, role: Role) -> Result<i64> {
        let n: i64 = on_read!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE role = $1 AND disabled_at IS NULL").bind(role.as_str()).fetch_one(pool).await?);
        Ok(n)
    }
}
