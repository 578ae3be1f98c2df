//! Intake and rendition behaviour, on pictures built in code: what is accepted, what is refused
//! and with which error, what metadata survives (none), and the rendition geometry.

use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use masthead_media::{intake, rendition, ImageKind, Limits, MediaError, RENDITION_WIDTHS};
use sha2::{Digest, Sha256};

/// A photo-like picture: gradients plus deterministic noise, so encoders have real work.
fn photo(width: u32, height: u32) -> RgbImage {
    let mut seed: u32 = 0x1234_5678;
    RgbImage::from_fn(width, height, |x, y| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 24) as u8 / 8;
        Rgb([
            ((x * 255) / width) as u8 / 2 + noise,
            ((y * 255) / height) as u8 / 2 + noise,
            128u8.wrapping_add(noise),
        ])
    })
}

fn jpeg_bytes(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(image)
        .expect("encode test JPEG");
    out
}

fn png_bytes(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_with_encoder(PngEncoder::new(&mut out))
        .expect("encode test PNG");
    out
}

fn webp_bytes(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_with_encoder(WebPEncoder::new_lossless(&mut out))
        .expect("encode test WebP");
    out
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("decode output")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = Vec::new();
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    chunk.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    chunk
}

fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    segment.extend_from_slice(payload);
    segment
}

/// A big-endian EXIF block: IFD0 with Make, Orientation and a pointer to a GPS IFD holding
/// latitude 52° 31' 12.34" N.
fn exif_payload(camera: &str, orientation: u16) -> Vec<u8> {
    fn entry(tag: u16, kind: u16, count: u32, value: [u8; 4]) -> Vec<u8> {
        let mut e = Vec::new();
        e.extend_from_slice(&tag.to_be_bytes());
        e.extend_from_slice(&kind.to_be_bytes());
        e.extend_from_slice(&count.to_be_bytes());
        e.extend_from_slice(&value);
        e
    }
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;

    let mut make = camera.as_bytes().to_vec();
    make.push(0);
    if make.len() % 2 == 1 {
        make.push(0);
    }
    let ifd0_len = 2 + 3 * 12 + 4;
    let make_at = 8 + ifd0_len;
    let gps_at = make_at + make.len();
    let gps_len = 2 + 2 * 12 + 4;
    let latitude_at = gps_at + gps_len;

    let mut tiff = b"MM\0*".to_vec();
    tiff.extend_from_slice(&8u32.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend(entry(
        0x010F,
        ASCII,
        camera.len() as u32 + 1,
        (make_at as u32).to_be_bytes(),
    ));
    let [o1, o2] = orientation.to_be_bytes();
    tiff.extend(entry(0x0112, SHORT, 1, [o1, o2, 0, 0]));
    tiff.extend(entry(0x8825, LONG, 1, (gps_at as u32).to_be_bytes()));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&make);
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend(entry(0x0001, ASCII, 2, *b"N\0\0\0"));
    tiff.extend(entry(
        0x0002,
        RATIONAL,
        3,
        (latitude_at as u32).to_be_bytes(),
    ));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (num, den) in [(52u32, 1u32), (31, 1), (1234, 100)] {
        tiff.extend_from_slice(&num.to_be_bytes());
        tiff.extend_from_slice(&den.to_be_bytes());
    }

    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    payload
}

