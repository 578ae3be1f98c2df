//! The demo publication that `masthead demo` installs: an invented
//! international paper, "The Meridian Dispatch", with its sections, topics,
//! regions, staff, a couple of hundred articles (many translated from
//! invented foreign newspapers) and painted photographs. Every word is
//! generated here from our own phrase banks with a seeded random source,
//! so the same seed and clock always give the same publication.
//!
//! The articles are drafts as an editor would submit them; figures refer
//! to pictures as `demo:N` (an index into `images`), which the seeder
//! replaces with the media key it stores the picture under.

mod beats;
mod cast;
mod copy;
mod frames;
mod pictures;

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use masthead_core::slug::slugify;
use masthead_core::{AccessLevel, ArticleDraft, Figure, Provenance};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use beats::{Beat, BEATS};
use cast::{Place, Staffer, OUTLETS, PLACES, REGIONS, SECTIONS, STAFF, TONGUES};
use copy::{Assignment, FigureBlock, Kind, Newsroom};
use pictures::SPECS;

/// Everything needed to seed a ready-to-read publication.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPublication {
    pub name: String,
    pub tagline: String,
    pub sections: Vec<TagSeed>,
    pub topics: Vec<TagSeed>,
    pub regions: Vec<TagSeed>,
    pub authors: Vec<AuthorSeed>,
    pub images: Vec<DemoImage>,
    /// Oldest first.
    pub articles: Vec<DemoArticle>,
}

/// A section, topic or region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSeed {
    pub slug: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorSeed {
    pub slug: String,
    pub name: String,
    pub title: String,
    pub bio: String,
}

/// A picture for the media library, already encoded as JPEG.
#[derive(Clone, PartialEq, Eq)]
pub struct DemoImage {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub place: String,
}

impl std::fmt::Debug for DemoImage {
    // The JPEG bytes are of no use in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoImage")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("jpeg_bytes", &self.jpeg.len())
            .field("alt", &self.alt)
            .field("caption", &self.caption)
            .field("credit", &self.credit)
            .field("place", &self.place)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoArticle {
    pub draft: ArticleDraft,
    pub published_at: DateTime<Utc>,
    /// Index into `DemoPublication::images` of the hero picture.
    pub hero_image: Option<usize>,
}

/// Generates the demo publication. `now` anchors publication dates:
/// articles spread over the ~14 months before now, with several in the
/// last two days and a cluster this week.
pub fn generate(seed: u64, article_count: usize, now: DateTime<Utc>) -> DemoPublication {
    let credits = photo_credits(seed);
    let painted = pictures::paint_all(seed);
    let images = SPECS
        .iter()
        .zip(painted)
        .zip(&credits)
        .map(|((spec, painted), credit)| DemoImage {
            width: spec.width,
            height: spec.height,
            jpeg: painted.jpeg,
            alt: spec.alt.to_string(),
            caption: format!("{} near {}.", spec.stub, spec.place),
            credit: credit.clone(),
            place: spec.place.to_string(),
        })
        .collect();
    DemoPublication {
        name: cast::PUBLICATION_NAME.to_string(),
        tagline: cast::TAGLINE.to_string(),
        sections: SECTIONS.iter().map(|d| tag(d.slug, d.name, d.description)).collect(),
        topics: BEATS.iter().map(|b| tag(b.slug, b.name, b.description)).collect(),
        regions: REGIONS.iter().map(|d| tag(d.slug, d.name, d.description)).collect(),
        authors: STAFF
            .iter()
            .map(|s| AuthorSeed { slug: s.slug.into(), name: s.name.into(), title: s.title.into(), bio: s.bio.into() })
            .collect(),
        images,
        articles: write_articles(seed, article_count, now, &credits),
    }
}

fn tag(slug: &str, name: &str, description: &str) -> TagSeed {
    TagSeed { slug: slug.into(), name: name.into(), description: description.into() }
}

fn photo_credits(seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x00C0_FFEE);
    let mut photographers: Vec<&str> = cast::PHOTOGRAPHERS.to_vec();
    photographers.shuffle(&mut rng);
    (0..SPECS.len())
        .map(|i| {
            let who = photographers[i % photographers.len()];
            let agency = cast::AGENCIES[rng.gen_range(0..cast::AGENCIES.len())];
            format!("Photo: {who} via {agency}")
        })
        .collect()
}

