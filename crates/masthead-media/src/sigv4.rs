//! AWS Signature Version 4 for requests to S3-compatible stores: the canonical request, the
//! string to sign, the derived signing key and the `Authorization` header, as AWS documents
//! them. Callers give header names already lowercased and query strings already canonical.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The hex SHA-256 of an empty payload, sent with every GET and HEAD.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Who signs and for what: the access key pair, the region and the service (`s3`).
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

/// The time format of `x-amz-date`: `20130524T000000Z`.
pub fn amz_date(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

impl Signer<'_> {
    /// The value of the `Authorization` header for a request. `canonical_uri` is the path as
    /// sent, already URI-encoded (S3 paths are not normalized); `canonical_query` the query
    /// string with its parameters encoded and sorted by name (empty for none); `headers` are every signed
    /// header as (lowercase name, value), including `host`, `x-amz-date` (which must be
    /// `amz_date(at)`) and `x-amz-content-sha256` (which must be `payload_sha256`).
    pub fn authorization(
        &self,
        method: &str,
        canonical_uri: &str,
        canonical_query: &str,
        headers: &[(&str, &str)],
        payload_sha256: &str,
        at: DateTime<Utc>,
    ) -> String {
        let mut sorted: Vec<(&str, String)> = headers
            .iter()
            .map(|(name, value)| (*name, collapse_spaces(value.trim())))
            .collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let canonical_headers: String = sorted
            .iter()
            .map(|(name, value)| format!("{name}:{value}\n"))
            .collect();
        let signed_headers = sorted
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(";");
        let canonical_request = format!(
            "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_sha256}"
        );

        let date = at.format("%Y%m%d").to_string();
        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
            amz_date(at),
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );

        let k_date = hmac(
            format!("AWS4{}", self.secret_access_key).as_bytes(),
            date.as_bytes(),
        );
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, self.service.as_bytes());
        let k_signing = hmac(&k_service, b"aws4_request");
        let signature = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()));

        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            self.access_key_id
        )
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Sequential spaces in a header value count as one in the canonical form.
fn collapse_spaces(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut last_space = false;
    for c in value.chars() {
        if c == ' ' {
            if !last_space {
                out.push(c);
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out
}

/// Encodes one path segment the way SigV4 wants it: every byte but `A-Za-z0-9-._~`
/// as `%XX` with upper-case hex.
pub fn uri_encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The "GET Object" example of AWS's Signature Version 4 documentation for S3
    /// (examplebucket, test.txt, first ten bytes), with its published signature.
    #[test]
    fn matches_the_documented_get_object_example() {
        let signer = Signer {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            service: "s3",
        };
        let at = Utc
            .with_ymd_and_hms(2013, 5, 24, 0, 0, 0)
            .single()
            .expect("a valid time");
        let date = amz_date(at);
        assert_eq!(date, "20130524T000000Z");
        let auth = signer.authorization(
            "GET",
            "/test.txt",
            "",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
                ("x-amz-date", date.as_str()),
            ],
            EMPTY_PAYLOAD_SHA256,
            at,
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    /// The "GET Bucket (List Objects)" example of the same page: a query string.
    #[test]
    fn matches_the_documented_list_objects_example() {
        let signer = Signer {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            service: "s3",
        };
        let at = Utc
            .with_ymd_and_hms(2013, 5, 24, 0, 0, 0)
            .single()
            .expect("a valid time");
        let auth = signer.authorization(
            "GET",
            "/",
            "max-keys=2&prefix=J",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
                ("x-amz-date", amz_date(at).as_str()),
            ],
            EMPTY_PAYLOAD_SHA256,
            at,
        );
        assert!(
            auth.ends_with(
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
            ),
            "{auth}"
        );
    }

    #[test]
    fn empty_payload_hash_is_the_hash_of_nothing() {
        assert_eq!(hex::encode(Sha256::digest(b"")), EMPTY_PAYLOAD_SHA256);
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(uri_encode_segment("a-Z_0.9~"), "a-Z_0.9~");
        assert_eq!(uri_encode_segment("a b/é$"), "a%20b%2F%C3%A9%24");
    }
}
