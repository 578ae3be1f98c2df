//! The `masthead` command as an operator uses it: help, clear errors for bad
//! configuration, init, migrate, staff accounts, and a demo that serves.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn masthead(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_masthead"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("MASTHEAD_") {
            c.env_remove(k);
        }
    }
    c.env("MASTHEAD_LOG_LEVEL", "warn");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run masthead")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn help_documents_commands_and_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(masthead(dir.path()).arg("--help"));
    assert!(o.status.success());
    let t = text(&o);
    for needle in ["init", "serve", "migrate", "user", "demo", "worker", "MASTHEAD_DATABASE_URL", "MASTHEAD_LISTEN", "MASTHEAD_DATA_DIR", "_FILE", "MASTHEAD_DKIM_SELECTOR", "MASTHEAD_DKIM_PRIVATE_KEY", "MASTHEAD_DKIM_DOMAIN"] {
        assert!(t.contains(needle), "--help lacks {needle}:\n{t}");
    }
}

#[test]
fn bad_configuration_is_one_clear_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 7] = [
        ("MASTHEAD_LISTEN", "not-an-address", "not an address:port"),
        ("MASTHEAD_DATABASE_URL", "mysql://x", "not understood"),
        ("MASTHEAD_DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing", "could not open the database at postgres://postgres@127.0.0.1:1/nothing"),
        ("MASTHEAD_LOG_FORMAT", "xml", "log_format"),
        ("MASTHEAD_CSP_EXTRA", "https://ads.example 'unsafe-inline'", "csp_extra"),
        ("MASTHEAD_MEDIA_STORE", "ftp", "media_store must be \"dir\" or \"s3\""),
        ("MASTHEAD_CRAWLER_DNS", "googlebot.com, *.google.com", "crawler_dns: \"*.google.com\" is not a DNS name"),
    ];
    for (key, value, expect) in cases {
        let o = run(masthead(dir.path()).env(key, value).arg("migrate"));
        assert!(!o.status.success(), "{key}={value} should fail");
        let err = String::from_utf8_lossy(&o.stderr);
        let lines: Vec<_> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{key}={value}: one line, got:\n{err}");
        assert!(lines[0].starts_with("error: ") && lines[0].contains(expect), "{key}={value}: {err}");
    }
    // A password in the URL is never printed.
    let o = run(masthead(dir.path()).env("MASTHEAD_DATABASE_URL", "postgres://u:hunter2@127.0.0.1:1/x").arg("migrate"));
    assert!(!text(&o).contains("hunter2"));
    // A secret from a file.
    std::fs::write(dir.path().join("key"), "short\n").unwrap();
    let o = run(masthead(dir.path()).env("MASTHEAD_SECRET_KEY_FILE", dir.path().join("key")).arg("init"));
    assert!(!o.status.success());
    assert!(text(&o).contains("at least 32 characters"), "{}", text(&o));
}

