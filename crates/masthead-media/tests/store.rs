//! The media store on both backends, a real directory and a real S3-compatible server (moto,
//! checking signatures; skipped with a note where it is not installed, required on CI):
//! content-derived keys, idempotent writes, renditions only where missing, names that only
//! ever point inside the store, and clear failures when the bucket refuses us.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::{GenericImageView, Rgb, RgbImage};
use masthead_media::testing::Moto;
use masthead_media::{
    intake, object_name, Intake, Limits, MediaError, MediaStore, S3Error, RENDITION_WIDTHS,
};

fn upload(width: u32, height: u32) -> Intake {
    let picture = RgbImage::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, (x ^ y) as u8]));
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&picture)
        .expect("encode");
    intake(&jpeg, &Limits::default()).expect("accepted")
}

/// Objects under S3 go below this prefix, to prove it is honoured.
const PREFIX: &str = "site-a";

enum Backing {
    Dir(tempfile::TempDir),
    S3(Moto),
}

/// One backend with a store on it, and a way to see what it really holds.
struct Case {
    name: &'static str,
    store: MediaStore,
    backing: Backing,
}

impl Case {
    /// Everything stored, as `KEY/NAME` (temporary files included, so leftovers show).
    async fn stored(&self) -> BTreeSet<String> {
        match &self.backing {
            Backing::Dir(dir) => files_below(dir.path()),
            Backing::S3(moto) => moto
                .objects()
                .await
                .into_iter()
                .map(|o| {
                    o.strip_prefix(&format!("{PREFIX}/"))
                        .unwrap_or_else(|| panic!("{o} is outside the prefix"))
                        .to_owned()
                })
                .collect(),
        }
    }

    async fn remove(&self, object: &str) {
        match &self.backing {
            Backing::Dir(dir) => fs::remove_file(dir.path().join(object)).expect("remove"),
            Backing::S3(moto) => moto.remove(&format!("{PREFIX}/{object}")).await,
        }
    }
}

fn files_below(root: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for dir in fs::read_dir(root).expect("read dir") {
        let dir = dir.expect("entry");
        for file in fs::read_dir(dir.path()).expect("read key dir") {
            names.insert(format!(
                "{}/{}",
                dir.file_name().to_string_lossy(),
                file.expect("entry").file_name().to_string_lossy()
            ));
        }
    }
    names
}

/// A directory store always; an S3 store too when moto can be started.
async fn cases() -> Vec<Case> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cases = vec![Case {
        name: "dir",
        store: MediaStore::dir(dir.path()),
        backing: Backing::Dir(dir),
    }];
    if let Some(moto) = Moto::start().await {
        cases.push(Case {
            name: "s3",
            store: MediaStore::s3(moto.config(PREFIX)).expect("valid configuration"),
            backing: Backing::S3(moto),
        });
    }
    cases
}

