//! The media store on a real directory: content-derived keys, atomic and idempotent writes,
//! and paths that only ever point inside the store.

use std::collections::BTreeSet;
use std::fs;

use image::codecs::jpeg::JpegEncoder;
use image::{GenericImageView, Rgb, RgbImage};
use masthead_media::{intake, Intake, Limits, MediaError, MediaStore, RENDITION_WIDTHS};

fn upload(width: u32, height: u32) -> Intake {
    let picture = RgbImage::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, (x ^ y) as u8]));
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&picture)
        .expect("encode");
    intake(&jpeg, &Limits::default()).expect("accepted")
}

fn files_in(dir: &std::path::Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn stores_an_original_under_a_key_from_its_hash_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = MediaStore::new(dir.path());
    let picture = upload(200, 100);

    let key = store.put_original(&picture).expect("stored");
    assert_eq!(key, picture.sha256[..24]);
    assert!(key
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));

    let path = store.path(&key, "original.jpg").expect("valid path");
    assert_eq!(path, dir.path().join(&key).join("original.jpg"));
    assert_eq!(fs::read(&path).expect("read"), picture.bytes);
    assert_eq!(store.original_name(&key).as_deref(), Some("original.jpg"));

    // The same picture again: same key, still one file, no temporary left behind.
    assert_eq!(store.put_original(&picture).expect("stored again"), key);
    assert_eq!(files_in(dir.path()), BTreeSet::from([key.clone()]));
    assert_eq!(
        files_in(&dir.path().join(&key)),
        BTreeSet::from(["original.jpg".to_owned()])
    );

    let other = store.put_original(&upload(100, 200)).expect("stored");
    assert_ne!(other, key);
}

#[test]
fn makes_renditions_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = MediaStore::new(dir.path());
    let key = store.put_original(&upload(1200, 800)).expect("stored");

    assert_eq!(
        store.make_renditions(&key).expect("made"),
        RENDITION_WIDTHS.to_vec()
    );
    let expected = [(480, 320), (960, 640), (1200, 800)]; // 1600 would upscale: kept at 1200
    for (width, size) in RENDITION_WIDTHS.into_iter().zip(expected) {
        let path = store
            .path(&key, &format!("{width}.jpg"))
            .expect("valid path");
        let jpeg = fs::read(path).expect("rendition exists");
        assert_eq!(
            image::load_from_memory(&jpeg).expect("decode").dimensions(),
            size
        );
    }

    // Idempotent: nothing to do the second time, and a lost rendition is remade alone.
    assert_eq!(
        store.make_renditions(&key).expect("made"),
        Vec::<u32>::new()
    );
    fs::remove_file(store.path(&key, "960.jpg").expect("valid path")).expect("remove");
    assert_eq!(store.make_renditions(&key).expect("made"), vec![960]);

    let names = files_in(&dir.path().join(&key));
    let expected: BTreeSet<String> = ["original.jpg", "480.jpg", "960.jpg", "1600.jpg"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(names, expected, "no temporary files are left behind");
}

#[test]
fn renditions_of_an_unknown_key_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = MediaStore::new(dir.path());
    for key in ["0123456789abcdef01234567", "../etc", ""] {
        let err = store.make_renditions(key).expect_err("nothing stored");
        assert!(matches!(err, MediaError::NotStored(_)), "{err:?}");
    }
    assert_eq!(store.original_name("0123456789abcdef01234567"), None);
}

#[test]
fn paths_cannot_leave_the_store() {
    let store = MediaStore::new("/srv/media");
    let key = "0123456789abcdef01234567";
    for name in [
        "original.jpg",
        "original.png",
        "original.webp",
        "480.jpg",
        "960.jpg",
        "1600.jpg",
    ] {
        assert!(store.path(key, name).is_some(), "{name} should be allowed");
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
        assert_eq!(store.path(bad, "original.jpg"), None, "key {bad:?}");
        assert_eq!(store.original_name(bad), None, "key {bad:?}");
    }
    for bad in [
        "original.exe",
        "123.jpg",
        "../original.jpg",
        "original.jpg/..",
        "480.png",
        "0480.jpg",
        "original.JPG",
        "",
        ".",
    ] {
        assert_eq!(store.path(key, bad), None, "name {bad:?}");
    }
    assert!(store.path(&"a".repeat(64), "480.jpg").is_some());
}
