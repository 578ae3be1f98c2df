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
    for needle in ["init", "serve", "migrate", "user", "demo", "worker", "MASTHEAD_DATABASE_URL", "MASTHEAD_LISTEN", "MASTHEAD_DATA_DIR", "_FILE"] {
        assert!(t.contains(needle), "--help lacks {needle}:\n{t}");
    }
}

#[test]
fn bad_configuration_is_one_clear_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 4] = [
        ("MASTHEAD_LISTEN", "not-an-address", "not an address:port"),
        ("MASTHEAD_DATABASE_URL", "mysql://x", "not understood"),
        ("MASTHEAD_DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing", "could not open the database at postgres://postgres@127.0.0.1:1/nothing"),
        ("MASTHEAD_LOG_FORMAT", "xml", "log_format"),
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

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, buf))
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
    let (_, metrics) = http_get(port, "/metrics").unwrap();
    assert!(metrics.contains("masthead_http_requests_total"), "{metrics}");
    // Graceful shutdown on SIGTERM.
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    assert!(dir.path().join("demo-a/masthead.db").is_file());
    assert!(std::fs::read_dir(dir.path().join("demo-a/media")).unwrap().count() > 5, "images stored");
}
