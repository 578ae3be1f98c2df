//! Picture intake for the newsroom: checks that an uploaded file really is a JPEG, PNG or WebP
//! picture, strips everything but its pixels, and makes the responsive JPEG renditions pages use.
//!
//! The pipeline is deliberately paranoid because uploads come from the outside world:
//! the format is sniffed from the bytes (never the file name or claimed content type), the
//! declared dimensions are checked against [`Limits`] before any pixel buffer is allocated, and
//! the stored original is a fresh encoding of the decoded pixels, so no EXIF (GPS, camera
//! serials), XMP, ICC profile, comment or text chunk can survive. EXIF orientation is applied
//! to the pixels before the metadata is dropped, so portrait phone photos stay upright.
//!
//! The checks and encoders here are synchronous and CPU-bound; async callers run them in
//! `spawn_blocking`. Stored pictures live in a [`MediaStore`] (a directory or an
//! S3-compatible bucket, see `store`), whose methods are async.

pub mod s3;
mod sigv4;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use s3::{S3Config, S3Error};
pub use store::{object_name, MediaStore, StoreConfig};

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Cursor};

use fast_image_resize as fr;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::error::LimitErrorKind;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};
use sha2::{Digest, Sha256};

/// Widths, in pixels, of the JPEG renditions made for every stored picture.
pub const RENDITION_WIDTHS: [u32; 3] = [480, 960, 1600];

/// JPEG quality of a re-encoded JPEG original: high enough that a second generation of
/// compression is invisible on a news photo.
const ORIGINAL_JPEG_QUALITY: u8 = 85;

/// JPEG quality of a rendition: renditions are what readers download, so they trade a little
/// fidelity for size.
const RENDITION_JPEG_QUALITY: u8 = 80;

/// The picture formats the newsroom accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    const ALL: [ImageKind; 3] = [ImageKind::Jpeg, ImageKind::Png, ImageKind::Webp];

    /// The file extension a stored original of this kind gets.
    pub fn extension(&self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
            ImageKind::Webp => "webp",
        }
    }

    /// The MIME type to serve a picture of this kind with.
    pub fn mime(&self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }

    /// The kind whose [`extension`](Self::extension) is `ext` (as stored: `jpg`, `png`, `webp`).
    pub fn from_extension(ext: &str) -> Option<ImageKind> {
        ImageKind::ALL
            .into_iter()
            .find(|kind| kind.extension() == ext)
    }

    fn format(self) -> ImageFormat {
        match self {
            ImageKind::Jpeg => ImageFormat::Jpeg,
            ImageKind::Png => ImageFormat::Png,
            ImageKind::Webp => ImageFormat::WebP,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "JPEG",
            ImageKind::Png => "PNG",
            ImageKind::Webp => "WebP",
        }
    }
}

/// How big an upload may be, in bytes and in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Size of the uploaded file.
    pub max_bytes: usize,
    /// Width times height, which bounds the memory a decoded picture needs.
    pub max_pixels: u64,
    /// The longer of width and height.
    pub max_side: u32,
}

impl Default for Limits {
    /// 15 MiB, 60 megapixels (a full-frame camera's largest JPEG) and 12000 px a side.
    fn default() -> Self {
        Limits {
            max_bytes: 15 * 1024 * 1024,
            max_pixels: 60_000_000,
            max_side: 12_000,
        }
    }
}

/// A clean stored-to-be original: the re-encoded picture and what is known about it.
#[derive(Clone, PartialEq, Eq)]
pub struct Intake {
    pub kind: ImageKind,
    /// Width after EXIF orientation was applied.
    pub width: u32,
    /// Height after EXIF orientation was applied.
    pub height: u32,
    /// The cleaned picture: decoded pixels encoded afresh, no metadata.
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of `bytes` (the cleaned picture, not the upload).
    pub sha256: String,
}

