//! Writing one article from an assignment: fill the templates of its beat
//! and genre with a place, people and numbers, then lay the paragraphs,
//! subheads, quotes and figures out as the Markdown body our renderer
//! reads.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use masthead_core::count_words;
use masthead_core::slug::slugify;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use super::beats::Beat;
use super::cast::{Culture, Place, Seasons};
use super::frames;

/// The genre of a piece; it decides the order of paragraphs and whether
/// quotes are "said" (news) or "says" (reportage).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    News,
    Reportage,
    Analysis,
    Economy,
    Culture,
    Opinion,
}

/// What the desk hands a writer.
pub(super) struct Assignment {
    pub beat: &'static Beat,
    pub kind: Kind,
    pub place: &'static Place,
    pub region_name: &'static str,
    pub published: DateTime<Utc>,
    pub target_words: usize,
    pub inline_figure: Option<FigureBlock>,
    pub pull_quote: bool,
    /// Video address for an embed, if the piece has one.
    pub embed: Option<String>,
    /// Address for a link in the text, if the piece has one.
    pub link: Option<String>,
    pub statement: bool,
    pub list: bool,
}

#[derive(Clone)]
pub(super) struct FigureBlock {
    pub src: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub date: NaiveDate,
    pub place: String,
}

pub(super) struct Written {
    pub headline: String,
    pub standfirst: String,
    pub body: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    P1 = 0,
    P2 = 1,
    Expert = 2,
    Official = 3,
}

struct Person {
    full: String,
    short: String,
    /// The family name in its masculine form, so that a Belov and a
    /// Belova are not quoted in the same piece.
    family: String,
    desc: String,
    female: bool,
    mentioned: bool,
}

/// The facts of one article that its templates refer to, and who has
/// already been named (first mention full name, then family name only).
pub(super) struct Sheet {
    place: &'static Place,
    /// For election pieces: written after the vote rather than before.
    after_vote: bool,
    vars: HashMap<&'static str, String>,
    people: [Person; 4],
}

impl Sheet {
    fn new(rng: &mut StdRng, a: &Assignment) -> Sheet {
        let place = a.place;
        let culture = place.culture;
        let beat = a.beat;
        let mut jobs: Vec<&str> = beat.people.to_vec();
        jobs.shuffle(rng);
        let job1 = jobs.first().copied().unwrap_or("resident");
        let p1 = person(rng, culture, job1, &[]);
        let (work_kind, maker) = pick_pair(rng, frames::WORK_KINDS);
        let p2 = if a.kind == Kind::Culture {
            artist(rng, culture, maker, place.city, &[&p1])
        } else {
            let job2 = jobs.get(1).copied().unwrap_or("neighbour");
            person(rng, culture, job2, &[&p1])
        };
        let expert_kind = pick(rng, beat.experts);
        let institution = match rng.gen_range(0..3) {
            0 => format!("a university in {}", place.city),
            1 => format!("the {}, an independent research group", pick(rng, frames::THINK_TANKS)),
            _ => "a research institute in the capital".to_string(),
        };
        let mut expert = person(rng, culture, "expert", &[&p1, &p2]);
        expert.desc = format!("{expert_kind} at {institution}");
        let mut official = person(rng, culture, "official", &[&p1, &p2, &expert]);
        official.desc = match rng.gen_range(0..4) {
            0 => format!("the deputy mayor of {}", place.city),
            1 => format!("the head of the city's {} department", beat.dept),
            2 => format!("a senior official in the regional {} department", beat.dept),
            _ => "a spokesperson for the regional administration".to_string(),
        };

        let mut vars: HashMap<&'static str, String> = HashMap::new();
        vars.insert("place", place.city.to_string());
        vars.insert("country", place.country.to_string());
        vars.insert("region_name", a.region_name.to_string());
        vars.insert("currency", place.currency.to_string());
        let (worship, cleric) = pick_pair(rng, culture.worship);
        vars.insert("worship", worship.to_string());
        vars.insert("a_worship", format!("{} {worship}", indefinite(worship)));
        vars.insert("cleric", cleric.to_string());
        vars.insert("season", season(place.seasons, a.published.month()).to_string());
        let day_before = a.published - Duration::days(1);
        vars.insert("weekday", weekday_name(day_before.weekday()).to_string());
        let mut small: Vec<&str> = NUMBER_WORDS.to_vec();
        small.shuffle(rng);
        vars.insert("n_small", small.first().copied().unwrap_or("three").to_string());
        vars.insert("n_small2", small.get(1).copied().unwrap_or("four").to_string());
        vars.insert("years", pick(rng, YEARS).to_string());
        vars.insert("hours", pick(rng, HOURS).to_string());
        vars.insert("topic_noun", beat.noun.to_string());
        vars.insert("work_kind", work_kind.to_string());
        vars.insert("a_work_kind", format!("{} {work_kind}", indefinite(work_kind)));
        vars.insert("venue", pick(rng, frames::VENUES).to_string());
        vars.insert("work_title", format!("“{}”", work_title(rng)));

        let after_vote = rng.gen_bool(0.5);
        let mut sheet = Sheet { place, after_vote, vars, people: [p1, p2, expert, official] };
        let themes: Vec<&str> = beat.themes.iter().copied().filter(|t| suits(t, place, false)).collect();
        let theme_tpl = untagged(pick(rng, &themes));
        let theme = sheet.expand(rng, theme_tpl);
        sheet.vars.insert("theme", theme);
        sheet
    }

