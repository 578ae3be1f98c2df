//! The demo publication's photographs, painted rather than taken: skies,
//! horizons, hills, water and silhouettes drawn into an RGB buffer and
//! saved as JPEG. Each picture is a fixed subject and light (so its alt
//! text is true) with the geometry varied by the seed.

use std::f32::consts::PI;

use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::cast::Place;

/// Where a picture can plausibly have been taken.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    Anywhere,
    Coast,
    Arid,
    Mountains,
    Cold,
    Border,
    /// Domes and minarets: not the skyline of an East Asian city.
    Domes,
}

impl Needs {
    pub(super) fn suits(self, place: &Place) -> bool {
        match self {
            Needs::Anywhere => true,
            Needs::Coast => place.coast,
            Needs::Arid => place.arid,
            Needs::Mountains => place.mountains,
            Needs::Cold => place.cold,
            Needs::Border => place.border,
            Needs::Domes => !matches!(place.region, "china" | "east-asia"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Light {
    Dawn,
    Morning,
    Noon,
    Golden,
    Sunset,
    Dusk,
    Night,
    Overcast,
    Winter,
    Storm,
}

pub(super) struct Spec {
    /// What is drawn; the beats refer to these keys.
    pub subject: &'static str,
    light: Light,
    pub width: u32,
    pub height: u32,
    pub needs: Needs,
    pub alt: &'static str,
    /// Start of a caption: "Dusk over the river" + " near Heihe."
    pub stub: &'static str,
    pub place: &'static str,
}

#[expect(clippy::too_many_arguments, reason = "one row of the table of pictures")]
const fn spec(
    subject: &'static str,
    light: Light,
    width: u32,
    height: u32,
    needs: Needs,
    alt: &'static str,
    stub: &'static str,
    place: &'static str,
) -> Spec {
    Spec { subject, light, width, height, needs, alt, stub, place }
}

use Light::*;
use Needs::*;

pub(super) const SPECS: &[Spec] = &[
    spec("rivertown", Dusk, 1600, 1000, Anywhere, "An abstract view of a town skyline across a wide river at dusk, under a violet sky.", "Dusk over the river", "Heihe"),
    spec("sea", Dawn, 1600, 1067, Coast, "An abstract view of a calm sea at dawn, the sun rising through a pale pink sky.", "Daybreak over the sea", "Odesa"),
    spec("hills", Morning, 1600, 1000, Anywhere, "An abstract view of layered green hills fading into morning mist under a clear blue sky.", "Morning mist over the hills", "Kraków"),
    spec("mountains", Noon, 1600, 1067, Mountains, "An abstract view of snow-capped mountains at midday under a deep blue sky.", "The mountains at midday", "Almaty"),
    spec("dunes", Golden, 1600, 1000, Arid, "An abstract view of sand dunes in the late afternoon under a golden sky.", "Dunes in the late-afternoon light", "Muscat"),
    spec("snowfield", Winter, 1600, 1000, Cold, "An abstract view of birch trunks in a snowy field on a winter day, under a cold white sky.", "Birches in the snow", "Chernihiv"),
    spec("nightcity", Night, 1600, 1000, Anywhere, "An abstract view of a city skyline at night, its windows lit under a starry dark blue sky.", "The city at night", "Kyiv"),
    spec("port", Sunset, 1600, 1067, Coast, "An abstract view of harbour cranes and stacked containers silhouetted at sunset under an orange sky.", "Cranes at the port at sunset", "Gdańsk"),
    spec("fields", Morning, 1600, 1000, Anywhere, "An abstract view of ploughed fields running to the horizon on a bright morning under a pale blue sky.", "Fields in the morning", "Rosario"),
    spec("pylons", Overcast, 1600, 1000, Anywhere, "An abstract view of electricity pylons crossing a flat plain on an overcast day, under a grey sky.", "Power lines crossing the plain", "Dnipro"),
    spec("turbines", Noon, 1600, 1067, Anywhere, "An abstract view of white wind turbines on a green ridge at midday under a deep blue sky.", "Wind turbines on the ridge", "Leipzig"),
    spec("flood", Storm, 1600, 1000, Anywhere, "An abstract view of a flooded plain with half-submerged trees and a rooftop, under a heavy storm sky.", "Floodwater across the plain", "Porto Alegre"),
    spec("fence", Dawn, 1600, 1000, Border, "An abstract view of a border fence and a watchtower crossing an empty field at dawn, under a pale pink sky.", "The border fence at dawn", "Gaziantep"),
    spec("domes", Dusk, 1600, 1067, Domes, "An abstract view of rooftops, domes and slender towers in silhouette at dusk under a violet sky.", "Domes and rooftops at dusk", "Samarkand"),
    spec("blocks", Winter, 1600, 1000, Cold, "An abstract view of concrete apartment blocks and bare trees in the snow, a few windows lit, under a cold white sky.", "Apartment blocks on a winter afternoon", "Kharkiv"),
    spec("forest", Night, 1600, 1000, Anywhere, "An abstract view of a pine forest on layered ridges under a full moon and a starry sky.", "Pines under the moon", "Lviv"),
    spec("boats", Morning, 1600, 1067, Coast, "An abstract view of small fishing boats on a calm sea in the morning under a clear blue sky.", "Boats leaving harbour in the morning", "Dakar"),
    spec("rivertown", Night, 1600, 1000, Anywhere, "An abstract view of lights on the far bank of a river at night under a dark blue sky.", "Lights on the far bank", "Blagoveshchensk"),
    spec("hills", Sunset, 1600, 1000, Anywhere, "An abstract view of rolling hills in silhouette at sunset under an orange sky.", "Hills at sunset", "Oaxaca"),
    spec("storm", Storm, 1600, 1000, Coast, "An abstract view of a dark sea under heavy storm clouds and slanting rain.", "A storm coming in from the sea", "Valparaíso"),
    spec("lighthouse", Dusk, 1067, 1600, Coast, "An abstract view of a striped lighthouse on a rocky headland at dusk, its lamp lit, under a violet sky.", "The lighthouse at dusk", "Porto"),
    spec("tower", Night, 1000, 1500, Anywhere, "An abstract view of a tall apartment tower with scattered lit windows at night, under a crescent moon.", "A tower block at night", "Novosibirsk"),
    spec("tree", Golden, 1200, 1200, Anywhere, "An abstract view of a lone tree on a grassy hill in the late afternoon under a golden sky.", "A lone tree above the valley", "Kunming"),
    spec("rooftops", Night, 1200, 1200, Domes, "An abstract view of domed rooftops under a large full moon and a dark blue sky.", "Moonrise over the old town", "Beirut"),
];

pub(super) struct Painted {
    pub jpeg: Vec<u8>,
}

/// Paints every picture in `SPECS`, two at a time on machines with more
/// than one core. Each picture has its own random source, so the result
/// does not depend on how the work is split.
pub(super) fn paint_all(seed: u64) -> Vec<Painted> {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4);
    let mut slots: Vec<Option<Painted>> = (0..SPECS.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    (w..SPECS.len()).step_by(workers).map(|i| (i, paint(seed, i))).collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            // A painter thread only panics on a bug; surface it as one.
            let done = handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            for (i, p) in done {
                slots[i] = Some(p);
            }
        }
    });
    slots.into_iter().map(|p| p.unwrap_or(Painted { jpeg: Vec::new() })).collect()
}

/// Paints picture `index` of `SPECS`.
pub(super) fn paint(seed: u64, index: usize) -> Painted {
    let Some(spec) = SPECS.get(index) else { return Painted { jpeg: Vec::new() } };
    let mut rng = StdRng::seed_from_u64(seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(index as u64 + 1)));
    let pal = palette(spec.light, &mut rng);
    let mut c = Canvas::new(spec.width as usize, spec.height as usize);
    match spec.subject {
        "rivertown" => river_town(&mut c, &pal, &mut rng),
        "sea" => sea(&mut c, &pal, &mut rng, false),
        "storm" => sea(&mut c, &pal, &mut rng, true),
        "hills" => hills(&mut c, &pal, &mut rng),
        "mountains" => mountains(&mut c, &pal, &mut rng),
        "dunes" => dunes(&mut c, &pal, &mut rng),
        "snowfield" => snowfield(&mut c, &pal, &mut rng),
        "nightcity" => night_city(&mut c, &pal, &mut rng),
        "port" => port(&mut c, &pal, &mut rng),
        "fields" => fields(&mut c, &pal, &mut rng),
        "pylons" => pylons(&mut c, &pal, &mut rng),
        "turbines" => turbines(&mut c, &pal, &mut rng),
        "flood" => flood(&mut c, &pal, &mut rng),
        "fence" => fence(&mut c, &pal, &mut rng),
        "domes" | "rooftops" => domes(&mut c, &pal, &mut rng, spec.subject == "rooftops"),
        "blocks" => blocks(&mut c, &pal, &mut rng),
        "forest" => forest(&mut c, &pal, &mut rng),
        "boats" => boats(&mut c, &pal, &mut rng),
        "lighthouse" => lighthouse(&mut c, &pal, &mut rng),
        "tower" => tower(&mut c, &pal, &mut rng),
        "tree" => tree(&mut c, &pal, &mut rng),
        _ => c.sky(&pal, c.h as f32 * 0.6),
    }
    c.grain(&mut rng, 3.0);
    Painted { jpeg: c.jpeg() }
}

