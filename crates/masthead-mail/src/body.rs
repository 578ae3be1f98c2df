//! Transfer encoding for text parts, done here instead of by lettre because it
//! is the bulk of composing a newsletter: lettre's chooser, CRLF pass and
//! quoted-printable encoder took about 55% of the CPU of composing a 15 KB issue
//! (examples/throughput.rs under perf). One pass here normalizes line ends and
//! encodes.

use base64::Engine as _;
use lettre::message::header::ContentTransferEncoding;
use lettre::message::Body;

/// RFC 5322: at most 998 octets on a line, CRLF excluded.
const MAX_LINE: usize = 998;
/// RFC 2045: encoded lines of at most 76 characters, so 75 plus the soft-break "=".
const QP_WIDTH: usize = 75;

/// Encodes a text part with CRLF line ends: as is (7bit) when it is short-lined
/// ASCII, else quoted-printable, or base64 when more than one byte in six is
/// non-ASCII (QP spends three bytes on each of those, base64 four on every three).
///
/// `alone` is for a message that is this one part: lettre ends such a body with
/// its own CRLF, so a text that ends in a newline has that newline dropped here
/// (base64 aside, where lettre's CRLF is not content), and a text that doesn't
/// arrives with one.
pub(crate) fn encode(text: &str, alone: bool) -> Body {
    let bytes = text.as_bytes();
    let non_ascii = bytes.iter().filter(|b| !b.is_ascii()).count();
    if non_ascii * 6 > bytes.len() {
        let mut plain = crlf(bytes);
        if alone && !plain.ends_with(b"\r\n") {
            plain.extend_from_slice(b"\r\n");
        }
        return Body::dangerous_pre_encoded(base64_lines(&plain), ContentTransferEncoding::Base64);
    }
    let bytes = if alone {
        strip_final_newline(bytes)
    } else {
        bytes
    };
    if non_ascii == 0 && fits_7bit(bytes) {
        return Body::dangerous_pre_encoded(crlf(bytes), ContentTransferEncoding::SevenBit);
    }
    Body::dangerous_pre_encoded(
        quoted_printable(bytes),
        ContentTransferEncoding::QuotedPrintable,
    )
}

fn strip_final_newline(bytes: &[u8]) -> &[u8] {
    match bytes.strip_suffix(b"\n") {
        Some(rest) => rest.strip_suffix(b"\r").unwrap_or(rest),
        None => bytes,
    }
}

/// No NUL, no lone CR, no line too long.
fn fits_7bit(bytes: &[u8]) -> bool {
    let mut line = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\n' => line = 0,
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {}
            b'\r' | 0 => return false,
            _ => {
                line += 1;
                if line > MAX_LINE {
                    return false;
                }
            }
        }
    }
    true
}

/// Line breaks ("\n" or "\r\n") as CRLF; a lone "\r" is left for the encoder.
fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32 + 2);
    let mut lines = bytes.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if lines.peek().is_none() {
            // The last piece has no "\n" after it, so a "\r" ending it is a lone one.
            out.extend_from_slice(line);
        } else {
            out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn base64_lines(bytes: &[u8]) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    for (i, line) in encoded.as_bytes().chunks(76).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(line);
    }
    out
}

/// Bytes that stand for themselves anywhere in a quoted-printable line.
fn is_plain(b: u8) -> bool {
    matches!(b, b'!'..=b'<' | b'>'..=b'~')
}

/// Whether a line break, or the end, comes at `at`.
fn ends_line(bytes: &[u8], at: usize) -> bool {
    match bytes.get(at) {
        None | Some(b'\n') => true,
        Some(b'\r') => bytes.get(at + 1) == Some(&b'\n'),
        Some(_) => false,
    }
}

/// RFC 2045 quoted-printable: line breaks become CRLF, "=", controls, non-ASCII
/// bytes and white space before a line end become =XX, and long lines are cut
/// with soft breaks. Runs of plain bytes are copied whole, which is most of a
/// newsletter and most of the speed.
fn quoted_printable(bytes: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8 + 8);
    let mut column = 0;
    let mut i = 0;
    while i < bytes.len() {
        // White space may sit in a run unless it ends the line; then it is left out
        // of the run and encoded below.
        let mut run_end = bytes[i..]
            .iter()
            .position(|&b| !(is_plain(b) || b == b' ' || b == b'\t'))
            .map_or(bytes.len(), |n| i + n);
        if ends_line(bytes, run_end) {
            while run_end > i && matches!(bytes[run_end - 1], b' ' | b'\t') {
                run_end -= 1;
            }
        }
        while i < run_end {
            if column == QP_WIDTH {
                out.extend_from_slice(b"=\r\n");
                column = 0;
            }
            let take = (QP_WIDTH - column).min(run_end - i);
            out.extend_from_slice(&bytes[i..i + take]);
            column += take;
            i += take;
        }
        let Some(&b) = bytes.get(i) else { break };
        let next = bytes.get(i + 1).copied();
        if b == b'\n' || (b == b'\r' && next == Some(b'\n')) {
            out.extend_from_slice(b"\r\n");
            column = 0;
            i += if b == b'\r' { 2 } else { 1 };
            continue;
        }
        let literal = matches!(b, b' ' | b'\t') && !ends_line(bytes, i + 1);
        let width = if literal { 1 } else { 3 };
        if column + width > QP_WIDTH {
            out.extend_from_slice(b"=\r\n");
            column = 0;
        }
        if literal {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        column += width;
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qp(text: &str) -> String {
        String::from_utf8(quoted_printable(text.as_bytes())).expect("ASCII")
    }

    #[test]
    fn quoted_printable_follows_rfc_2045() {
        assert_eq!(qp("Zürich = 1"), "Z=C3=BCrich =3D 1");
        assert_eq!(
            qp("trailing \nspace\t\r\nend "),
            "trailing=20\r\nspace=09\r\nend=20"
        );
        assert_eq!(qp("lone\rcr"), "lone=0Dcr");
        assert_eq!(qp("two  \nthree \t \r\n"), "two =20\r\nthree \t=20\r\n");
        let long = qp(&"é".repeat(60));
        assert!(long.split("\r\n").all(|line| line.len() <= 76), "{long}");
        let lines: Vec<&str> = long.split("\r\n").collect();
        assert!(
            lines.len() > 1
                && lines[..lines.len() - 1]
                    .iter()
                    .all(|line| line.ends_with('=')),
            "{long}"
        );
    }

    #[test]
    fn short_ascii_stays_7bit_and_lone_parts_lose_one_newline() {
        let body = encode("hello\nworld\n", true);
        assert_eq!(body.encoding(), ContentTransferEncoding::SevenBit);
        assert_eq!(body.as_ref(), b"hello\r\nworld");
        assert_eq!(encode("hello\n", false).as_ref(), b"hello\r\n");
        assert_eq!(
            encode(&"x".repeat(999), false).encoding(),
            ContentTransferEncoding::QuotedPrintable
        );
        assert_eq!(
            encode("a\0b", false).encoding(),
            ContentTransferEncoding::QuotedPrintable
        );
    }

    #[test]
    fn mostly_non_ascii_text_goes_base64() {
        let body = encode("東京の天気は晴れ", true);
        assert_eq!(body.encoding(), ContentTransferEncoding::Base64);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(body.as_ref())
            .expect("base64");
        assert_eq!(decoded, "東京の天気は晴れ\r\n".as_bytes());
    }
}