    /// Makes sure a person named for the first time is also described:
    /// "{official} said" becomes "{official}, {official_desc}, said".
    fn introducing(&self, tpl: &str) -> String {
        let mut out = tpl.to_string();
        for (key, person) in ["p1", "p2", "expert", "official"].iter().zip(&self.people) {
            let name = format!("{{{key}}}");
            let desc = format!("{{{key}_desc}}");
            if !person.mentioned && out.contains(&name) && !out.contains(&desc) {
                out = out.replacen(&name, &format!("{name}, {desc},"), 1);
            } else if person.mentioned {
                // Introduced already: "Ma, a spokesperson, argued" reads as
                // if Ma were new. Drop the description.
                out = out.replace(&format!("{name}, {desc},"), &name);
            }
        }
        out
    }

    fn reset_mentions(&mut self) {
        for p in &mut self.people {
            p.mentioned = false;
        }
    }

    fn name(&mut self, who: Who) -> String {
        let p = &mut self.people[who as usize];
        if p.mentioned {
            p.short.clone()
        } else {
            p.mentioned = true;
            p.full.clone()
        }
    }

    fn resolve(&mut self, rng: &mut StdRng, name: &str) -> String {
        // Numbers are drawn afresh at each use, so two figures in one
        // article do not come out the same.
        match name {
            "pct" => return rng.gen_range(12..69).to_string(),
            "pct_small" => return rng.gen_range(3..16).to_string(),
            "count" => return thousands(rng.gen_range(12..480) * 10),
            "count_small" => return rng.gen_range(12..96).to_string(),
            "count_big" => return thousands(rng.gen_range(80..2400) * 100),
            "km" => return rng.gen_range(5..91).to_string(),
            "money" => {
                let currency = self.vars.get("currency").cloned().unwrap_or_default();
                return money(rng, &currency);
            }
            _ => {}
        }
        let (who_part, attr) = name.split_once('_').unwrap_or((name, ""));
        let capital = who_part.starts_with(|c: char| c.is_ascii_uppercase());
        let who = match who_part.to_ascii_lowercase().as_str() {
            "p1" => Some(Who::P1),
            "p2" => Some(Who::P2),
            "expert" => Some(Who::Expert),
            "official" => Some(Who::Official),
            _ => None,
        };
        if let Some(who) = who {
            let female = self.people[who as usize].female;
            let word = match attr {
                "" => return self.name(who),
                "desc" => return self.people[who as usize].desc.clone(),
                "he" => if female { "she" } else { "he" },
                "his" => if female { "her" } else { "his" },
                "him" => if female { "her" } else { "him" },
                _ => return format!("{{{name}}}"),
            };
            return if capital { capitalise(word) } else { word.to_string() };
        }
        self.vars.get(name).cloned().unwrap_or_else(|| format!("{{{name}}}"))
    }

    /// Fills a template: `[a|b]` picks one, `{name}` is looked up.
    fn expand(&mut self, rng: &mut StdRng, tpl: &str) -> String {
        let mut out = String::with_capacity(tpl.len() + 32);
        self.expand_into(rng, tpl, &mut out);
        out
    }

    fn expand_into(&mut self, rng: &mut StdRng, tpl: &str, out: &mut String) {
        let mut rest = tpl;
        while let Some(i) = rest.find(['[', '{']) {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if tail.starts_with('{') {
                let Some(j) = tail.find('}') else {
                    out.push_str(tail);
                    return;
                };
                let value = self.resolve(rng, &tail[1..j]);
                out.push_str(&value);
                rest = &tail[j + 1..];
            } else {
                let bytes = tail.as_bytes();
                let mut depth = 0usize;
                let mut options = Vec::new();
                let mut start = 1;
                let mut end = None;
                for (k, b) in bytes.iter().enumerate() {
                    match b {
                        b'[' => depth += 1,
                        b']' => {
                            depth -= 1;
                            if depth == 0 {
                                options.push(&tail[start..k]);
                                end = Some(k);
                                break;
                            }
                        }
                        b'|' if depth == 1 => {
                            options.push(&tail[start..k]);
                            start = k + 1;
                        }
                        _ => {}
                    }
                }
                let Some(k) = end else {
                    out.push_str(tail);
                    return;
                };
                let choice = options[rng.gen_range(0..options.len())];
                self.expand_into(rng, choice, out);
                rest = &tail[k + 1..];
            }
        }
        out.push_str(rest);
    }

    /// A finished sentence or line: filled, tidied, capitalised, with
    /// typographic apostrophes.
    fn line(&mut self, rng: &mut StdRng, tpl: &str) -> String {
        let tpl = self.introducing(tpl);
        let raw = self.expand(rng, &tpl);
        typeset(&capitalise(&tidy(&raw)))
    }
}

/// Draws lines from the banks so that a publication of two hundred pieces
/// repeats itself as little as the banks allow: each bank is dealt like a
/// shuffled deck, and one article never gets the same line twice.
#[derive(Default)]
struct Decks {
    decks: HashMap<usize, (Vec<usize>, usize)>,
    used_in_article: HashSet<usize>,
    /// Lines drawn from each bank in this article.
    bank_use: HashMap<usize, usize>,
    /// Whether a short article may use more than its share of generic lines.
    uncapped: bool,
}

impl Decks {
    /// The next line of `bank` that suits `place` and that this article
    /// has not used yet, without its tag.
    fn draw(&mut self, rng: &mut StdRng, bank: &'static [&'static str], sheet: &Sheet) -> Option<&'static str> {
        if bank.is_empty() {
            return None;
        }
        let (order, pos) = self.decks.entry(bank.as_ptr() as usize).or_insert_with(|| (Vec::new(), 0));
        for _ in 0..2 * bank.len() {
            if *pos >= order.len() {
                *order = (0..bank.len()).collect();
                order.shuffle(rng);
                *pos = 0;
            }
            let i = order[*pos];
            *pos += 1;
            let key = bank[i].as_ptr() as usize;
            if suits(bank[i], sheet.place, sheet.after_vote) && !self.used_in_article.contains(&key) {
                self.used_in_article.insert(key);
                return Some(untagged(bank[i]));
            }
        }
        None
    }
}