// ---------------------------------------------------------------------
// Colour

#[derive(Clone, Copy)]
struct Rgb([f32; 3]);

impl Rgb {
    fn mix(self, other: Rgb, t: f32) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        Rgb([
            self.0[0] + (other.0[0] - self.0[0]) * t,
            self.0[1] + (other.0[1] - self.0[1]) * t,
            self.0[2] + (other.0[2] - self.0[2]) * t,
        ])
    }
    fn scale(self, k: f32) -> Rgb {
        Rgb([self.0[0] * k, self.0[1] * k, self.0[2] * k])
    }
}

const BLACK: Rgb = Rgb([0.0, 0.0, 0.0]);
const WARM_LIGHT: Rgb = Rgb([255.0, 214.0, 130.0]);

struct Palette {
    top: Rgb,
    bottom: Rgb,
    sun: Rgb,
    land: Rgb,
    /// Whether the sun or moon shows as a disc.
    disc: bool,
    night: bool,
}

fn palette(light: Light, rng: &mut StdRng) -> Palette {
    let (top, bottom, sun, land, disc) = match light {
        Dawn => ([62.0, 78.0, 140.0], [246.0, 184.0, 160.0], [255.0, 236.0, 200.0], [70.0, 62.0, 88.0], true),
        Morning => ([96.0, 150.0, 214.0], [214.0, 230.0, 240.0], [255.0, 252.0, 235.0], [70.0, 112.0, 78.0], true),
        Noon => ([32.0, 96.0, 186.0], [168.0, 206.0, 238.0], [255.0, 255.0, 240.0], [64.0, 116.0, 62.0], true),
        Golden => ([88.0, 120.0, 176.0], [248.0, 196.0, 118.0], [255.0, 226.0, 150.0], [118.0, 92.0, 52.0], true),
        Sunset => ([52.0, 44.0, 110.0], [252.0, 138.0, 70.0], [255.0, 206.0, 120.0], [44.0, 26.0, 38.0], true),
        Dusk => ([34.0, 26.0, 84.0], [226.0, 120.0, 120.0], [255.0, 196.0, 160.0], [36.0, 28.0, 52.0], true),
        Night => ([6.0, 10.0, 30.0], [28.0, 42.0, 88.0], [236.0, 236.0, 218.0], [10.0, 12.0, 24.0], true),
        Overcast => ([112.0, 118.0, 128.0], [188.0, 190.0, 192.0], [225.0, 225.0, 225.0], [78.0, 86.0, 78.0], false),
        Winter => ([150.0, 168.0, 196.0], [232.0, 236.0, 242.0], [250.0, 250.0, 244.0], [92.0, 96.0, 108.0], true),
        Storm => ([40.0, 48.0, 58.0], [116.0, 130.0, 126.0], [200.0, 205.0, 200.0], [38.0, 48.0, 44.0], false),
    };
    let mut jitter = |c: [f32; 3]| {
        let k = rng.gen_range(0.94..1.06);
        let shift = rng.gen_range(-6.0..6.0);
        Rgb([(c[0] * k + shift).clamp(0.0, 255.0), (c[1] * k).clamp(0.0, 255.0), (c[2] * k - shift).clamp(0.0, 255.0)])
    };
    Palette { top: jitter(top), bottom: jitter(bottom), sun: Rgb(sun), land: jitter(land), disc, night: light == Night }
}

