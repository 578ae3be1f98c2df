//! Search-engine crawlers verified by forward-confirmed reverse DNS, the
//! check the search engines themselves document: the address's name
//! (reverse lookup) must end in one of the operator's domains (for Google,
//! `googlebot.com`, `google.com`, `googleusercontent.com`; for Bing,
//! `search.msn.com`), and that name must resolve back to the same address
//! (forward lookup), so a PTR record someone controls proves nothing alone.
//!
//! Only a request whose user agent says it is a crawler is looked up, so
//! readers never wait for DNS; the answer is kept per address (a day when
//! verified, an hour when not), lookups run off the async threads with a
//! time limit, and only a few run at once: a flood of made-up crawler
//! requests costs a bounded number of lookups and is never let through.
//! The address ranges file (`reader::Networks`) is checked first and needs
//! no lookup at all.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// How long a verified address is believed.
const VERIFIED_FOR: Duration = Duration::from_secs(24 * 3600);
/// How long a refused address stays refused.
const REFUSED_FOR: Duration = Duration::from_secs(3600);
/// A lookup that failed (no answer in time, resolver error) is retried
/// after this.
const FAILED_FOR: Duration = Duration::from_secs(300);
/// The longest a request waits for both lookups.
const LOOKUP_LIMIT: Duration = Duration::from_secs(3);
/// Lookups at once; a request beyond them is not verified (and not kept).
const CONCURRENT_LOOKUPS: usize = 4;
/// Addresses remembered; beyond this the list starts again.
const MAX_REMEMBERED: usize = 20_000;

/// The outcome of checking one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Verified,
    /// The name does not end in an allowed domain, or does not resolve back.
    Refused,
    /// No answer (timeout, resolver error, too many lookups at once).
    Failed,
}

pub struct CrawlerDns {
    /// Allowed domains, lowercase, without a leading or trailing dot.
    domains: Vec<String>,
    known: Mutex<HashMap<IpAddr, (bool, Instant)>>,
    permits: Semaphore,
}

