//! Secrets that stand for a person: staff invitations (a link that sets a
//! password) and API tokens (content keys and staff tokens with scopes).
//! Only hashes are stored; the web side hashes before it asks.

use chrono::{DateTime, Utc};
use masthead_core::staff::{Role, Scope};

use crate::staff::StaffMember;
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub invited_by: Option<i64>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    email: String,
    name: String,
    role: String,
    invited_by: Option<i64>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = DbError;
    fn try_from(r: InvitationRow) -> Result<Self> {
        Ok(Invitation {
            role: Role::parse(&r.role).ok_or_else(|| DbError::corrupt("staff_invitations.role", &r.role))?,
            email: r.email,
            name: r.name,
            invited_by: r.invited_by,
            expires_at: r.expires_at,
            used_at: r.used_at,
            created_at: r.created_at,
        })
    }
}

/// Which API a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The public, read-only Content API.
    Content,
    /// The Admin API, acting as a staff member within scopes.
    Admin,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Content => "content",
            TokenKind::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub kind: TokenKind,
    pub name: String,
    /// The first characters of the token, to recognise it in a list.
    pub prefix: String,
    pub staff_id: Option<i64>,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    kind: String,
    name: String,
    prefix: String,
    staff_id: Option<i64>,
    scopes: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = DbError;
    fn try_from(r: TokenRow) -> Result<Self> {
        Ok(ApiToken {
            kind: match r.kind.as_str() {
                "content" => TokenKind::Content,
                "admin" => TokenKind::Admin,
                other => return Err(DbError::corrupt("api_tokens.kind", other)),
            },
            scopes: Scope::parse_list(&r.scopes).map_err(|e| DbError::corrupt("api_tokens.scopes", e))?,
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            staff_id: r.staff_id,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
    }
}

const TOKEN_COLS: &str = "id, kind, name, prefix, staff_id, scopes, created_at, last_used_at, revoked_at";

impl Db {
    pub async fn create_invitation(
        &self,
        token_hash: &str,
        email: &str,
        name: &str,
        role: Role,
        invited_by: i64,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO staff_invitations (token_hash, email, name, role, invited_by, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        ).bind(token_hash).bind(email.trim().to_lowercase()).bind(name).bind(role.as_str()).bind(invited_by).bind(expires_at).bind(now)
            .execute(pool).await?.rows_affected());
        Ok(())
    }

    /// An unused, unexpired invitation.
    pub async fn invitation(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Invitation>> {
        let row: Option<InvitationRow> = on_read!(self, pool => sqlx::query_as(
            "SELECT email, name, role, invited_by, expires_at, used_at, created_at FROM staff_invitations
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        ).bind(token_hash).bind(now).fetch_optional(pool).await?);
        row.map(Invitation::try_from).transpose()
    }

    /// Invitations not yet accepted, newest first.
    pub async fn open_invitations(&self, now: DateTime<Utc>) -> Result<Vec<Invitation>> {
        let rows: Vec<InvitationRow> = on_read!(self, pool => sqlx::query_as(
            "SELECT email, name, role, invited_by, expires_at, used_at, created_at FROM staff_invitations
             WHERE used_at IS NULL AND expires_at > $1 ORDER BY created_at DESC",
        ).bind(now).fetch_all(pool).await?);
        rows.into_iter().map(Invitation::try_from).collect()
    }

    /// Uses an invitation once: marks it used and creates the staff member,
    /// in one transaction. None when it is unknown, used or expired.
    pub async fn accept_invitation(&self, token_hash: &str, name: &str, password_hash: &str, now: DateTime<Utc>) -> Result<Option<StaffMember>> {
        let id: Option<i64> = on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let inv: Option<(String, String)> = sqlx::query_as(
                "UPDATE staff_invitations SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email, role",
            ).bind(token_hash).bind(now).fetch_optional(&mut *tx).await?;
            match inv {
                None => None,
                Some((email, role)) => {
                    let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE email = $1").bind(&email).fetch_one(&mut *tx).await?;
                    if exists > 0 {
                        return Err(DbError::Conflict(format!("{email} is already on staff")));
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO staff (email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    ).bind(&email).bind(name).bind(&role).bind(password_hash).bind(now).fetch_one(&mut *tx).await?;
                    tx.commit().await?;
                    Some(id)
                }
            }
        });
        match id {
            Some(id) => self.staff_by_id(id).await,
            None => Ok(None),
        }
    }

    pub async fn create_api_token(
        &self,
        kind: TokenKind,
        name: &str,
        token_hash: &str,
        prefix: &str,
        staff_id: Option<i64>,
        scopes: &[Scope],
        now: DateTime<Utc>,
    ) -> Result<ApiToken> {
        let sql = format!(
            "INSERT INTO api_tokens (kind, name, token_hash, prefix, staff_id, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {TOKEN_COLS}"
        );
        let row: TokenRow = on_write!(self, pool => sqlx::query_as(&sql)
            .bind(kind.as_str()).bind(name).bind(token_hash).bind(prefix).bind(staff_id).bind(Scope::join(scopes)).bind(now)
            .fetch_one(pool).await?);
        row.try_into()
    }

    /// A token that is not revoked, by its hash.
    pub async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
        let row: Option<TokenRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?);
        row.map(ApiToken::try_from).transpose()
    }

    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY revoked_at IS NOT NULL, id DESC");
        let rows: Vec<TokenRow> = on_read!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter().map(ApiToken::try_from).collect()
    }

    pub async fn revoke_api_token(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id).bind(now).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Notes that a token was used; at most once a minute, so API traffic
    /// does not become write traffic.
    pub async fn touch_api_token(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
        ).bind(id).bind(now).bind(now - chrono::Duration::minutes(1)).execute(pool).await?.rows_affected());
        Ok(())
    }
}