/// How the prose refers to a region ("across the Middle East").
fn region_in_prose(slug: &str) -> &'static str {
    match slug {
        "europe" => "Europe",
        "ukraine" => "Ukraine",
        "russia" => "Russia",
        "china" => "China",
        "east-asia" => "East Asia",
        "south-asia" => "South Asia",
        "middle-east" => "the Middle East",
        "africa" => "Africa",
        "latin-america" => "Latin America",
        _ => "Central Asia",
    }
}

/// The desk: decides what each article is about, where it is filed from,
/// who writes it, whether it is a translation, how it is illustrated and
/// when it runs; the newsroom then writes it.
fn write_articles(seed: u64, count: usize, now: DateTime<Utc>, credits: &[String]) -> Vec<DemoArticle> {
    let mut rng = StdRng::seed_from_u64(seed);
    let dates = publication_dates(&mut rng, count, now);
    let access = shuffled_mix(&mut rng, count, &[(AccessLevel::Free, 15), (AccessLevel::SubscribersOnly, 15)], AccessLevel::Metered);
    let translated = shuffled_mix(&mut rng, count, &[(true, 40)], false);
    let beat_weights: Vec<(usize, usize)> = BEATS.iter().enumerate().map(|(i, b)| (i, if b.slug == "war-in-ukraine" { 16 } else { 9 })).collect();
    let beats = shuffled_mix(&mut rng, count, &beat_weights, 1);

    let mut newsroom = Newsroom::new();
    let mut taken: HashSet<String> = HashSet::new();
    let mut picture_use = vec![0usize; SPECS.len()];
    let mut spread = Spread::default();
    let mut articles = Vec::with_capacity(count);
    for i in 0..count {
        let beat = &BEATS[beats[i]];
        let published = dates[i];
        let section = pick_section(&mut rng, beat);
        let kind = match section {
            "world" => if rng.gen_bool(0.55) { Kind::News } else { Kind::Reportage },
            "analysis" => Kind::Analysis,
            "economy" => if rng.gen_bool(0.7) { Kind::Economy } else { Kind::Analysis },
            "culture" => Kind::Culture,
            "society" => if rng.gen_bool(0.75) { Kind::Reportage } else { Kind::News },
            _ => Kind::Opinion,
        };
        let (place, provenance_language) = pick_place(&mut rng, beat, translated[i], &mut spread);
        let (authors, provenance) = byline(&mut rng, beat, place, section, provenance_language, published, &mut spread);

        let hero = if rng.gen_bool(0.88) { Some(pick_picture(&mut rng, beat, place, &mut picture_use, None)) } else { None };
        let photo_day = |rng: &mut StdRng, max_days: i64| (published - Duration::days(rng.gen_range(0..=max_days))).date_naive();
        let hero_figure = hero.map(|index| Figure {
            src: format!("demo:{index}"),
            alt: SPECS[index].alt.to_string(),
            caption: caption(&mut rng, index, place),
            credit: credits[index].clone(),
            date: Some(photo_day(&mut rng, 2)),
            place: place.city.to_string(),
        });
        let inline_figure = if rng.gen_bool(0.5) {
            let index = pick_picture(&mut rng, beat, place, &mut picture_use, hero);
            Some(FigureBlock {
                src: format!("demo:{index}"),
                alt: SPECS[index].alt.to_string(),
                caption: caption(&mut rng, index, place),
                credit: credits[index].clone(),
                date: photo_day(&mut rng, 20),
                place: place.city.to_string(),
            })
        } else {
            None
        };
        let embed = rng.gen_bool(0.08).then(|| format!("https://video.example.org/watch/{}", video_id(&mut rng)));
        let link = rng.gen_bool(0.12).then(|| {
            let shelf = ["reports", "data", "dossiers"][rng.gen_range(0..3)];
            format!("https://example.org/{shelf}/{}-{}-{}", slugify(place.city), beat.slug, rng.gen_range(100..1000))
        });
        let assignment = Assignment {
            beat,
            kind,
            place,
            region_name: region_in_prose(place.region),
            published,
            target_words: rng.gen_range(440..=850),
            inline_figure,
            pull_quote: rng.gen_bool(0.5),
            embed,
            link,
            statement: rng.gen_bool(0.3),
            list: rng.gen_bool(0.15),
        };
        let written = newsroom.write(&mut rng, &assignment, &taken);
        taken.insert(slugify(&written.headline));

        let draft = ArticleDraft {
            headline: written.headline,
            slug: None,
            standfirst: written.standfirst,
            dateline: place.city.to_string(),
            hero: hero_figure,
            body_markdown: written.body,
            access: access[i],
            section: Some(section.to_string()),
            authors,
            topics: topics_for(&mut rng, beat, place),
            regions: regions_for(&mut rng, place),
            provenance,
            seo_title: String::new(),
            seo_description: String::new(),
        };
        articles.push(DemoArticle { draft, published_at: published, hero_image: hero });
    }
    articles
}

