//! Who is reading: the signed-in reader (from a signed session cookie),
//! the anonymous browser (a signed first-party id), the network they read
//! from (for the second meter), and whether the client is a verified
//! search-engine crawler (by address, never by user agent).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use chrono::{Datelike, Utc};
use masthead_core::billing::subscription_entitlements;
use masthead_core::Entitlements;
use sha2::{Digest, Sha256};

use crate::auth::{self, cookie, sign, verify};
use crate::reader_cache::ReaderFacts;
use crate::{AppError, AppState};

pub const SESSION_COOKIE: &str = "mh_session";
pub const ANON_COOKIE: &str = "mh_anon";
/// A reader stays signed in for this long.
pub const SESSION_DAYS: i64 = 90;
/// The anonymous id lasts about a year.
pub const ANON_DAYS: i64 = 400;

/// The signed-in reader, with what they may read.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub entitlements: Entitlements,
    /// The session cookie's value; CSRF tokens are bound to it.
    pub session: String,
}

/// Everything about the requester that access and personalization need.
#[derive(Debug, Clone)]
pub struct ReaderCtx {
    pub signed_in: Option<SignedIn>,
    /// The anonymous id, if the browser has a valid one.
    pub anon_id: Option<String>,
    pub ip: IpAddr,
    /// The client's user agent, for the network meter's key (hashed only
    /// when that meter is on: most requests never need it).
    pub user_agent: Option<HeaderValue>,
    pub verified_crawler: bool,
    /// A CSRF token for forms when nobody is signed in (bound to the anon id).
    pub has_session_cookie: bool,
}

impl ReaderCtx {
    pub fn registered(&self) -> bool {
        self.signed_in.is_some()
    }

    pub fn entitlements(&self) -> Entitlements {
        self.signed_in.as_ref().map(|s| s.entitlements.clone()).unwrap_or_default()
    }

    /// The meter key that follows this reader.
    pub fn meter_key(&self) -> Option<String> {
        match (&self.signed_in, &self.anon_id) {
            (Some(s), _) => Some(format!("r:{}", s.id)),
            (None, Some(a)) => Some(format!("a:{a}")),
            (None, None) => None,
        }
    }

    /// The second meter's key: a salted daily hash of the network (IPv4
    /// /24 or IPv6 /48) and user agent.
    pub fn network_key(&self, secret: &str) -> String {
        let ua = self.user_agent.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("");
        format!("n:{}", network_hash(secret, self.ip, ua))
    }
}

/// The address the request came from: the socket peer, or, when the peer
/// is a trusted proxy, the last untrusted hop in X-Forwarded-For.
pub fn client_ip(state: &AppState, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !state.crawlers.is_trusted_proxy(peer) {
        return peer;
    }
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("");
    forwarded
        .split(',')
        .rev()
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .find(|ip| !state.crawlers.is_trusted_proxy(*ip))
        .unwrap_or(peer)
}

fn network_hash(secret: &str, ip: IpAddr, ua: &str) -> String {
    let prefix = match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    };
    let today = Utc::now();
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.update(format!("{}-{}-{}", today.year(), today.month(), today.day()).as_bytes());
    h.update(prefix.as_bytes());
    h.update(ua.as_bytes());
    hex::encode(&h.finalize()[..12])
}

/// Makes the cookie value for a reader session.
pub fn session_value(secret: &str, reader_id: i64, epoch: i64) -> String {
    let expires = (Utc::now() + chrono::Duration::days(SESSION_DAYS)).timestamp();
    sign(secret, "reader", &format!("{reader_id}:{epoch}:{expires}:{}", auth::random_token()))
}

/// A new anonymous id: the time in milliseconds (hex, so ids sort by when
/// they were made) and 24 random bytes. Sorting by time matters to the
/// meter's table: a new reader's read lands at the end of its index, in the
/// same few pages as the other new readers' reads, instead of in a random
/// page each, which made every batch of meter writes rewrite hundreds of
/// pages. The random part keeps ids unguessable.
pub fn new_anon_cookie(secret: &str) -> (String, String) {
    let id = format!("{:011x}{}", Utc::now().timestamp_millis().max(0), auth::random_token());
    (id.clone(), sign(secret, "anon", &id))
}

/// Looks up a reader's current benefits: subscriptions and complimentary access.
pub async fn entitlements_of(state: &AppState, reader_id: i64) -> Result<Entitlements, AppError> {
    let now = Utc::now();
    let grace = state.policy().grace_days;
    let mut e = state.db.complimentary_entitlements(reader_id, now).await?;
    for s in state.db.subscription_facts(reader_id).await? {
        e.merge(&subscription_entitlements(&s, grace, now));
    }
    Ok(e)
}