/// `jpeg` with `segments` spliced in right after SOI, where cameras put them.
fn splice_after_soi(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for segment in segments {
        out.extend_from_slice(segment);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn assert_sha256(intake: &masthead_media::Intake) {
    assert_eq!(intake.sha256, hex::encode(Sha256::digest(&intake.bytes)));
    assert_eq!(intake.sha256.len(), 64);
}

#[test]
fn accepts_a_jpeg_and_reencodes_it() {
    let upload = jpeg_bytes(&photo(320, 200));
    let intake = intake(&upload, &Limits::default()).expect("JPEG accepted");
    assert_eq!(intake.kind, ImageKind::Jpeg);
    assert_eq!((intake.width, intake.height), (320, 200));
    assert_eq!(
        image::guess_format(&intake.bytes).expect("format"),
        ImageFormat::Jpeg
    );
    assert_eq!(decode(&intake.bytes).dimensions(), (320, 200));
    assert_sha256(&intake);
}

#[test]
fn accepts_a_png_with_transparency_and_keeps_it_lossless() {
    let picture = DynamicImage::ImageRgba8(RgbaImage::from_fn(100, 50, |x, y| {
        Rgba([x as u8, y as u8, 200, (x + y) as u8])
    }));
    let intake = intake(&png_bytes(&picture), &Limits::default()).expect("PNG accepted");
    assert_eq!(intake.kind, ImageKind::Png);
    assert_eq!((intake.width, intake.height), (100, 50));
    assert_eq!(decode(&intake.bytes).to_rgba8(), picture.to_rgba8());
    assert_sha256(&intake);
}

#[test]
fn accepts_a_webp_and_keeps_it_lossless() {
    let picture = DynamicImage::ImageRgb8(photo(90, 60));
    let intake = intake(&webp_bytes(&picture), &Limits::default()).expect("WebP accepted");
    assert_eq!(intake.kind, ImageKind::Webp);
    assert_eq!((intake.width, intake.height), (90, 60));
    assert_eq!(
        image::guess_format(&intake.bytes).expect("format"),
        ImageFormat::WebP
    );
    assert_eq!(decode(&intake.bytes).to_rgb8(), picture.to_rgb8());
    assert_sha256(&intake);
}

#[test]
fn kinds_name_their_files_and_mime_types() {
    assert_eq!(ImageKind::Jpeg.extension(), "jpg");
    assert_eq!(ImageKind::Png.extension(), "png");
    assert_eq!(ImageKind::Webp.extension(), "webp");
    assert_eq!(ImageKind::Jpeg.mime(), "image/jpeg");
    assert_eq!(ImageKind::Png.mime(), "image/png");
    assert_eq!(ImageKind::Webp.mime(), "image/webp");
    assert_eq!(ImageKind::from_extension("webp"), Some(ImageKind::Webp));
    assert_eq!(ImageKind::from_extension("jpeg"), None);
}

#[test]
fn refuses_a_text_file() {
    let err = intake(
        b"Press release: embargoed until Monday.\n",
        &Limits::default(),
    )
    .expect_err("text refused");
    assert!(matches!(err, MediaError::NotAnImage), "{err:?}");
    assert_eq!(
        err.to_string(),
        "this file is not an image: upload a JPEG, PNG or WebP picture"
    );
}

#[test]
fn refuses_an_html_file_named_jpg() {
    // The name never reaches intake: only the bytes count, as read from a ".jpg" file.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("photo.jpg");
    std::fs::write(
        &path,
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    )
    .expect("write");
    let upload = std::fs::read(&path).expect("read");
    let err = intake(&upload, &Limits::default()).expect_err("HTML refused");
    assert!(matches!(err, MediaError::NotAnImage), "{err:?}");
}

#[test]
fn refuses_an_empty_file() {
    let err = intake(b"", &Limits::default()).expect_err("empty refused");
    assert!(matches!(err, MediaError::NotAnImage), "{err:?}");
}

#[test]
fn refuses_a_truncated_jpeg() {
    let whole = jpeg_bytes(&photo(256, 256));
    let cut = &whole[..whole.len() * 6 / 10];
    let err = intake(cut, &Limits::default()).expect_err("truncated JPEG refused");
    assert!(matches!(err, MediaError::Corrupt(_)), "{err:?}");
    assert!(err
        .to_string()
        .starts_with("this picture is damaged or incomplete"));
}

#[test]
fn a_truncated_jpeg_is_caught_even_when_its_exif_thumbnail_is_whole() {
    // The thumbnail's own end marker sits in APP1, before the scan: it must not count.
    let thumbnail = jpeg_bytes(&photo(16, 16));
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&thumbnail);
    let whole = splice_after_soi(&jpeg_bytes(&photo(256, 256)), &[jpeg_segment(0xE1, &app1)]);
    let cut = &whole[..whole.len() * 8 / 10];
    let err = intake(cut, &Limits::default()).expect_err("truncated JPEG refused");
    assert!(matches!(err, MediaError::Corrupt(_)), "{err:?}");
}

#[test]
fn bytes_after_the_end_of_a_jpeg_do_not_make_it_corrupt() {
    // Some phones append their own data after the end marker.
    let mut upload = jpeg_bytes(&photo(64, 64));
    upload.extend_from_slice(b"\0\0MOTION_PHOTO_TRAILER");
    let intake = intake(&upload, &Limits::default()).expect("accepted");
    assert!(!contains(&intake.bytes, b"MOTION_PHOTO_TRAILER"));
}

#[test]
fn refuses_a_truncated_png_and_webp() {
    let picture = DynamicImage::ImageRgb8(photo(128, 128));
    for whole in [png_bytes(&picture), webp_bytes(&picture)] {
        let cut = &whole[..whole.len() / 2];
        let err = intake(cut, &Limits::default()).expect_err("truncated file refused");
        assert!(matches!(err, MediaError::Corrupt(_)), "{err:?}");
    }
}

#[test]
fn refuses_a_gif() {
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let err = intake(gif, &Limits::default()).expect_err("GIF refused");
    assert!(
        matches!(&err, MediaError::UnsupportedFormat(name) if name == "GIF"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "GIF pictures are not accepted: save the picture as JPEG, PNG or WebP and upload it again"
    );
}

#[test]
fn refuses_a_bmp() {
    // A 1 × 1, 24-bit BMP.
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&58u32.to_le_bytes()); // file size
    bmp.extend_from_slice(&0u32.to_le_bytes()); // reserved
    bmp.extend_from_slice(&54u32.to_le_bytes()); // pixel data offset
    bmp.extend_from_slice(&40u32.to_le_bytes()); // BITMAPINFOHEADER
    bmp.extend_from_slice(&1i32.to_le_bytes());
    bmp.extend_from_slice(&1i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes()); // planes
    bmp.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
    bmp.extend_from_slice(&[0; 24]); // compression .. important colours
    bmp.extend_from_slice(&[0, 0, 255, 0]); // one red pixel, padded
    let err = intake(&bmp, &Limits::default()).expect_err("BMP refused");
    assert!(
        matches!(&err, MediaError::UnsupportedFormat(name) if name == "BMP"),
        "{err:?}"
    );
}

#[test]
fn a_text_file_starting_with_bm_is_not_called_a_bmp() {
    let err = intake(b"BMW press kit, see attached", &Limits::default()).expect_err("refused");
    assert!(matches!(err, MediaError::NotAnImage), "{err:?}");
}

#[test]
fn strips_exif_gps_xmp_and_comments_from_a_jpeg_and_applies_orientation() {
    // Top-left quadrant red, the rest blue; 64 wide, 48 high.
    let picture = RgbImage::from_fn(64, 48, |x, y| {
        if x < 32 && y < 24 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    let camera = "FakeCam SecretModel 9000 serial 0451";
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'><exif:GPSLatitude>52,31.2N</exif:GPSLatitude></x:xmpmeta>";
    let upload = splice_after_soi(
        &jpeg_bytes(&picture),
        &[
            // Orientation 6: the camera was turned, the picture must be rotated 90° clockwise.
            jpeg_segment(0xE1, &exif_payload(camera, 6)),
            jpeg_segment(0xE1, xmp),
            jpeg_segment(0xFE, b"shot by a confidential source"),
        ],
    );
    assert!(contains(&upload, b"Exif"));
    assert!(contains(&upload, camera.as_bytes()));
    image::load_from_memory(&upload).expect("the crafted upload is a valid JPEG");

    let intake = intake(&upload, &Limits::default()).expect("JPEG accepted");
    for secret in [
        b"Exif".as_slice(),
        camera.as_bytes(),
        b"FakeCam",
        b"xmpmeta",
        b"GPSLatitude",
        b"confidential",
    ] {
        assert!(
            !contains(&intake.bytes, secret),
            "{:?} survived intake",
            String::from_utf8_lossy(secret)
        );
    }

    // Rotated: now 48 wide and 64 high, and the red corner is top right.
    assert_eq!((intake.width, intake.height), (48, 64));
    let clean = decode(&intake.bytes).to_rgb8();
    assert_eq!(clean.dimensions(), (48, 64));
    let top_right = clean.get_pixel(40, 8).0;
    let top_left = clean.get_pixel(8, 8).0;
    assert!(
        top_right[0] > 200 && top_right[2] < 60,
        "top right is {top_right:?}"
    );
    assert!(
        top_left[2] > 200 && top_left[0] < 60,
        "top left is {top_left:?}"
    );
}

#[test]
fn strips_text_chunks_from_a_png() {
    let png = png_bytes(&DynamicImage::ImageRgb8(photo(40, 30)));
    // Signature (8 bytes) and IHDR (25 bytes) come first; text chunks may follow.
    let mut upload = png[..33].to_vec();
    upload.extend(png_chunk(
        b"tEXt",
        b"Comment\0Source: Deep Throat, garage level 2",
    ));
    upload.extend(png_chunk(b"tEXt", b"Author\0Jane Stringer"));
    upload.extend_from_slice(&png[33..]);
    assert!(contains(&upload, b"Deep Throat"));
    image::load_from_memory(&upload).expect("the crafted upload is a valid PNG");

    let intake = intake(&upload, &Limits::default()).expect("PNG accepted");
    assert!(!contains(&intake.bytes, b"tEXt"));
    assert!(!contains(&intake.bytes, b"Deep Throat"));
    assert!(!contains(&intake.bytes, b"Jane Stringer"));
    assert_eq!((intake.width, intake.height), (40, 30));
}

#[test]
fn refuses_a_png_that_claims_to_be_100000_pixels_square_without_decoding_it() {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA: 40 GB once decoded
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    bomb.extend(png_chunk(b"IHDR", &ihdr));
    // An empty zlib stream: the file is tiny, only its header is huge.
    bomb.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1],
    ));
    bomb.extend(png_chunk(b"IEND", b""));

    let started = Instant::now();
    let err = intake(&bomb, &Limits::default()).expect_err("bomb refused");
    assert!(started.elapsed() < Duration::from_secs(1));
    match err {
        MediaError::TooManyPixels {
            width,
            height,
            max_pixels,
        } => assert_eq!((width, height, max_pixels), (100_000, 100_000, 60_000_000)),
        other => panic!("expected TooManyPixels, got {other:?}"),
    }
}

