//! Signed cookies, staff sessions, CSRF tokens, password checks and rate
//! limits. Cookies carry an HMAC so they cannot be forged; tokens bind a
//! form to the session that asked for it.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::Engine;
use chrono::Utc;
use hmac::{Hmac, Mac};
use masthead_core::staff::Role;
use sha2::Sha256;

use crate::{AppError, AppState};

pub const STAFF_COOKIE: &str = "mh_staff";
pub const CSRF_COOKIE: &str = "mh_csrf";
/// How long a staff session lasts.
pub const STAFF_SESSION: chrono::Duration = chrono::Duration::hours(12);

thread_local! {
    /// The HMAC state after the key, per thread: keying costs two SHA-256
    /// blocks, which every signed cookie on every request would otherwise
    /// pay again. Kept with its secret, so a process with several (tests)
    /// never signs with the wrong one.
    static KEYED: std::cell::RefCell<Option<(String, Hmac<Sha256>)>> = const { std::cell::RefCell::new(None) };
}

fn keyed(secret: &str) -> Option<Hmac<Sha256>> {
    KEYED.with(|k| {
        let mut k = k.borrow_mut();
        if let Some((s, m)) = k.as_ref() {
            if s == secret {
                return Some(m.clone());
            }
        }
        // HMAC accepts keys of any length; new_from_slice cannot fail for it.
        let m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
        *k = Some((secret.to_string(), m.clone()));
        Some(m)
    })
}

fn mac(secret: &str, purpose: &str, value: &str) -> String {
    let Some(mut m) = keyed(secret) else { return String::new() };
    m.update(purpose.as_bytes());
    m.update(b"\0");
    m.update(value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
}

/// `value.signature`, for a cookie.
pub fn sign(secret: &str, purpose: &str, value: &str) -> String {
    format!("{value}.{}", mac(secret, purpose, value))
}

/// The value inside a signed cookie, if the signature holds.
pub fn verify(secret: &str, purpose: &str, signed: &str) -> Option<String> {
    let (value, sig) = signed.rsplit_once('.')?;
    let expected = mac(secret, purpose, value);
    constant_time_eq(expected.as_bytes(), sig.as_bytes()).then(|| value.to_string())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    use std::fmt::Write;
    let mut c = String::with_capacity(name.len() + value.len() + 64);
    let _ = write!(c, "{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        let _ = write!(c, "; Max-Age={age}");
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn random_token() -> String {
    let bytes: [u8; 24] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A signed-in staff member, taken from the session cookie.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: i64,
    pub role: Role,
    pub email: String,
    pub name: String,
    /// The session cookie's value: CSRF tokens are bound to it.
    pub session: String,
}

impl Staff {
    pub fn csrf(&self, state: &AppState) -> String {
        mac(&state.config.secret_key, "csrf", &self.session)
    }

    pub fn check_csrf(&self, state: &AppState, token: &str) -> Result<(), AppError> {
        if constant_time_eq(self.csrf(state).as_bytes(), token.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Makes the cookie value for a new staff session.
pub fn staff_session(secret: &str, staff_id: i64) -> String {
    let expires = (Utc::now() + STAFF_SESSION).timestamp();
    let nonce = random_token();
    sign(secret, "staff", &format!("{staff_id}:{expires}:{nonce}"))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let raw = cookie(&parts.headers, STAFF_COOKIE).ok_or(AppError::Unauthorized)?;
        let value = verify(&state.config.secret_key, "staff", &raw).ok_or(AppError::Unauthorized)?;
        let mut it = value.split(':');
        let id: i64 = it.next().and_then(|s| s.parse().ok()).ok_or(AppError::Unauthorized)?;
        let expires: i64 = it.next().and_then(|s| s.parse().ok()).ok_or(AppError::Unauthorized)?;
        if expires < Utc::now().timestamp() {
            return Err(AppError::Unauthorized);
        }
        let member = state.db.staff_by_id(id).await?.filter(|m| m.disabled_at.is_none()).ok_or(AppError::Unauthorized)?;
        Ok(Staff { id, role: member.role, email: member.email, name: member.name, session: raw })
    }
}

/// Hashes a password with argon2id, off the async threads.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || masthead_password::hash(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// Checks a password against a stored hash, off the async threads. With no
/// hash (no such account) it checks against a throwaway one, so the answer
/// takes as long either way and timing does not tell who has an account.
pub async fn check_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => masthead_password::verify(&password, &h),
        None => {
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| masthead_password::hash(&random_token()).unwrap_or_default());
            let _ = masthead_password::verify(&password, dummy);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Password hashing in one place, shared by the CLI and the web.
pub mod masthead_password {
    use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
    use argon2::Argon2;

    pub const MIN_LEN: usize = 10;

    pub fn hash(password: &str) -> Result<String, String> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
    }

    pub fn verify(password: &str, hash: &str) -> bool {
        PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    }
}

/// Fixed-window counters per key (e.g. "login-ip:IP"), kept in the database
/// so that every node of a cluster counts against the same limit. Only
/// actions that send mail or check a password or code are limited, so one
/// upsert per attempt costs nothing that matters.
#[derive(Clone)]
pub struct RateLimits {
    db: masthead_db::Db,
}

impl RateLimits {
    pub fn new(db: masthead_db::Db) -> Self {
        RateLimits { db }
    }

    /// Counts one attempt; false once `max` attempts were made within
    /// `window`. When the count cannot be kept, the attempt is refused.
    pub async fn allow(&self, key: &str, max: u32, window: Duration) -> bool {
        let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::hours(1));
        match self.db.count_attempt(key, window, chrono::Utc::now()).await {
            Ok(hits) => hits <= i64::from(max),
            Err(e) => {
                tracing::warn!(error = %e, "could not count an attempt; refusing it");
                false
            }
        }
    }
}

/// The client's address as seen on the socket.
pub fn client_ip(parts_ext: Option<&axum::extract::ConnectInfo<std::net::SocketAddr>>) -> IpAddr {
    parts_ext.map(|c| c.0.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_values_resist_tampering() {
        let s = sign("secret-key", "staff", "42:99");
        assert_eq!(verify("secret-key", "staff", &s).as_deref(), Some("42:99"));
        assert_eq!(verify("other-key", "staff", &s), None);
        assert_eq!(verify("secret-key", "reader", &s), None, "a signature is bound to its purpose");
        let forged = s.replacen("42", "43", 1);
        assert_eq!(verify("secret-key", "staff", &forged), None);
    }

    #[test]
    fn the_kept_key_signs_like_a_fresh_one() {
        let fresh = |secret: &str, value: &str| {
            let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
            m.update(b"anon\0");
            m.update(value.as_bytes());
            format!("{value}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
        };
        // Switching secrets on one thread (as tests with several apps do)
        // never signs with the previous one.
        for (secret, value) in [("one", "a"), ("one", "b"), ("two", "a"), ("one", "a"), ("", "x")] {
            assert_eq!(sign(secret, "anon", value), fresh(secret, value), "{secret:?} {value:?}");
        }
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = masthead_password::hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(masthead_password::verify("correct horse battery", &h));
        assert!(!masthead_password::verify("wrong", &h));
        assert!(!masthead_password::verify("x", "not a hash"));
    }

}