// ---------------------------------------------------------------------
// Canvas and primitives

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas { w, h, px: vec![0; w * h * 3] }
    }

    fn jpeg(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.w * self.h / 4);
        let encoded = JpegEncoder::new_with_quality(&mut out, 80).encode(&self.px, self.w as u32, self.h as u32, ExtendedColorType::Rgb8);
        // Encoding an in-memory RGB buffer of the right size cannot fail;
        // an empty picture would show up in the tests.
        if encoded.is_err() {
            return Vec::new();
        }
        out
    }

    fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if x < 0 || y < 0 || x >= self.w as i64 || y >= self.h as i64 {
            return;
        }
        let i = (y as usize * self.w + x as usize) * 3;
        self.px[i] = c.0[0] as u8;
        self.px[i + 1] = c.0[1] as u8;
        self.px[i + 2] = c.0[2] as u8;
    }

    fn blend(&mut self, x: i64, y: i64, c: Rgb, a: f32) {
        if x < 0 || y < 0 || x >= self.w as i64 || y >= self.h as i64 || a <= 0.0 {
            return;
        }
        let a = a.min(1.0);
        let i = (y as usize * self.w + x as usize) * 3;
        for k in 0..3 {
            let old = self.px[i + k] as f32;
            self.px[i + k] = (old + (c.0[k] - old) * a) as u8;
        }
    }

    fn fill_row(&mut self, y: usize, x0: usize, x1: usize, c: Rgb) {
        if y >= self.h {
            return;
        }
        let x1 = x1.min(self.w);
        let rgb = [c.0[0] as u8, c.0[1] as u8, c.0[2] as u8];
        let row = &mut self.px[y * self.w * 3..(y + 1) * self.w * 3];
        for px in row[x0.min(x1) * 3..x1 * 3].chunks_exact_mut(3) {
            px.copy_from_slice(&rgb);
        }
    }

    /// Vertical gradient from the top of the sky to the horizon.
    fn sky(&mut self, pal: &Palette, horizon: f32) {
        for y in 0..self.h {
            let t = (y as f32 / horizon.max(1.0)).min(1.0).powf(1.4);
            self.fill_row(y, 0, self.w, pal.top.mix(pal.bottom, t));
        }
    }

    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, c: Rgb) {
        let (xa, xb) = (x0.max(0.0) as usize, x1.max(0.0) as usize);
        for y in y0.max(0.0) as usize..(y1.max(0.0) as usize).min(self.h) {
            self.fill_row(y, xa, xb, c);
        }
    }

    fn blend_rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, c: Rgb, a: f32) {
        for y in y0 as i64..y1 as i64 {
            for x in x0 as i64..x1 as i64 {
                self.blend(x, y, c, a);
            }
        }
    }

    /// A disc with a soft glow around it (sun, moon, lamp).
    #[expect(clippy::too_many_arguments, reason = "a drawing primitive: position, size, colour and falloff")]
    fn glow(&mut self, cx: f32, cy: f32, r: f32, c: Rgb, reach: f32, strength: f32, disc: bool) {
        let outer = r * reach;
        let (x0, x1) = ((cx - outer).floor() as i64, (cx + outer).ceil() as i64);
        let (y0, y1) = ((cy - outer).floor() as i64, (cy + outer).ceil() as i64);
        for y in y0.max(0)..y1.min(self.h as i64) {
            for x in x0.max(0)..x1.min(self.w as i64) {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                if d >= outer {
                    continue;
                }
                let a = if disc && d <= r {
                    1.0
                } else if disc && d <= r + 1.5 {
                    1.0 - (d - r) / 1.5 * (1.0 - strength)
                } else {
                    let t = ((outer - d) / (outer - r.min(outer * 0.5))).clamp(0.0, 1.0);
                    strength * t * t
                };
                self.blend(x, y, c, a);
            }
        }
    }

    fn disc(&mut self, cx: f32, cy: f32, r: f32, c: Rgb) {
        let (y0, y1) = ((cy - r - 1.0) as i64, (cy + r + 1.0) as i64);
        let (x0, x1) = ((cx - r - 1.0) as i64, (cx + r + 1.0) as i64);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                if d <= r {
                    self.set(x, y, c);
                } else if d < r + 1.0 {
                    self.blend(x, y, c, r + 1.0 - d);
                }
            }
        }
    }

    /// Soft-edged ellipse, blended: clouds, mist, shadows.
    fn puff(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, c: Rgb, a: f32) {
        for y in (cy - ry) as i64..=(cy + ry) as i64 {
            let dy = (y as f32 - cy) / ry;
            for x in (cx - rx) as i64..=(cx + rx) as i64 {
                let dx = (x as f32 - cx) / rx;
                let q = dx * dx + dy * dy;
                if q < 1.0 {
                    let s = 1.0 - q;
                    self.blend(x, y, c, a * s * s * (3.0 - 2.0 * s));
                }
            }
        }
    }

    fn line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, thick: f32, c: Rgb) {
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as usize;
        let half = (thick / 2.0).max(0.5);
        for i in 0..=steps {
            let t = i as f32 / steps as f32;
            let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
            for yy in (y - half).round() as i64..(y + half).round().max((y - half).round() + 1.0) as i64 {
                for xx in (x - half).round() as i64..(x + half).round().max((x - half).round() + 1.0) as i64 {
                    self.set(xx, yy, c);
                }
            }
        }
    }

    /// Fills a simple polygon, even-odd, by scanlines.
    fn polygon(&mut self, pts: &[(f32, f32)], c: Rgb) {
        if pts.len() < 3 {
            return;
        }
        let ymin = pts.iter().map(|p| p.1).fold(f32::MAX, f32::min).max(0.0) as usize;
        let ymax = (pts.iter().map(|p| p.1).fold(f32::MIN, f32::max).ceil().max(0.0) as usize).min(self.h);
        let mut xs: Vec<f32> = Vec::with_capacity(8);
        for y in ymin..ymax {
            let sy = y as f32 + 0.5;
            xs.clear();
            for k in 0..pts.len() {
                let (a, b) = (pts[k], pts[(k + 1) % pts.len()]);
                if (a.1 <= sy && b.1 > sy) || (b.1 <= sy && a.1 > sy) {
                    xs.push(a.0 + (sy - a.1) / (b.1 - a.1) * (b.0 - a.0));
                }
            }
            xs.sort_by(|a, b| a.total_cmp(b));
            for pair in xs.chunks_exact(2) {
                let (x0, x1) = (pair[0].round().max(0.0) as usize, pair[1].round().max(0.0) as usize);
                self.fill_row(y, x0, x1, c);
            }
        }
    }

    /// Land below a height profile, shaded from `top` to `bottom`.
    fn land(&mut self, profile: &[f32], top: Rgb, bottom: Rgb) {
        let ymin = profile.iter().copied().fold(f32::MAX, f32::min).max(0.0) as usize;
        let span = (self.h - ymin.min(self.h - 1)) as f32;
        for y in ymin..self.h {
            let c = top.mix(bottom, (y - ymin) as f32 / span);
            let rgb = [c.0[0] as u8, c.0[1] as u8, c.0[2] as u8];
            let row = &mut self.px[y * self.w * 3..(y + 1) * self.w * 3];
            for (x, px) in row.chunks_exact_mut(3).enumerate() {
                if y as f32 >= profile[x] {
                    px.copy_from_slice(&rgb);
                }
            }
        }
    }

    /// Like `land`, but only down to `until`: a distant shore standing on
    /// the horizon.
    fn land_above(&mut self, profile: &[f32], top: Rgb, bottom: Rgb, until: f32) {
        let ymin = profile.iter().copied().fold(f32::MAX, f32::min).max(0.0) as usize;
        let end = (until.max(0.0) as usize).min(self.h);
        let span = (end.saturating_sub(ymin)).max(1) as f32;
        for y in ymin..end {
            let c = top.mix(bottom, (y - ymin) as f32 / span);
            for (x, &edge) in profile.iter().enumerate() {
                if y as f32 >= edge {
                    self.set(x as i64, y as i64, c);
                }
            }
        }
    }

    /// Water from the horizon down, reflecting the sky, with ripples and
    /// a path of light under the sun.
    fn water(&mut self, rng: &mut StdRng, pal: &Palette, horizon: f32, sun_x: f32, sun_strength: f32) {
        let y0 = horizon.max(0.0) as usize;
        let near = pal.top.mix(BLACK, 0.25);
        let far = pal.bottom.mix(pal.top, 0.15).scale(0.92);
        for y in y0..self.h {
            let t = (y - y0) as f32 / (self.h - y0).max(1) as f32;
            self.fill_row(y, 0, self.w, far.mix(near, t.powf(0.7)));
        }
        let ripples = (self.h - y0) * 3;
        for _ in 0..ripples {
            let y = rng.gen_range(y0..self.h);
            let t = (y - y0) as f32 / (self.h - y0).max(1) as f32;
            let len = 6.0 + t * rng.gen_range(20.0..90.0);
            let x = rng.gen_range(0.0..self.w as f32);
            let light = rng.gen_bool(0.5);
            let c = if light { pal.bottom.mix(pal.sun, 0.3) } else { near.scale(0.8) };
            self.blend_rect(x, y as f32, x + len, y as f32 + 1.0 + t * 2.0, c, 0.18 + 0.1 * t);
        }
        if sun_strength > 0.0 {
            let glints = (self.h - y0) * 4;
            for _ in 0..glints {
                let y = rng.gen_range(y0..self.h);
                let t = (y - y0) as f32 / (self.h - y0).max(1) as f32;
                let spread = 20.0 + t * self.w as f32 * 0.12;
                let x = sun_x + rng.gen_range(-1.0f32..1.0).powi(3) * spread;
                let len = 4.0 + t * 40.0 * rng.gen_range(0.3..1.0);
                self.blend_rect(x - len / 2.0, y as f32, x + len / 2.0, y as f32 + 1.0 + t * 2.0, pal.sun, sun_strength * (1.0 - t * 0.6));
            }
        }
    }

    fn stars(&mut self, rng: &mut StdRng, count: usize, below: f32) {
        for _ in 0..count {
            let x = rng.gen_range(0..self.w) as i64;
            let y = rng.gen_range(0.0..below.max(1.0)) as i64;
            let a = rng.gen_range(0.3..1.0);
            let c = Rgb([255.0, 250.0, 235.0]);
            self.blend(x, y, c, a);
            if rng.gen_bool(0.12) {
                self.blend(x + 1, y, c, a * 0.6);
                self.blend(x, y + 1, c, a * 0.6);
            }
        }
    }

    fn clouds(&mut self, rng: &mut StdRng, count: usize, y_from: f32, y_to: f32, c: Rgb, a: f32) {
        for _ in 0..count {
            let cx = rng.gen_range(-100.0..self.w as f32 + 100.0);
            let cy = rng.gen_range(y_from..y_to.max(y_from + 1.0));
            let size = rng.gen_range(60.0..220.0) * self.w as f32 / 1600.0;
            for _ in 0..rng.gen_range(3..7) {
                let dx = rng.gen_range(-1.2..1.2) * size;
                let dy = rng.gen_range(-0.25..0.25) * size;
                self.puff(cx + dx, cy + dy, size * rng.gen_range(0.6..1.2), size * rng.gen_range(0.18..0.35), c, a);
            }
        }
    }

    fn rain(&mut self, rng: &mut StdRng, count: usize, c: Rgb) {
        for _ in 0..count {
            let x = rng.gen_range(0.0..self.w as f32 + 200.0);
            let y = rng.gen_range(0.0..self.h as f32);
            let len = rng.gen_range(30.0..90.0);
            let steps = len as i64;
            for s in 0..steps {
                self.blend((x - s as f32 * 0.35) as i64, (y + s as f32) as i64, c, 0.12);
            }
        }
    }

    /// Faint noise, so gradients look photographed rather than banded.
    fn grain(&mut self, rng: &mut StdRng, amount: f32) {
        let mut state: u32 = rng.gen::<u32>() | 1;
        let amp = amount as i32;
        for v in self.px.iter_mut() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let n = (state % (2 * amp as u32 + 1)) as i32 - amp;
            *v = (*v as i32 + n).clamp(0, 255) as u8;
        }
    }
}

/// A skyline height profile: sums of smoothed random steps, `octaves`
/// times finer each round.
fn profile(rng: &mut StdRng, w: usize, base: f32, amp: f32, octaves: u32, sharp: bool) -> Vec<f32> {
    let mut out = vec![base; w];
    let mut amplitude = amp;
    let mut spacing = (w as f32 / 3.0).max(8.0);
    for _ in 0..octaves {
        let points = (w as f32 / spacing) as usize + 2;
        let values: Vec<f32> = (0..points).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
        for (x, h) in out.iter_mut().enumerate() {
            let fx = x as f32 / spacing;
            let i = fx as usize;
            let t = fx - i as f32;
            let t = if sharp { t } else { (1.0 - (t * PI).cos()) / 2.0 };
            let v = values[i] + (values[(i + 1).min(points - 1)] - values[i]) * t;
            *h -= if sharp { (1.0 - v.abs() * 2.0) * amplitude } else { v * amplitude };
        }
        amplitude *= 0.5;
        spacing /= 2.2;
    }
    out
}

#[expect(clippy::too_many_arguments, reason = "a drawing primitive: the facade's corners and its lights")]
fn windows(c: &mut Canvas, rng: &mut StdRng, x0: f32, y0: f32, x1: f32, y1: f32, lit: f32, unlit: Rgb) {
    let cell_w = rng.gen_range(14.0..22.0) * c.w as f32 / 1600.0;
    let cell_h = cell_w * rng.gen_range(1.1..1.5);
    let mut y = y0 + cell_h * 0.6;
    while y + cell_h * 0.5 < y1 {
        let mut x = x0 + cell_w * 0.4;
        while x + cell_w * 0.6 < x1 {
            let on = rng.gen_bool(lit as f64);
            let col = if on { WARM_LIGHT.mix(Rgb([255.0, 240.0, 200.0]), rng.gen_range(0.0..0.6)) } else { unlit };
            c.rect(x, y, x + cell_w * 0.55, y + cell_h * 0.5, col);
            x += cell_w;
        }
        y += cell_h;
    }
}