impl CrawlerDns {
    pub fn new(domains: &[String]) -> Self {
        CrawlerDns {
            domains: domains.iter().map(|d| d.trim().trim_matches('.').to_ascii_lowercase()).filter(|d| !d.is_empty()).collect(),
            known: Mutex::new(HashMap::new()),
            permits: Semaphore::new(CONCURRENT_LOOKUPS),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.domains.is_empty()
    }

    /// Whether a request from `ip` with this user agent comes from a
    /// verified crawler. Looks up only crawler-like user agents.
    pub async fn verified(&self, ip: IpAddr, user_agent: &str) -> bool {
        self.enabled() && claims_to_be_a_crawler(user_agent) && self.check(ip).await == Check::Verified
    }

    /// Checks an address (from memory when it was checked recently).
    pub async fn check(&self, ip: IpAddr) -> Check {
        let ip = ip.to_canonical();
        if let Some(known) = self.remembered(ip) {
            return if known { Check::Verified } else { Check::Refused };
        }
        let Ok(_permit) = self.permits.try_acquire() else {
            metrics::counter!("masthead_crawler_dns_checks_total", "result" => "busy").increment(1);
            return Check::Failed;
        };
        let domains = self.domains.clone();
        let lookup = tokio::task::spawn_blocking(move || forward_confirmed(ip, &domains));
        let check = match tokio::time::timeout(LOOKUP_LIMIT, lookup).await {
            Ok(Ok(Ok(true))) => Check::Verified,
            Ok(Ok(Ok(false))) => Check::Refused,
            Ok(Ok(Err(e))) => {
                tracing::debug!(%ip, error = %e, "crawler DNS lookup failed");
                Check::Failed
            }
            Ok(Err(e)) => {
                tracing::warn!(%ip, error = %e, "the crawler DNS lookup task failed");
                Check::Failed
            }
            Err(_) => {
                tracing::debug!(%ip, "crawler DNS lookup took too long");
                Check::Failed
            }
        };
        let (verified, keep, result) = match check {
            Check::Verified => (true, VERIFIED_FOR, "verified"),
            Check::Refused => (false, REFUSED_FOR, "refused"),
            Check::Failed => (false, FAILED_FOR, "failed"),
        };
        if let Ok(mut known) = self.known.lock() {
            if known.len() >= MAX_REMEMBERED {
                known.clear();
            }
            known.insert(ip, (verified, Instant::now() + keep));
        }
        metrics::counter!("masthead_crawler_dns_checks_total", "result" => result).increment(1);
        check
    }

    fn remembered(&self, ip: IpAddr) -> Option<bool> {
        let known = self.known.lock().ok()?;
        known.get(&ip).filter(|(_, until)| Instant::now() < *until).map(|(v, _)| *v)
    }
}

/// A user agent that says it is a search engine's crawler. Saying so is
/// what makes the address worth looking up; it never grants anything.
pub fn claims_to_be_a_crawler(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ["bot", "crawler", "spider", "slurp", "google", "bing"].iter().any(|w| ua.contains(w))
}

/// Whether `host` is one of `domains` or a name under one of them
/// (`crawl-66-249-66-1.googlebot.com` is under `googlebot.com`;
/// `evilgooglebot.com` is not).
pub fn host_in_domains(host: &str, domains: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    domains.iter().any(|d| host == *d || host.strip_suffix(d.as_str()).is_some_and(|rest| rest.ends_with('.')))
}

/// The reverse lookup, the domain check and the forward lookup, through the
/// system resolver (so /etc/hosts counts, as it does for everything else on
/// the machine). Blocking.
fn forward_confirmed(ip: IpAddr, domains: &[String]) -> std::io::Result<bool> {
    let host = match dns_lookup::lookup_addr(&ip) {
        Ok(h) => h,
        // No name for the address: not a crawler.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if !host_in_domains(&host, domains) {
        return Ok(false);
    }
    let addrs = match dns_lookup::lookup_host(&host) {
        Ok(a) => a,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(confirmed(ip, &host, &addrs, domains))
}

/// The rule itself: the address's name is under an allowed domain and
/// resolves back to the address.
fn confirmed(ip: IpAddr, host: &str, forward: &[IpAddr], domains: &[String]) -> bool {
    host_in_domains(host, domains) && forward.iter().any(|a| a.to_canonical() == ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(d: &[&str]) -> Vec<String> {
        d.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_under_the_allowed_domains() {
        let g = domains(&["googlebot.com", "google.com", "search.msn.com"]);
        assert!(host_in_domains("crawl-66-249-66-1.googlebot.com", &g));
        assert!(host_in_domains("crawl-66-249-66-1.googlebot.com.", &g), "a fully qualified name");
        assert!(host_in_domains("RATE-LIMITED-PROXY-66-249-90-77.GOOGLE.COM", &g));
        assert!(host_in_domains("msnbot-157-55-39-1.search.msn.com", &g));
        assert!(host_in_domains("googlebot.com", &g));
        assert!(!host_in_domains("evilgooglebot.com", &g), "a name that only ends with the same letters");
        assert!(!host_in_domains("googlebot.com.evil.example", &g));
        assert!(!host_in_domains("msn.com", &g));
        assert!(!host_in_domains("", &g));
    }

    #[test]
    fn the_name_must_resolve_back_to_the_address() {
        let g = domains(&["googlebot.com"]);
        let ip: IpAddr = "66.249.66.1".parse().expect("an address");
        let host = "crawl-66-249-66-1.googlebot.com";
        assert!(confirmed(ip, host, &["66.249.66.1".parse().expect("an address")], &g));
        assert!(confirmed(ip, host, &["2001:db8::1".parse().expect("an address"), "::ffff:66.249.66.1".parse().expect("an address")], &g), "an IPv4-mapped answer");
        // Anyone can point their own address's PTR at a Google-looking name;
        // the forward lookup of that name does not come back to them.
        assert!(!confirmed("203.0.113.9".parse().expect("an address"), host, &["66.249.66.1".parse().expect("an address")], &g));
        assert!(!confirmed(ip, host, &[], &g));
        assert!(!confirmed(ip, "crawl.example.net", &[ip], &g), "resolving back is not enough without the domain");
    }

    #[test]
    fn crawler_user_agents() {
        assert!(claims_to_be_a_crawler("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
        assert!(claims_to_be_a_crawler("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"));
        assert!(!claims_to_be_a_crawler("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"));
        assert!(!claims_to_be_a_crawler(""));
    }

    #[tokio::test]
    async fn nothing_is_looked_up_when_off_or_for_readers() {
        let off = CrawlerDns::new(&[]);
        assert!(!off.enabled());
        assert!(!off.verified("127.0.0.1".parse().expect("an address"), "Googlebot").await);
        let on = CrawlerDns::new(&domains(&["googlebot.com"]));
        assert!(!on.verified("127.0.0.1".parse().expect("an address"), "Mozilla/5.0 Firefox/130.0").await);
        assert!(on.known.lock().expect("lock").is_empty(), "a reader's address is never looked up");
    }
}
