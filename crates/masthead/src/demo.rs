//! `masthead demo`: a ready publication to look at and try. Generates the
//! content (see demo_content), takes the pictures in through the same
//! media pipeline as uploads, saves every article through the newsroom,
//! and makes an owner account whose password is printed.

use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;
use masthead_core::staff::Role;
use masthead_core::TagKind;
use masthead_web::newsroom::{self, Publish};
use masthead_web::AppState;

use crate::config::Config;
use crate::demo_content;

pub const OWNER_EMAIL: &str = "owner@demo.masthead.test";

pub struct Login {
    pub email: String,
    pub password: String,
}

/// The demo keeps to its own directory unless told otherwise, so it never
/// mixes with a real publication's data.
pub fn config(mut cfg: Config) -> Config {
    let defaults = Config::default();
    if cfg.data_dir == defaults.data_dir && std::env::var_os("MASTHEAD_DATA_DIR").is_none() {
        cfg.data_dir = PathBuf::from("masthead-demo");
    }
    if cfg.database_url == defaults.database_url {
        cfg.database_url = format!("sqlite:{}", cfg.data_dir.join("masthead.db").display());
    }
    cfg
}

/// The reference publication's offer: a 30-day free trial then 2.90 USD a
/// month, or 19.90 USD a year badged BEST VALUE; one free article a month
/// without an account, three with one.
async fn seed_offer(db: &masthead_db::Db, now: chrono::DateTime<Utc>) -> anyhow::Result<()> {
    use masthead_core::billing::{Interval, Plan};
    use masthead_core::Benefit;
    let monthly = Plan {
        id: 0,
        slug: "monthly".into(),
        name: "Monthly".into(),
        price_minor: 290,
        currency: "USD".into(),
        interval: Interval::Month,
        trial_days: 30,
        badge: String::new(),
        benefits: Benefit::ALL.to_vec(),
        active: true,
        provider_price_id: String::new(),
    };
    let annual = Plan {
        slug: "annual".into(),
        name: "Annual access".into(),
        price_minor: 1990,
        interval: Interval::Year,
        trial_days: 0,
        badge: "BEST VALUE".into(),
        ..monthly.clone()
    };
    db.upsert_plan(&monthly, 0, now).await?;
    db.upsert_plan(&annual, 1, now).await?;
    let paywall = masthead_web::paywall::Paywall::default();
    db.set_setting(masthead_web::paywall::SETTINGS_KEY, &serde_json::to_string(&paywall)?).await?;
    // A house promotion after each article, which ad-free subscribers never see.
    let ads = masthead_web::ads::AdSettings { end_of_article: masthead_web::ads::Fill::HousePromotion, ..Default::default() };
    db.set_setting(masthead_web::ads::SETTINGS_KEY, &serde_json::to_string(&ads)?).await?;
    Ok(())
}

pub async fn build(state: &AppState, articles: usize, seed: u64) -> anyhow::Result<Login> {
    let db = &state.db;
    let existing = db.count_articles().await?;
    if existing > 0 {
        println!("The demo database already has {existing} articles; keeping them.");
    } else {
        let started = std::time::Instant::now();
        let now = Utc::now();
        let publication = tokio::task::spawn_blocking(move || demo_content::generate(seed, articles, now))
            .await
            .context("generating demo content")?;
        db.set_setting("site.name", &publication.name).await?;
        seed_offer(db, now).await?;
        db.set_setting("site.tagline", &publication.tagline).await?;
        for (i, s) in publication.sections.iter().enumerate() {
            db.upsert_tag(TagKind::Section, &s.slug, &s.name, &s.description).await?;
            db.set_section_position(&s.slug, i as i64).await?;
        }
        for t in &publication.topics {
            db.upsert_tag(TagKind::Topic, &t.slug, &t.name, &t.description).await?;
        }
        for r in &publication.regions {
            db.upsert_tag(TagKind::Region, &r.slug, &r.name, &r.description).await?;
        }
        for a in &publication.authors {
            db.upsert_author(&a.slug, &a.name, &a.title, &a.bio).await?;
        }
        let mut keys = Vec::with_capacity(publication.images.len());
        for (i, img) in publication.images.iter().enumerate() {
            let key = newsroom::ingest_image(state, img.jpeg.clone(), &format!("demo-{i}.jpg"))
                .await
                .map_err(|e| anyhow::anyhow!("demo image {i}: {e}"))?;
            keys.push(key);
        }
        // Swap demo:N references for the real media keys, longest first so
        // demo:1 never clips demo:12.
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|a, b| b.cmp(a));
        let swap = |s: &str| {
            let mut out = s.to_string();
            for &i in &order {
                out = out.replace(&format!("demo:{i}"), &format!("media:{}", keys[i]));
            }
            out
        };
        for a in &publication.articles {
            let mut draft = a.draft.clone();
            draft.body_markdown = swap(&draft.body_markdown);
            if let Some(h) = draft.hero.as_mut() {
                h.src = swap(&h.src);
            }
            newsroom::create_article(state, &draft, Publish::At(a.published_at), now)
                .await
                .map_err(|e| anyhow::anyhow!("demo article {:?}: {e}", draft.headline))?;
        }
        crate::demo_magazine::build(state, now).await?;
        crate::demo_numbers::seed(db, now).await.context("seeding the demo's numbers")?;
        println!(
            "Made {} articles, {} images, {} authors in {:.1}s.",
            publication.articles.len(),
            keys.len(),
            publication.authors.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let site = state.site();
    crate::demo_newsletters::seed(db, &site.name, "Europe/Paris").await?;
    state.reload().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    // A fresh password each run: the old one cannot be shown again.
    let password = crate::generate_password();
    let hash = masthead_web::auth::masthead_password::hash(&password).map_err(anyhow::Error::msg)?;
    match db.staff_by_email(OWNER_EMAIL).await? {
        Some(m) => db.set_staff_password(m.id, &hash).await?,
        None => {
            db.create_staff(OWNER_EMAIL, "Demo Owner", Role::Owner, &hash, Utc::now()).await?;
        }
    }
    Ok(Login { email: OWNER_EMAIL.into(), password })
}
