//! Where stored pictures live: a directory (local, or shared by several nodes) or a bucket of
//! an S3-compatible object store, chosen in configuration. Both hold the same names,
//! `KEY/original.EXT` and `KEY/{width}.jpg`, where KEY is the first 24 hex characters of the
//! SHA-256 of the clean original, so the same picture uploaded twice is stored once, a stored
//! name never changes content, and moving from one backend to the other is a copy.
//!
//! The backends differ only in three operations (does a name exist, read it, write it); the
//! rules (keys, idempotency, which renditions are missing, which names are valid) are written
//! once above them.

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::s3::{S3Client, S3Config};
use crate::{
    decode_original, flatten_on_white, render_jpeg, ImageKind, Intake, MediaError, RENDITION_WIDTHS,
};

/// How many hex characters of the SHA-256 name a stored picture.
const KEY_LEN: usize = 24;

/// Recently read objects kept in memory when the store is remote: every name is immutable,
/// so a copy never goes stale. 32 MiB holds the renditions of the pictures on a front page
/// several times over.
const RECENT_BYTES: usize = 32 * 1024 * 1024;
/// Larger objects (originals, mostly) are read rarely and would push out many renditions.
const RECENT_MAX_OBJECT: usize = 2 * 1024 * 1024;

/// Which backend holds the pictures, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A directory: DATA_DIR/media by default, or a directory every node mounts.
    Dir(PathBuf),
    /// A bucket of an S3-compatible store.
    S3(S3Config),
}

/// The stored pictures. Cheap to clone; every method is async (file and network I/O, and
/// the CPU-heavy rendering on the blocking pool).
#[derive(Debug, Clone)]
pub struct MediaStore {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Dir(PathBuf),
    S3 {
        client: S3Client,
        recent: Arc<RecentObjects>,
    },
}

impl MediaStore {
    /// Pictures in `root/KEY/…`.
    pub fn dir(root: impl Into<PathBuf>) -> MediaStore {
        MediaStore {
            backend: Backend::Dir(root.into()),
        }
    }

    /// Pictures in a bucket; fails only on configuration that cannot work (a bad address or
    /// bucket name, empty credentials), without contacting the store.
    pub fn s3(config: S3Config) -> Result<MediaStore, MediaError> {
        Ok(MediaStore {
            backend: Backend::S3 {
                client: S3Client::new(config)?,
                recent: Arc::new(RecentObjects::default()),
            },
        })
    }

    pub fn from_config(config: StoreConfig) -> Result<MediaStore, MediaError> {
        match config {
            StoreConfig::Dir(root) => Ok(MediaStore::dir(root)),
            StoreConfig::S3(s3) => MediaStore::s3(s3),
        }
    }