enum Block {
    Para(String),
    Sub(String),
    Quote(String),
    List(Vec<String>),
    Figure(FigureBlock),
    Pull { text: String, who: String },
    Embed { url: String, caption: String },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Lede,
    Scene,
    Intro,
    VoiceMore,
    Second,
    SecondMore,
    Context,
    Figures,
    Official,
    Expert,
    Doubt,
    Wider,
    Outlook,
    Sub,
    Analysis,
    AnalysisClose,
    Watch,
    OpinionOpen,
    Argument,
    OpinionMiddle,
    OpinionClose,
    CultureScene,
    CultureWork,
    Artist,
    Theme,
    Audience,
    Critics,
    CultureClose,
    Fill,
}

use Step::*;

fn plan(kind: Kind) -> (&'static [Step], &'static [Step]) {
    match kind {
        Kind::News => (
            &[Lede, Context, Official, Sub, Intro, Figures, Expert, Sub, Second, Doubt, Fill, Outlook],
            &[Context, VoiceMore, Figures, Wider, SecondMore, Doubt, Expert],
        ),
        Kind::Reportage => (
            &[Scene, Intro, Context, Sub, VoiceMore, Figures, Official, Sub, Second, Expert, Doubt, Fill, Outlook],
            &[Context, SecondMore, Wider, Figures, VoiceMore, Doubt, Context],
        ),
        Kind::Analysis => (
            &[Lede, Analysis, Context, Figures, Sub, Expert, Official, Doubt, Watch, Sub, Intro, Analysis, Fill, AnalysisClose],
            &[Context, Figures, Wider, Second, Analysis, Doubt, Expert],
        ),
        Kind::Economy => (
            &[Lede, Figures, Context, Sub, Official, Intro, Expert, Sub, Figures, Second, Doubt, Fill, Outlook],
            &[Context, Figures, VoiceMore, Wider, SecondMore, Doubt],
        ),
        Kind::Culture => (
            &[CultureScene, CultureWork, Artist, Sub, Theme, Audience, Critics, Sub, Artist, Fill, CultureClose],
            &[Context, Critics, Audience, Theme, Wider, Context],
        ),
        Kind::Opinion => (
            &[OpinionOpen, Argument, Sub, Context, Figures, OpinionMiddle, Intro, Sub, Doubt, OpinionMiddle, Fill, OpinionClose],
            &[Argument, Context, OpinionMiddle, Wider, Figures, Argument],
        ),
    }
}

/// Which paragraphs a link sentence may be appended to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ParaKind {
    Facts,
    Other,
}

struct Draft {
    blocks: Vec<Block>,
    para_kinds: Vec<ParaKind>,
    words: usize,
    subheads: usize,
    /// (block index, a sentence as it stands in that block, speaker)
    quotes: Vec<(usize, String, String, Who)>,
    statement_done: bool,
}

impl Draft {
    fn para(&mut self, text: String, kind: ParaKind) {
        self.words += count_words(&text) as usize;
        self.blocks.push(Block::Para(text));
        self.para_kinds.push(kind);
    }
    fn other(&mut self, block: Block) {
        match &block {
            Block::Sub(t) | Block::Quote(t) => self.words += count_words(t) as usize,
            Block::List(items) => self.words += items.iter().map(|i| count_words(i) as usize).sum::<usize>(),
            _ => {}
        }
        self.blocks.push(block);
        self.para_kinds.push(ParaKind::Other);
    }
}

/// The writing side of the newsroom: its random source and its decks.
pub(super) struct Newsroom {
    decks: Decks,
}

impl Newsroom {
    pub(super) fn new() -> Newsroom {
        Newsroom { decks: Decks::default() }
    }