#[tokio::test]
async fn stores_an_original_under_a_key_from_its_hash_once() {
    for case in cases().await {
        let (store, b) = (&case.store, case.name);
        store.check().await.expect("usable");
        let picture = upload(200, 100);

        let key = store.put_original(&picture).await.expect("stored");
        assert_eq!(key, picture.sha256[..24], "{b}");
        assert!(key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        let original = store.get(&key, "original.jpg").await.expect("read");
        assert_eq!(original.as_deref(), Some(picture.bytes.as_slice()), "{b}");
        assert_eq!(
            store
                .original_name(&key)
                .await
                .expect("looked up")
                .as_deref(),
            Some("original.jpg"),
            "{b}"
        );

        // The same picture again: same key, still one file, no temporary left behind.
        assert_eq!(
            store.put_original(&picture).await.expect("stored again"),
            key
        );
        assert_eq!(
            case.stored().await,
            BTreeSet::from([format!("{key}/original.jpg")]),
            "{b}"
        );

        let other = store.put_original(&upload(100, 200)).await.expect("stored");
        assert_ne!(other, key);
        assert_eq!(case.stored().await.len(), 2, "{b}");

        if let Backing::S3(moto) = &case.backing {
            // In the bucket as a picture, so a CDN in front of it serves it right too.
            let (bytes, content_type) = moto
                .object(&format!("{PREFIX}/{key}/original.jpg"))
                .await
                .expect("in the bucket");
            assert_eq!(bytes, picture.bytes);
            assert_eq!(content_type, "image/jpeg");
        }
    }
}

#[tokio::test]
async fn makes_renditions_once() {
    for case in cases().await {
        let (store, b) = (&case.store, case.name);
        let key = store
            .put_original(&upload(1200, 800))
            .await
            .expect("stored");

        assert_eq!(
            store.make_renditions(&key).await.expect("made"),
            RENDITION_WIDTHS.to_vec(),
            "{b}"
        );
        let expected = [(480, 320), (960, 640), (1200, 800)]; // 1600 would upscale: kept at 1200
        for (width, size) in RENDITION_WIDTHS.into_iter().zip(expected) {
            let jpeg = store
                .get(&key, &format!("{width}.jpg"))
                .await
                .expect("read")
                .expect("rendition exists");
            assert_eq!(
                image::load_from_memory(&jpeg).expect("decode").dimensions(),
                size,
                "{b}"
            );
        }

        // Idempotent: nothing to do the second time, and a lost rendition is remade alone.
        assert_eq!(
            store.make_renditions(&key).await.expect("made"),
            Vec::<u32>::new(),
            "{b}"
        );
        case.remove(&format!("{key}/960.jpg")).await;
        assert_eq!(
            store.make_renditions(&key).await.expect("made"),
            vec![960],
            "{b}"
        );

        let expected: BTreeSet<String> = ["original.jpg", "480.jpg", "960.jpg", "1600.jpg"]
            .into_iter()
            .map(|name| format!("{key}/{name}"))
            .collect();
        assert_eq!(
            case.stored().await,
            expected,
            "{b}: no temporary files are left behind"
        );
    }
}

#[tokio::test]
async fn renditions_of_an_unknown_key_are_refused() {
    for case in cases().await {
        let store = &case.store;
        for key in ["0123456789abcdef01234567", "../etc", ""] {
            let err = store
                .make_renditions(key)
                .await
                .expect_err("nothing stored");
            assert!(
                matches!(err, MediaError::NotStored(_)),
                "{}: {err:?}",
                case.name
            );
        }
        assert_eq!(
            store
                .original_name("0123456789abcdef01234567")
                .await
                .expect("looked up"),
            None
        );
        assert_eq!(
            store
                .get("0123456789abcdef01234567", "480.jpg")
                .await
                .expect("looked up"),
            None
        );
    }
}

#[tokio::test]
async fn names_cannot_leave_the_store() {
    let key = "0123456789abcdef01234567";
    for name in [
        "original.jpg",
        "original.png",
        "original.webp",
        "480.jpg",
        "960.jpg",
        "1600.jpg",
    ] {
        assert_eq!(object_name(key, name), Some(format!("{key}/{name}")));
    }
    let long_key = "a".repeat(65);
    let refused_keys = [
        "../x",
        "..",
        "ABC",
        "",
        "a/b",
        "a.b",
        "ab c",
        "é",
        long_key.as_str(),
    ];
    for bad in refused_keys {
        assert_eq!(object_name(bad, "original.jpg"), None, "key {bad:?}");
    }
    let refused_names = [
        "original.exe",
        "123.jpg",
        "../original.jpg",
        "original.jpg/..",
        "480.png",
        "0480.jpg",
        "original.JPG",
        "",
        ".",
    ];
    for bad in refused_names {
        assert_eq!(object_name(key, bad), None, "name {bad:?}");
    }
    assert!(object_name(&"a".repeat(64), "480.jpg").is_some());

    // The stores answer "nothing" for such names without looking, on either backend.
    for case in cases().await {
        let stored = case
            .store
            .put_original(&upload(40, 30))
            .await
            .expect("stored");
        for bad in refused_keys {
            assert_eq!(
                case.store.get(bad, "original.jpg").await.expect("no error"),
                None
            );
            assert_eq!(case.store.original_name(bad).await.expect("no error"), None);
        }
        for bad in refused_names {
            assert_eq!(
                case.store.get(&stored, bad).await.expect("no error"),
                None,
                "{bad}"
            );
        }
    }
}

#[tokio::test]
async fn a_wrong_secret_key_fails_clearly_and_stores_nothing() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    let mut config = moto.config(PREFIX);
    config.secret_access_key = "not-the-secret-key".into();
    let store = MediaStore::s3(config).expect("valid configuration");

    let err = store.check().await.expect_err("refused");
    assert!(
        matches!(err, MediaError::Storage(S3Error::Credentials { .. })),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("s3_secret_access_key"),
        "the error says what to check: {message}"
    );
    assert!(
        !message.contains("not-the-secret-key"),
        "the secret is never shown: {message}"
    );

    let err = store
        .put_original(&upload(64, 48))
        .await
        .expect_err("refused");
    assert!(
        matches!(err, MediaError::Storage(S3Error::Credentials { .. })),
        "{err:?}"
    );
    // A refused read is an error, not "no such picture".
    let err = store
        .get("0123456789abcdef01234567", "480.jpg")
        .await
        .expect_err("refused");
    assert!(
        matches!(err, MediaError::Storage(S3Error::Credentials { .. })),
        "{err:?}"
    );
    assert_eq!(
        moto.objects().await,
        Vec::<String>::new(),
        "nothing was stored"
    );

    // The right key, a missing bucket.
    let mut config = moto.config(PREFIX);
    config.bucket = "no-such-bucket".into();
    let err = MediaStore::s3(config)
        .expect("valid")
        .check()
        .await
        .expect_err("no bucket");
    assert!(
        matches!(err, MediaError::Storage(S3Error::NoSuchBucket(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unreachable_store_is_retried_then_reported() {
    // A port nothing listens on: connection refused, each time.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let store = MediaStore::s3(masthead_media::S3Config {
        endpoint: format!("http://127.0.0.1:{port}"),
        bucket: "media".into(),
        region: "us-east-1".into(),
        access_key_id: "AKID".into(),
        secret_access_key: "secret".into(),
        prefix: String::new(),
    })
    .expect("valid configuration");
    let err = store
        .put_original(&upload(64, 48))
        .await
        .expect_err("unreachable");
    let message = err.to_string();
    assert!(
        matches!(
            err,
            MediaError::Storage(S3Error::Transport { attempts: 3, .. })
        ),
        "{err:?}"
    );
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
}