    /// Where the pictures are, for logs and the operator (never the secret key).
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Dir(root) => format!("directory {}", root.display()),
            Backend::S3 { client, .. } => {
                let c = client.config();
                let prefix = if c.prefix.is_empty() {
                    String::new()
                } else {
                    format!(" under {}/", c.prefix)
                };
                format!("bucket {} at {}{prefix}", c.bucket, c.endpoint)
            }
        }
    }

    /// Makes sure the store can be used: the directory exists (it is made if missing), or
    /// the bucket exists and takes our credentials.
    pub async fn check(&self) -> Result<(), MediaError> {
        match &self.backend {
            Backend::Dir(root) => Ok(tokio::fs::create_dir_all(root).await?),
            Backend::S3 { client, .. } => Ok(client.check().await?),
        }
    }

    /// Stores the clean original and returns its key. A picture already stored is not
    /// written again; a directory write is atomic (temporary file, then rename) and an
    /// object store's PUT is by nature, so readers never see half a picture.
    pub async fn put_original(&self, intake: &Intake) -> Result<String, MediaError> {
        // Derived from the bytes written, not `intake.sha256`: the fields are public and the
        // key must name exactly what is stored.
        let digest = hex::encode(Sha256::digest(&intake.bytes));
        let key = digest[..KEY_LEN].to_owned();
        let name = original_file_name(intake.kind);
        if !self.exists(&key, &name).await? {
            self.write(
                &key,
                &name,
                Bytes::copy_from_slice(&intake.bytes),
                intake.kind.mime(),
            )
            .await?;
        }
        Ok(key)
    }

    /// Makes every rendition in [`RENDITION_WIDTHS`] that does not exist yet and returns the
    /// widths written by this call (empty when all existed), so running it twice is harmless.
    /// A width wider than the original is still written, at the original's width, so every
    /// rendition URL works for every picture.
    pub async fn make_renditions(&self, key: &str) -> Result<Vec<u32>, MediaError> {
        let Some(original) = self.original_name(key).await? else {
            return Err(MediaError::NotStored(key.to_owned()));
        };
        let mut missing = Vec::new();
        for width in RENDITION_WIDTHS {
            if !self.exists(key, &rendition_file_name(width)).await? {
                missing.push(width);
            }
        }
        if missing.is_empty() {
            return Ok(missing);
        }
        let Some(bytes) = self.read(key, &original).await? else {
            return Err(MediaError::NotStored(key.to_owned()));
        };
        // Decode and flatten once for all widths, off the async threads.
        let widths = missing.clone();
        let jpegs =
            tokio::task::spawn_blocking(move || -> Result<Vec<(u32, Vec<u8>)>, MediaError> {
                let image = decode_original(&bytes)?;
                let flat = flatten_on_white(&image);
                widths
                    .into_iter()
                    .map(|width| Ok((width, render_jpeg(&flat, width)?)))
                    .collect()
            })
            .await
            .map_err(|e| MediaError::Encode(format!("the rendering task failed: {e}")))??;
        for (width, jpeg) in jpegs {
            self.write(
                key,
                &rendition_file_name(width),
                Bytes::from(jpeg),
                ImageKind::Jpeg.mime(),
            )
            .await?;
        }
        Ok(missing)
    }

    /// The file name of the stored original (`original.jpg`, `.png` or `.webp`), or `None` if
    /// the key is invalid or nothing is stored under it.
    pub async fn original_name(&self, key: &str) -> Result<Option<String>, MediaError> {
        if !is_valid_key(key) {
            return Ok(None);
        }
        for kind in ImageKind::ALL {
            let name = original_file_name(kind);
            if self.exists(key, &name).await? {
                return Ok(Some(name));
            }
        }
        Ok(None)
    }

    /// The bytes stored as `key/name`, or `None` when nothing is, or when the key or name is
    /// not one the store makes (see [`object_name`]): request paths can be passed straight in.
    pub async fn get(&self, key: &str, name: &str) -> Result<Option<Bytes>, MediaError> {
        if object_name(key, name).is_none() {
            return Ok(None);
        }
        self.read(key, name).await
    }

    async fn exists(&self, key: &str, name: &str) -> Result<bool, MediaError> {
        let object = valid_object_name(key, name)?;
        match &self.backend {
            Backend::Dir(root) => match tokio::fs::metadata(root.join(object)).await {
                Ok(meta) => Ok(meta.is_file()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e.into()),
            },
            // Asked of the bucket every time, not of the recent objects: a rendition someone
            // deleted must be seen as missing, to be made again.
            Backend::S3 { client, .. } => Ok(client.exists(&object).await?),
        }
    }

    async fn read(&self, key: &str, name: &str) -> Result<Option<Bytes>, MediaError> {
        let object = valid_object_name(key, name)?;
        match &self.backend {
            Backend::Dir(root) => match tokio::fs::read(root.join(object)).await {
                Ok(bytes) => Ok(Some(Bytes::from(bytes))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            Backend::S3 { client, recent } => {
                if let Some(bytes) = recent.get(&object) {
                    return Ok(Some(bytes));
                }
                let bytes = client.get(&object).await?;
                if let Some(b) = &bytes {
                    recent.insert(object, b.clone());
                }
                Ok(bytes)
            }
        }
    }

    async fn write(
        &self,
        key: &str,
        name: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), MediaError> {
        let object = valid_object_name(key, name)?;
        match &self.backend {
            Backend::Dir(root) => {
                let dir = root.join(key);
                let name = name.to_owned();
                tokio::task::spawn_blocking(move || -> io::Result<()> {
                    fs::create_dir_all(&dir)?;
                    write_atomically(&dir, &name, &bytes)
                })
                .await
                .map_err(io::Error::other)??;
                Ok(())
            }
            Backend::S3 { client, .. } => Ok(client.put(&object, bytes, content_type).await?),
        }
    }
}

/// `KEY/NAME`, the one name a stored file has in any backend, or `None` unless `key` is 1–64
/// characters of `[a-z0-9]` and `name` is `original.jpg|png|webp` or `{w}.jpg` for a `w` in
/// [`RENDITION_WIDTHS`]. Every read and write goes through here, so a request path maps to
/// nothing else.
pub fn object_name(key: &str, name: &str) -> Option<String> {
    (is_valid_key(key) && is_valid_name(name)).then(|| format!("{key}/{name}"))
}

fn valid_object_name(key: &str, name: &str) -> Result<String, MediaError> {
    object_name(key, name).ok_or_else(|| MediaError::NotStored(format!("{key}/{name}")))
}

fn original_file_name(kind: ImageKind) -> String {
    format!("original.{}", kind.extension())
}

fn rendition_file_name(width: u32) -> String {
    format!("{width}.jpg")
}

fn is_valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn is_valid_name(name: &str) -> bool {
    ImageKind::ALL
        .into_iter()
        .any(|kind| name == original_file_name(kind))
        || RENDITION_WIDTHS
            .into_iter()
            .any(|width| name == rendition_file_name(width))
}

/// A bounded memory of recently read objects, oldest out first.
#[derive(Debug, Default)]
struct RecentObjects {
    inner: Mutex<Recent>,
}

#[derive(Debug, Default)]
struct Recent {
    objects: HashMap<String, Bytes>,
    order: VecDeque<String>,
    bytes: usize,
}

impl RecentObjects {
    fn get(&self, object: &str) -> Option<Bytes> {
        let recent = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        recent.objects.get(object).cloned()
    }

    fn insert(&self, object: String, bytes: Bytes) {
        if bytes.len() > RECENT_MAX_OBJECT {
            return;
        }
        let mut recent = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if recent.objects.contains_key(&object) {
            return;
        }
        while recent.bytes + bytes.len() > RECENT_BYTES {
            let Some(oldest) = recent.order.pop_front() else {
                break;
            };
            if let Some(gone) = recent.objects.remove(&oldest) {
                recent.bytes -= gone.len();
            }
        }
        recent.bytes += bytes.len();
        recent.order.push_back(object.clone());
        recent.objects.insert(object, bytes);
    }
}

/// Writes `dir/name` through a temporary file in the same directory and a rename, so the
/// file appears complete or not at all, even to another node reading a shared directory.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // Unique across processes and, with the clock, across nodes sharing the directory;
    // `create_new` turns the remaining chance of a clash into an error, not a corrupt file.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(
        ".{name}.{}.{}.{nanos}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, dir.join(name))
    })();
    if written.is_err() {
        // The write error is the one worth reporting; a leftover temp file is only clutter.
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir)
}

/// Makes the rename itself durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_objects_stay_within_their_budget() {
        let recent = RecentObjects::default();
        let mib = Bytes::from(vec![0_u8; 1024 * 1024]);
        for i in 0..40 {
            recent.insert(format!("k/{i}"), mib.clone());
        }
        let held = recent.inner.lock().expect("lock");
        assert!(held.bytes <= RECENT_BYTES, "{}", held.bytes);
        assert_eq!(
            held.bytes,
            held.objects.values().map(Bytes::len).sum::<usize>()
        );
        assert!(!held.objects.contains_key("k/0"), "the oldest went first");
        assert!(held.objects.contains_key("k/39"));
        drop(held);
        recent.insert("big".into(), Bytes::from(vec![0_u8; RECENT_MAX_OBJECT + 1]));
        assert!(recent.get("big").is_none(), "large objects are not kept");
    }
}