    /// A filled line from `bank`, unless the article has used them all,
    /// or its share of the lines that fit any article.
    fn line(&mut self, rng: &mut StdRng, sheet: &mut Sheet, bank: &'static [&'static str]) -> Option<String> {
        let generic = [frames::WIDER, frames::BACKGROUND, frames::ATMOSPHERE].iter().any(|g| g.as_ptr() == bank.as_ptr());
        let used = self.decks.bank_use.entry(bank.as_ptr() as usize).or_insert(0);
        if generic && *used >= 2 && !self.decks.uncapped {
            return None;
        }
        *used += 1;
        let tpl = self.decks.draw(rng, bank, sheet)?;
        Some(sheet.line(rng, tpl))
    }

    /// One line for each slot, each slot trying its banks in order; slots
    /// whose banks are used up are left out. Empty unless at least one
    /// line comes from its slot's first bank: a paragraph made only of
    /// fallbacks says nothing about this story.
    fn lines(&mut self, rng: &mut StdRng, sheet: &mut Sheet, slots: &[&[&'static [&'static str]]]) -> Vec<String> {
        let mut out = Vec::new();
        let mut own = false;
        for banks in slots {
            for (k, bank) in banks.iter().enumerate() {
                if let Some(line) = self.line(rng, sheet, bank) {
                    own |= k == 0;
                    out.push(line);
                    break;
                }
            }
        }
        if own {
            out
        } else {
            Vec::new()
        }
    }

    /// Writes a piece whose headline's slug is not in `taken`.
    pub(super) fn write(&mut self, rng: &mut StdRng, a: &Assignment, taken: &HashSet<String>) -> Written {
        self.decks.used_in_article.clear();
        self.decks.bank_use.clear();
        self.decks.uncapped = false;
        let mut sheet = Sheet::new(rng, a);
        let headline = self.headline(rng, &mut sheet, a, taken);
        let standfirst_bank = match a.kind {
            Kind::Culture => frames::CULTURE_STANDFIRSTS,
            Kind::Opinion => frames::OPINION_STANDFIRSTS,
            _ => a.beat.standfirsts,
        };
        let standfirst = self.line(rng, &mut sheet, standfirst_bank).unwrap_or_default();
        sheet.reset_mentions();
        let body = self.body(rng, &mut sheet, a);
        Written { headline, standfirst, body }
    }

    fn headline(&mut self, rng: &mut StdRng, sheet: &mut Sheet, a: &Assignment, taken: &HashSet<String>) -> String {
        let bank = match a.kind {
            Kind::Opinion => a.beat.opinion_heads,
            Kind::Culture => frames::CULTURE_HEADLINES,
            _ => a.beat.headlines,
        };
        let mut last = String::new();
        for _ in 0..24 {
            let Some(h) = self.line(rng, sheet, bank) else { break };
            if !taken.contains(&slugify(&h)) {
                return h;
            }
            last = h;
        }
        if last.is_empty() {
            last = format!("Notes from {}", a.place.city);
        }
        // A rare collision after every template was tried: say where it
        // was filed, which is what an editor would do.
        for suffix in [": the view from", ": notes from", ", reported from"] {
            let h = format!("{last}{suffix} {}", a.place.city);
            if !taken.contains(&slugify(&h)) {
                return h;
            }
        }
        let mut n = 2;
        loop {
            let h = format!("{last}, part {n}");
            if !taken.contains(&slugify(&h)) {
                return h;
            }
            n += 1;
        }
    }

    fn body(&mut self, rng: &mut StdRng, sheet: &mut Sheet, a: &Assignment) -> String {
        let (steps, fillers) = plan(a.kind);
        let mut d = Draft { blocks: Vec::new(), para_kinds: Vec::new(), words: 0, subheads: 0, quotes: Vec::new(), statement_done: false };
        for &step in steps {
            if step == Fill {
                if d.words + 160 < a.target_words && d.subheads < 3 {
                    self.step(rng, sheet, a, &mut d, Sub);
                }
                // Round the fillers until the piece is long enough or the
                // banks have nothing left that it has not said.
                let mut idle = 0;
                let mut i = 0;
                while d.words < a.target_words && idle < fillers.len() {
                    let before = d.blocks.len();
                    self.step(rng, sheet, a, &mut d, fillers[i % fillers.len()]);
                    idle = if d.blocks.len() == before { idle + 1 } else { 0 };
                    i += 1;
                    // A piece this short would look thin: let it repeat
                    // what any article may say rather than stop.
                    if idle == fillers.len() && d.words < MIN_WORDS && !self.decks.uncapped {
                        self.decks.uncapped = true;
                        idle = 0;
                    }
                }
                if a.list && a.kind != Kind::Analysis {
                    self.step(rng, sheet, a, &mut d, Watch);
                }
            } else {
                self.step(rng, sheet, a, &mut d, step);
            }
        }
        self.dress(rng, sheet, a, &mut d);
        render(&d.blocks)
    }

    /// Quotes a person, naming them fully the first time.
    fn quote(&mut self, rng: &mut StdRng, sheet: &mut Sheet, who: Who, tpl: &str, kind: Kind, quoted_before: bool) -> (String, String) {
        let text = typeset(&tidy(&sheet.expand(rng, tpl)));
        let sentences = split_sentences(&text);
        let present = matches!(kind, Kind::Reportage | Kind::Culture);
        let said = if present { "says" } else { "said" };
        let first_time = !sheet.people[who as usize].mentioned;
        let name = sheet.name(who);
        let desc = sheet.people[who as usize].desc.clone();
        let lead = sentences.first().cloned().unwrap_or_default();
        let rest = sentences.get(1..).map(|s| s.join(" ")).unwrap_or_default();
        let split = !rest.is_empty() && rng.gen_bool(0.7);
        let (para, verbatim) = if split || (sentences.len() == 1 && rng.gen_bool(0.6)) {
            let lead = as_clause(&lead);
            let attribution = match (first_time, present) {
                (true, true) => format!("says {name}, {desc}."),
                (true, false) => format!("said {name}, {desc}."),
                (false, _) => format!("{name} {said}."),
            };
            if rest.is_empty() {
                (format!("“{lead}” {attribution}"), sentences.first().cloned().unwrap_or_default())
            } else {
                let verbatim = sentences.get(1).cloned().unwrap_or_default();
                (format!("“{lead}” {attribution} “{rest}”"), verbatim)
            }
        } else {
            let verbs = if present { ["puts it simply", "is blunt", "sums it up", "adds"] } else { ["put it simply", "was blunt", "summed it up", "added"] };
            let verb = verbs[rng.gen_range(0..if quoted_before { 4 } else { 3 })];
            let who_text = if first_time { format!("{name}, {desc},") } else { name.clone() };
            (format!("{who_text} {verb}: “{text}”"), lead)
        };
        (capitalise(&para), verbatim)
    }

    /// A paragraph quoting `who`, introduced first if they are new to the
    /// piece; nothing if the bank of things to say is used up.
    #[expect(clippy::too_many_arguments, reason = "who speaks, from which bank, with what after")]
    fn voice(&mut self, rng: &mut StdRng, sheet: &mut Sheet, a: &Assignment, d: &mut Draft, who: Who, bank: &'static [&'static str], tail: Option<&'static [&'static str]>) {
        // Past a few quotes a person starts to monologue.
        let limit = if who == Who::P1 { 3 } else { 2 };
        if d.quotes.iter().filter(|q| q.3 == who).count() >= limit {
            return;
        }
        let Some(said) = self.decks.draw(rng, bank, sheet) else { return };
        let intro = if sheet.people[who as usize].mentioned {
            None
        } else {
            match who {
                Who::P1 => self.line(rng, sheet, frames::INTRODUCTIONS),
                Who::P2 => self.line(rng, sheet, frames::SECOND_VOICES),
                _ => None,
            }
        };
        let quoted_before = d.quotes.iter().any(|q| q.3 == who);
        let (quote, verbatim) = self.quote(rng, sheet, who, said, a.kind, quoted_before);
        let tail = tail.and_then(|bank| self.line(rng, sheet, bank));
        let speaker = sheet.people[who as usize].full.clone();
        d.quotes.push((d.blocks.len(), verbatim, speaker, who));
        let parts: Vec<String> = intro.into_iter().chain(Some(quote)).chain(tail).collect();
        d.para(parts.join(" "), ParaKind::Other);
    }

    fn prose(&mut self, rng: &mut StdRng, sheet: &mut Sheet, d: &mut Draft, kind: ParaKind, slots: &[&[&'static [&'static str]]]) {
        let lines = self.lines(rng, sheet, slots);
        if !lines.is_empty() {
            d.para(lines.join(" "), kind);
        }
    }

    /// Like `prose`, for paragraphs whose first line only makes sense with
    /// the second ("There is a paradox here.").
    fn prose_whole(&mut self, rng: &mut StdRng, sheet: &mut Sheet, d: &mut Draft, kind: ParaKind, slots: &[&[&'static [&'static str]]]) {
        let lines = self.lines(rng, sheet, slots);
        if lines.len() == slots.len() {
            d.para(lines.join(" "), kind);
        }
    }

    fn step(&mut self, rng: &mut StdRng, sheet: &mut Sheet, a: &Assignment, d: &mut Draft, step: Step) {
        let beat = a.beat;
        let (facts, other) = (ParaKind::Facts, ParaKind::Other);
        match step {
            Lede => self.prose(rng, sheet, d, facts, &[&[beat.ledes], &[beat.context, frames::BACKGROUND]]),
            Scene => self.prose(rng, sheet, d, other, &[&[beat.scenes, frames::ATMOSPHERE], &[frames::ATMOSPHERE]]),
            Intro => self.voice(rng, sheet, a, d, Who::P1, beat.voices, None),
            Audience => self.voice(rng, sheet, a, d, Who::P1, frames::AUDIENCE_LINES, None),
            VoiceMore => self.voice(rng, sheet, a, d, Who::P1, beat.voices, Some(beat.context)),
            Second | SecondMore => self.voice(rng, sheet, a, d, Who::P2, beat.voices, None),
            Context => self.prose(rng, sheet, d, facts, &[&[beat.context, frames::BACKGROUND], &[beat.context, frames::WIDER]]),
            Figures => self.prose(rng, sheet, d, facts, &[&[beat.figures, beat.context], &[beat.figures, frames::BACKGROUND]]),
            Official => {
                self.prose(rng, sheet, d, other, &[&[beat.officials], &[beat.officials]]);
                if a.statement && !d.statement_done && !beat.statements.is_empty() {
                    d.statement_done = true;
                    let lines = self.lines(rng, sheet, &[&[frames::STATEMENT_INTROS], &[beat.statements]]);
                    if let [intro, statement] = lines.as_slice() {
                        d.para(intro.clone(), other);
                        d.other(Block::Quote(statement.clone()));
                    }
                }
            }
            Expert => self.voice(rng, sheet, a, d, Who::Expert, beat.expert_lines, Some(frames::WIDER)),
            Doubt => self.prose(rng, sheet, d, other, &[&[beat.doubts], &[beat.doubts, frames::WIDER]]),
            Wider => self.prose(rng, sheet, d, facts, &[&[frames::WIDER], &[beat.context, frames::BACKGROUND]]),
            Outlook => self.prose(rng, sheet, d, other, &[&[beat.outlook, frames::ANALYSIS_CLOSE]]),
            Sub => {
                if d.subheads < 3 {
                    let own = if a.kind == Kind::Opinion { frames::OPINION_SUBHEADS } else { beat.subheads };
                    let banks: &[&'static [&'static str]] = if rng.gen_bool(0.25) { &[frames::GENERIC_SUBHEADS, own] } else { &[own, frames::GENERIC_SUBHEADS] };
                    if let Some(sub) = banks.iter().find_map(|bank| self.line(rng, sheet, bank)) {
                        d.subheads += 1;
                        d.other(Block::Sub(sub));
                    }
                }
            }
            Analysis => self.prose_whole(rng, sheet, d, facts, &[&[frames::ANALYSIS], &[beat.context, frames::BACKGROUND]]),
            AnalysisClose => self.prose(rng, sheet, d, other, &[&[beat.outlook], &[frames::ANALYSIS_CLOSE]]),
            Watch => {
                let intro = self.line(rng, sheet, frames::LIST_INTROS);
                let n = rng.gen_range(3..=4);
                let items: Vec<String> = (0..n).filter_map(|_| self.line(rng, sheet, beat.watch)).collect();
                if let (Some(intro), true) = (intro, items.len() >= 3) {
                    d.para(intro, other);
                    d.other(Block::List(items));
                }
            }
            OpinionOpen => self.prose(rng, sheet, d, other, &[&[frames::OPINION_OPEN], &[beat.arguments]]),
            Argument => self.prose(rng, sheet, d, facts, &[&[beat.arguments, frames::OPINION_MIDDLE], &[beat.context, frames::BACKGROUND]]),
            OpinionMiddle => self.prose(rng, sheet, d, other, &[&[frames::OPINION_MIDDLE], &[frames::OPINION_MIDDLE, frames::WIDER]]),
            OpinionClose => self.prose(rng, sheet, d, other, &[&[beat.arguments, frames::OPINION_MIDDLE], &[frames::OPINION_CLOSE]]),
            CultureScene => self.prose(rng, sheet, d, other, &[&[frames::CULTURE_SCENES], &[frames::ATMOSPHERE]]),
            CultureWork => self.prose(rng, sheet, d, other, &[&[&frames::CULTURE_WORK[..1]], &[&frames::CULTURE_WORK[1..2]]]),
            Theme => self.prose(rng, sheet, d, facts, &[&[&frames::CULTURE_WORK[2..]], &[beat.context, frames::BACKGROUND]]),
            Artist => self.voice(rng, sheet, a, d, Who::P2, frames::ARTIST_LINES, None),
            Critics => self.prose(rng, sheet, d, other, &[&[frames::CULTURE_CRITICS], &[frames::CULTURE_CRITICS]]),
            CultureClose => self.prose(rng, sheet, d, other, &[&[frames::CULTURE_CLOSE]]),
            Fill => {}
        }
    }

    /// Adds what is not prose: the pull quote, the inline figure, the
    /// embedded video and the link.
    fn dress(&mut self, rng: &mut StdRng, sheet: &mut Sheet, a: &Assignment, d: &mut Draft) {
        if let Some(url) = &a.link {
            let facts: Vec<usize> = (1..d.blocks.len()).filter(|&i| d.para_kinds[i] == ParaKind::Facts).collect();
            if let Some(&i) = facts.choose(rng) {
                let (tpl, text) = frames::LINK_LINES[rng.gen_range(0..frames::LINK_LINES.len())];
                let line = sheet.line(rng, tpl).replace("{link}", &format!("[{text}]({url})"));
                if let Block::Para(p) = &mut d.blocks[i] {
                    p.push(' ');
                    p.push_str(&line);
                }
            }
        }
        let len = d.blocks.len();
        // Insert from the bottom up so earlier indexes stay valid.
        let mut inserts: Vec<(usize, Block)> = Vec::new();
        if let Some(url) = &a.embed {
            let at = (len * 2 / 3).max(3);
            let caption = self.line(rng, sheet, frames::EMBED_CAPTIONS).unwrap_or_default();
            inserts.push((settle(&d.blocks, at), Block::Embed { url: url.clone(), caption }));
        }
        if a.pull_quote {
            let candidates: Vec<&(usize, String, String, Who)> = d.quotes.iter().filter(|(i, s, _, _)| *i + 3 < len && count_words(s) >= 5).collect();
            if let Some((i, text, who, _)) = candidates.choose(rng).map(|q| (*q).clone()) {
                let at = settle(&d.blocks, i + 2);
                if !inserts.iter().any(|(j, _)| j.abs_diff(at) < 2) {
                    inserts.push((at, Block::Pull { text, who }));
                }
            }
        }
        if let Some(figure) = &a.inline_figure {
            let mut at = settle(&d.blocks, 3);
            while inserts.iter().any(|(j, _)| j.abs_diff(at) < 2) && at + 1 < len {
                at = settle(&d.blocks, at + 1);
            }
            inserts.push((at, Block::Figure(figure.clone())));
        }
        inserts.sort_by_key(|x| std::cmp::Reverse(x.0));
        for (at, block) in inserts {
            d.blocks.insert(at.min(d.blocks.len()), block);
        }
    }
}

