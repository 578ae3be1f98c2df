//! Rendered public pages, kept in memory for a short time. Pages that are
//! the same for every reader who may see them are rendered once, not per
//! request; any content change on this node drops them all, and the time
//! limit bounds staleness from changes made elsewhere.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

#[derive(Clone)]
struct Entry<V> {
    body: V,
    made: Instant,
    generation: u64,
    weight: usize,
}

/// Roughly how many bytes a cached value holds, so that a cache stays
/// within its budget however large the archive it is read from.
pub trait Weigh {
    fn weight(&self) -> usize;
}

impl Weigh for Bytes {
    fn weight(&self) -> usize {
        self.len() + 64
    }
}

/// An article in memory: its Markdown, the parsed blocks (about as much
/// again, with their structure) and the rest.
pub fn article_weight(a: &masthead_core::Article) -> usize {
    a.body_markdown.len() * 3 + a.standfirst.len() + a.headline.len() + 1024
}

impl Weigh for std::sync::Arc<crate::site::ArticleEntry> {
    fn weight(&self) -> usize {
        article_weight(&self.article) + self.next.as_ref().map(article_weight).unwrap_or(0)
    }
}

impl Weigh for std::sync::Arc<Vec<masthead_core::Article>> {
    fn weight(&self) -> usize {
        self.iter().map(article_weight).sum()
    }
}

struct Map<V> {
    generation: u64,
    entries: HashMap<String, Entry<V>>,
    weight: usize,
}

/// A small time-limited map, dropped whole on invalidation, and bounded
/// both in entries and in bytes.
pub struct Cache<V> {
    ttl: Duration,
    budget: usize,
    inner: Mutex<Map<V>>,
}

/// Rendered pages.
pub type PageCache = Cache<Bytes>;

/// Pages beyond this many are not cached (the oldest are dropped first).
const MAX_PAGES: usize = 4096;
/// Each cache's default budget in bytes: with three caches (pages,
/// articles, feeds), well inside the 150 MB a node should need.
pub const DEFAULT_BUDGET: usize = 16 << 20;

impl<V: Clone + Weigh> Cache<V> {
    pub fn new(ttl: Duration) -> Self {
        Cache::with_budget(ttl, DEFAULT_BUDGET)
    }

    pub fn with_budget(ttl: Duration, budget: usize) -> Self {
        Cache { ttl, budget, inner: Mutex::new(Map { generation: 0, entries: HashMap::new(), weight: 0 }) }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        let guard = self.inner.lock().ok()?;
        let e = guard.entries.get(key)?;
        (e.generation == guard.generation && e.made.elapsed() < self.ttl).then(|| e.body.clone())
    }

    pub fn put(&self, key: String, body: V) {
        let weight = body.weight();
        if self.ttl.is_zero() || weight > self.budget / 4 {
            return;
        }
        if let Ok(mut guard) = self.inner.lock() {
            let m = &mut *guard;
            if m.entries.len() >= MAX_PAGES || m.weight + weight > self.budget {
                // First what is stale; if that is not enough, everything
                // older than half the time limit; then everything.
                let (generation, ttl) = (m.generation, self.ttl);
                m.entries.retain(|_, e| e.generation == generation && e.made.elapsed() < ttl);
                m.weight = m.entries.values().map(|e| e.weight).sum();
                if m.entries.len() >= MAX_PAGES || m.weight + weight > self.budget {
                    m.entries.retain(|_, e| e.made.elapsed() < ttl / 2);
                    m.weight = m.entries.values().map(|e| e.weight).sum();
                }
                if m.entries.len() >= MAX_PAGES || m.weight + weight > self.budget {
                    m.entries.clear();
                    m.weight = 0;
                }
            }
            let generation = m.generation;
            if let Some(old) = m.entries.insert(key, Entry { body, made: Instant::now(), generation, weight }) {
                m.weight -= old.weight;
            }
            m.weight += weight;
        }
    }

    /// Drops every cached page.
    pub fn invalidate(&self) {
        if let Ok(mut guard) = self.inner.lock() {
            guard.generation += 1;
            guard.entries.clear();
            guard.weight = 0;
        }
    }

    /// The bytes held now (for /metrics and tests).
    pub fn weight(&self) -> usize {
        self.inner.lock().map(|g| g.weight).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_its_byte_budget() {
        let c: PageCache = Cache::with_budget(Duration::from_secs(60), 100_000);
        for i in 0..100 {
            c.put(format!("/page/{i}"), Bytes::from(vec![b'x'; 10_000]));
            assert!(c.weight() <= 100_000, "after {i} pages the cache holds {} bytes", c.weight());
        }
        // The newest page is always there; a page larger than a quarter of
        // the budget is not kept at all.
        assert_eq!(c.get("/page/99").map(|b| b.len()), Some(10_000));
        c.put("/huge".into(), Bytes::from(vec![b'x'; 30_000]));
        assert!(c.get("/huge").is_none());
        // Replacing a page does not count it twice.
        let before = c.weight();
        c.put("/page/99".into(), Bytes::from(vec![b'y'; 10_000]));
        assert_eq!(c.weight(), before);
        c.invalidate();
        assert_eq!(c.weight(), 0);
        assert!(c.get("/page/99").is_none());
    }
}
