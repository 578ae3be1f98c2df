//! A small client for S3-compatible object storage (AWS S3, MinIO, Ceph, Garage, Cloudflare
//! R2 …): PUT, GET, HEAD and DELETE of whole objects in one bucket, path-style addressing,
//! requests signed with AWS Signature Version 4 (see `sigv4`).
//!
//! Hand-written over reqwest (rustls on ring) because the media store needs four verbs, and
//! the AWS SDK or a general object-store crate would bring far more code to build than that.
//! Every request has a time limit; server errors, throttling and timeouts are retried twice
//! with a short backoff, other answers are final.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

use crate::sigv4::{self, Signer, EMPTY_PAYLOAD_SHA256};

/// How long to wait for a connection to the store.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request may take in all, body included (the largest original is a few
/// tens of MB; a store slower than that is failing).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts per request: the first and two retries.
const ATTEMPTS: u32 = 3;

/// Where the bucket is and how to sign for it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The store's address, e.g. `https://s3.eu-west-1.amazonaws.com`,
    /// `http://127.0.0.1:9000` (MinIO) or `https://ACCOUNT.r2.cloudflarestorage.com`.
    pub endpoint: String,
    pub bucket: String,
    /// The signing region: the bucket's region on AWS, `auto` on R2, usually `us-east-1`
    /// elsewhere.
    pub region: String,
    pub access_key_id: String,
    /// Never logged: `Debug` prints it redacted.
    pub secret_access_key: String,
    /// Put every object under this folder of the bucket (no leading or trailing `/`);
    /// empty for the bucket's root.
    pub prefix: String,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// Why a request to the object store failed. The messages name what to check; none contains
/// the secret key.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("the object store configuration is not usable: {0}")]
    Config(String),

    #[error(
        "the object store refused our credentials for bucket {bucket:?} ({status} {code}): check s3_access_key_id, s3_secret_access_key and s3_region, and that the key may read, write and list the bucket"
    )]
    Credentials {
        bucket: String,
        status: u16,
        code: String,
    },

    #[error("the object store has no bucket {0:?}: check s3_bucket and s3_endpoint")]
    NoSuchBucket(String),

    #[error("the object store answered {method} {object:?} with {status} {code}{message}")]
    Status {
        method: String,
        object: String,
        status: u16,
        code: String,
        message: String,
    },

    #[error("could not reach the object store at {endpoint} ({method} {object:?}, {attempts} attempts): {reason}")]
    Transport {
        endpoint: String,
        method: String,
        object: String,
        attempts: u32,
        reason: String,
    },
}

/// One bucket of an S3-compatible store.
#[derive(Clone)]
pub struct S3Client {
    http: reqwest::Client,
    config: S3Config,
    /// `scheme://host[:port]/base-path/bucket`, without a trailing slash.
    bucket_url: String,
    /// The path part of `bucket_url`, URI-encoded: the start of every canonical URI.
    bucket_path: String,
    /// The `host` header as reqwest sends it (the port only when not the scheme's default).
    host: String,
}