#[test]
fn dkim_settings_are_checked_at_start_up_and_the_key_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../masthead-mail/tests/fixtures");
    let fixture = |name: &str| fixtures.join(name).into_os_string();
    let garbage = std::ffi::OsString::from("-----BEGIN PRIVATE KEY-----\nTk9UQUtFWU5PVEFLRVlOT1RBS0VZ\n-----END PRIVATE KEY-----\n");
    let rsa_key = std::fs::read_to_string(fixtures.join("dkim-rsa.key")).unwrap();
    let key_line = rsa_key.lines().nth(3).unwrap().to_string();
    let fails = |envs: &[(&str, std::ffi::OsString)], expect: &str| {
        let mut c = masthead(dir.path());
        for (k, v) in envs {
            c.env(k, v);
        }
        let o = run(c.arg("migrate"));
        assert!(!o.status.success(), "{envs:?} should fail");
        let err = String::from_utf8_lossy(&o.stderr);
        let lines: Vec<_> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{envs:?}: one line, got:\n{err}");
        assert!(lines[0].starts_with("error: ") && lines[0].contains(expect), "{envs:?}: expected {expect:?} in {err}");
        assert!(!text(&o).contains("Tk9UQUtFWU5P") && !text(&o).contains(&key_line), "the key is never printed: {err}");
    };
    let set = |k: &'static str, v: &str| (k, std::ffi::OsString::from(v));
    let domain = || set("MASTHEAD_DKIM_DOMAIN", "news.example");
    let selector = || set("MASTHEAD_DKIM_SELECTOR", "s1");
    let key_file = |name: &str| ("MASTHEAD_DKIM_PRIVATE_KEY_FILE", fixture(name));

    // Part of a configuration is refused, naming what is missing.
    fails(&[selector()], "missing: MASTHEAD_DKIM_DOMAIN, MASTHEAD_DKIM_PRIVATE_KEY");
    fails(&[selector(), key_file("dkim-rsa.key")], "missing: MASTHEAD_DKIM_DOMAIN");
    fails(&[domain(), selector()], "missing: MASTHEAD_DKIM_PRIVATE_KEY");
    fails(&[key_file("dkim-rsa.key")], "missing: MASTHEAD_DKIM_DOMAIN, MASTHEAD_DKIM_SELECTOR");
    // The key: unreadable, not a key, of the wrong kind, too small.
    fails(
        &[domain(), selector(), ("MASTHEAD_DKIM_PRIVATE_KEY_FILE", dir.path().join("no-such.key").into_os_string())],
        "MASTHEAD_DKIM_PRIVATE_KEY_FILE: cannot read",
    );
    fails(&[domain(), selector(), ("MASTHEAD_DKIM_PRIVATE_KEY", garbage)], "MASTHEAD_DKIM_PRIVATE_KEY (or _FILE) / dkim_private_key: the key is not a usable");
    fails(&[domain(), selector(), key_file("dkim-rsa.txt")], "holds no unencrypted private key");
    fails(&[domain(), selector(), key_file("test-ca.pem")], "holds no unencrypted private key");
    fails(&[domain(), selector(), key_file("localhost.key")], "neither an RSA nor an Ed25519 key");
    fails(&[domain(), selector(), key_file("dkim-rsa-1024.key")], "fewer than 2048 bits");
    // Names that would not make a DNS name, or would smuggle tags into the signature.
    fails(&[set("MASTHEAD_DKIM_DOMAIN", "not a domain"), selector(), key_file("dkim-rsa.key")], "MASTHEAD_DKIM_DOMAIN / dkim_domain");
    fails(&[domain(), set("MASTHEAD_DKIM_SELECTOR", "s1; d=evil.example"), key_file("dkim-rsa.key")], "MASTHEAD_DKIM_SELECTOR / dkim_selector");

    // Good keys from a file, RSA and Ed25519, with a selector that looks like a
    // number (as date selectors do) and the key given inline once.
    for (selector, key) in [
        ("20250101", key_file("dkim-rsa.key")),
        ("ed2025", key_file("dkim-ed25519.key")),
        ("inline", ("MASTHEAD_DKIM_PRIVATE_KEY", rsa_key.clone().into())),
    ] {
        let o = run(masthead(dir.path()).env("MASTHEAD_DKIM_DOMAIN", "news.example").env("MASTHEAD_DKIM_SELECTOR", selector).env(key.0, &key.1).arg("migrate"));
        assert!(o.status.success(), "{selector}: {}", text(&o));
    }
}