/// Moves an insertion point so that it never lands straight after a
/// subhead, a list's lead-in or at the very end.
fn settle(blocks: &[Block], at: usize) -> usize {
    let mut at = at.clamp(1, blocks.len().saturating_sub(1).max(1));
    while at < blocks.len().saturating_sub(1) {
        let after_sub = matches!(blocks.get(at - 1), Some(Block::Sub(_)));
        let before_list = matches!(blocks.get(at), Some(Block::List(_) | Block::Quote(_)));
        if after_sub || before_list {
            at += 1;
        } else {
            break;
        }
    }
    at
}

fn render(blocks: &[Block]) -> String {
    let mut parts = Vec::with_capacity(blocks.len());
    for b in blocks {
        parts.push(match b {
            Block::Para(t) => t.clone(),
            Block::Sub(t) => format!("## {t}"),
            Block::Quote(t) => format!("> {t}"),
            Block::List(items) => items.iter().map(|i| format!("- {i}")).collect::<Vec<_>>().join("\n"),
            Block::Figure(f) => format!(
                "```figure\nsrc: {}\nalt: {}\ncaption: {}\ncredit: {}\ndate: {}\nplace: {}\n```",
                f.src,
                f.alt,
                f.caption,
                f.credit,
                f.date.format("%Y-%m-%d"),
                f.place
            ),
            Block::Pull { text, who } => format!("```pullquote\n{text}\n-- {who}\n```"),
            Block::Embed { url, caption } => format!("```embed\n{url}\n{caption}\n```"),
        });
    }
    let mut body = parts.join("\n\n");
    body.push('\n');
    body
}