impl fmt::Debug for Intake {
    // A multi-megabyte byte dump in a log line helps nobody.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Intake")
            .field("kind", &self.kind)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// Why a picture was refused or could not be processed. The messages are written for the
/// person who uploaded the file.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error(
        "this file is {} MB, more than the {} MB limit: export a smaller version and upload it again",
        megabytes(*.size),
        megabytes(*.max)
    )]
    TooLarge { size: usize, max: usize },

    #[error("this file is not an image: upload a JPEG, PNG or WebP picture")]
    NotAnImage,

    #[error(
        "{0} pictures are not accepted: save the picture as JPEG, PNG or WebP and upload it again"
    )]
    UnsupportedFormat(String),

    #[error(
        "this picture is damaged or incomplete and could not be read: export it again and upload the new file ({0})"
    )]
    Corrupt(String),

    #[error(
        "this picture is {width} × {height} pixels, more than the limit of {} megapixels: scale it down and upload it again",
        megapixels(*.max_pixels)
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },

    #[error(
        "this picture is {width} × {height} pixels, and no side may be longer than {max_side} pixels: scale it down and upload it again"
    )]
    SideTooLong {
        width: u32,
        height: u32,
        max_side: u32,
    },

    #[error(
        "the picture was read but a clean copy of it could not be made ({0}); please try again"
    )]
    Encode(String),

    #[error("no picture is stored under the key {0:?}")]
    NotStored(String),

    #[error("the picture could not be saved or read on the server ({0}); please try again")]
    Io(#[from] io::Error),

    #[error("the picture store could not save or read the picture ({0})")]
    Storage(#[from] S3Error),
}

fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    format!("{mb:.1}")
}

fn megapixels(pixels: u64) -> String {
    let mp = pixels as f64 / 1_000_000.0;
    format!("{mp:.0}")
}

/// Validates an upload and returns a clean copy of it, ready for [`MediaStore::put_original`].
///
/// The format is sniffed from the magic bytes (not the file name or claimed content type) and
/// the file is fully decoded, so anything that is not a readable JPEG, PNG or WebP picture is
/// refused. The byte limit is checked first and the pixel limits straight after the header is
/// read, before the pixel buffer exists; the decoder's own allocation limit is set as well, so
/// a decompression bomb cannot make it allocate gigabytes.
///
/// All metadata (EXIF including GPS, XMP, ICC profiles, comments, PNG text chunks) is dropped
/// by encoding the decoded pixels afresh, after EXIF orientation has been applied to them:
/// JPEG becomes JPEG at quality 85, PNG stays lossless PNG, WebP becomes lossless WebP
/// (image's encoder writes only lossless WebP; a lossy WebP upload therefore grows, but keeps
/// every pixel). Animated PNG or WebP uploads keep their first frame.
pub fn intake(bytes: &[u8], limits: &Limits) -> Result<Intake, MediaError> {
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            size: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let kind = sniff(bytes)?;
    let image = decode(bytes, kind, limits)?;
    let (width, height) = (image.width(), image.height());

    let mut clean = Vec::new();
    let encoded = match kind {
        ImageKind::Jpeg => image.write_with_encoder(JpegEncoder::new_with_quality(
            &mut clean,
            ORIGINAL_JPEG_QUALITY,
        )),
        // Level 3 measured on a 3000 × 2000 photo: within 0.5 % of the default level's size
        // in a third of its time (0.4 s instead of 1.3 s); `Fast` is 0.1 s but 80 % larger.
        ImageKind::Png => image.write_with_encoder(PngEncoder::new_with_quality(
            &mut clean,
            CompressionType::Level(3),
            FilterType::Adaptive,
        )),
        ImageKind::Webp => {
            webp_compatible(image).write_with_encoder(WebPEncoder::new_lossless(&mut clean))
        }
    };
    encoded.map_err(|e| MediaError::Encode(e.to_string()))?;

    Ok(Intake {
        kind,
        width,
        height,
        sha256: hex::encode(Sha256::digest(&clean)),
        bytes: clean,
    })
}

/// The WebP encoder takes 8-bit pixels only; WebP decodes to those anyway, this is a guard.
fn webp_compatible(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    }
}

/// One responsive rendition of `original` as a JPEG (quality 80), `width` pixels wide with the
/// original's aspect ratio. Never upscales: a narrower original is encoded at its own width.
/// Transparent areas are flattened onto white.
pub fn rendition(original: &[u8], width: u32) -> Result<Vec<u8>, MediaError> {
    let image = decode_original(original)?;
    render_jpeg(&flatten_on_white(&image), width)
}

/// Decodes a stored original. It already passed [`intake`], but it is read back from a shared
/// disk, so it gets the same guards with limits generous enough for any configured intake.
fn decode_original(original: &[u8]) -> Result<DynamicImage, MediaError> {
    let kind = sniff(original)?;
    let limits = Limits {
        max_bytes: usize::MAX,
        max_pixels: 256_000_000,
        max_side: u32::from(u16::MAX),
    };
    decode(original, kind, &limits)
}