/// A row of buildings standing on `base`.
#[expect(clippy::too_many_arguments, reason = "a drawing primitive: baseline, height range, colour and lights")]
fn skyline(c: &mut Canvas, rng: &mut StdRng, base: f32, min_h: f32, max_h: f32, color: Rgb, lit: f32, gap: f64) {
    let mut x = rng.gen_range(-40.0..0.0);
    let scale = c.w as f32 / 1600.0;
    while x < c.w as f32 {
        let bw = rng.gen_range(40.0..130.0) * scale;
        if rng.gen_bool(gap) {
            x += bw * 0.5;
            continue;
        }
        let bh = rng.gen_range(min_h..max_h);
        let top = base - bh;
        c.rect(x, top, x + bw, base + 2.0, color);
        match rng.gen_range(0..6) {
            0 => c.polygon(&[(x, top), (x + bw / 2.0, top - bw * 0.35), (x + bw, top)], color),
            1 => c.line(x + bw * 0.7, top, x + bw * 0.7, top - bh * 0.25, 2.0 * scale, color),
            _ => {}
        }
        if lit > 0.0 {
            windows(c, rng, x + 4.0, top + 6.0, x + bw - 4.0, base - 4.0, lit, color.mix(BLACK, 0.2));
        }
        x += bw + rng.gen_range(0.0..8.0);
    }
}

// ---------------------------------------------------------------------
// Subjects

fn sun_or_moon(c: &mut Canvas, rng: &mut StdRng, pal: &Palette, horizon: f32, high: bool) -> f32 {
    let sx = rng.gen_range(0.2..0.8) * c.w as f32;
    let r = rng.gen_range(26.0..44.0) * c.w as f32 / 1600.0;
    let sy = if high { horizon * rng.gen_range(0.25..0.5) } else { horizon - r * rng.gen_range(0.6..1.6) };
    if pal.night {
        c.glow(sx, sy, r * 0.8, pal.sun, 5.0, 0.25, true);
    } else if pal.disc {
        c.glow(sx, sy, r, pal.sun, 7.0, 0.55, true);
    } else {
        c.glow(sx, sy, r, pal.sun, 8.0, 0.25, false);
    }
    sx
}

fn river_town(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * rng.gen_range(0.52..0.6);
    c.sky(pal, horizon);
    if pal.night {
        c.stars(rng, 500, horizon * 0.9);
    }
    let sx = sun_or_moon(c, rng, pal, horizon, pal.night);
    c.clouds(rng, 5, h * 0.08, horizon * 0.7, pal.bottom.mix(pal.top, 0.3), 0.25);
    let bank = profile(rng, c.w, horizon, h * 0.012, 3, false);
    let far = pal.land.mix(pal.bottom, 0.45);
    c.land(&bank, far, far);
    let lit = if pal.night { 0.35 } else { 0.12 };
    skyline(c, rng, horizon, h * 0.02, h * 0.13, pal.land.mix(pal.bottom, 0.25), lit, 0.15);
    let water_top = horizon + h * 0.02;
    c.water(rng, pal, water_top, sx, if pal.night { 0.25 } else { 0.45 });
    // Reflected lights of the far bank.
    for _ in 0..if pal.night { 160 } else { 40 } {
        let x = rng.gen_range(0.0..w);
        let y = water_top + rng.gen_range(2.0..h * 0.12);
        c.blend_rect(x, y, x + rng.gen_range(2.0..5.0), y + rng.gen_range(6.0..30.0), WARM_LIGHT, 0.25);
    }
    let near = profile(rng, c.w, h * 0.95, h * 0.02, 3, false);
    c.land(&near, pal.land.mix(BLACK, 0.5), pal.land.mix(BLACK, 0.7));
    for _ in 0..120 {
        let x = rng.gen_range(0.0..w);
        let base = near[(x as usize).min(c.w - 1)];
        let len = rng.gen_range(h * 0.02..h * 0.07);
        c.line(x, base, x + rng.gen_range(-8.0..8.0), base - len, 2.0, pal.land.mix(BLACK, 0.6));
    }
}

fn sea(c: &mut Canvas, pal: &Palette, rng: &mut StdRng, storm: bool) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * rng.gen_range(0.55..0.64);
    c.sky(pal, horizon);
    let sx = sun_or_moon(c, rng, pal, horizon, false);
    if storm {
        c.clouds(rng, 26, 0.0, horizon * 0.85, pal.top.mix(BLACK, 0.3), 0.55);
        c.clouds(rng, 12, h * 0.1, horizon * 0.9, pal.bottom.scale(0.8), 0.3);
    } else {
        c.clouds(rng, 6, h * 0.05, horizon * 0.6, pal.bottom.mix(Rgb([255.0, 255.0, 255.0]), 0.4), 0.3);
    }
    // A headland on one side.
    let mut head = vec![h * 2.0; c.w];
    let left = rng.gen_bool(0.5);
    let reach = rng.gen_range(0.18..0.35) * w;
    let hill = profile(rng, c.w, horizon, h * 0.05, 3, false);
    for (x, v) in head.iter_mut().enumerate() {
        let d = if left { x as f32 } else { w - x as f32 };
        if d < reach {
            let t = 1.0 - d / reach;
            let rise = t * t * (3.0 - 2.0 * t);
            *v = horizon - rise * h * 0.06 + (hill[x] - horizon) * rise;
        }
    }
    c.water(rng, pal, horizon, sx, if storm { 0.0 } else { 0.55 });
    let headland = pal.land.mix(pal.bottom, 0.35);
    c.land_above(&head, headland, headland.mix(BLACK, 0.3), horizon);
    if storm {
        c.rain(rng, 900, pal.bottom.mix(Rgb([255.0, 255.0, 255.0]), 0.5));
        for _ in 0..220 {
            let x = rng.gen_range(0.0..w);
            let y = rng.gen_range(horizon..h);
            let t = (y - horizon) / (h - horizon);
            c.puff(x, y, 20.0 + 60.0 * t, 2.0 + 5.0 * t, Rgb([235.0, 240.0, 240.0]), 0.35 * t);
        }
    }
}

fn hills(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let h = c.h as f32;
    let horizon = h * rng.gen_range(0.45..0.55);
    c.sky(pal, horizon * 1.2);
    let _ = sun_or_moon(c, rng, pal, horizon, false);
    c.clouds(rng, 5, h * 0.05, horizon * 0.6, pal.bottom.mix(Rgb([255.0, 255.0, 255.0]), 0.3), 0.25);
    let layers = 5;
    for i in 0..layers {
        let t = i as f32 / (layers - 1) as f32;
        let base = horizon + t * h * 0.38;
        let ridge = profile(rng, c.w, base, h * (0.05 + 0.04 * t), 4, false);
        let colour = pal.bottom.mix(pal.land, 0.25 + 0.75 * t).mix(BLACK, t * 0.25);
        c.land(&ridge, colour, colour.mix(BLACK, 0.15));
        if i + 1 < layers {
            let mist = pal.bottom.mix(Rgb([255.0, 255.0, 255.0]), 0.2);
            let top = base - h * 0.05;
            let depth = h * 0.12;
            for y in top as usize..((top + depth) as usize).min(c.h) {
                let s = (y as f32 - top) / depth;
                let a = 0.4 * (s * PI).sin().powi(2);
                for x in 0..c.w {
                    c.blend(x as i64, y as i64, mist, a);
                }
            }
        }
    }
}

fn mountains(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let h = c.h as f32;
    let horizon = h * 0.62;
    c.sky(pal, horizon);
    let _ = sun_or_moon(c, rng, pal, horizon * 0.5, true);
    c.clouds(rng, 4, h * 0.05, h * 0.3, Rgb([255.0, 255.0, 255.0]), 0.35);
    for (i, (base, amp)) in [(horizon - h * 0.12, h * 0.22), (horizon - h * 0.02, h * 0.16)].into_iter().enumerate() {
        let ridge = profile(rng, c.w, base, amp, 5, true);
        let rock = pal.top.mix(Rgb([90.0, 92.0, 104.0]), 0.6 + 0.2 * i as f32).mix(BLACK, 0.15 * i as f32);
        let snowline = base - amp * (0.55 + 0.25 * i as f32);
        let snow = Rgb([246.0, 248.0, 252.0]);
        let ymin = ridge.iter().copied().fold(f32::MAX, f32::min).max(0.0) as usize;
        // Faces turned toward the light are brighter; smoothed over a few
        // columns so the shading reads as planes, not stripes.
        let light: Vec<f32> = (0..c.w)
            .map(|x| {
                let slope = (ridge[(x + 10).min(c.w - 1)] - ridge[x.saturating_sub(10)]) / 20.0;
                0.8 + 0.2 * (slope * 2.5).tanh()
            })
            .collect();
        for y in ymin..c.h {
            for x in 0..c.w {
                if (y as f32) < ridge[x] {
                    continue;
                }
                let wobble = ((x as f32) * 0.031).sin() * 10.0 + ((x as f32) * 0.011).cos() * 16.0;
                let below_peak = y as f32 - ridge[x];
                let fade = (below_peak / (amp * 0.5)).clamp(0.0, 1.0);
                let shade = light[x] + (0.9 - light[x]) * fade;
                let col = if (y as f32) < snowline + wobble && below_peak < amp * 0.3 + wobble {
                    snow.scale(light[x])
                } else {
                    rock.scale(shade).mix(BLACK, (y as f32 - ymin as f32) / h * 0.5)
                };
                c.set(x as i64, y as i64, col);
            }
        }
    }
    let front = profile(rng, c.w, h * 0.8, h * 0.05, 4, false);
    c.land(&front, pal.land, pal.land.mix(BLACK, 0.4));
}

