//! The demo publication's nine newsletters: the daily briefing the site-wide
//! form offers, dailies and weeklies on its beats, and a premium weekly for
//! subscribers. Their topics are the demo's, so every demo article that
//! belongs to a beat gets a sign-up box inside it.

use chrono::{NaiveTime, Utc, Weekday};
use masthead_core::newsletter::{Audience, Cadence, NewsletterDraft};
use masthead_db::Db;

struct Seed {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    cadence: Cadence,
    audience: Audience,
    topics: &'static [&'static str],
    regions: &'static [&'static str],
}

fn at(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

fn seeds() -> Vec<Seed> {
    use Audience::*;
    vec![
        Seed { slug: "the-dispatch", name: "The Dispatch", description: "The day's best reporting from the world's press, in English, every morning.", cadence: Cadence::Daily { at: at(7, 0) }, audience: Everyone, topics: &[], regions: &[] },
        Seed { slug: "ukraine-war-briefing", name: "Ukraine War Briefing", description: "The war in Ukraine as Ukrainian, Russian and European newsrooms report it.", cadence: Cadence::Daily { at: at(8, 0) }, audience: Everyone, topics: &["war-in-ukraine"], regions: &["ukraine"] },
        Seed { slug: "climate-week", name: "Climate Week", description: "Heat, water, energy and the people adapting first.", cadence: Cadence::Weekly { on: Weekday::Fri, at: at(9, 0) }, audience: Everyone, topics: &["climate", "energy"], regions: &[] },
        Seed { slug: "ballot-box", name: "Ballot Box", description: "Elections around the world, read from the campaign trail.", cadence: Cadence::Weekly { on: Weekday::Mon, at: at(7, 30) }, audience: Everyone, topics: &["elections"], regions: &[] },
        Seed { slug: "borderlands", name: "Borderlands", description: "Migration and borders, told by the people who cross them and the towns that receive them.", cadence: Cadence::Weekly { on: Weekday::Wed, at: at(12, 0) }, audience: Everyone, topics: &["migration", "borders"], regions: &[] },
        Seed { slug: "trade-winds", name: "Trade Winds", description: "Ports, factories and markets: the economy seen from where it happens.", cadence: Cadence::Daily { at: at(17, 30) }, audience: Everyone, topics: &["trade", "technology"], regions: &[] },
        Seed { slug: "asia-letter", name: "Asia Letter", description: "A weekly letter from China, East Asia, South Asia and Central Asia.", cadence: Cadence::Weekly { on: Weekday::Sat, at: at(8, 0) }, audience: Everyone, topics: &[], regions: &["china", "east-asia", "south-asia", "central-asia"] },
        Seed { slug: "body-and-soul", name: "Body and Soul", description: "Health and faith: how societies care for the living and remember the dead.", cadence: Cadence::Weekly { on: Weekday::Sun, at: at(10, 0) }, audience: Everyone, topics: &["health", "religion"], regions: &[] },
        Seed { slug: "the-long-read", name: "The Long Read", description: "Our editors' pick of the week's deepest stories, for subscribers.", cadence: Cadence::Weekly { on: Weekday::Sun, at: at(18, 0) }, audience: Subscribers, topics: &[], regions: &[] },
    ]
}

/// Makes the nine newsletters unless the publication has some already.
pub async fn seed(db: &Db, publication: &str, time_zone: &str) -> anyhow::Result<usize> {
    if !db.newsletters().await?.is_empty() {
        return Ok(0);
    }
    let seeds = seeds();
    for (i, s) in seeds.iter().enumerate() {
        let d = NewsletterDraft {
            slug: s.slug.into(),
            name: s.name.into(),
            description: s.description.into(),
            cadence: s.cadence,
            time_zone: time_zone.into(),
            from_name: format!("{} · {publication}", s.name),
            from_email: format!("{}@demo.masthead.test", s.slug),
            reply_to: "letters@demo.masthead.test".into(),
            audience: s.audience,
            topics: s.topics.iter().map(|t| t.to_string()).collect(),
            regions: s.regions.iter().map(|t| t.to_string()).collect(),
            template: "newsletter".into(),
            box_after_paragraph: 2,
            position: i as i64,
            active: true,
        };
        db.create_newsletter(&d, Utc::now()).await?;
    }
    Ok(seeds.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn nine_newsletters_several_dailies_and_weeklies() {
        let s = super::seeds();
        assert_eq!(s.len(), 9);
        assert!(s.iter().filter(|n| n.cadence.kind() == "daily").count() >= 3);
        assert!(s.iter().filter(|n| n.cadence.kind() == "weekly").count() >= 3);
    }
}