/// Encodes a rendition of `flat` (from [`flatten_on_white`]) `width` pixels wide, or as wide
/// as `flat` if that is narrower.
fn render_jpeg(flat: &DynamicImage, width: u32) -> Result<Vec<u8>, MediaError> {
    let (src_w, src_h) = (flat.width(), flat.height());
    let target_w = width.clamp(1, src_w);
    let resized = if target_w == src_w {
        Cow::Borrowed(flat)
    } else {
        Cow::Owned(resize(
            flat,
            target_w,
            scaled_height(src_w, src_h, target_w),
        )?)
    };
    let mut out = Vec::new();
    resized
        .write_with_encoder(JpegEncoder::new_with_quality(
            &mut out,
            RENDITION_JPEG_QUALITY,
        ))
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(out)
}

fn scaled_height(src_w: u32, src_h: u32, target_w: u32) -> u32 {
    let h = (u64::from(src_h) * u64::from(target_w) + u64::from(src_w) / 2) / u64::from(src_w);
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

/// Composites onto white and drops alpha, leaving 8-bit grey or RGB pixels for the resizer and
/// the JPEG encoder; grey pictures stay grey (a smaller JPEG).
fn flatten_on_white(image: &DynamicImage) -> Cow<'_, DynamicImage> {
    Cow::Owned(match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => return Cow::Borrowed(image),
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        other if !other.color().has_alpha() => DynamicImage::ImageRgb8(other.to_rgb8()),
        DynamicImage::ImageLumaA8(_) | DynamicImage::ImageLumaA16(_) => {
            let grey_alpha = image.to_luma_alpha8();
            let flat =
                image::GrayImage::from_fn(grey_alpha.width(), grey_alpha.height(), |x, y| {
                    let [v, a] = grey_alpha.get_pixel(x, y).0;
                    image::Luma([over_white(v, a)])
                });
            DynamicImage::ImageLuma8(flat)
        }
        other => {
            let rgba = other.to_rgba8();
            let mut flat = image::RgbImage::new(rgba.width(), rgba.height());
            for (dst, src) in flat.pixels_mut().zip(rgba.pixels()) {
                let [r, g, b, a] = src.0;
                dst.0 = [over_white(r, a), over_white(g, a), over_white(b, a)];
            }
            DynamicImage::ImageRgb8(flat)
        }
    })
}

fn over_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u32::from(value), u32::from(alpha));
    let mixed = (v * a + 255 * (255 - a) + 127) / 255;
    u8::try_from(mixed).unwrap_or(u8::MAX)
}

/// Downscales an 8-bit grey or RGB picture with a Lanczos3 filter.
fn resize(image: &DynamicImage, width: u32, height: u32) -> Result<DynamicImage, MediaError> {
    let mut dst = match image {
        DynamicImage::ImageLuma8(_) => {
            DynamicImage::ImageLuma8(image::GrayImage::new(width, height))
        }
        _ => DynamicImage::ImageRgb8(image::RgbImage::new(width, height)),
    };
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    fr::Resizer::new()
        .resize(image, &mut dst, &options)
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(dst)
}

/// Identifies the format from the first bytes of the file.
fn sniff(bytes: &[u8]) -> Result<ImageKind, MediaError> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);

    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Ok(ImageKind::Jpeg);
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Ok(ImageKind::Png);
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Ok(ImageKind::Webp);
    }

    let unsupported = if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some("GIF")
    } else if at(0, b"BM") && bmp_header_size_is_plausible(bytes) {
        Some("BMP")
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        Some("TIFF (or camera raw)")
    } else if at(4, b"ftypavif") || at(4, b"ftypavis") {
        Some("AVIF")
    } else if at(4, b"ftyphei") || at(4, b"ftyphev") || at(4, b"ftypmif1") || at(4, b"ftypmsf1") {
        Some("HEIC")
    } else if at(0, &[0xFF, 0x0A]) || at(0, b"\0\0\0\x0cJXL \r\n\x87\n") {
        Some("JPEG XL")
    } else if at(0, b"\0\0\0\x0cjP  \r\n\x87\n") || at(0, &[0xFF, 0x4F, 0xFF, 0x51]) {
        Some("JPEG 2000")
    } else if at(0, b"8BPS") {
        Some("Photoshop")
    } else if looks_like_svg(bytes) {
        Some("SVG")
    } else {
        None
    };
    match unsupported {
        Some(name) => Err(MediaError::UnsupportedFormat(name.to_owned())),
        None => Err(MediaError::NotAnImage),
    }
}