/// Whether a bank line tagged `#coast`, `#border` or `#cold` may be said
/// of this place, and one tagged `#before` or `#after` at this point of an
/// election.
fn suits(line: &str, place: &Place, after_vote: bool) -> bool {
    match line.strip_prefix('#').and_then(|rest| rest.split_once(' ')) {
        Some(("coast", _)) => place.coast,
        Some(("border", _)) => place.border,
        Some(("cold", _)) => place.cold,
        Some(("front", _)) => place.front,
        Some(("before", _)) => !after_vote,
        Some(("after", _)) => after_vote,
        _ => true,
    }
}

fn untagged(line: &str) -> &str {
    match line.strip_prefix('#').and_then(|rest| rest.split_once(' ')) {
        Some((_, rest)) => rest,
        None => line,
    }
}

/// Prose words below which a piece keeps drawing on the generic lines.
const MIN_WORDS: usize = 450;

const NUMBER_WORDS: &[&str] = &["two", "three", "four", "five", "six", "seven", "eight", "nine"];
const HOURS: &[&str] = &["six", "eight", "eleven", "fourteen", "eighteen", "twenty"];
const YEARS: &[&str] = &["three years", "five years", "eight years", "a dozen years", "fifteen years", "twenty years", "three decades"];

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

fn pick_pair<'a>(rng: &mut StdRng, items: &[(&'a str, &'a str)]) -> (&'a str, &'a str) {
    items.choose(rng).copied().unwrap_or(("", ""))
}

