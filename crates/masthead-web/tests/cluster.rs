//! Two nodes on one database, as a cluster runs them: rate limits count
//! across nodes, and settings changed on one node reach the other (on
//! PostgreSQL, through LISTEN/NOTIFY) without a restart.

mod common;

use std::time::Duration;

use common::*;
use masthead_db::testing;
use masthead_web::paywall::{Paywall, SETTINGS_KEY};

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
    let a = app(t.db.clone(), None).await;
    let b = app(t.db.clone(), None).await;
    let (stop, watch) = tokio::sync::watch::channel(false);
    tokio::spawn(masthead_web::cluster::listen(b.state.clone(), watch));
    assert_eq!(b.state.policy().meter.anonymous_quota, 1, "the default");
    // Give B's listener a moment to subscribe before A speaks.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut p = Paywall::default();
    p.meter.anonymous_quota = 5;
    p.grace_days = 3;
    t.db.set_setting(SETTINGS_KEY, &serde_json::to_string(&p).unwrap()).await.unwrap();
    a.state.reload().await.unwrap();
    assert_eq!(a.state.policy().meter.anonymous_quota, 5, "the node that made the change");
    let mut waited = Duration::ZERO;
    while b.state.policy().meter.anonymous_quota != 5 {
        assert!(waited < Duration::from_secs(5), "the other node still has the old paywall after {waited:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    assert_eq!(b.state.policy().grace_days, 3);
    let _ = stop.send(true);
    t.cleanup().await;
}