/// "BM" alone is too weak (a text file can start with it); a BMP's DIB header size is one
/// of a handful of values.
fn bmp_header_size_is_plausible(bytes: &[u8]) -> bool {
    match bytes.get(14..18) {
        Some(&[a, b, c, d]) => {
            matches!(
                u32::from_le_bytes([a, b, c, d]),
                12 | 16 | 40 | 52 | 56 | 64 | 108 | 124
            )
        }
        _ => false,
    }
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with("<svg") || (text.starts_with("<?xml") && text.contains("<svg"))
}

/// Decodes `bytes` as `kind` with EXIF orientation applied, refusing pictures over `limits`
/// before their pixel buffer is allocated.
fn decode(bytes: &[u8], kind: ImageKind, limits: &Limits) -> Result<DynamicImage, MediaError> {
    if kind == ImageKind::Jpeg && !jpeg_is_complete(bytes) {
        return Err(MediaError::Corrupt(
            "the JPEG data ends before its end marker".into(),
        ));
    }

    // The widest pixel we can decode is 16-bit RGBA (8 bytes); the slack covers decoder
    // working buffers (PNG rows, JPEG component planes are bounded by the output size).
    let max_alloc = limits.max_pixels.saturating_mul(8).saturating_add(64 << 20);

    // Width and height are left unlimited for the header read so that the refusal can say
    // how big the picture claims to be; the header read allocates nothing per pixel.
    let mut header_limits = image::Limits::default();
    header_limits.max_image_width = None;
    header_limits.max_image_height = None;
    header_limits.max_alloc = Some(max_alloc);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(header_limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| from_image_error(e, kind, None))?;

    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;

    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(limits.max_side);
    decode_limits.max_image_height = Some(limits.max_side);
    decode_limits.max_alloc = Some(max_alloc);
    // `ImageReader::decode` reserves the output buffer against the limits the same way.
    decode_limits
        .reserve(decoder.total_bytes())
        .and_then(|()| decoder.set_limits(decode_limits))
        .map_err(|e| from_image_error(e, kind, Some((width, height, limits))))?;

    // A damaged EXIF block should not cost the newsroom a usable picture: it is about to be
    // thrown away, only the orientation is lost.
    let orientation = match decoder.orientation() {
        Ok(orientation) => orientation,
        Err(_) => Orientation::NoTransforms,
    };

    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|e| from_image_error(e, kind, Some((width, height, limits))))?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt(format!(
            "the picture claims to be {width} × {height} pixels"
        )));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    if width.max(height) > limits.max_side {
        return Err(MediaError::SideTooLong {
            width,
            height,
            max_side: limits.max_side,
        });
    }
    Ok(())
}

fn from_image_error(
    error: ImageError,
    kind: ImageKind,
    size: Option<(u32, u32, &Limits)>,
) -> MediaError {
    match error {
        ImageError::Limits(limit) => match (limit.kind(), size) {
            (
                LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory,
                Some((width, height, limits)),
            ) => MediaError::TooManyPixels {
                width,
                height,
                max_pixels: limits.max_pixels,
            },
            _ => MediaError::Corrupt(format!("{} decoder refused it: {limit}", kind.name())),
        },
        ImageError::Unsupported(unsupported) => {
            MediaError::UnsupportedFormat(format!("this kind of {} ({unsupported})", kind.name()))
        }
        ImageError::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            MediaError::Corrupt(format!("the {} data ends too early", kind.name()))
        }
        other => MediaError::Corrupt(other.to_string()),
    }
}

/// A JPEG cut short (an interrupted upload or copy) still decodes: the decoder fills the
/// missing blocks with grey. So require the end-of-image marker after the first scan.
/// Entropy-coded data escapes 0xFF as 0xFF00, so 0xFFD9 there can only be the real marker.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2; // past SOI
    let scan_start = loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if bytes.get(i) != Some(&0xFF) {
            return false;
        }
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 => return false,
            _ => {
                let Some(&[hi, lo]) = bytes.get(i..i + 2) else {
                    return false;
                };
                let len = usize::from(u16::from_be_bytes([hi, lo]));
                if len < 2 {
                    return false;
                }
                i += len;
                if marker == 0xDA {
                    break i;
                }
            }
        }
    };
    bytes
        .get(scan_start..)
        .is_some_and(|scan| scan.windows(2).any(|w| w == [0xFF, 0xD9]))
}
