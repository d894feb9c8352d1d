//! Compressed request bodies: DynamoDB accepts `Content-Encoding: gzip` and `deflate` (SDKs with
//! request compression send them). The body is inflated up to the 16 MB request limit — a body
//! that would inflate past it is refused without inflating the rest — and anything that is not
//! valid content for its encoding, or another encoding, is refused as DynamoDB does (500).

use std::io::Read;

use axum::body::Bytes;

/// What became of a request body.
#[derive(Debug)]
pub(crate) enum Decoded {
    /// The body to answer (inflated, or as it came).
    Body(Bytes),
    /// It inflates past the limit.
    TooLarge,
    /// Not valid for its encoding, or an encoding DynamoDB does not take: why.
    Refused(String),
}

/// Whether the body needs inflating (anything but none or `identity`).
pub(crate) fn is_encoded(encoding: Option<&str>) -> bool {
    encoding.is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity"))
}

/// The body as the client meant it, inflated up to `limit` bytes.
pub(crate) fn decode(encoding: &str, body: &[u8], limit: usize) -> Decoded {
    let encoding = encoding.trim().to_ascii_lowercase();
    if body.is_empty() {
        return Decoded::Refused(format!("the {encoding} request body is empty"));
    }
    let reader: Box<dyn Read + '_> = match encoding.as_str() {
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(body)),
        "deflate" => Box::new(flate2::read::ZlibDecoder::new(body)),
        other => {
            return Decoded::Refused(format!(
                "unsupported Content-Encoding `{other}`: DynamoDB accepts gzip and deflate"
            ));
        }
    };
    let mut out = Vec::new();
    match reader.take(limit as u64 + 1).read_to_end(&mut out) {
        Ok(_) if out.len() > limit => Decoded::TooLarge,
        Ok(_) => Decoded::Body(Bytes::from(out)),
        Err(e) => Decoded::Refused(format!("the {encoding} request body does not inflate: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn body(decoded: Decoded) -> Vec<u8> {
        match decoded {
            Decoded::Body(b) => b.to_vec(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gzip_members_and_deflate_inflate() {
        let mut two = gzip(b"{\"a\":");
        two.extend(gzip(b"1}"));
        assert_eq!(body(decode("gzip", &two, 100)), b"{\"a\":1}");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(b"{}").unwrap();
        assert_eq!(body(decode("Deflate", &z.finish().unwrap(), 100)), b"{}");
    }

    #[test]
    fn bad_content_too_much_and_other_encodings_are_refused() {
        let good = gzip(b"{}");
        let cut = &good[..good.len() - 1];
        assert!(matches!(decode("gzip", cut, 100), Decoded::Refused(m) if m.contains("does not inflate")));
        let mut junk = good.clone();
        junk.extend(b"junk");
        assert!(matches!(decode("gzip", &junk, 100), Decoded::Refused(_)));
        assert!(matches!(decode("gzip", b"", 100), Decoded::Refused(m) if m.contains("empty")));
        assert!(matches!(decode("garbage", &good, 100), Decoded::Refused(m) if m.contains("`garbage`")));
        let big = gzip(&vec![b' '; 1000]);
        assert!(matches!(decode("gzip", &big, 999), Decoded::TooLarge));
        assert!(!is_encoded(Some("identity")) && !is_encoded(None) && is_encoded(Some("gzip")));
    }
}
