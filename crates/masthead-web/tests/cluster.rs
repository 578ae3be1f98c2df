//! Two nodes on one database, as a cluster runs them: rate limits count
//! across nodes, and settings changed on one node reach the other (on
//! PostgreSQL, through LISTEN/NOTIFY) without a restart.

mod common;

use std::time::Duration;

use common::*;
use masthead_db::testing;
use masthead_web::paywall::{Paywall, SETTINGS_KEY};

/// Two nodes on one PostgreSQL database, B listening for A's notices.
async fn two_nodes(t: &testing::TestDb) -> (App, App, tokio::sync::watch::Sender<bool>) {
    let a = app(t.db.clone(), None).await;
    let b = app(t.db.clone(), None).await;
    // B's listener re-reads the settings once it has subscribed. A marker
    // written quietly beforehand (a network quota no test uses) shows when
    // that happened, so A never speaks before B listens, however busy the
    // machine.
    let mut marked = Paywall::default();
    marked.meter.network_quota = Some(4321);
    t.db.set_setting(SETTINGS_KEY, &serde_json::to_string(&marked).unwrap()).await.unwrap();
    let (stop, watch) = tokio::sync::watch::channel(false);
    tokio::spawn(masthead_web::cluster::listen(b.state.clone(), watch));
    within(Duration::from_secs(20), "node B never started listening", || async { b.state.policy().meter.network_quota == Some(4321) }).await;
    (a, b, stop)
}

/// Waits until `done` says yes, failing with `what` after `limit`.
async fn within<F, Fut>(limit: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut waited = Duration::ZERO;
    while !done().await {
        assert!(waited < limit, "{what} after {waited:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
}

#[tokio::test]
async fn sign_in_mail_limits_count_across_nodes() {
    for t in testing::all().await {
        let a = app(t.db.clone(), None).await;
        let b = app(t.db.clone(), None).await;
        let form = get(&a.router, "/login").await;
        let c = format!("mh_csrf={}", form.cookie("mh_csrf").unwrap());
        let body = format!("email=flood%40example.org&csrf={}", form.field("csrf"));
        // Three links per address in ten minutes, wherever they are asked for.
        let mut statuses = Vec::new();
        for router in [&a.router, &b.router, &a.router, &b.router, &a.router] {
            statuses.push(post_form(router, "/login/link", &c, &body).await.status.as_u16());
        }
        assert_eq!(statuses, vec![303, 303, 303, 429, 429], "{}: the second node knows the first node's count", t.backend);
        // Another address is not affected.
        let other = format!("email=calm%40example.org&csrf={}", form.field("csrf"));
        assert_eq!(post_form(&b.router, "/login/link", &c, &other).await.status, 303, "{}", t.backend);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_paywall_change_on_one_node_reaches_the_other() {
    let Some(t) = testing::postgres().await else {
        eprintln!("note: {} not set; the cross-node settings test needs PostgreSQL", testing::POSTGRES_ENV);
        return;
    };
    let (a, b, stop) = two_nodes(&t).await;
    assert_eq!(b.state.policy().meter.anonymous_quota, 1, "the default");

    let mut p = Paywall::default();
    p.meter.anonymous_quota = 5;
    p.grace_days = 3;
    t.db.set_setting(SETTINGS_KEY, &serde_json::to_string(&p).unwrap()).await.unwrap();
    a.state.reload().await.unwrap();
    assert_eq!(a.state.policy().meter.anonymous_quota, 5, "the node that made the change");
    within(Duration::from_secs(5), "the other node still has the old paywall", || async { b.state.policy().meter.anonymous_quota == 5 }).await;
    assert_eq!(b.state.policy().grace_days, 3);
    let _ = stop.send(true);
    t.cleanup().await;
}

/// A signed-in reader's facts are kept for a few seconds on each node; a
/// change made through one node must not wait for that on the others.
#[tokio::test]
async fn a_reader_change_on_one_node_reaches_the_other_at_once() {
    let Some(t) = testing::postgres().await else {
        eprintln!("note: {} not set; the cross-node reader test needs PostgreSQL", testing::POSTGRES_ENV);
        return;
    };
    let (a, b, stop) = two_nodes(&t).await;

    let r = t.db.create_reader("moves@example.org", None, chrono::Utc::now()).await.unwrap();
    let session = format!("mh_session={}", masthead_web::reader::session_value(SECRET, r.id, r.session_epoch));
    // B has read the reader (and keeps them for a while).
    let before = get_as(&b.router, "/account", &session, [127, 0, 0, 1], "test").await;
    assert_eq!(before.status, 200);
    assert!(!before.body.contains("Ada Quill"));

    // The reader changes their name through A.
    let page = get_as(&a.router, "/account", &session, [127, 0, 0, 1], "test").await;
    let body = format!("name=Ada+Quill&csrf={}", page.field("csrf"));
    assert_eq!(post_form(&a.router, "/account/name", &session, &body).await.status, 303);
    let account_on_b = || get_as(&b.router, "/account", &session, [127, 0, 0, 1], "test");
    within(Duration::from_secs(2), "node B still shows the old name", || async { account_on_b().await.body.contains("Ada Quill") }).await;

    // Signing out everywhere on A ends the session on B too, at once.
    let page = get_as(&a.router, "/account", &session, [127, 0, 0, 1], "test").await;
    let body = format!("csrf={}", page.field("csrf"));
    assert_eq!(post_form(&a.router, "/account/sign-out-everywhere", &session, &body).await.status, 303);
    within(Duration::from_secs(2), "node B still takes the ended session", || async { account_on_b().await.status != 200 }).await;
    let after = account_on_b().await;
    assert!(after.status.is_redirection(), "a signed-out reader is sent to sign in, got {}", after.status);
    let _ = stop.send(true);
    t.cleanup().await;
}