fn person(rng: &mut StdRng, culture: &Culture, job: &str, others: &[&Person]) -> Person {
    let (low, high) = if job.contains("student") {
        (19, 26)
    } else if job.contains("pensioner") || job.contains("retired") {
        (63, 84)
    } else if job.contains("young") {
        (22, 34)
    } else if ["director", "owner", "manager", "paediatrician"].iter().any(|j| job.contains(j)) {
        (34, 64)
    } else {
        (24, 66)
    };
    let age: u32 = rng.gen_range(low..=high);
    let desc = if rng.gen_bool(0.7) {
        format!("{} {age}-year-old {job}", if matches!(age, 8 | 11 | 18 | 80..=89) { "an" } else { "a" })
    } else {
        format!("{} {job}", indefinite(job))
    };
    for _ in 0..8 {
        let female = rng.gen_bool(0.5);
        let first = pick(rng, if female { culture.female } else { culture.male });
        let (m, f) = pick_pair(rng, culture.family);
        let family = if female { f } else { m };
        let full = if culture.family_first { format!("{family} {first}") } else { format!("{first} {family}") };
        if others.iter().any(|p| p.family == m || p.full.split(' ').any(|part| part == first)) {
            continue;
        }
        return Person { full, short: family.to_string(), family: m.to_string(), desc, female, mentioned: false };
    }
    Person { full: "Sam Doe".into(), short: "Doe".into(), family: "Doe".into(), desc, female: false, mentioned: false }
}

fn artist(rng: &mut StdRng, culture: &Culture, maker: &str, city: &str, others: &[&Person]) -> Person {
    let mut p = person(rng, culture, maker, others);
    let age: u32 = rng.gen_range(27..64);
    p.desc = if rng.gen_bool(0.6) { format!("a {age}-year-old {maker} from {city}") } else { format!("{} {maker} from {city}", indefinite(maker)) };
    p
}

fn work_title(rng: &mut StdRng) -> String {
    let shape = pick(rng, frames::TITLE_SHAPES);
    let mut nouns: Vec<&str> = frames::TITLE_NOUNS.to_vec();
    nouns.shuffle(rng);
    shape
        .replace("{adj}", pick(rng, frames::TITLE_ADJECTIVES))
        .replace("{noun2}", nouns.get(1).copied().unwrap_or("Iron"))
        .replace("{noun}", nouns.first().copied().unwrap_or("Salt"))
}

fn money(rng: &mut StdRng, currency: &str) -> String {
    if rng.gen_bool(0.8) {
        format!("{} million {currency}", rng.gen_range(3..950))
    } else {
        format!("{}.{} billion {currency}", rng.gen_range(1..9), rng.gen_range(1..10))
    }
}

fn thousands(n: u32) -> String {
    let digits: Vec<char> = n.to_string().chars().collect();
    let groups: Vec<String> = digits.rchunks(3).rev().map(|g| g.iter().collect()).collect();
    groups.join(",")
}

fn season(seasons: Seasons, month: u32) -> &'static str {
    let north = |m: u32| match m {
        12 | 1 | 2 => "winter",
        3..=5 => "spring",
        6..=8 => "summer",
        _ => "autumn",
    };
    match seasons {
        Seasons::North => north(month),
        Seasons::South => north((month + 5) % 12 + 1),
        Seasons::Monsoon => match month {
            6..=9 => "monsoon",
            3..=5 => "summer",
            _ => "winter",
        },
        Seasons::Tropics => match month {
            5..=10 => "rainy-season",
            _ => "dry-season",
        },
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

pub(super) fn indefinite(word: &str) -> &'static str {
    let lower = word.to_ascii_lowercase();
    let exceptions_a = ["uni", "eu", "one", "use", "usu"];
    if exceptions_a.iter().any(|p| lower.starts_with(p)) {
        return "a";
    }
    if lower.starts_with("hour") || lower.starts_with("honest") {
        return "an";
    }
    match lower.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// Turns "We stayed." into "We stayed," for a quote followed by "she said".
fn as_clause(sentence: &str) -> String {
    match sentence.strip_suffix('.') {
        Some(s) => format!("{s},"),
        None => sentence.to_string(),
    }
}

fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if matches!(c, '.' | '?' | '!') && chars.get(k + 1).is_some_and(|&(_, n)| n == ' ') {
            out.push(text[start..=i].trim().to_string());
            start = i + c.len_utf8();
        }
    }
    let last = text[start..].trim();
    if !last.is_empty() {
        out.push(last.to_string());
    }
    out
}

fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = false;
    for c in text.chars() {
        if c == ' ' {
            if !last_space {
                out.push(c);
            }
            last_space = true;
        } else {
            if matches!(c, ',' | '.' | ':' | ';' | '?' | '!') && last_space {
                out.pop();
            }
            // "Name, description,." after an added description.
            if matches!(c, ',' | '.' | ':' | ';' | '?' | '!') && out.ends_with(',') {
                out.pop();
            }
            out.push(c);
            last_space = false;
        }
    }
    out.trim().to_string()
}

/// Upper-cases the first letter, past any opening quotation mark.
pub(super) fn capitalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut done = false;
    for c in text.chars() {
        if !done && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            done = true;
        } else {
            if !done && c.is_ascii_digit() {
                done = true;
            }
            out.push(c);
        }
    }
    out
}

/// Straight apostrophes become typographic ones.
pub(super) fn typeset(text: &str) -> String {
    text.replace('\'', "’")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn templates_expand_alternatives_and_names() {
        let mut rng = StdRng::seed_from_u64(1);
        let a = test_assignment(Kind::News);
        let mut sheet = Sheet::new(&mut rng, &a);
        let first = sheet.line(&mut rng, "{p1}, {p1_desc}, [went|walked] home to {place}.");
        let again = sheet.line(&mut rng, "{p1} said {p1_he} would stay.");
        assert!(first.contains(&sheet.people[0].full), "{first}");
        assert!(first.ends_with("home to Kharkiv."), "{first}");
        assert!(again.starts_with(&sheet.people[0].short), "{again}");
        assert!(!first.contains('[') && !first.contains('{'));
    }

    #[test]
    fn quotes_split_into_clause_and_rest() {
        assert_eq!(split_sentences("We stayed. Where would we go? Nowhere!"), ["We stayed.", "Where would we go?", "Nowhere!"]);
        assert_eq!(as_clause("We stayed."), "We stayed,");
        assert_eq!(as_clause("Where would we go?"), "Where would we go?");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(indefinite("electrician"), "an");
        assert_eq!(indefinite("university lecturer"), "a");
        assert_eq!(capitalise("“al-Khatib was right”"), "“Al-Khatib was right”");
        assert_eq!(tidy("a  b , c ."), "a b, c.");
        assert_eq!(tidy("Kim, a nurse,, said. Kim, a nurse,."), "Kim, a nurse, said. Kim, a nurse.");
    }

    #[test]
    fn every_template_fills_cleanly_everywhere() {
        let frames_banks: &[&[&str]] = &[
            frames::INTRODUCTIONS,
            frames::SECOND_VOICES,
            frames::ATMOSPHERE,
            frames::BACKGROUND,
            frames::WIDER,
            frames::ANALYSIS,
            frames::ANALYSIS_CLOSE,
            frames::OPINION_OPEN,
            frames::OPINION_MIDDLE,
            frames::OPINION_STANDFIRSTS,
            frames::OPINION_CLOSE,
            frames::GENERIC_SUBHEADS,
            frames::OPINION_SUBHEADS,
            frames::STATEMENT_INTROS,
            frames::LIST_INTROS,
            frames::CULTURE_HEADLINES,
            frames::CULTURE_STANDFIRSTS,
            frames::CULTURE_SCENES,
            frames::CULTURE_WORK,
            frames::CULTURE_CRITICS,
            frames::ARTIST_LINES,
            frames::AUDIENCE_LINES,
            frames::CULTURE_CLOSE,
            frames::EMBED_CAPTIONS,
        ];
        let mut rng = StdRng::seed_from_u64(5);
        let places = super::super::cast::PLACES;
        for beat in super::super::beats::BEATS {
            let beat_banks: &[&[&str]] = &[
                beat.themes, beat.headlines, beat.opinion_heads, beat.standfirsts, beat.ledes, beat.scenes, beat.context,
                beat.figures, beat.officials, beat.voices, beat.expert_lines, beat.doubts, beat.outlook, beat.watch,
                beat.subheads, beat.statements, beat.arguments,
            ];
            for bank in beat_banks {
                let untagged_line = bank.iter().any(|t| !t.starts_with('#'));
                let both_phases = bank.iter().any(|t| t.starts_with("#before ")) && bank.iter().any(|t| t.starts_with("#after "));
                assert!(untagged_line || both_phases, "{}: a bank needs lines for every place", beat.slug);
            }
            for (i, place) in places.iter().enumerate().filter(|(i, _)| i % 7 == 0) {
                let mut a = test_assignment(if i % 2 == 0 { Kind::Culture } else { Kind::News });
                a.beat = beat;
                a.place = place;
                let mut sheet = Sheet::new(&mut rng, &a);
                for tpl in beat_banks.iter().chain(frames_banks).flat_map(|b| b.iter()) {
                    assert!(!tpl.starts_with('#') || ["#coast ", "#border ", "#cold ", "#front ", "#before ", "#after "].iter().any(|t| tpl.starts_with(t)), "{tpl}");
                    let text = sheet.line(&mut rng, untagged(tpl));
                    assert!(!text.contains(['{', '}', '[', ']', '|', '#']), "{tpl} -> {text}");
                    assert!(!text.contains("  ") && !text.contains(",,") && !text.contains(" ,"), "{text}");
                }
            }
        }
    }

    fn test_assignment(kind: Kind) -> Assignment {
        let place = super::super::cast::PLACES.iter().find(|p| p.city == "Kharkiv").unwrap();
        Assignment {
            beat: &super::super::beats::BEATS[0],
            kind,
            place,
            region_name: "Ukraine",
            published: DateTime::parse_from_rfc3339("2026-03-04T09:00:00Z").unwrap().with_timezone(&Utc),
            target_words: 600,
            inline_figure: None,
            pull_quote: true,
            embed: None,
            link: None,
            statement: true,
            list: true,
        }
    }
}