fn dunes(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let h = c.h as f32;
    let horizon = h * rng.gen_range(0.5..0.58);
    c.sky(pal, horizon);
    let _ = sun_or_moon(c, rng, pal, horizon, false);
    let sand = Rgb([222.0, 170.0, 104.0]).mix(pal.bottom, 0.2);
    for i in 0..4 {
        let t = i as f32 / 3.0;
        let base = horizon + t * h * 0.3;
        let ridge = profile(rng, c.w, base, h * (0.03 + 0.05 * t), 2, false);
        let lit = sand.mix(pal.bottom, 0.4 * (1.0 - t));
        let shadow = lit.mix(Rgb([120.0, 70.0, 50.0]), 0.55);
        let ymin = ridge.iter().copied().fold(f32::MAX, f32::min).max(0.0) as usize;
        let shades: Vec<Rgb> = (0..c.w)
            .map(|x| {
                let slope = ridge[(x + 1).min(c.w - 1)] - ridge[x.saturating_sub(1)];
                lit.mix(shadow, (slope * 0.6 + 0.5).clamp(0.0, 1.0))
            })
            .collect();
        for y in ymin..c.h {
            let depth = (y - ymin) as f32 / h;
            for x in 0..c.w {
                if y as f32 >= ridge[x] {
                    c.set(x as i64, y as i64, shades[x].mix(BLACK, depth * 0.3));
                }
            }
        }
    }
}

fn snowfield(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * rng.gen_range(0.55..0.62);
    c.sky(pal, horizon);
    let _ = sun_or_moon(c, rng, pal, horizon, false);
    let treeline = profile(rng, c.w, horizon, h * 0.025, 5, true);
    c.land(&treeline, pal.land.mix(pal.bottom, 0.35), pal.land.mix(pal.bottom, 0.35));
    let ground = vec![horizon + h * 0.01; c.w];
    c.land(&ground, Rgb([226.0, 232.0, 242.0]), Rgb([246.0, 248.0, 252.0]));
    let bark = Rgb([236.0, 232.0, 222.0]);
    let mark = Rgb([44.0, 42.0, 46.0]);
    let mut trunks: Vec<(f32, f32, f32)> = (0..rng.gen_range(8..14))
        .map(|_| {
            let depth = rng.gen_range(0.0f32..1.0);
            (rng.gen_range(0.0..w), horizon + h * 0.02 + depth * h * 0.35, 6.0 + depth * 22.0)
        })
        .collect();
    trunks.sort_by(|a, b| a.1.total_cmp(&b.1));
    for (x, foot, width) in trunks {
        c.puff(x + width * 2.0, foot, width * 4.0, width * 0.5, Rgb([170.0, 180.0, 205.0]), 0.5);
        c.rect(x, 0.0, x + width, foot, bark);
        let mut y = rng.gen_range(0.0..30.0);
        while y < foot - 6.0 {
            let mw = width * rng.gen_range(0.3..0.9);
            let mx = x + rng.gen_range(0.0..(width - mw).max(1.0));
            c.rect(mx, y, mx + mw, y + rng.gen_range(2.0..5.0), mark);
            y += rng.gen_range(12.0..40.0);
        }
        for _ in 0..rng.gen_range(2..5) {
            let by = rng.gen_range(0.0..foot * 0.5);
            let dir = if rng.gen_bool(0.5) { -1.0 } else { 1.0 };
            let len = rng.gen_range(40.0..120.0);
            c.line(x + width / 2.0, by, x + width / 2.0 + dir * len, by - len * 0.6, 2.0, mark.mix(bark, 0.3));
        }
    }
}

fn night_city(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let h = c.h as f32;
    let base = h * 0.86;
    c.sky(pal, base);
    c.stars(rng, 700, base * 0.8);
    let _ = sun_or_moon(c, rng, pal, base * 0.5, true);
    skyline(c, rng, base - h * 0.08, h * 0.1, h * 0.3, pal.top.mix(pal.bottom, 0.6), 0.08, 0.1);
    skyline(c, rng, base, h * 0.12, h * 0.42, pal.land, 0.3, 0.05);
    c.rect(0.0, base, c.w as f32, h, pal.land.mix(BLACK, 0.4));
    let tx = rng.gen_range(0.2..0.8) * c.w as f32;
    c.rect(tx, base - h * 0.55, tx + 24.0, base, pal.land);
    c.line(tx + 12.0, base - h * 0.55, tx + 12.0, base - h * 0.66, 3.0, pal.land);
    c.glow(tx + 12.0, base - h * 0.66, 3.0, Rgb([255.0, 60.0, 50.0]), 6.0, 0.6, true);
}

fn port(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * 0.64;
    c.sky(pal, horizon);
    let sx = sun_or_moon(c, rng, pal, horizon, false);
    c.clouds(rng, 6, h * 0.05, horizon * 0.6, pal.bottom.mix(pal.top, 0.4), 0.3);
    c.water(rng, pal, horizon, sx, 0.5);
    let quay_top = horizon + h * 0.03;
    let dark = pal.land;
    c.rect(0.0, quay_top, w, quay_top + h * 0.05, dark);
    // Stacks of containers.
    let mut x = rng.gen_range(0.0..60.0);
    while x < w {
        let cw = rng.gen_range(70.0..120.0);
        let stack = rng.gen_range(1..5);
        for s in 0..stack {
            let tint = [Rgb([150.0, 60.0, 50.0]), Rgb([50.0, 80.0, 120.0]), Rgb([170.0, 120.0, 50.0]), Rgb([60.0, 110.0, 80.0])][rng.gen_range(0..4)];
            let col = tint.mix(dark, 0.75);
            let top = quay_top - (s + 1) as f32 * 22.0;
            c.rect(x, top, x + cw, top + 20.0, col);
        }
        x += cw + rng.gen_range(4.0..60.0);
    }
    // Gantry cranes.
    for _ in 0..rng.gen_range(3..5) {
        let cx = rng.gen_range(0.05..0.9) * w;
        let height = rng.gen_range(0.25..0.4) * h;
        let span = rng.gen_range(60.0..110.0);
        let top = quay_top - height;
        c.line(cx, quay_top, cx, top, 6.0, dark);
        c.line(cx + span, quay_top, cx + span, top, 6.0, dark);
        c.line(cx, quay_top - height * 0.5, cx + span, top, 3.0, dark);
        c.line(cx - span * 0.6, top, cx + span * 2.4, top, 8.0, dark);
        c.line(cx + span * 0.5, top - height * 0.2, cx - span * 0.6, top, 2.0, dark);
        c.line(cx + span * 0.5, top - height * 0.2, cx + span * 2.4, top, 2.0, dark);
        c.line(cx + span * 1.9, top, cx + span * 1.9, top + height * 0.35, 1.0, dark);
    }
}

fn fields(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * rng.gen_range(0.42..0.5);
    c.sky(pal, horizon);
    let _ = sun_or_moon(c, rng, pal, horizon, true);
    c.clouds(rng, 7, h * 0.05, horizon * 0.8, Rgb([255.0, 255.0, 255.0]), 0.35);
    let trees = profile(rng, c.w, horizon, h * 0.015, 5, false);
    c.land(&trees, pal.land.mix(pal.bottom, 0.3), pal.land.mix(pal.bottom, 0.3));
    let vx = rng.gen_range(0.3..0.7) * w;
    let crops = [
        (Rgb([120.0, 150.0, 70.0]), Rgb([96.0, 126.0, 58.0])),
        (Rgb([150.0, 112.0, 76.0]), Rgb([122.0, 88.0, 60.0])),
        (Rgb([206.0, 180.0, 96.0]), Rgb([180.0, 152.0, 80.0])),
    ];
    let cuts: Vec<f32> = (0..4).map(|_| rng.gen_range(-3.0..3.0)).collect();
    let top = (horizon + h * 0.01) as usize;
    for y in top..c.h {
        let depth = (y as f32 - horizon) / (h - horizon);
        let fog = (1.0 - depth).powi(3) * 0.5;
        for x in 0..c.w {
            let u = (x as f32 - vx) / (depth * w * 0.5 + 1.0);
            let patch = cuts.iter().filter(|&&k| u > k).count() % crops.len();
            let (a, b) = crops[patch];
            let stripe = ((u * 18.0).rem_euclid(1.0) < 0.5) as u8 as f32;
            let col = a.mix(b, stripe).mix(pal.bottom, fog);
            c.set(x as i64, y as i64, col);
        }
    }
    let fx = rng.gen_range(0.1..0.9) * w;
    let fy = horizon + h * 0.015;
    c.rect(fx, fy - 18.0, fx + 40.0, fy, Rgb([190.0, 180.0, 170.0]).mix(pal.bottom, 0.3));
    c.polygon(&[(fx - 4.0, fy - 18.0), (fx + 20.0, fy - 32.0), (fx + 44.0, fy - 18.0)], Rgb([140.0, 60.0, 50.0]).mix(pal.bottom, 0.3));
}

