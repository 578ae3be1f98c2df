//! Readers' accounts and the single-use links they sign in with. Tokens are
//! stored as hashes only: a leaked table does not let anyone in.

use chrono::{DateTime, Utc};

use crate::{Db, DbError, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Reader {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub session_epoch: i64,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// What a sign-in link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Sign in (and create the account if it does not exist yet).
    Login,
    /// Confirm a change of email address.
    EmailChange,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Login => "login",
            TokenPurpose::EmailChange => "email_change",
        }
    }
}

/// A token that was valid and is now used.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UsedToken {
    pub email: String,
    pub reader_id: Option<i64>,
    pub new_email: Option<String>,
}

impl Db {
    pub async fn reader_by_email(&self, email: &str) -> Result<Option<Reader>> {
        let r = on_read!(self, pool => sqlx::query_as("SELECT * FROM readers WHERE email = $1").bind(email.trim().to_lowercase()).fetch_optional(pool).await?);
        Ok(r)
    }

    pub async fn reader_by_id(&self, id: i64) -> Result<Option<Reader>> {
        let r = on_read!(self, pool => sqlx::query_as("SELECT * FROM readers WHERE id = $1").bind(id).fetch_optional(pool).await?);
        Ok(r)
    }

    /// The reader with this address, created (verified) if new.
    pub async fn reader_for_verified_email(&self, email: &str, now: DateTime<Utc>) -> Result<Reader> {
        let email = email.trim().to_lowercase();
        let r: Reader = on_write!(self, pool => sqlx::query_as(
            "INSERT INTO readers (email, name, email_verified_at, session_epoch, created_at) VALUES ($1, '', $2, 1, $2)
             ON CONFLICT (email) DO UPDATE SET email_verified_at = COALESCE(readers.email_verified_at, excluded.email_verified_at)
             RETURNING *",
        ).bind(&email).bind(now).fetch_one(pool).await?);
        Ok(r)
    }

    /// Creates an account that is not yet verified (sign-up with password).
    pub async fn create_reader(&self, email: &str, password_hash: Option<&str>, now: DateTime<Utc>) -> Result<Reader> {
        let email = email.trim().to_lowercase();
        let r: std::result::Result<Reader, sqlx::Error> = on_write!(self, pool => sqlx::query_as(
            "INSERT INTO readers (email, name, password_hash, session_epoch, created_at) VALUES ($1, '', $2, 1, $3) RETURNING *",
        ).bind(&email).bind(password_hash).bind(now).fetch_one(pool).await);
        r.map_err(|e| {
            let e = DbError::from(e);
            if e.is_unique_violation() { DbError::Conflict("an account with this address exists".into()) } else { e }
        })
    }

    pub async fn set_reader_password(&self, id: i64, hash: &str) -> Result<()> {
        on_write!(self, pool => sqlx::query("UPDATE readers SET password_hash = $1, session_epoch = session_epoch + 1 WHERE id = $2")
            .bind(hash).bind(id).execute(pool).await?.rows_affected());
        Ok(())
    }

    pub async fn set_reader_name(&self, id: i64, name: &str) -> Result<()> {
        on_write!(self, pool => sqlx::query("UPDATE readers SET name = $1 WHERE id = $2").bind(name).bind(id).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Changes the address; refuses one that another account holds.
    pub async fn set_reader_email(&self, id: i64, email: &str, now: DateTime<Utc>) -> Result<()> {
        let r: std::result::Result<u64, sqlx::Error> = on_write!(self, pool => sqlx::query(
            "UPDATE readers SET email = $1, email_verified_at = $2 WHERE id = $3",
        ).bind(email.trim().to_lowercase()).bind(now).bind(id).execute(pool).await.map(|r| r.rows_affected()));
        match r {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = DbError::from(e);
                Err(if e.is_unique_violation() { DbError::Conflict("that address belongs to another account".into()) } else { e })
            }
        }
    }

    /// Signs the reader out everywhere: old session cookies stop working.
    pub async fn bump_session_epoch(&self, id: i64) -> Result<()> {
        on_write!(self, pool => sqlx::query("UPDATE readers SET session_epoch = session_epoch + 1 WHERE id = $1").bind(id).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Deletes the account and everything that hangs off it.
    pub async fn delete_reader(&self, id: i64) -> Result<()> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM meter_reads WHERE meter_key = $1").bind(format!("r:{id}")).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM readers WHERE id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores a new sign-in token (its hash) for an address.
    pub async fn create_login_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        email: &str,
        reader_id: Option<i64>,
        new_email: Option<&str>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO login_tokens (token_hash, purpose, email, reader_id, new_email, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        ).bind(token_hash).bind(purpose.as_str()).bind(email.trim().to_lowercase()).bind(reader_id).bind(new_email)
         .bind(expires_at).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Uses a token once: it must exist, be unexpired, unused and for this
    /// purpose. A second use finds nothing.
    pub async fn use_login_token(&self, token_hash: &str, purpose: TokenPurpose, now: DateTime<Utc>) -> Result<Option<UsedToken>> {
        let r: Option<UsedToken> = on_write!(self, pool => sqlx::query_as(
            "UPDATE login_tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
             RETURNING email, reader_id, new_email",
        ).bind(token_hash).bind(purpose.as_str()).bind(now).fetch_optional(pool).await?);
        Ok(r)
    }

    /// Tokens sent to an address since a time, for rate limiting mail.
    pub async fn login_tokens_since(&self, email: &str, since: DateTime<Utc>) -> Result<i64> {
        let n: i64 = on_read!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM login_tokens WHERE email = $1 AND created_at >= $2")
            .bind(email.trim().to_lowercase()).bind(since).fetch_one(pool).await?);
        Ok(n)
    }

    pub async fn count_readers(&self) -> Result<i64> {
        let n: i64 = on_read!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM readers").fetch_one(pool).await?);
        Ok(n)
    }
}