impl fmt::Debug for S3Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl S3Client {
    pub fn new(config: S3Config) -> Result<S3Client, S3Error> {
        let url = url::Url::parse(&config.endpoint).map_err(|e| {
            S3Error::Config(format!(
                "s3_endpoint {:?} is not an address ({e})",
                config.endpoint
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https")
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
        {
            return Err(S3Error::Config(format!(
                "s3_endpoint {:?} must be a plain http:// or https:// address such as https://s3.example.com",
                config.endpoint
            )));
        }
        let Some(host_name) = url.host_str() else {
            return Err(S3Error::Config(format!(
                "s3_endpoint {:?} names no host",
                config.endpoint
            )));
        };
        if !is_valid_bucket(&config.bucket) {
            return Err(S3Error::Config(format!(
                "s3_bucket {:?} is not a bucket name (3–63 characters of a-z, 0-9, '.' and '-')",
                config.bucket
            )));
        }
        if config.region.is_empty() || config.access_key_id.is_empty() {
            return Err(S3Error::Config(
                "s3_region and s3_access_key_id must not be empty".into(),
            ));
        }
        if config.secret_access_key.is_empty() {
            return Err(S3Error::Config(
                "s3_secret_access_key must not be empty".into(),
            ));
        }
        let host = match url.port() {
            Some(port) => format!("{host_name}:{port}"),
            None => host_name.to_owned(),
        };
        let base_path = url.path().trim_end_matches('/');
        // The endpoint's own path (a store behind a proxy's sub-path) is taken as already
        // encoded; the bucket name needs no encoding.
        let bucket_path = format!("{base_path}/{}", config.bucket);
        let bucket_url = format!("{}://{host}{bucket_path}", url.scheme());
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| S3Error::Config(format!("cannot make an HTTP client: {e}")))?;
        Ok(S3Client {
            http,
            config,
            bucket_url,
            bucket_path,
            host,
        })
    }

    pub fn config(&self) -> &S3Config {
        &self.config
    }

    /// The full object name in the bucket: the prefix, then `name`.
    pub fn object_name(&self, name: &str) -> String {
        if self.config.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.config.prefix)
        }
    }

    /// Stores `bytes` as the object `name` (under the prefix), replacing any object there.
    pub async fn put(&self, name: &str, bytes: Bytes, content_type: &str) -> Result<(), S3Error> {
        self.send(Method::PUT, Some(name), Some((bytes, content_type)))
            .await?;
        Ok(())
    }

    /// The object's bytes, or `None` if there is no such object.
    pub async fn get(&self, name: &str) -> Result<Option<Bytes>, S3Error> {
        match self.send(Method::GET, Some(name), None).await {
            Ok(body) => Ok(Some(body)),
            Err(S3Error::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether the object exists.
    pub async fn exists(&self, name: &str) -> Result<bool, S3Error> {
        match self.send(Method::HEAD, Some(name), None).await {
            Ok(_) => Ok(true),
            Err(S3Error::Status { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes the object; deleting what is not there is not an error (S3 answers 204 to both).
    pub async fn delete(&self, name: &str) -> Result<(), S3Error> {
        match self.send(Method::DELETE, Some(name), None).await {
            Ok(_) | Err(S3Error::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Checks that the bucket exists and our credentials are accepted (HEAD on the bucket).
    pub async fn check(&self) -> Result<(), S3Error> {
        match self.send(Method::HEAD, None, None).await {
            Ok(_) => Ok(()),
            Err(S3Error::Status { status: 404, .. }) => {
                Err(S3Error::NoSuchBucket(self.config.bucket.clone()))
            }
            Err(e) => Err(e),
        }
    }

    /// Sends one signed request, retrying server errors and timeouts, and returns the body of
    /// a 2xx answer. Any other answer becomes an [`S3Error`].
    async fn send(
        &self,
        method: Method,
        name: Option<&str>,
        body: Option<(Bytes, &str)>,
    ) -> Result<Bytes, S3Error> {
        let object = name.map(|n| self.object_name(n)).unwrap_or_default();
        let encoded: String = object
            .split('/')
            .map(sigv4::uri_encode_segment)
            .collect::<Vec<_>>()
            .join("/");
        let (path, url) = if name.is_some() {
            (
                format!("{}/{encoded}", self.bucket_path),
                format!("{}/{encoded}", self.bucket_url),
            )
        } else {
            (self.bucket_path.clone(), self.bucket_url.clone())
        };
        let payload_sha256 = match &body {
            Some((bytes, _)) => hex::encode(Sha256::digest(bytes)),
            None => EMPTY_PAYLOAD_SHA256.to_owned(),
        };

        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self
                .attempt(&method, &path, &url, &payload_sha256, body.as_ref())
                .await;
            let retry = match &outcome {
                Ok((status, _)) => {
                    status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
                }
                Err(e) => e.is_timeout() || e.is_connect() || e.is_request(),
            };
            if retry && attempt < ATTEMPTS {
                // 200 ms, then 800 ms: enough for a store restarting behind a load balancer,
                // short enough that a reader's image request still gets an answer.
                tokio::time::sleep(Duration::from_millis(200 * 4_u64.pow(attempt - 1))).await;
                continue;
            }
            return match outcome {
                Ok((status, bytes)) if status.is_success() => Ok(bytes),
                Ok((status, bytes)) => Err(self.refusal(&method, &object, status, &bytes)),
                Err(e) => Err(S3Error::Transport {
                    endpoint: self.config.endpoint.clone(),
                    method: method.to_string(),
                    object,
                    attempts: attempt,
                    reason: error_chain(&e),
                }),
            };
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        url: &str,
        payload_sha256: &str,
        body: Option<&(Bytes, &str)>,
    ) -> Result<(StatusCode, Bytes), reqwest::Error> {
        let now = Utc::now();
        let date = sigv4::amz_date(now);
        let mut headers: Vec<(&str, &str)> = vec![
            ("host", self.host.as_str()),
            ("x-amz-content-sha256", payload_sha256),
            ("x-amz-date", date.as_str()),
        ];
        if let Some((_, content_type)) = body {
            headers.push(("content-type", content_type));
        }
        let signer = Signer {
            access_key_id: &self.config.access_key_id,
            secret_access_key: &self.config.secret_access_key,
            region: &self.config.region,
            service: "s3",
        };
        let authorization =
            signer.authorization(method.as_str(), path, "", &headers, payload_sha256, now);

        let mut request = self
            .http
            .request(method.clone(), url)
            .header("authorization", authorization);
        for (name, value) in headers {
            // reqwest sets `host` from the URL, to the same value.
            if name != "host" {
                request = request.header(name, value);
            }
        }
        if let Some((bytes, _)) = body {
            request = request.body(bytes.clone());
        }
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok((status, bytes))
    }

    fn refusal(&self, method: &Method, object: &str, status: StatusCode, body: &[u8]) -> S3Error {
        let text = String::from_utf8_lossy(body);
        // HEAD answers carry no body, so no code: the status says it all.
        let code = xml_element(&text, "Code")
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("").replace(' ', ""));
        let credentials = matches!(
            code.as_str(),
            "SignatureDoesNotMatch"
                | "InvalidAccessKeyId"
                | "InvalidToken"
                | "ExpiredToken"
                | "AuthorizationHeaderMalformed"
                | "InvalidSignature"
        ) || (status == StatusCode::FORBIDDEN && *method == Method::HEAD);
        if credentials {
            return S3Error::Credentials {
                bucket: self.config.bucket.clone(),
                status: status.as_u16(),
                code,
            };
        }
        if code == "NoSuchBucket" {
            return S3Error::NoSuchBucket(self.config.bucket.clone());
        }
        let message = xml_element(&text, "Message")
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        S3Error::Status {
            method: method.to_string(),
            object: object.to_owned(),
            status: status.as_u16(),
            code,
            message,
        }
    }
}

/// The text of the first `<name>…</name>` in an S3 error document.
pub(crate) fn xml_element(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    let text = xml[start..end].trim();
    (!text.is_empty()).then(|| {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    })
}

/// reqwest's own message is often just "error sending request"; the cause says why.
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Bucket names as S3 allows them (path-style addressing takes dots too).
fn is_valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: &str) -> S3Config {
        S3Config {
            endpoint: endpoint.into(),
            bucket: "media".into(),
            region: "us-east-1".into(),
            access_key_id: "AKID".into(),
            secret_access_key: "very-secret".into(),
            prefix: "site/a".into(),
        }
    }

    #[test]
    fn addresses_objects_path_style() {
        let client = S3Client::new(config("https://s3.example.com:9000/")).expect("valid");
        assert_eq!(client.host, "s3.example.com:9000");
        assert_eq!(client.bucket_url, "https://s3.example.com:9000/media");
        assert_eq!(client.object_name("k/480.jpg"), "site/a/k/480.jpg");
        let client = S3Client::new(config("https://s3.example.com:443/store")).expect("valid");
        assert_eq!(
            client.host, "s3.example.com",
            "the default port is not in the host header"
        );
        assert_eq!(client.bucket_path, "/store/media");
    }

    #[test]
    fn refuses_unusable_configuration() {
        for endpoint in [
            "s3.example.com",
            "ftp://s3.example.com",
            "https://u:p@s3.example.com",
        ] {
            assert!(S3Client::new(config(endpoint)).is_err(), "{endpoint}");
        }
        for bucket in ["", "ab", "Media", "a/b", "-media"] {
            let mut c = config("https://s3.example.com");
            c.bucket = bucket.into();
            assert!(S3Client::new(c).is_err(), "{bucket}");
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let client = S3Client::new(config("https://s3.example.com")).expect("valid");
        let shown = format!("{client:?} {:?}", client.config());
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn reads_error_documents() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The key &amp; more</Message></Error>";
        assert_eq!(xml_element(xml, "Code").as_deref(), Some("NoSuchKey"));
        assert_eq!(
            xml_element(xml, "Message").as_deref(),
            Some("The key & more")
        );
        assert_eq!(xml_element(xml, "RequestId"), None);
    }
}