fn pylon(c: &mut Canvas, x: f32, base: f32, size: f32, col: Rgb) -> [(f32, f32); 2] {
    let top = base - size;
    let th = (size / 60.0).max(1.0);
    c.line(x - size * 0.12, base, x - size * 0.03, top, th * 1.5, col);
    c.line(x + size * 0.12, base, x + size * 0.03, top, th * 1.5, col);
    let mut y = base;
    let mut left = true;
    while y > top + size * 0.1 {
        let next = y - size * 0.1;
        let t0 = (base - y) / size;
        let t1 = (base - next) / size;
        let (a, b) = (size * (0.12 - 0.09 * t0), size * (0.12 - 0.09 * t1));
        if left {
            c.line(x - a, y, x + b, next, th, col);
        } else {
            c.line(x + a, y, x - b, next, th, col);
        }
        left = !left;
        y = next;
    }
    let arm = top + size * 0.2;
    c.line(x - size * 0.3, arm, x + size * 0.3, arm, th * 1.5, col);
    c.line(x - size * 0.2, top + size * 0.05, x + size * 0.2, top + size * 0.05, th * 1.2, col);
    c.polygon(&[(x - size * 0.03, top), (x, top - size * 0.06), (x + size * 0.03, top)], col);
    [(x - size * 0.3, arm), (x + size * 0.3, arm)]
}

fn pylons(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * rng.gen_range(0.62..0.7);
    c.sky(pal, horizon);
    let _ = sun_or_moon(c, rng, pal, horizon, true);
    c.clouds(rng, 14, 0.0, horizon * 0.8, pal.bottom.mix(Rgb([255.0, 255.0, 255.0]), 0.2), 0.3);
    let plain = profile(rng, c.w, horizon, h * 0.006, 4, false);
    c.land(&plain, pal.land.mix(pal.bottom, 0.4), pal.land.mix(BLACK, 0.2));
    let col = Rgb([46.0, 48.0, 54.0]).mix(pal.bottom, 0.2);
    let mut tips: Vec<[(f32, f32); 2]> = Vec::new();
    let start = rng.gen_range(0.08..0.2) * w;
    for i in 0..5 {
        let k = 0.62f32.powi(i);
        let x = start + (1.0 - k) * w * 1.05;
        let base = horizon + h * 0.3 * k;
        tips.push(pylon(c, x, base, h * 0.62 * k, col));
    }
    for pair in tips.windows(2) {
        for (&a, &b) in pair[0].iter().zip(&pair[1]) {
            let sag = (b.0 - a.0) * 0.08;
            let steps = (b.0 - a.0).abs() as usize + 1;
            for s in 0..=steps {
                let t = s as f32 / steps as f32;
                let x = a.0 + (b.0 - a.0) * t;
                let y = a.1 + (b.1 - a.1) * t + sag * 4.0 * t * (1.0 - t);
                c.set(x as i64, y as i64, col);
                c.set(x as i64, y as i64 + 1, col);
            }
        }
    }
    for side in 0..2 {
        if let Some(&first) = tips.first().map(|t| &t[side]) {
            c.line(0.0, first.1 - h * 0.05, first.0, first.1, 2.0, col);
        }
    }
}

fn turbines(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * 0.6;
    c.sky(pal, horizon);
    let _ = sun_or_moon(c, rng, pal, horizon, true);
    c.clouds(rng, 8, h * 0.05, horizon * 0.7, Rgb([255.0, 255.0, 255.0]), 0.4);
    let ridge = profile(rng, c.w, horizon, h * 0.06, 4, false);
    c.land(&ridge, pal.land.mix(pal.bottom, 0.35), pal.land);
    let white = Rgb([244.0, 246.0, 248.0]);
    let shade = Rgb([200.0, 206.0, 214.0]);
    let count = rng.gen_range(4..8);
    for i in 0..count {
        let x = (i as f32 + rng.gen_range(0.2..0.8)) / count as f32 * w;
        let base = ridge[(x as usize).min(c.w - 1)];
        let size = rng.gen_range(0.22..0.38) * h;
        let hub = (x, base - size);
        c.polygon(&[(x - size * 0.02, base + 4.0), (x - size * 0.008, hub.1), (x + size * 0.008, hub.1), (x + size * 0.02, base + 4.0)], white);
        let angle = rng.gen_range(0.0..2.0 * PI / 3.0);
        for b in 0..3 {
            let a = angle + b as f32 * 2.0 * PI / 3.0;
            let len = size * 0.55;
            let (dx, dy) = (a.cos(), a.sin());
            let (nx, ny) = (-dy, dx);
            let root = size * 0.025;
            c.polygon(
                &[(hub.0 + nx * root, hub.1 + ny * root), (hub.0 + dx * len, hub.1 + dy * len), (hub.0 - nx * root * 0.5, hub.1 - ny * root * 0.5)],
                if b == 0 { shade } else { white },
            );
        }
        c.disc(hub.0, hub.1, size * 0.03, shade);
    }
    let front = profile(rng, c.w, h * 0.88, h * 0.04, 4, false);
    c.land(&front, pal.land.mix(BLACK, 0.2), pal.land.mix(BLACK, 0.45));
}

fn flood(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * rng.gen_range(0.5..0.58);
    c.sky(pal, horizon);
    let _ = sun_or_moon(c, rng, pal, horizon, true);
    c.clouds(rng, 22, 0.0, horizon * 0.9, pal.top.mix(BLACK, 0.2), 0.5);
    let far = profile(rng, c.w, horizon, h * 0.012, 4, false);
    c.land(&far, pal.land.mix(pal.bottom, 0.3), pal.land);
    c.water(rng, pal, horizon + h * 0.015, w * 0.5, 0.0);
    let water_tint = Rgb([120.0, 100.0, 70.0]);
    c.blend_rect(0.0, horizon + h * 0.015, w, h, water_tint, 0.22);
    let tree = pal.land.mix(BLACK, 0.3);
    for _ in 0..rng.gen_range(5..9) {
        let x = rng.gen_range(0.0..w);
        let y = horizon + rng.gen_range(0.05..0.35) * h;
        let r = rng.gen_range(20.0..60.0) * (y / h);
        for _ in 0..6 {
            let (dx, dy) = (rng.gen_range(-r..r), rng.gen_range(-r * 0.6..0.0));
            c.disc(x + dx, y + dy, r * 0.6, tree);
            c.puff(x + dx, y - dy + r * 0.4, r * 0.7, r * 0.25, tree, 0.35);
        }
    }
    let rx = rng.gen_range(0.15..0.75) * w;
    let ry = horizon + h * 0.22;
    let roof = Rgb([110.0, 60.0, 50.0]).mix(pal.bottom, 0.2);
    c.rect(rx, ry - 20.0, rx + 160.0, ry, Rgb([170.0, 160.0, 150.0]).mix(pal.bottom, 0.3));
    c.polygon(&[(rx - 14.0, ry - 20.0), (rx + 80.0, ry - 70.0), (rx + 174.0, ry - 20.0)], roof);
    c.puff(rx + 80.0, ry + 30.0, 110.0, 14.0, roof, 0.3);
    for i in 0..4 {
        let px = w * (0.1 + 0.25 * i as f32) + rng.gen_range(-40.0..40.0);
        let top = horizon + h * 0.02;
        c.line(px, top - h * 0.1 * (1.0 - i as f32 * 0.1), px, horizon + h * (0.1 + i as f32 * 0.05), 3.0, tree);
    }
    c.rain(rng, 700, pal.bottom.mix(Rgb([255.0, 255.0, 255.0]), 0.4));
}