/// Publication times, oldest first: a handful in the last two days, a
/// cluster earlier this week, the rest over the previous fourteen months.
fn publication_dates(rng: &mut StdRng, count: usize, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let recent = (count * 3 / 100).max(4).min(count);
    let week = (count * 7 / 100).max(6).min(count - recent);
    let minutes = |rng: &mut StdRng, from: i64, to: i64| now - Duration::minutes(rng.gen_range(from..to));
    let mut dates: Vec<DateTime<Utc>> = (0..count)
        .map(|i| {
            if i < recent {
                minutes(rng, 20, 46 * 60)
            } else if i < recent + week {
                minutes(rng, 2 * 24 * 60 + 60, 7 * 24 * 60)
            } else {
                minutes(rng, 7 * 24 * 60 + 60, 425 * 24 * 60)
            }
        })
        .map(|t| {
            // Whole minutes, as an editor schedules them.
            let secs = t.timestamp() - t.timestamp().rem_euclid(60);
            Utc.timestamp_opt(secs, 0).single().unwrap_or(t)
        })
        .collect();
    dates.sort();
    dates
}

/// `count` values with the given percentages of each, the rest `other`,
/// shuffled.
fn shuffled_mix<T: Copy>(rng: &mut StdRng, count: usize, shares: &[(T, usize)], other: T) -> Vec<T> {
    let mut out = Vec::with_capacity(count);
    for &(value, percent) in shares {
        let n = (count * percent + 50) / 100;
        out.extend(std::iter::repeat_n(value, n.min(count - out.len())));
    }
    out.resize(count, other);
    out.shuffle(rng);
    out
}

fn pick_section(rng: &mut StdRng, beat: &Beat) -> &'static str {
    const WEIGHTS: &[(&str, u32)] = &[("world", 28), ("analysis", 14), ("economy", 16), ("culture", 12), ("society", 18), ("opinion", 12)];
    loop {
        let mut roll = rng.gen_range(0..100);
        let mut section = "world";
        for &(slug, weight) in WEIGHTS {
            if roll < weight {
                section = slug;
                break;
            }
            roll -= weight;
        }
        if section != "economy" || beat.economy {
            return section;
        }
    }
}

/// How often the desk has filed from each region and translated from
/// each language so far, so that the publication covers them evenly.
#[derive(Default)]
struct Spread {
    regions: std::collections::HashMap<&'static str, usize>,
    languages: std::collections::HashMap<&'static str, usize>,
    bylines: std::collections::HashMap<&'static str, usize>,
}

/// The least-used of `options` (a random one among equals).
fn least_used(rng: &mut StdRng, options: &[&'static str], used: &std::collections::HashMap<&'static str, usize>) -> Option<&'static str> {
    let mut options = options.to_vec();
    options.shuffle(rng);
    options.into_iter().min_by_key(|o| used.get(o).copied().unwrap_or(0))
}

/// A dateline, and for a translation the language of the original. The
/// least-covered region (and language) the beat allows comes first, so
/// that no region crowds out the rest; then a city in it.
fn pick_place(rng: &mut StdRng, beat: &Beat, translated: bool, spread: &mut Spread) -> (&'static Place, Option<&'static str>) {
    let fits = |p: &Place| (beat.regions.is_empty() || beat.regions.contains(&p.region)) && (!beat.border_towns || p.border);
    let mut candidates: Vec<&'static Place> = PLACES.iter().filter(|p| fits(p)).collect();
    let mut language = None;
    if translated {
        let mut tags: Vec<&'static str> = candidates.iter().flat_map(|p| p.languages.iter().copied()).collect();
        tags.sort_unstable();
        tags.dedup();
        language = least_used(rng, &tags, &spread.languages);
        if let Some(lang) = language {
            candidates.retain(|p| p.languages.contains(&lang));
            *spread.languages.entry(lang).or_default() += 1;
        }
    }
    let mut regions: Vec<&'static str> = candidates.iter().map(|p| p.region).collect();
    regions.sort_unstable();
    regions.dedup();
    let region = least_used(rng, &regions, &spread.regions).unwrap_or("europe");
    *spread.regions.entry(region).or_default() += 1;
    let places: Vec<&'static Place> = candidates.into_iter().filter(|p| p.region == region).collect();
    (places.choose(rng).copied().unwrap_or(&PLACES[0]), language)
}

