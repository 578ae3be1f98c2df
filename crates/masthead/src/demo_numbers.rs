//! Made-up history for the demo's desk: a newsroom of staff in every role,
//! readers who subscribed (some on trial, some who left) over the last
//! months, and ninety days of paywall counters, so the numbers have
//! something to chart. Only the demo calls this.

use chrono::{DateTime, Duration, Utc};
use masthead_core::billing::SubscriptionStatus;
use masthead_core::staff::Role;
use masthead_db::counters::CounterKey;
use masthead_db::plans::SubscriptionUpsert;
use masthead_db::Db;

/// A small deterministic generator (xorshift), so every demo looks alike.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub async fn seed(db: &Db, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    for (email, name, role) in [
        ("editor@demo.masthead.test", "Elena Marsh", Role::Editor),
        ("author@demo.masthead.test", "Tomás Ruiz", Role::Author),
        ("contributor@demo.masthead.test", "Priya Nair", Role::Contributor),
        ("admin@demo.masthead.test", "Sam Okafor", Role::Administrator),
    ] {
        // Unusable password hashes: these people sign in after an invitation.
        db.create_staff(email, name, role, "!", now).await?;
    }
    let plans = db.active_plans().await?;
    let (Some(monthly), Some(annual)) = (plans.iter().find(|p| p.slug == "monthly"), plans.iter().find(|p| p.slug == "annual")) else {
        return Ok(());
    };
    // Readers over six months: most on the monthly trial, some annual,
    // some who left.
    for i in 0..140 {
        let joined = now - Duration::days(180) + Duration::hours((i * 30 + dice.below(24) as i64).min(180 * 24 - 1));
        let reader = db.reader_for_verified_email(&format!("reader{i}@example.org"), joined).await?;
        if dice.below(10) < 4 {
            continue;
        }
        let annual_plan = dice.below(5) == 0;
        let plan = if annual_plan { annual } else { monthly };
        let trial_end = (!annual_plan).then(|| joined + Duration::days(30));
        let sub_id = format!("demo_sub_seed_{i}");
        let mut up = SubscriptionUpsert {
            reader_id: reader.id,
            plan_id: plan.id,
            provider: "demo",
            provider_customer_id: &format!("demo_cus_{}", reader.id),
            provider_subscription_id: &sub_id,
            status: if trial_end.is_some_and(|t| t > now) { SubscriptionStatus::Trialing } else { SubscriptionStatus::Active },
            current_period_end: now + Duration::days(20),
            cancel_at_period_end: false,
            trial_end,
        };
        db.upsert_subscription(&up, joined).await?;
        // About one in five leaves, some time after joining.
        if dice.below(5) == 0 {
            let left = joined + Duration::days(20 + dice.below(90) as i64);
            if left < now {
                up.status = SubscriptionStatus::Ended;
                db.upsert_subscription(&up, left).await?;
            }
        }
    }
    // Ninety days of the funnel, and reads of the newest articles.
    let articles = db.desk_articles(&masthead_db::desk::DeskQuery { limit: 12, sort: masthead_db::desk::DeskSort::Published, ..Default::default() }).await?;
    let mut batch = Vec::new();
    for d in 0..90 {
        let day = (now - Duration::days(d)).date_naive();
        let views = 900 + dice.below(400) as i64 + (90 - d) * 4;
        let offers = views * (28 + dice.below(8) as i64) / 100;
        let checkouts = offers * (6 + dice.below(4) as i64) / 100;
        let trials = checkouts * (55 + dice.below(20) as i64) / 100;
        let converted = trials * (40 + dice.below(25) as i64) / 100;
        for (name, v) in [("meter_view", views), ("offer_shown", offers), ("checkout_started", checkouts), ("trial_started", trials), ("trial_converted", converted)] {
            batch.push((CounterKey { day, name: name.into(), item: String::new() }, v));
        }
        for (rank, a) in articles.items.iter().enumerate() {
            let reads = (400 / (rank as i64 + 1)) + dice.below(60) as i64;
            batch.push((CounterKey { day, name: "article_read".into(), item: a.id.to_string() }, reads));
        }
    }
    db.add_counters(&batch).await?;
    Ok(())
}