#[test]
fn refuses_a_jpeg_header_claiming_60000_pixels_square() {
    let mut bomb = jpeg_bytes(&photo(16, 16));
    let sof = bomb
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline SOF");
    // FF C0, length (2), precision (1), then height and width.
    bomb[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    bomb[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    let err = intake(&bomb, &Limits::default()).expect_err("bomb refused");
    assert!(
        matches!(
            err,
            MediaError::TooManyPixels {
                width: 60_000,
                height: 60_000,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn refuses_a_webp_header_claiming_16383_pixels_square() {
    let mut bomb = webp_bytes(&DynamicImage::ImageRgb8(photo(16, 16)));
    assert_eq!(&bomb[12..16], b"VP8L");
    assert_eq!(bomb[20], 0x2F);
    let header = u32::from_le_bytes([bomb[21], bomb[22], bomb[23], bomb[24]]);
    // Width and height are stored minus one, 14 bits each.
    let patched = (header & !0x0FFF_FFFF) | 16_382 | (16_382 << 14);
    bomb[21..25].copy_from_slice(&patched.to_le_bytes());
    let err = intake(&bomb, &Limits::default()).expect_err("bomb refused");
    assert!(
        matches!(
            err,
            MediaError::TooManyPixels {
                width: 16_383,
                height: 16_383,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn refuses_a_panorama_longer_than_the_side_limit() {
    let strip = DynamicImage::ImageRgb8(RgbImage::new(12_001, 1));
    let err = intake(&png_bytes(&strip), &Limits::default()).expect_err("refused");
    assert!(
        matches!(
            err,
            MediaError::SideTooLong {
                width: 12_001,
                height: 1,
                max_side: 12_000
            }
        ),
        "{err:?}"
    );
}

#[test]
fn refuses_a_file_over_the_byte_limit_before_reading_it() {
    let upload = jpeg_bytes(&photo(200, 200));
    let limits = Limits {
        max_bytes: 1024,
        ..Limits::default()
    };
    let err = intake(&upload, &limits).expect_err("too large");
    assert!(
        matches!(err, MediaError::TooLarge { size, max: 1024 } if size == upload.len()),
        "{err:?}"
    );

    let err = intake(&vec![0u8; 16 * 1024 * 1024], &Limits::default()).expect_err("too large");
    assert_eq!(
        err.to_string(),
        "this file is 16.0 MB, more than the 15.0 MB limit: export a smaller version and upload it again"
    );
}

#[test]
fn a_smaller_pixel_limit_applies() {
    let limits = Limits {
        max_pixels: 10_000,
        ..Limits::default()
    };
    let err = intake(&jpeg_bytes(&photo(200, 100)), &limits).expect_err("too many pixels");
    assert!(
        matches!(
            err,
            MediaError::TooManyPixels {
                width: 200,
                height: 100,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn renditions_have_the_requested_widths_and_keep_the_aspect_ratio() {
    let original = intake(&jpeg_bytes(&photo(1700, 850)), &Limits::default())
        .expect("accepted")
        .bytes;
    for width in RENDITION_WIDTHS {
        let jpeg = rendition(&original, width).expect("rendition");
        assert_eq!(
            image::guess_format(&jpeg).expect("format"),
            ImageFormat::Jpeg
        );
        assert_eq!(decode(&jpeg).dimensions(), (width, width / 2));
    }
    // An aspect ratio that does not divide evenly rounds to the nearest pixel.
    let odd = png_bytes(&DynamicImage::ImageRgb8(photo(1000, 333)));
    assert_eq!(
        decode(&rendition(&odd, 480).expect("rendition")).dimensions(),
        (480, 160)
    );
}

#[test]
fn renditions_never_upscale() {
    let small = jpeg_bytes(&photo(300, 200));
    for width in RENDITION_WIDTHS {
        let jpeg = rendition(&small, width).expect("rendition");
        assert_eq!(decode(&jpeg).dimensions(), (300, 200));
    }
}

#[test]
fn renditions_flatten_transparency_on_white() {
    let clear = DynamicImage::ImageRgba8(RgbaImage::from_pixel(600, 300, Rgba([0, 0, 0, 0])));
    let jpeg = rendition(&png_bytes(&clear), 480).expect("rendition");
    let flat = decode(&jpeg).to_rgb8();
    assert_eq!(flat.dimensions(), (480, 240));
    assert!(
        flat.pixels().all(|p| p.0.iter().all(|&c| c >= 250)),
        "not white"
    );

    let half = DynamicImage::ImageRgba8(RgbaImage::from_pixel(100, 100, Rgba([0, 0, 0, 128])));
    let grey = decode(&rendition(&png_bytes(&half), 480).expect("rendition")).to_rgb8();
    let [r, g, b] = grey.get_pixel(50, 50).0;
    assert!((120..=135).contains(&r) && (120..=135).contains(&g) && (120..=135).contains(&b));
}

#[test]
fn rendition_refuses_what_intake_refuses() {
    let err = rendition(b"not a picture", 480).expect_err("refused");
    assert!(matches!(err, MediaError::NotAnImage), "{err:?}");
}