/// Who is credited, and for a translation where it first ran.
fn byline(
    rng: &mut StdRng,
    beat: &Beat,
    place: &Place,
    section: &str,
    language: Option<&'static str>,
    published: DateTime<Utc>,
    spread: &mut Spread,
) -> (Vec<String>, Option<Provenance>) {
    let regional: Vec<&Staffer> = STAFF.iter().filter(|s| s.regions.contains(&place.region)).collect();
    // A region's own correspondent files most of its stories; otherwise
    // whoever has had the fewest bylines lately.
    let load = |s: &Staffer| {
        let home = if s.regions.first() == Some(&place.region) { 3 } else { 1 };
        spread.bylines.get(s.slug).copied().unwrap_or(0) * 6 / home
    };
    let mut shuffled = regional.clone();
    shuffled.shuffle(rng);
    let correspondent = shuffled.iter().copied().min_by_key(|s| load(s)).unwrap_or(&STAFF[0]);
    let mut authors: Vec<&str> = Vec::new();
    let provenance = language.map(|lang| {
        let mut speakers: Vec<&Staffer> = STAFF.iter().filter(|s| s.languages.contains(&lang)).collect();
        speakers.shuffle(rng);
        let speaker = speakers.iter().copied().min_by_key(|s| spread.bylines.get(s.slug).copied().unwrap_or(0));
        let tongue = TONGUES.iter().find(|t| t.tag == lang).unwrap_or(&TONGUES[0]);
        let translator = match speaker {
            Some(staffer) if rng.gen_bool(0.7) => {
                authors.push(staffer.slug);
                staffer.name.to_string()
            }
            _ => {
                authors.push(correspondent.slug);
                tongue.freelancers.choose(rng).copied().unwrap_or("Sam Weller").to_string()
            }
        };
        let outlets: Vec<_> = OUTLETS.iter().filter(|o| o.language == lang).collect();
        let outlet = outlets.choose(rng).copied().unwrap_or(&OUTLETS[0]);
        let beat_index = BEATS.iter().position(|b| b.slug == beat.slug).unwrap_or(0);
        let title = tongue
            .titles
            .choose(rng)
            .copied()
            .unwrap_or("{place}")
            .replace("{place}", place.city)
            .replace("{topic}", tongue.topics[beat_index]);
        let original: NaiveDate = (published - Duration::days(rng.gen_range(1..=2))).date_naive();
        let url = format!(
            "https://{}.example/{}/{}/{}-{}",
            slugify(outlet.name),
            tongue.paths.choose(rng).copied().unwrap_or("news"),
            original.format("%Y/%m/%d"),
            slugify(&title),
            rng.gen_range(10_000..100_000)
        );
        Provenance { publication: outlet.name.to_string(), title, url, language: lang.to_string(), published_on: Some(original), translator }
    });
    if authors.is_empty() {
        authors.push(correspondent.slug);
    }
    let second = match section {
        "economy" if rng.gen_bool(0.4) => Some("jonas-albrecht"),
        "culture" if rng.gen_bool(0.4) => Some("helene-marchetti"),
        _ if rng.gen_bool(0.1) => regional.choose(rng).map(|s| s.slug),
        _ => None,
    };
    if let Some(second) = second {
        if !authors.contains(&second) {
            authors.push(second);
        }
    }
    for author in &authors {
        *spread.bylines.entry(author).or_default() += 1;
    }
    (authors.into_iter().map(String::from).collect(), provenance)
}