fn fence(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * rng.gen_range(0.56..0.62);
    c.sky(pal, horizon);
    let _ = sun_or_moon(c, rng, pal, horizon, false);
    c.clouds(rng, 6, h * 0.05, horizon * 0.7, pal.bottom.mix(pal.top, 0.2), 0.25);
    let field = profile(rng, c.w, horizon, h * 0.008, 4, false);
    let grass = Rgb([120.0, 122.0, 80.0]).mix(pal.bottom, 0.3);
    c.land(&field, grass.mix(pal.bottom, 0.3), grass.mix(BLACK, 0.35));
    let post = pal.land.mix(BLACK, 0.2);
    let (vx, vy) = (w * rng.gen_range(0.75..0.9), horizon);
    let near = (-w * 0.05, h * 0.95);
    let mut tops = Vec::new();
    let mut t = 0.0f32;
    while t < 0.985 {
        let x = near.0 + (vx - near.0) * t;
        let y = near.1 + (vy - near.1) * t;
        let height = (1.0 - t) * h * 0.5;
        let thick = ((1.0 - t) * 16.0).max(1.0);
        c.rect(x - thick / 2.0, y - height, x + thick / 2.0, y, post);
        tops.push((x, y, height));
        t += (1.0 - t) * 0.16;
    }
    for k in [0.2f32, 0.45, 0.7, 0.95] {
        for pair in tops.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            c.line(a.0, a.1 - a.2 * k, b.0, b.1 - b.2 * k, ((a.2 / h) * 6.0).max(1.0), post);
        }
    }
    for pair in tops.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let loops = 3;
        for l in 0..loops {
            let t = l as f32 / loops as f32;
            let x = a.0 + (b.0 - a.0) * t;
            let y = a.1 - a.2 + (b.1 - b.2 - (a.1 - a.2)) * t;
            let r = a.2 * 0.08;
            for s in 0..40 {
                let ang = s as f32 / 40.0 * 2.0 * PI;
                c.set((x + ang.cos() * r) as i64, (y - r + ang.sin() * r) as i64, post);
            }
        }
    }
    let tx = w * rng.gen_range(0.55..0.7);
    let base = horizon + h * 0.01;
    let th = h * 0.22;
    c.line(tx - 20.0, base, tx - 8.0, base - th, 3.0, post);
    c.line(tx + 20.0, base, tx + 8.0, base - th, 3.0, post);
    c.line(tx - 20.0, base, tx + 8.0, base - th * 0.5, 2.0, post);
    c.rect(tx - 22.0, base - th - 26.0, tx + 22.0, base - th, post);
    c.polygon(&[(tx - 28.0, base - th - 26.0), (tx, base - th - 44.0), (tx + 28.0, base - th - 26.0)], post);
}

fn domes(c: &mut Canvas, pal: &Palette, rng: &mut StdRng, big_moon: bool) {
    let (w, h) = (c.w as f32, c.h as f32);
    let base = h * rng.gen_range(0.8..0.86);
    c.sky(pal, base);
    if pal.night {
        c.stars(rng, 400, base * 0.7);
    }
    if big_moon {
        let r = w * 0.11;
        c.glow(w * rng.gen_range(0.3..0.7), base - h * 0.38, r, pal.sun, 2.6, 0.3, true);
    } else {
        let _ = sun_or_moon(c, rng, pal, base - h * 0.2, false);
    }
    let far = pal.land.mix(pal.bottom, 0.35);
    skyline(c, rng, base - h * 0.05, h * 0.05, h * 0.14, far, 0.0, 0.1);
    let dark = pal.land;
    let mut x = rng.gen_range(-30.0..0.0);
    while x < w {
        let bw = rng.gen_range(70.0..170.0) * w / 1600.0;
        let bh = rng.gen_range(0.06..0.16) * h;
        let top = base - bh;
        c.rect(x, top, x + bw, h, dark);
        match rng.gen_range(0..5) {
            0 | 1 => {
                let r = bw * 0.42;
                let cx = x + bw / 2.0;
                c.rect(cx - r * 0.8, top - r * 0.35, cx + r * 0.8, top, dark);
                c.disc(cx, top - r * 0.35, r * 0.8, dark);
                c.line(cx, top - r * 1.15, cx, top - r * 1.55, 3.0, dark);
            }
            2 => {
                let tx = x + bw * rng.gen_range(0.2..0.8);
                let tall = rng.gen_range(0.18..0.3) * h;
                c.rect(tx - 9.0, top - tall, tx + 9.0, top, dark);
                c.rect(tx - 14.0, top - tall * 0.7, tx + 14.0, top - tall * 0.7 + 6.0, dark);
                c.polygon(&[(tx - 10.0, top - tall), (tx, top - tall - 34.0), (tx + 10.0, top - tall)], dark);
            }
            3 => {
                let cx = x + bw * 0.5;
                c.puff(cx, top - 50.0, 16.0, 80.0, dark, 1.0);
                c.polygon(&[(cx - 14.0, top), (cx, top - 150.0), (cx + 14.0, top)], dark);
            }
            _ => {}
        }
        if rng.gen_bool(0.6) {
            windows(c, rng, x + 6.0, top + 10.0, x + bw - 6.0, base, 0.25, dark);
        }
        x += bw;
    }
}

fn blocks(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let ground = h * rng.gen_range(0.7..0.76);
    c.sky(pal, ground);
    let _ = sun_or_moon(c, rng, pal, ground * 0.6, false);
    c.clouds(rng, 8, 0.0, ground * 0.5, Rgb([255.0, 255.0, 255.0]), 0.3);
    for depth in 0..2 {
        let k = depth as f32;
        let concrete = Rgb([150.0, 150.0, 156.0]).mix(pal.bottom, 0.45 - 0.3 * k).mix(BLACK, 0.1 * k);
        let mut x = rng.gen_range(-100.0..0.0);
        while x < w {
            let bw = rng.gen_range(220.0..420.0) * (0.7 + 0.3 * k);
            let bh = rng.gen_range(0.22..0.42) * h * (0.75 + 0.35 * k);
            let base = ground - h * 0.02 * (1.0 - k);
            let top = base - bh;
            c.rect(x, top, x + bw, base, concrete);
            c.rect(x, top - 4.0, x + bw, top, Rgb([248.0, 250.0, 252.0]));
            windows(c, rng, x + 8.0, top + 10.0, x + bw - 8.0, base - 6.0, 0.08, concrete.mix(Rgb([60.0, 70.0, 84.0]), 0.55));
            x += bw + rng.gen_range(40.0..200.0);
        }
    }
    let snow = vec![ground; c.w];
    c.land(&snow, Rgb([228.0, 233.0, 242.0]), Rgb([248.0, 249.0, 252.0]));
    let branch = Rgb([50.0, 46.0, 44.0]);
    for _ in 0..rng.gen_range(3..6) {
        let x = rng.gen_range(0.0..w);
        let foot = ground + rng.gen_range(0.02..0.2) * h;
        let tall = rng.gen_range(0.25..0.4) * h;
        c.line(x, foot, x, foot - tall, 6.0, branch);
        let mut stack = vec![(x, foot - tall * 0.4, -PI / 2.0, tall * 0.5, 4.0f32)];
        while let Some((bx, by, ang, len, th)) = stack.pop() {
            let (ex, ey) = (bx + ang.cos() * len, by + ang.sin() * len);
            c.line(bx, by, ex, ey, th, branch);
            if len > 18.0 {
                stack.push((ex, ey, ang - rng.gen_range(0.25..0.6), len * 0.62, (th * 0.7).max(1.0)));
                stack.push((ex, ey, ang + rng.gen_range(0.25..0.6), len * 0.62, (th * 0.7).max(1.0)));
            }
        }
        c.puff(x + 40.0, foot, 90.0, 8.0, Rgb([170.0, 180.0, 205.0]), 0.4);
    }
}

fn forest(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * 0.55;
    c.sky(pal, horizon * 1.3);
    c.stars(rng, 600, horizon);
    let r = w * 0.05;
    c.glow(w * rng.gen_range(0.25..0.75), h * rng.gen_range(0.16..0.3), r, pal.sun, 5.0, 0.3, true);
    for i in 0..4 {
        let t = i as f32 / 3.0;
        let base = horizon + t * h * 0.3;
        let ridge = profile(rng, c.w, base, h * 0.05, 3, false);
        let col = pal.bottom.mix(pal.sun, 0.12 * (1.0 - t)).mix(pal.land, 0.2 + 0.8 * t);
        let mut x = rng.gen_range(-20.0..0.0);
        while x < w {
            let tall = rng.gen_range(0.06..0.14) * h * (0.6 + 0.8 * t);
            let foot = ridge[(x.max(0.0) as usize).min(c.w - 1)] + 4.0;
            let half = tall * 0.22;
            for tier in 0..3 {
                let k = tier as f32 / 3.0;
                let y0 = foot - tall * k * 0.8;
                let hw = half * (1.0 - k * 0.5);
                c.polygon(&[(x - hw, y0), (x, y0 - tall * 0.45), (x + hw, y0)], col);
            }
            x += rng.gen_range(0.3..1.1) * half * 2.0;
        }
        c.land(&ridge, col, col);
    }
}

