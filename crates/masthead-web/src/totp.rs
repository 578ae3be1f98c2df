//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 30-second steps,
//! six digits), the second factor staff may turn on. Secrets travel as
//! base32 (RFC 4648), as authenticator apps expect.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;

/// The HOTP value (RFC 4226) of `secret` at `counter`, `digits` long.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes keys of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else { return 0 };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset] & 0x7f) << 24) | (u32::from(h[offset + 1]) << 16) | (u32::from(h[offset + 2]) << 8) | u32::from(h[offset + 3]);
    bin % 10u32.pow(digits)
}

/// The TOTP value at a Unix time.
pub fn totp_at(secret: &[u8], unix: i64, digits: u32) -> u32 {
    hotp(secret, u64::try_from(unix.div_euclid(STEP_SECONDS)).unwrap_or(0), digits)
}

/// Checks a six-digit code typed at `unix`, allowing one step of clock
/// drift either way.
pub fn verify(secret_b32: &str, code: &str, unix: i64) -> bool {
    let Some(secret) = base32_decode(secret_b32) else { return false };
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(typed) = code.parse::<u32>() else { return false };
    (-1..=1).any(|d| totp_at(&secret, unix + d * STEP_SECONDS, DIGITS) == typed)
}

/// A new random 160-bit secret, base32.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::random();
    base32_encode(&bytes)
}

/// The otpauth:// address an authenticator app takes.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| crate::account::urlencode(s);
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32, ignoring case, spaces and padding.
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !matches!(c, b' ' | b'=' | b'-')) {
        let v = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buf >> bits) & 0xff) as u8);
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 rows.
    #[test]
    fn rfc6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(totp_at(secret, time, 8), expected, "at {time}");
        }
    }

    /// RFC 4226, appendix D.
    #[test]
    fn rfc4226_hotp_values() {
        let expected = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
        for (i, e) in expected.iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", i as u64, 6), *e);
        }
    }

    #[test]
    fn codes_verify_within_one_step() {
        let secret = base32_encode(b"12345678901234567890");
        assert_eq!(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let now = 1_700_000_000;
        let code = format!("{:06}", totp_at(b"12345678901234567890", now, 6));
        assert!(verify(&secret, &code, now));
        assert!(verify(&secret, &code, now + 30));
        assert!(verify(&secret, &code.to_lowercase(), now - 30));
        assert!(!verify(&secret, &code, now + 95));
        assert!(!verify(&secret, "12345", now));
        assert!(!verify(&secret, "abcdef", now));
        assert!(!verify("not base32!", &code, now));
    }

    #[test]
    fn base32_round_trips() {
        for data in [&b"f"[..], b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(base32_decode(&base32_encode(data)).as_deref(), Some(data));
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw 6ytb oi======").as_deref(), Some(&b"foobar"[..]));
    }
}