fn topics_for(rng: &mut StdRng, beat: &Beat, place: &Place) -> Vec<String> {
    let mut topics = vec![beat.slug.to_string()];
    let extra = match rng.gen_range(0..100) {
        0..=44 => 0,
        45..=84 => 1,
        _ => 2,
    };
    let war_nearby = matches!(place.region, "ukraine" | "russia" | "europe");
    let mut related: Vec<&str> = beat.related.iter().copied().filter(|t| *t != "war-in-ukraine" || war_nearby).collect();
    related.shuffle(rng);
    topics.extend(related.into_iter().take(extra).map(String::from));
    topics
}

fn regions_for(rng: &mut StdRng, place: &Place) -> Vec<String> {
    let mut regions = vec![place.region.to_string()];
    if rng.gen_bool(0.2) {
        if let Some(other) = cast::neighbours(place.region).choose(rng) {
            regions.push(other.to_string());
        }
    }
    regions
}

/// The least-used picture that suits the beat and the place; any picture
/// that suits the place when none of the beat's does.
fn pick_picture(rng: &mut StdRng, beat: &Beat, place: &Place, used: &mut [usize], not: Option<usize>) -> usize {
    let suits = |i: usize| SPECS[i].needs.suits(place) && Some(i) != not;
    let mut candidates: Vec<usize> = (0..SPECS.len()).filter(|&i| suits(i) && beat.pictures.contains(&SPECS[i].subject)).collect();
    if candidates.is_empty() {
        candidates = (0..SPECS.len()).filter(|&i| suits(i)).collect();
    }
    candidates.shuffle(rng);
    let chosen = candidates.iter().copied().min_by_key(|&i| used[i]).unwrap_or(0);
    used[chosen] += 1;
    chosen
}

fn caption(rng: &mut StdRng, index: usize, place: &Place) -> String {
    let connector = ["near", "outside", "on the outskirts of", "in"][rng.gen_range(0..4)];
    format!("{} {connector} {}.", SPECS[index].stub, place.city)
}