fn boat(c: &mut Canvas, x: f32, y: f32, size: f32, col: Rgb, sail: Option<Rgb>) {
    c.polygon(&[(x - size, y - size * 0.25), (x + size, y - size * 0.25), (x + size * 0.7, y), (x - size * 0.75, y)], col);
    c.rect(x - size * 0.3, y - size * 0.5, x + size * 0.2, y - size * 0.25, col);
    c.line(x, y - size * 0.25, x, y - size * 1.6, (size / 30.0).max(1.0), col);
    if let Some(s) = sail {
        c.polygon(&[(x + 2.0, y - size * 1.5), (x + 2.0, y - size * 0.35), (x + size * 0.8, y - size * 0.35)], s);
    }
    c.puff(x, y + size * 0.15, size * 1.1, size * 0.12, col, 0.35);
}

fn boats(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * rng.gen_range(0.5..0.58);
    c.sky(pal, horizon);
    let sx = sun_or_moon(c, rng, pal, horizon, false);
    c.clouds(rng, 5, h * 0.05, horizon * 0.7, Rgb([255.0, 255.0, 255.0]), 0.35);
    c.water(rng, pal, horizon, sx, 0.45);
    let dark = pal.land.mix(BLACK, 0.4);
    for _ in 0..rng.gen_range(4..8) {
        let x = rng.gen_range(0.0..w);
        boat(c, x, horizon + rng.gen_range(4.0..20.0), rng.gen_range(8.0..16.0), dark.mix(pal.bottom, 0.4), None);
    }
    let hulls = [Rgb([170.0, 50.0, 40.0]), Rgb([40.0, 90.0, 140.0]), Rgb([220.0, 210.0, 190.0])];
    for i in 0..rng.gen_range(2..4) {
        let x = w * (0.2 + 0.3 * i as f32) + rng.gen_range(-60.0..60.0);
        let y = horizon + h * rng.gen_range(0.12..0.35);
        let size = (y - horizon) * 0.45;
        let hull = hulls[rng.gen_range(0..hulls.len())].mix(pal.bottom, 0.15);
        boat(c, x, y, size, hull, if rng.gen_bool(0.5) { Some(Rgb([240.0, 236.0, 224.0])) } else { None });
    }
}

fn lighthouse(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * 0.68;
    c.sky(pal, horizon);
    if pal.night {
        c.stars(rng, 300, horizon);
    }
    let sx = sun_or_moon(c, rng, pal, horizon, false);
    c.clouds(rng, 6, h * 0.05, horizon * 0.6, pal.bottom.mix(pal.top, 0.3), 0.3);
    c.water(rng, pal, horizon, sx, 0.4);
    let mut rock = vec![h * 2.0; c.w];
    let edge = w * rng.gen_range(0.55..0.7);
    let bumps = profile(rng, c.w, 0.0, h * 0.02, 4, true);
    for (x, v) in rock.iter_mut().enumerate() {
        if (x as f32) < edge {
            let t = x as f32 / edge;
            *v = horizon - h * 0.06 + t.powi(3) * h * 0.1 + bumps[x];
        }
    }
    c.land(&rock, pal.land.mix(pal.bottom, 0.1), pal.land.mix(BLACK, 0.4));
    let lx = edge * 0.45;
    let foot = rock[lx as usize] + 6.0;
    let tall = h * 0.36;
    let (bw, tw) = (w * 0.075, w * 0.05);
    let bands = 6;
    for b in 0..bands {
        let t0 = b as f32 / bands as f32;
        let t1 = (b + 1) as f32 / bands as f32;
        let (y0, y1) = (foot - tall * t0, foot - tall * t1);
        let (w0, w1) = (bw + (tw - bw) * t0, bw + (tw - bw) * t1);
        let col = if b % 2 == 0 { Rgb([236.0, 232.0, 226.0]) } else { Rgb([186.0, 50.0, 46.0]) };
        c.polygon(&[(lx - w0 / 2.0, y0), (lx - w1 / 2.0, y1), (lx + w1 / 2.0, y1), (lx + w0 / 2.0, y0)], col.mix(pal.bottom, 0.12));
    }
    let top = foot - tall;
    c.rect(lx - tw * 0.7, top - 8.0, lx + tw * 0.7, top, pal.land);
    let lamp_y = top - 8.0 - tw * 0.45;
    c.rect(lx - tw * 0.4, lamp_y - tw * 0.05, lx + tw * 0.4, top - 8.0, Rgb([255.0, 230.0, 150.0]));
    c.polygon(&[(lx - tw * 0.5, lamp_y), (lx, lamp_y - tw * 0.4), (lx + tw * 0.5, lamp_y)], pal.land);
    let beam = Rgb([255.0, 240.0, 190.0]);
    for y in (lamp_y - 40.0) as i64..(lamp_y + 60.0) as i64 {
        for x in lx as i64..c.w as i64 {
            let d = x as f32 - lx;
            let spread = 10.0 + d * 0.1;
            let off = (y as f32 - (lamp_y + 10.0 + d * 0.02)).abs();
            if off < spread {
                c.blend(x, y, beam, 0.22 * (1.0 - off / spread) * (1.0 - d / w));
            }
        }
    }
    c.glow(lx, lamp_y + tw * 0.2, tw * 0.25, beam, 8.0, 0.5, false);
}

fn tower(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let ground = h * 0.9;
    c.sky(pal, ground);
    c.stars(rng, 600, ground * 0.8);
    let (mx, my, r) = (w * rng.gen_range(0.6..0.8), h * rng.gen_range(0.1..0.2), w * 0.05);
    c.glow(mx, my, r, pal.sun, 4.0, 0.2, false);
    for y in (my - r - 2.0) as i64..(my + r + 2.0) as i64 {
        for x in (mx - r - 2.0) as i64..(mx + r + 2.0) as i64 {
            let d = ((x as f32 - mx).powi(2) + (y as f32 - my).powi(2)).sqrt();
            let shadow = ((x as f32 - mx + r * 0.45).powi(2) + (y as f32 - my + r * 0.2).powi(2)).sqrt();
            let inside = (r + 0.5 - d).clamp(0.0, 1.0) * (shadow - r * 0.95).clamp(0.0, 1.0);
            c.blend(x, y, pal.sun, inside);
        }
    }
    skyline(c, rng, ground, h * 0.05, h * 0.16, pal.land.mix(pal.bottom, 0.3), 0.15, 0.1);
    let tx = w * rng.gen_range(0.2..0.35);
    let tw = w * rng.gen_range(0.32..0.42);
    let top = h * rng.gen_range(0.18..0.3);
    c.rect(tx, top, tx + tw, ground, pal.land);
    windows(c, rng, tx + 10.0, top + 14.0, tx + tw - 10.0, ground - 10.0, 0.22, pal.land.mix(Rgb([40.0, 50.0, 70.0]), 0.4));
    c.line(tx + tw * 0.8, top, tx + tw * 0.8, top - h * 0.05, 3.0, pal.land);
    c.rect(0.0, ground, w, h, pal.land.mix(BLACK, 0.5));
}

fn tree(c: &mut Canvas, pal: &Palette, rng: &mut StdRng) {
    let (w, h) = (c.w as f32, c.h as f32);
    let horizon = h * 0.62;
    c.sky(pal, horizon);
    let sx = sun_or_moon(c, rng, pal, horizon, false);
    for i in 0..2 {
        let t = i as f32;
        let ridge = profile(rng, c.w, horizon + t * h * 0.04, h * 0.04, 4, false);
        let col = pal.bottom.mix(pal.land, 0.35 + 0.25 * t);
        c.land(&ridge, col, col.mix(BLACK, 0.2));
    }
    let crest_x = w * rng.gen_range(0.35..0.65);
    let hill: Vec<f32> = (0..c.w)
        .map(|x| {
            let d = (x as f32 - crest_x) / w;
            h * 0.72 + d * d * h * 0.9
        })
        .collect();
    let grass = Rgb([110.0, 120.0, 50.0]).mix(pal.bottom, 0.2);
    c.land(&hill, grass, grass.mix(BLACK, 0.5));
    let foot = h * 0.72 + 4.0;
    let bark = pal.land.mix(BLACK, 0.5);
    let trunk_h = h * 0.16;
    c.polygon(&[(crest_x - 14.0, foot), (crest_x - 6.0, foot - trunk_h), (crest_x + 6.0, foot - trunk_h), (crest_x + 14.0, foot)], bark);
    let leaves = Rgb([50.0, 70.0, 36.0]).mix(pal.land, 0.3);
    let light = leaves.mix(pal.sun, 0.35);
    let crown_y = foot - trunk_h - h * 0.08;
    for _ in 0..36 {
        let (dx, dy) = (rng.gen_range(-1.0f32..1.0) * w * 0.14, rng.gen_range(-1.0f32..1.0) * h * 0.09);
        let r = rng.gen_range(0.03..0.06) * w;
        let lit = (dx * (sx - crest_x).signum()) > 0.0 && dy < 0.0;
        c.disc(crest_x + dx, crown_y + dy, r, if lit { light } else { leaves });
    }
    c.puff(crest_x + w * 0.1, foot + 6.0, w * 0.14, 8.0, BLACK, 0.3);
}