/// A signed-in reader's facts: from the short-lived cache when it holds
/// this session's epoch, else from the database (and then remembered).
async fn reader_facts(state: &AppState, id: i64, epoch: i64) -> Result<Option<ReaderFacts>, AppError> {
    if let Some(f) = state.readers.get(id).filter(|f| f.session_epoch == epoch) {
        return Ok(Some(f));
    }
    let Some(r) = state.db.reader_by_id(id).await? else { return Ok(None) };
    let facts = ReaderFacts { session_epoch: r.session_epoch, email: r.email, name: r.name, entitlements: entitlements_of(state, id).await? };
    state.readers.put(id, facts.clone());
    Ok(Some(facts))
}

impl FromRequestParts<AppState> for ReaderCtx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secret = &state.config.secret_key;
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let ip = client_ip(state, peer, &parts.headers);
        let anon_id = cookie(&parts.headers, ANON_COOKIE).and_then(|c| verify(secret, "anon", &c));
        let raw_session = cookie(&parts.headers, SESSION_COOKIE);
        let mut signed_in = None;
        if let Some(raw) = &raw_session {
            if let Some(value) = verify(secret, "reader", raw) {
                let mut it = value.split(':');
                let id: Option<i64> = it.next().and_then(|s| s.parse().ok());
                let epoch: Option<i64> = it.next().and_then(|s| s.parse().ok());
                let expires: Option<i64> = it.next().and_then(|s| s.parse().ok());
                if let (Some(id), Some(epoch), Some(expires)) = (id, epoch, expires) {
                    if expires > Utc::now().timestamp() {
                        if let Some(r) = reader_facts(state, id, epoch).await? {
                            // A bumped epoch (sign out everywhere, password
                            // change) ends older sessions.
                            if r.session_epoch == epoch {
                                signed_in = Some(SignedIn {
                                    id,
                                    email: r.email,
                                    name: r.name,
                                    entitlements: r.entitlements,
                                    session: raw.clone(),
                                });
                            }
                        }
                    }
                }
            }
        }
        // By the operator's address ranges, else (when configured) by
        // forward-confirmed reverse DNS for a crawler-like user agent.
        let verified_crawler = state.crawlers.is_crawler(ip) || {
            let ua = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
            state.crawler_dns.verified(ip, ua).await
        };
        Ok(ReaderCtx {
            has_session_cookie: signed_in.is_some(),
            signed_in,
            anon_id,
            user_agent: parts.headers.get(header::USER_AGENT).cloned(),
            verified_crawler,
            ip,
        })
    }
}

/// Verified crawler address ranges and trusted proxies, from files the
/// operator provides.
#[derive(Debug, Default, Clone)]
pub struct Networks {
    crawlers: Vec<Cidr>,
    proxies: Vec<Cidr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                (u32::from(net) & mask) == (u32::from(ip) & mask)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                (u128::from(net) & mask) == (u128::from(ip) & mask)
            }
            _ => false,
        }
    }
}

impl Networks {
    /// Parses address ranges, one per line; `#` starts a comment. Returns
    /// the line number of the first bad line.
    pub fn parse_ranges(text: &str) -> Result<Vec<Cidr>, usize> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            out.push(Cidr::parse(line).ok_or(i + 1)?);
        }
        Ok(out)
    }

    pub fn new(crawlers: Vec<Cidr>, proxies: Vec<Cidr>) -> Self {
        Networks { crawlers, proxies }
    }

    pub fn is_crawler(&self, ip: IpAddr) -> bool {
        self.crawlers.iter().any(|c| c.contains(ip))
    }

    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.proxies.iter().any(|c| c.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_ranges() {
        let c = Cidr::parse("66.249.64.0/19").unwrap();
        assert!(c.contains("66.249.66.1".parse().unwrap()));
        assert!(!c.contains("66.249.96.1".parse().unwrap()));
        let v6 = Cidr::parse("2001:4860:4801::/48").unwrap();
        assert!(v6.contains("2001:4860:4801:10::1".parse().unwrap()));
        assert!(!v6.contains("66.249.66.1".parse().unwrap()));
        assert_eq!(Networks::parse_ranges("# google\n66.249.64.0/19\n\n10.0.0.1\nnot-an-ip\n"), Err(5));
        assert_eq!(Cidr::parse("1.2.3.4/33"), None);
    }

    #[test]
    fn network_hash_groups_a_subnet_and_agent() {
        let a = network_hash("k", "203.0.113.7".parse().unwrap(), "Firefox");
        let b = network_hash("k", "203.0.113.200".parse().unwrap(), "Firefox");
        let c = network_hash("k", "203.0.114.7".parse().unwrap(), "Firefox");
        let d = network_hash("k", "203.0.113.7".parse().unwrap(), "Chrome");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
