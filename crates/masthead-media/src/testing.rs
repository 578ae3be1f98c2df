//! A real S3-compatible server for tests: moto's standalone server (`moto_server`, installed
//! with `pip install 'moto[server]'`; `.ci/run` does), started on a free loopback port with
//! signature checking turned on. It verifies every request's SigV4 signature with botocore,
//! an implementation independent of ours, so a signing mistake fails the tests.
//!
//! Each [`Moto`] is its own process with one user whose keys may use S3 and one empty
//! bucket; it is stopped when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::s3::{xml_element, S3Config};
use crate::sigv4::{amz_date, uri_encode_segment, Signer, EMPTY_PAYLOAD_SHA256};

/// The bucket every [`Moto`] starts with.
pub const BUCKET: &str = "masthead-media";
const REGION: &str = "us-east-1";

/// A running moto server.
pub struct Moto {
    child: Child,
    log: PathBuf,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The moto server to run: `$MOTO_SERVER`, else `moto_server` on the PATH.
fn moto_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.is_file())
}

impl Moto {
    /// Starts a server, or returns `None` (with a note on stderr) when moto is not installed.
    /// On CI (`CI` set) a missing moto is a failure, so the S3 tests cannot silently vanish.
    pub async fn start() -> Option<Moto> {
        let Some(binary) = moto_binary() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "moto_server is not installed: .ci/run installs it with pip install 'moto[server]'"
            );
            eprintln!(
                "note: moto_server is not on the PATH; the S3 media tests are skipped (pip install 'moto[server]')"
            );
            return None;
        };
        let mut last_error = String::new();
        // A free port can be taken between our probe and moto's bind: try a few.
        for _ in 0..3 {
            match Moto::spawn(&binary).await {
                Ok(moto) => return Some(moto),
                Err(e) => last_error = e,
            }
        }
        panic!(
            "moto_server ({}) did not start: {last_error}",
            binary.display()
        );
    }

    async fn spawn(binary: &std::path::Path) -> Result<Moto, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let log =
            std::env::temp_dir().join(format!("masthead-moto-{}-{port}.log", std::process::id()));
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // The first three actions (making the user, its keys and its policy) need no
            // signature; from then on every request must be signed by a known key.
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot run it: {e}"))?;
        let mut moto = Moto {
            child,
            log,
            endpoint: format!("http://127.0.0.1:{port}"),
            access_key_id: String::new(),
            secret_access_key: String::new(),
        };
        moto.wait_until_ready().await?;
        moto.make_user().await?;
        let created = moto
            .request("PUT", &format!("/{BUCKET}"), "", b"", None)
            .await?;
        if created.0 != 200 {
            return Err(format!("creating the bucket: {} {}", created.0, created.1));
        }
        Ok(moto)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(2000);
        text.get(start..).unwrap_or("").to_owned()
    }

    async fn wait_until_ready(&mut self) -> Result<(), String> {
        let http = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("it exited with {status}: {}", self.log_tail()));
            }
            let probe = http
                .get(format!("{}/moto-api/", self.endpoint))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("not ready after 30 s: {}", self.log_tail()))
    }

    /// IAM: a user, its access key, and a policy letting it do anything in S3. These are the
    /// three unsigned actions; moto routes them by the service named in the credential scope.
    async fn make_user(&mut self) -> Result<(), String> {
        self.iam("Action=CreateUser&UserName=masthead").await?;
        let key = self.iam("Action=CreateAccessKey&UserName=masthead").await?;
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        let encoded: String = policy.bytes().map(|b| format!("%{b:02X}")).collect();
        self.iam(&format!(
            "Action=PutUserPolicy&UserName=masthead&PolicyName=media&PolicyDocument={encoded}"
        ))
        .await?;
        self.access_key_id = xml_element(&key, "AccessKeyId").ok_or("no AccessKeyId")?;
        self.secret_access_key =
            xml_element(&key, "SecretAccessKey").ok_or("no SecretAccessKey")?;
        Ok(())
    }

    async fn iam(&self, form: &str) -> Result<String, String> {
        let body = format!("{form}&Version=2010-05-08");
        let (status, text) = self
            .request("POST", "/", "", body.as_bytes(), Some("iam"))
            .await?;
        if status == 200 {
            Ok(text)
        } else {
            Err(format!("IAM {form}: {status} {text}"))
        }
    }

    /// The store's configuration for the bucket, objects under `prefix`.
    pub fn config(&self, prefix: &str) -> S3Config {
        S3Config {
            endpoint: self.endpoint.clone(),
            bucket: BUCKET.into(),
            region: REGION.into(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            prefix: prefix.into(),
        }
    }

    /// Every object name in the bucket, sorted (ListObjectsV2, one page: tests store few).
    pub async fn objects(&self) -> Vec<String> {
        let (status, xml) = self
            .request("GET", &format!("/{BUCKET}"), "list-type=2", b"", None)
            .await
            .unwrap_or_else(|e| panic!("listing the bucket: {e}"));
        assert_eq!(status, 200, "listing the bucket: {xml}");
        let mut names: Vec<String> = xml
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    }

    /// The bytes of one object and its content type, or `None` when it does not exist.
    pub async fn object(&self, name: &str) -> Option<(Vec<u8>, String)> {
        let path = format!(
            "/{BUCKET}/{}",
            name.split('/')
                .map(uri_encode_segment)
                .collect::<Vec<_>>()
                .join("/")
        );
        let response = self
            .send("GET", &path, "", b"", None)
            .await
            .expect("GET object");
        if response.status() == 404 {
            return None;
        }
        assert!(
            response.status().is_success(),
            "GET {name}: {}",
            response.status()
        );
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = response.bytes().await.expect("object body").to_vec();
        Some((bytes, content_type))
    }

    /// Deletes one object (to simulate a lost file).
    pub async fn remove(&self, name: &str) {
        let (status, text) = self
            .request("DELETE", &format!("/{BUCKET}/{name}"), "", b"", None)
            .await
            .expect("DELETE object");
        assert!(
            status == 204 || status == 200,
            "DELETE {name}: {status} {text}"
        );
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        service: Option<&str>,
    ) -> Result<(u16, String), String> {
        let response = self.send(method, path, query, body, service).await?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok((status, text))
    }

    /// A request signed with our keys (or, before there are any, with placeholders moto
    /// does not check), for `service` (S3 unless named).
    async fn send(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        service: Option<&str>,
    ) -> Result<reqwest::Response, String> {
        let now = Utc::now();
        let date = amz_date(now);
        let host = self.endpoint.trim_start_matches("http://").to_owned();
        let payload = if body.is_empty() {
            EMPTY_PAYLOAD_SHA256.to_owned()
        } else {
            hex::encode(Sha256::digest(body))
        };
        let mut headers = vec![
            ("host", host.as_str()),
            ("x-amz-content-sha256", payload.as_str()),
            ("x-amz-date", date.as_str()),
        ];
        if service.is_some() {
            headers.push((
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ));
        }
        let signer = Signer {
            access_key_id: if self.access_key_id.is_empty() {
                "bootstrap"
            } else {
                &self.access_key_id
            },
            secret_access_key: if self.secret_access_key.is_empty() {
                "bootstrap"
            } else {
                &self.secret_access_key
            },
            region: REGION,
            service: service.unwrap_or("s3"),
        };
        let authorization = signer.authorization(method, path, query, &headers, &payload, now);
        let url = if query.is_empty() {
            format!("{}{path}", self.endpoint)
        } else {
            format!("{}{path}?{query}", self.endpoint)
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = reqwest::Client::new()
            .request(method, url)
            .timeout(Duration::from_secs(10))
            .header("authorization", authorization)
            .body(body.to_vec());
        for (name, value) in headers.into_iter().filter(|(name, _)| *name != "host") {
            request = request.header(name, value);
        }
        request.send().await.map_err(|e| e.to_string())
    }
}