fn video_id(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789_-";
    (0..11).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use masthead_core::count_words;
    use std::sync::OnceLock;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 4, 9, 30, 0).unwrap()
    }

    fn publication() -> &'static DemoPublication {
        static PUBLICATION: OnceLock<DemoPublication> = OnceLock::new();
        PUBLICATION.get_or_init(|| generate(7, 200, now()))
    }

    /// Figure sources in a body, as `demo:N` indexes.
    fn body_figures(body: &str) -> Vec<usize> {
        body.lines().filter_map(|l| l.strip_prefix("src: demo:")).map(|n| n.parse().unwrap()).collect()
    }

    /// The body with Markdown links replaced by their text.
    fn without_links(body: &str) -> String {
        let mut out = String::new();
        let mut rest = body;
        while let Some(i) = rest.find('[') {
            let Some(j) = rest[i..].find("](https://example.org/") else { break };
            let Some(k) = rest[i + j..].find(')') else { break };
            out.push_str(&rest[..i]);
            out.push_str(&rest[i + 1..i + j]);
            rest = &rest[i + j + k + 1..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn same_seed_and_clock_give_the_same_articles() {
        let credits = photo_credits(11);
        let a = write_articles(11, 60, now(), &credits);
        let b = write_articles(11, 60, now(), &credits);
        assert_eq!(a, b);
        let c = write_articles(12, 60, now(), &credits);
        assert_ne!(a, c, "another seed gives another publication");
    }

    #[test]
    fn same_seed_and_clock_give_the_same_publication() {
        assert!(generate(7, 200, now()) == *publication(), "two runs differ");
    }

    #[test]
    fn same_seed_gives_the_same_pictures() {
        assert_eq!(pictures::paint(3, 13).jpeg, pictures::paint(3, 13).jpeg);
        assert_ne!(pictures::paint(3, 0).jpeg, pictures::paint(4, 0).jpeg);
    }

    #[test]
    fn small_and_large_runs_work() {
        let credits = photo_credits(1);
        assert!(write_articles(1, 0, now(), &credits).is_empty());
        let few = write_articles(1, 5, now(), &credits);
        assert_eq!(few.len(), 5);
        assert!(few.iter().all(|a| a.draft.validate().is_ok()));
        let many = write_articles(1, 600, now(), &credits);
        let slugs: HashSet<String> = many.iter().map(|a| slugify(&a.draft.headline)).collect();
        assert_eq!(slugs.len(), 600);
    }

    #[test]
    fn masthead_desks_and_staff_are_complete() {
        let p = publication();
        assert_eq!(p.name, "The Meridian Dispatch");
        assert!(!p.tagline.is_empty());
        assert_eq!(p.sections.len(), 6);
        assert_eq!(p.topics.len(), 10);
        assert_eq!(p.regions.len(), 10);
        assert!((8..=12).contains(&p.authors.len()));
        for t in p.sections.iter().chain(&p.topics).chain(&p.regions) {
            assert!(masthead_core::slug::validate_slug(&t.slug).is_ok(), "{}", t.slug);
            assert!(!t.description.is_empty());
        }
        for a in &p.authors {
            assert!(masthead_core::slug::validate_slug(&a.slug).is_ok(), "{}", a.slug);
            assert!(a.bio.split(". ").count() >= 2, "{}", a.bio);
        }
    }

    #[test]
    fn pictures_are_jpegs_of_the_stated_size() {
        let p = publication();
        assert!((20..=28).contains(&p.images.len()));
        let mut seen = HashSet::new();
        for img in &p.images {
            assert_eq!(&img.jpeg[..2], &[0xFF, 0xD8], "JPEG start of image");
            assert!(img.jpeg.len() > 20_000, "{} bytes is suspiciously small", img.jpeg.len());
            assert!(seen.insert(img.jpeg.clone()), "pictures are distinct");
            assert!(img.alt.starts_with("An abstract view of"));
            assert!(img.credit.starts_with("Photo: ") && img.credit.contains(" via "));
        }
        assert!(p.images.iter().any(|i| i.height > i.width), "a portrait picture");
        assert!(p.images.iter().any(|i| i.height == i.width), "a square picture");
        let decoded = image::load_from_memory(&p.images[1].jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (p.images[1].width, p.images[1].height));
    }

    #[test]
    fn every_draft_is_valid_and_refers_to_known_tags() {
        let p = publication();
        assert_eq!(p.articles.len(), 200);
        let slugs = |v: &[TagSeed]| v.iter().map(|t| t.slug.clone()).collect::<HashSet<_>>();
        let (sections, topics, regions) = (slugs(&p.sections), slugs(&p.topics), slugs(&p.regions));
        let authors: HashSet<_> = p.authors.iter().map(|a| a.slug.clone()).collect();
        let mut used_authors = HashSet::new();
        let mut used_sections = HashSet::new();
        for a in &p.articles {
            let d = &a.draft;
            d.validate().unwrap_or_else(|e| panic!("{}: {e:?}", d.headline));
            assert!(sections.contains(d.section.as_deref().unwrap()));
            assert!((1..=2).contains(&d.authors.len()) && d.authors.iter().all(|s| authors.contains(s)), "{:?}", d.authors);
            assert!((1..=3).contains(&d.topics.len()) && d.topics.iter().all(|s| topics.contains(s)), "{:?}", d.topics);
            assert!((1..=2).contains(&d.regions.len()) && d.regions.iter().all(|s| regions.contains(s)), "{:?}", d.regions);
            assert!(!d.dateline.is_empty() && !d.standfirst.is_empty());
            let sentences = 1 + [". ", "? ", "! "].iter().map(|end| d.standfirst.matches(end).count()).sum::<usize>();
            assert!(sentences <= 2, "{}", d.standfirst);
            used_authors.extend(d.authors.iter().cloned());
            used_sections.insert(d.section.clone().unwrap());
        }
        assert_eq!(used_authors, authors, "every author has a byline");
        assert_eq!(used_sections, sections);
    }

    #[test]
    fn headlines_and_slugs_are_unique() {
        let p = publication();
        let slugs: HashSet<String> = p.articles.iter().map(|a| slugify(&a.draft.headline)).collect();
        assert_eq!(slugs.len(), p.articles.len());
        for a in &p.articles {
            assert!(a.draft.headline.len() < 140, "{}", a.draft.headline);
        }
    }

    #[test]
    fn access_levels_are_mixed() {
        let p = publication();
        let n = |level| p.articles.iter().filter(|a| a.draft.access == level).count();
        assert_eq!(n(AccessLevel::Free), 30);
        assert_eq!(n(AccessLevel::SubscribersOnly), 30);
        assert_eq!(n(AccessLevel::Metered), 140);
    }

    #[test]
    fn translations_carry_their_provenance() {
        let p = publication();
        let translations: Vec<_> = p.articles.iter().filter_map(|a| a.draft.provenance.as_ref().map(|pr| (a, pr))).collect();
        assert_eq!(translations.len(), 80);
        let languages: HashSet<_> = translations.iter().map(|(_, pr)| pr.language.as_str()).collect();
        assert!(languages.len() >= 8, "{languages:?}");
        for (a, pr) in translations {
            assert!(masthead_core::is_language_tag(&pr.language));
            assert!(!pr.publication.is_empty() && !pr.title.is_empty() && !pr.translator.is_empty());
            assert!(pr.url.starts_with("https://") && pr.url.contains(".example/"), "{}", pr.url);
            let days = (a.published_at.date_naive() - pr.published_on.unwrap()).num_days();
            assert!((1..=2).contains(&days), "original ran {days} days before");
        }
    }

    #[test]
    fn pictures_referenced_exist() {
        let p = publication();
        let mut heroes = 0;
        let mut inline = 0;
        for a in &p.articles {
            if let Some(i) = a.hero_image {
                heroes += 1;
                assert!(i < p.images.len());
                let hero = a.draft.hero.as_ref().unwrap();
                assert_eq!(hero.src, format!("demo:{i}"));
                assert_eq!(hero.alt, p.images[i].alt);
                assert!(hero.date.unwrap() <= a.published_at.date_naive());
            } else {
                assert!(a.draft.hero.is_none());
            }
            let figures = body_figures(&a.draft.body_markdown);
            inline += usize::from(!figures.is_empty());
            assert!(figures.iter().all(|&i| i < p.images.len()));
        }
        assert!(heroes > 150, "{heroes} heroes");
        assert!((70..=130).contains(&inline), "{inline} inline figures");
    }

    #[test]
    fn bodies_are_long_enough_and_use_the_house_syntax() {
        let p = publication();
        let (mut pulls, mut embeds, mut links, mut quotes, mut lists) = (0, 0, 0, 0, 0);
        for a in &p.articles {
            let body = &a.draft.body_markdown;
            let words = count_words(body);
            assert!((400..=1200).contains(&words), "{words} words in {}", a.draft.headline);
            let subheads = body.lines().filter(|l| l.starts_with("## ")).count();
            assert!((1..=3).contains(&subheads), "{subheads} subheads");
            let plain = without_links(body);
            for text in [&a.draft.headline, &a.draft.standfirst, &plain] {
                assert!(!text.contains(['{', '}', '[', ']', '|']), "template left in: {text}");
            }
            if let Some(start) = body.find("```pullquote\n") {
                pulls += 1;
                let block = &body[start + 13..];
                let quote = block.lines().next().unwrap();
                let rest = body.replacen(&format!("```pullquote\n{quote}"), "", 1);
                assert!(rest.contains(quote.trim_end_matches('.')), "pull quote {quote:?} is not in the text");
                assert!(block.lines().nth(1).unwrap().starts_with("-- "));
            }
            embeds += usize::from(body.contains("```embed\nhttps://video.example.org/watch/"));
            links += usize::from(body.contains("](https://example.org/"));
            quotes += usize::from(body.lines().any(|l| l.starts_with("> ")));
            lists += usize::from(body.lines().any(|l| l.starts_with("- ")));
        }
        assert!((70..=120).contains(&pulls), "{pulls} pull quotes");
        assert!((3..=30).contains(&embeds), "{embeds} embeds");
        assert!((5..=40).contains(&links), "{links} links");
        assert!(quotes >= 20, "{quotes} block quotes");
        assert!(lists >= 20, "{lists} lists");
    }

    #[test]
    fn dates_cluster_toward_now() {
        let p = publication();
        let now = now();
        let within = |d: Duration| p.articles.iter().filter(|a| now - a.published_at <= d).count();
        assert!(within(Duration::days(2)) >= 4);
        assert!(within(Duration::days(7)) >= 15);
        assert!(p.articles.iter().all(|a| a.published_at <= now && now - a.published_at < Duration::days(430)));
        assert!(p.articles.windows(2).all(|w| w[0].published_at <= w[1].published_at));
        assert!(now - p.articles[0].published_at > Duration::days(330), "the archive reaches back a year");
    }
}