#[test]
fn init_migrate_and_staff_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(masthead(dir.path()).arg("init"));
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("Wrote masthead.toml") && t.contains("Created the database"), "{t}");
    assert!(dir.path().join("masthead.toml").is_file());
    assert!(dir.path().join("data/masthead.db").is_file());
    assert!(dir.path().join("data/secret.key").is_file());
    let again = run(masthead(dir.path()).arg("init"));
    assert!(!again.status.success() && text(&again).contains("already exists"));
    let m = run(masthead(dir.path()).arg("migrate"));
    assert!(m.status.success() && text(&m).contains("up to date"), "{}", text(&m));

    let u = run(masthead(dir.path()).args(["user", "create", "--email", "Owner@Example.org", "--name", "Olga", "--role", "owner"]));
    assert!(u.status.success(), "{}", text(&u));
    assert!(text(&u).contains("Created owner@example.org (Olga) as owner") && text(&u).contains("Password: "));
    let dup = run(masthead(dir.path()).args(["user", "create", "--email", "owner@example.org", "--name", "O"]));
    assert!(!dup.status.success() && text(&dup).contains("already on staff"), "{}", text(&dup));
    let bad = run(masthead(dir.path()).args(["user", "create", "--email", "x@example.org", "--name", "X", "--role", "king"]));
    assert!(!bad.status.success() && text(&bad).contains("unknown role"));
    let list = run(masthead(dir.path()).args(["user", "list"]));
    assert!(text(&list).contains("owner@example.org\towner\tOlga"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One HTTP/1.1 request on its own connection: the status and the whole
/// response (headers and body).
fn http(port: u16, method: &str, path: &str, extra_headers: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra_headers}Connection: close\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, buf))
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http(port, "GET", path, "")
}

