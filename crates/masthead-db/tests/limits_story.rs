//! Rate-limit counters on every backend: a fixed window per key, atomic
//! counting, and one count across nodes (two handles on one database).

use chrono::{Duration, TimeZone, Utc};
use masthead_db::{testing, Db};

#[tokio::test]
async fn attempts_count_per_key_within_a_window_and_across_handles() {
    for t in testing::all().await {
        let db = &t.db;
        let b = t.backend;
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
        let w = Duration::minutes(10);
        for n in 1..=3 {
            assert_eq!(db.count_attempt("login:a", w, now + Duration::seconds(n - 1)).await.unwrap(), n, "{b}: the window began at the first attempt");
        }
        assert_eq!(db.count_attempt("login:b", w, now).await.unwrap(), 1, "{b}: keys count apart");
        // Still inside the window that began at `now`: the count goes on.
        assert_eq!(db.count_attempt("login:a", w, now + Duration::minutes(9)).await.unwrap(), 4, "{b}");
        // Ten minutes after the window began, it starts over.
        assert_eq!(db.count_attempt("login:a", w, now + Duration::minutes(10)).await.unwrap(), 1, "{b}: a new window");
        assert_eq!(db.count_attempt("login:a", w, now + Duration::minutes(11)).await.unwrap(), 2, "{b}");

        // A second handle on the same database, as a second node has, counts
        // against the same limit; concurrent attempts are each counted once.
        let other = Db::connect(&t.url).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..20 {
            let h = if i % 2 == 0 { db.clone() } else { other.clone() };
            tasks.push(tokio::spawn(async move { h.count_attempt("mail:x@example.org", Duration::hours(1), now).await.unwrap() }));
        }
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await.unwrap());
        }
        seen.sort();
        assert_eq!(seen, (1..=20).collect::<Vec<i64>>(), "{b}: every attempt counted once, from both handles");
        assert_eq!(other.count_attempt("mail:x@example.org", Duration::hours(1), now).await.unwrap(), 21, "{b}");
        other.close().await;

        // Tidying forgets old windows only.
        assert_eq!(db.prune_rate_limits(now + Duration::minutes(5)).await.unwrap(), 2, "{b}: login:b and mail:x began at `now`");
        assert_eq!(db.count_attempt("login:a", w, now + Duration::minutes(12)).await.unwrap(), 3, "{b}: login:a kept");
        t.cleanup().await;
    }
}
