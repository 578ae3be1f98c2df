//! How long a newsroom upload takes to process: intake plus the three renditions of a
//! 3000 × 2000 JPEG (a typical camera export scaled for the web desk).
//!
//! cargo run --release -p masthead-media --example intake_timing

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, Rgb, RgbImage};
use masthead_media::{intake, rendition, Limits, RENDITION_WIDTHS};

const RUNS: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let upload = camera_like_jpeg(3000, 2000)?;
    println!(
        "upload: 3000 × 2000 JPEG, {} KiB; best and median of {RUNS} runs",
        upload.len() / 1024
    );

    let mut intakes = Vec::new();
    let mut renditions = Vec::new();
    let mut clean = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        clean = intake(&upload, &Limits::default())?.bytes;
        intakes.push(started.elapsed());

        let started = Instant::now();
        for width in RENDITION_WIDTHS {
            rendition(&clean, width)?;
        }
        renditions.push(started.elapsed());
    }
    report("intake (sniff, decode, re-encode q85)", &mut intakes);
    report("3 renditions, one rendition() call each", &mut renditions);
    let total: Vec<Duration> = intakes
        .iter()
        .zip(&renditions)
        .map(|(a, b)| *a + *b)
        .collect();
    report("intake + 3 renditions", &mut total.clone());

    // MediaStore::make_renditions decodes once for all three widths.
    let dir = std::env::temp_dir().join(format!("masthead-media-timing-{}", std::process::id()));
    let store = masthead_media::MediaStore::dir(&dir);
    let runtime = tokio::runtime::Runtime::new()?;
    let mut stored = Vec::new();
    for _ in 0..RUNS {
        let picture = intake(&upload, &Limits::default())?;
        let key = runtime.block_on(store.put_original(&picture))?;
        for width in RENDITION_WIDTHS {
            match std::fs::remove_file(dir.join(&key).join(format!("{width}.jpg"))) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        let started = Instant::now();
        runtime.block_on(store.make_renditions(&key))?;
        stored.push(started.elapsed());
    }
    report(
        "MediaStore::make_renditions (decode once, 3 writes)",
        &mut stored,
    );
    std::fs::remove_dir_all(&dir)?;
    println!("clean original: {} KiB", clean.len() / 1024);

    // The same picture uploaded as PNG and as (lossless) WebP.
    let decoded = image::load_from_memory(&upload)?;
    for (name, format) in [("PNG", ImageFormat::Png), ("WebP", ImageFormat::WebP)] {
        let mut other = Vec::new();
        decoded.write_to(&mut Cursor::new(&mut other), format)?;
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            size = intake(&other, &Limits::default())?.bytes.len();
            times.push(started.elapsed());
        }
        let what = format!(
            "intake of it as {name} ({} -> {} KiB)",
            other.len() / 1024,
            size / 1024
        );
        report(&what, &mut times);
    }
    Ok(())
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{what:<52} best {:>6.1} ms  median {:>6.1} ms",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3
    );
}

/// Smooth gradients with sensor-like noise: compresses like a photograph, not like a flat fill.
fn camera_like_jpeg(width: u32, height: u32) -> Result<Vec<u8>, image::ImageError> {
    let mut seed: u32 = 7;
    let picture = RgbImage::from_fn(width, height, |x, y| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 28) as u8;
        let r = ((x * 200) / width) as u8;
        let g = ((y * 200) / height) as u8;
        let b = (((x + y) / 16) % 200) as u8;
        Rgb([r + noise, g + noise, b + noise])
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 92).encode_image(&picture)?;
    Ok(jpeg)
}