#[test]
fn demo_builds_a_publication_and_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = masthead(dir.path())
        .args(["demo", "--articles", "30"])
        .env("MASTHEAD_LISTEN", format!("127.0.0.1:{port}"))
        .env("MASTHEAD_DATA_DIR", dir.path().join("demo-a"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        printed.push_str(&line);
        printed.push('\n');
        if line.starts_with("Desk:") {
            break;
        }
    }
    assert!(printed.contains("Made 30 articles"), "{printed}");
    assert!(printed.contains("password: ") && printed.contains("owner@"), "an owner login is printed: {printed}");
    let mut home = None;
    while Instant::now() < deadline {
        if let Some(r) = http_get(port, "/") {
            home = Some(r);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, body) = home.expect("the demo serves");
    assert_eq!(status, 200);
    assert!(body.contains("Latest"), "{body}");
    let first = body.split("href=\"/article/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let (status, article) = http_get(port, &format!("/article/{first}")).unwrap();
    assert_eq!(status, 200);
    assert!(article.contains("class=\"headline\""));
    assert_eq!(http_get(port, "/healthz").unwrap().0, 200);
    let (status, feed) = http_get(port, "/feed.xml").unwrap();
    assert!(status == 200 && feed.contains("<rss version=\"2.0\"") && feed.contains(&format!("/article/{first}</link>")), "{feed}");
    let (status, sitemap) = http_get(port, "/sitemap.xml").unwrap();
    assert!(status == 200 && sitemap.contains("/sitemaps/news.xml"), "{sitemap}");
    // Invented methods share one label, so they cannot grow the metrics.
    for m in ["BREW", "FROBNICATE"] {
        http(port, m, "/", "").unwrap();
    }
    let (_, metrics) = http_get(port, "/metrics").unwrap();
    assert!(metrics.contains("masthead_http_requests_total"), "{metrics}");
    assert!(metrics.contains("method=\"GET\"") && metrics.contains("method=\"OTHER\""), "{metrics}");
    assert!(!metrics.contains("BREW") && !metrics.contains("FROBNICATE"), "{metrics}");
    // Graceful shutdown on SIGTERM.
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    assert!(dir.path().join("demo-a/masthead.db").is_file());
    assert!(std::fs::read_dir(dir.path().join("demo-a/media")).unwrap().count() > 5, "images stored");
}

/// Pictures in an S3 bucket, set up the way an operator does it (environment variables, the
/// secret from a _FILE), against a real S3 server on loopback: missing settings and a wrong
/// secret stop the command at start with one clear line, store nothing and never print the
/// secret; the right secret puts the demo's pictures in the bucket, under the prefix.
#[test]
fn media_on_s3_is_set_up_from_the_environment() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(moto) = runtime.block_on(masthead_media::testing::Moto::start()) else { return };
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("s3-secret");
    let s3 = |secret: &str| {
        std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
        let mut c = masthead(dir.path());
        c.env("MASTHEAD_MEDIA_STORE", "s3")
            .env("MASTHEAD_S3_ENDPOINT", &moto.endpoint)
            .env("MASTHEAD_S3_BUCKET", masthead_media::testing::BUCKET)
            .env("MASTHEAD_S3_ACCESS_KEY_ID", &moto.access_key_id)
            .env("MASTHEAD_S3_SECRET_ACCESS_KEY_FILE", &secret_file)
            .env("MASTHEAD_S3_PREFIX", "/demo/")
            .args(["demo", "--no-serve", "--articles", "4"]);
        c
    };
    let one_line_error = |o: &Output, expect: &str| {
        assert!(!o.status.success(), "{}", text(o));
        let err = String::from_utf8_lossy(&o.stderr);
        let lines: Vec<_> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line, got:\n{err}");
        assert!(lines[0].starts_with("error: ") && lines[0].contains(expect), "{err}");
    };

    let o = run(masthead(dir.path()).env("MASTHEAD_MEDIA_STORE", "s3").arg("migrate"));
    one_line_error(&o, "MASTHEAD_S3_ENDPOINT");

    let o = run(&mut s3("not-the-secret-access-key"));
    one_line_error(&o, "s3_secret_access_key");
    assert!(!text(&o).contains("not-the-secret-access-key"), "the secret is never printed");
    assert!(runtime.block_on(moto.objects()).is_empty(), "nothing stored");

    let o = run(&mut s3(&moto.secret_access_key));
    assert!(o.status.success(), "{}", text(&o));
    let objects = runtime.block_on(moto.objects());
    assert!(objects.len() >= 20, "the demo's pictures are in the bucket: {objects:?}");
    assert!(objects.iter().all(|o| o.starts_with("demo/") && o.ends_with("/original.jpg")), "{objects:?}");
    assert!(!dir.path().join("masthead-demo/media").exists(), "and not in the data directory");
}

fn http_get_with(port: u16, path: &str, cookie: &str) -> Option<(u16, String)> {
    http(port, "GET", path, &format!("Cookie: {cookie}\r\n"))
}

struct Node(std::process::Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_node(dir: &std::path::Path, url: &str, port: u16) -> Node {
    let child = masthead(dir)
        .arg("serve")
        .env("MASTHEAD_DATABASE_URL", url)
        .env("MASTHEAD_LISTEN", format!("127.0.0.1:{port}"))
        .env("MASTHEAD_DATA_DIR", dir.join("data"))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http_get(port, "/readyz").is_some_and(|(s, _)| s == 200) {
            return Node(child);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("node on {port} did not become ready");
}

/// Two `masthead serve` processes on one PostgreSQL database: a reader's
/// meter, counted on one, holds on the other.
#[test]
fn the_meter_holds_across_two_nodes_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = rt.block_on(masthead_db::testing::postgres()) else {
        eprintln!("note: {} not set; the two-node test needs PostgreSQL", masthead_db::testing::POSTGRES_ENV);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let demo = run(masthead(dir.path())
        .args(["demo", "--no-serve", "--articles", "12", "--seed", "3"])
        .env("MASTHEAD_DATABASE_URL", &pg.url)
        .env("MASTHEAD_DATA_DIR", dir.path().join("data")));
    assert!(demo.status.success(), "{}", text(&demo));
    // Only the per-reader meter: both nodes see requests from 127.0.0.1.
    rt.block_on(async {
        let mut p = masthead_web::paywall::Paywall::default();
        p.meter.network_quota = None;
        pg.db.set_setting("paywall", &serde_json::to_string(&p).unwrap()).await.unwrap();
    });
    let metered: Vec<String> = rt.block_on(async {
        let page = pg.db.published(masthead_db::ListFilter::All, chrono::Utc::now(), 50, 0).await.unwrap();
        page.items.iter().filter(|t| t.access == masthead_core::AccessLevel::Metered).map(|t| t.slug.clone()).collect()
    });
    assert!(metered.len() >= 2, "the demo has metered articles");
    let (pa, pb) = (free_port(), free_port());
    let _a = start_node(dir.path(), &pg.url, pa);
    let _b = start_node(dir.path(), &pg.url, pb);
    // Node A: the first metered article is free, and sets the reader's id.
    let (status, first) = http_get(pa, &format!("/article/{}", metered[0])).unwrap();
    assert_eq!(status, 200);
    assert!(!first.contains("class=\"offer\""), "the first article is whole");
    let anon = first
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: mh_anon="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("an anonymous id");
    // Node A writes its reads in batches, off the request path: wait until
    // this one is in the database (a busy machine can take longer than a
    // batch's 20 ms), then ask node B. Asking B earlier would count the
    // second article there first, and the test would prove nothing.
    let key = format!("a:{}", anon.rsplit_once('.').expect("a signed id").0);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reads = rt.block_on(pg.db.meter_reads(&key, chrono::Utc::now() - chrono::Duration::days(1))).unwrap();
        if !reads.is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "node A never wrote the read of {key}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Node B: the same reader is over quota.
    let (status, second) = http_get_with(pb, &format!("/article/{}", metered[1]), &format!("mh_anon={anon}")).unwrap();
    assert_eq!(status, 200);
    assert!(second.contains("class=\"offer\""), "node B cuts the second article: the meter holds across nodes");
    // And node B still gives back the article counted on node A.
    let (_, again) = http_get_with(pb, &format!("/article/{}", metered[0]), &format!("mh_anon={anon}")).unwrap();
    assert!(!again.contains("class=\"offer\""), "re-reading is free on any node");
    rt.block_on(pg.cleanup());
}

/// The move from SQLite to PostgreSQL: a whole demo publication, counts and
/// contents compared.
#[test]
fn a_publication_moves_from_sqlite_to_postgres_with_nothing_lost() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = rt.block_on(masthead_db::testing::postgres()) else {
        eprintln!("note: {} not set; the move test needs PostgreSQL", masthead_db::testing::POSTGRES_ENV);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = run(masthead(dir.path()).args(["demo", "--no-serve", "--articles", "25", "--seed", "11"]).env("MASTHEAD_DATA_DIR", &data));
    assert!(demo.status.success(), "{}", text(&demo));
    let sqlite_url = format!("sqlite:{}", data.join("masthead.db").display());
    let moved = run(masthead(dir.path()).args(["copy", "--to", &pg.url]).env("MASTHEAD_DATABASE_URL", &sqlite_url).env("MASTHEAD_DATA_DIR", &data));
    assert!(moved.status.success(), "{}", text(&moved));
    let out = text(&moved);
    assert!(out.contains("articles: 25"), "{out}");
    // A second copy into a full publication is refused, nothing touched.
    let again = run(masthead(dir.path()).args(["copy", "--to", &pg.url]).env("MASTHEAD_DATABASE_URL", &sqlite_url).env("MASTHEAD_DATA_DIR", &data));
    assert!(!again.status.success() && text(&again).contains("already has articles"), "{}", text(&again));
    rt.block_on(async {
        let lite = masthead_db::Db::connect(&sqlite_url).await.unwrap();
        let now = chrono::Utc::now();
        let a = lite.published(masthead_db::ListFilter::All, now, 100, 0).await.unwrap();
        let b = pg.db.published(masthead_db::ListFilter::All, now, 100, 0).await.unwrap();
        assert_eq!(a.total, b.total);
        for (x, y) in a.items.iter().zip(b.items.iter()) {
            assert_eq!(x, y, "teasers match");
            let mut full_a = lite.article_by_slug(&x.slug).await.unwrap().unwrap();
            let full_b = pg.db.article_by_slug(&y.slug).await.unwrap().unwrap();
            // PostgreSQL keeps timestamps to the microsecond; SQLite's text
            // keeps nanoseconds. Compare at PostgreSQL's precision.
            let micros = |t: chrono::DateTime<chrono::Utc>| chrono::DurationRound::duration_trunc(t, chrono::Duration::microseconds(1)).unwrap();
            full_a.created_at = micros(full_a.created_at);
            full_a.updated_at = micros(full_a.updated_at);
            assert_eq!(full_a, full_b, "every field of every article matches");
        }
        assert_eq!(lite.active_plans().await.unwrap(), pg.db.active_plans().await.unwrap());
        let micros = |t: chrono::DateTime<chrono::Utc>| chrono::DurationRound::duration_trunc(t, chrono::Duration::microseconds(1)).unwrap();
        let staff_a: Vec<_> = lite.staff().await.unwrap().into_iter().map(|mut s| { s.created_at = micros(s.created_at); s }).collect();
        assert_eq!(staff_a, pg.db.staff().await.unwrap());
        assert_eq!(lite.settings().await.unwrap(), pg.db.settings().await.unwrap());
        // New rows on PostgreSQL get fresh ids.
        let t = pg.db.upsert_tag(masthead_core::TagKind::Topic, "brand-new-topic", "New", "").await.unwrap();
        assert!(t.id > 0);
        lite.close().await;
    });
    // The moved publication serves.
    let port = free_port();
    let _node = start_node(dir.path(), &pg.url, port);
    let (status, home) = http_get(port, "/").unwrap();
    assert_eq!(status, 200);
    assert!(home.contains("The Meridian Dispatch"));
    rt.block_on(pg.cleanup());
}

fn http_post_form(port: u16, path: &str, cookie: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, buf))
}

/// A process whose output goes to a file, killed when dropped.
struct Logged {
    child: std::process::Child,
    log: std::path::PathBuf,
}

impl Logged {
    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_logged(dir: &std::path::Path, url: &str, name: &str, args: &[&str], port: Option<u16>) -> Logged {
    let log = dir.join(format!("{name}.log"));
    let file = std::fs::File::create(&log).unwrap();
    let mut c = masthead(dir);
    c.args(args)
        .env("MASTHEAD_DATABASE_URL", url)
        .env("MASTHEAD_DATA_DIR", dir.join("data"))
        .env("MASTHEAD_LOG_LEVEL", "info")
        .env("MASTHEAD_EMBEDDED_WORKER", "false")
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file));
    if let Some(p) = port {
        c.env("MASTHEAD_LISTEN", format!("127.0.0.1:{p}"));
    }
    let child = c.spawn().unwrap();
    let logged = Logged { child, log };
    if let Some(p) = port {
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get(p, "/readyz").is_none_or(|(s, _)| s != 200) {
            assert!(Instant::now() < deadline, "{name} on {p} did not become ready:\n{}", logged.output());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    logged
}

/// Waits up to `secs` for `f` to hold.
fn within(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "not within {secs} s: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn scheduled_article(rt: &tokio::runtime::Runtime, db: &masthead_db::Db, slug: &str, headline: &str, at: chrono::DateTime<chrono::Utc>) -> i64 {
    let draft = masthead_core::ArticleDraft { headline: headline.into(), ..Default::default() };
    let w = masthead_db::ArticleWrite {
        draft: &draft,
        slug: slug.into(),
        blocks: &[],
        problems: &[],
        word_count: 0,
        status: masthead_core::ArticleStatus::Scheduled,
        published_at: None,
        scheduled_for: Some(at),
    };
    rt.block_on(db.create_article(&w, chrono::Utc::now())).unwrap().id
}

/// Three `masthead serve` nodes and two `masthead worker` processes on one
/// PostgreSQL, as a newsroom that outgrew one machine runs them: a staff
/// session made on one node works on the others; a scheduled article is
/// published by exactly one scheduler and shows on every node at once
/// (their cached home pages dropped by NOTIFY); the two workers never run
/// the same job; and when the scheduler's process dies, the other worker
/// takes over within seconds.
#[test]
fn three_nodes_and_two_workers_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = rt.block_on(masthead_db::testing::postgres()) else {
        eprintln!("note: {} not set; the cluster test needs PostgreSQL", masthead_db::testing::POSTGRES_ENV);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = run(masthead(d)
        .args(["demo", "--no-serve", "--articles", "12", "--seed", "5"])
        .env("MASTHEAD_DATABASE_URL", &pg.url)
        .env("MASTHEAD_DATA_DIR", d.join("data")));
    assert!(demo.status.success(), "{}", text(&demo));
    let made = run(masthead(d)
        .args(["user", "create", "--email", "desk@cluster.test", "--name", "Desk", "--role", "editor"])
        .env("MASTHEAD_DATABASE_URL", &pg.url)
        .env("MASTHEAD_DATA_DIR", d.join("data")));
    let password = text(&made).lines().find_map(|l| l.strip_prefix("Password: ")).map(str::to_string).expect("a generated password");

    let ports = [free_port(), free_port(), free_port()];
    let nodes: Vec<Logged> = ports.iter().enumerate().map(|(i, p)| start_logged(d, &pg.url, &format!("node{i}"), &["serve"], Some(*p))).collect();
    let mut workers: Vec<Option<Logged>> =
        (0..2).map(|i| Some(start_logged(d, &pg.url, &format!("worker{i}"), &["worker"], None))).collect();

    // A staff session made on node 0 is good on nodes 1 and 2.
    let (status, signed_in) = http_post_form(
        ports[0],
        "/admin/login",
        "mh_csrf=cluster-token",
        &format!("email=desk%40cluster.test&password={}&csrf=cluster-token", password.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")),
    )
    .unwrap();
    assert!(status == 303 || status == 302, "signing in on node 0: {status}\n{signed_in}");
    let staff = signed_in
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: mh_staff="))
        .map(|v| format!("mh_staff={}", v.split(';').next().unwrap()))
        .expect("a staff session cookie");
    for p in &ports[1..] {
        let (status, page) = http_get_with(*p, "/admin", &staff).unwrap();
        assert_eq!(status, 200, "the session from node 0 on node {p}");
        assert!(page.contains("<h1>Articles"), "the desk on another node");
    }

    // The demo's jobs (renditions, search index) are shared out between the
    // two workers and each runs once.
    within(120, "the demo's jobs are done", || {
        rt.block_on(async {
            let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status <> 'done'").fetch_one(pg.db.postgres_pool().unwrap()).await.unwrap();
            open == 0
        })
    });
    let (jobs, twice): (i64, i64) = rt.block_on(async {
        sqlx::query_as("SELECT COUNT(*), COUNT(*) FILTER (WHERE attempts > 1) FROM jobs").fetch_one(pg.db.postgres_pool().unwrap()).await.unwrap()
    });
    assert!(jobs >= 10, "the demo queued work: {jobs} jobs");
    assert_eq!(twice, 0, "no job was claimed twice");

    // Every node caches its home page now.
    for p in &ports {
        assert_eq!(http_get(*p, "/").unwrap().0, 200);
    }
    // Exactly one worker runs the scheduler.
    let leader_of = |ws: &Vec<Option<Logged>>| -> Vec<usize> {
        ws.iter().enumerate().filter(|(_, w)| w.as_ref().is_some_and(|w| w.output().contains("this node now runs the scheduler"))).map(|(i, _)| i).collect()
    };
    within(10, "a worker leads", || leader_of(&workers).len() == 1);
    let leader = leader_of(&workers)[0];
    assert!(nodes.iter().all(|n| !n.output().contains("now runs the scheduler")), "web nodes without the embedded worker never lead");

    // A scheduled article goes out once, and every node shows it.
    let due = chrono::Utc::now() + chrono::Duration::seconds(2);
    scheduled_article(&rt, &pg.db, "cluster-first", "First out across the cluster", due);
    for p in &ports {
        within(15, "node shows the scheduled article", || http_get(*p, "/article/cluster-first").is_some_and(|(s, _)| s == 200));
        within(5, "node's home page lists it", || http_get(*p, "/").is_some_and(|(_, b)| b.contains("First out across the cluster")));
    }

    // The leader dies; the other worker takes the scheduler over and
    // publishes the next article.
    workers[leader] = None;
    let other = 1 - leader;
    within(15, "the other worker takes over", || workers[other].as_ref().unwrap().output().contains("this node now runs the scheduler"));
    let due = chrono::Utc::now() + chrono::Duration::seconds(1);
    scheduled_article(&rt, &pg.db, "cluster-second", "Second out after a failover", due);
    for p in &ports {
        within(15, "node shows the article the new leader published", || http_get(*p, "/article/cluster-second").is_some_and(|(s, _)| s == 200));
    }
    drop(nodes);
    drop(workers);
    rt.block_on(pg.cleanup());
}
