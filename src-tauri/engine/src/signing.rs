//! Standard Webhooks signing: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//! with secrets written `whsec_<base64 of the key>`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

const PREFIX: &str = "whsec_";
/// Standard Webhooks keys are 24 to 64 random bytes.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;
/// Receivers reject timestamps further than this from their clock.
pub const DEFAULT_TOLERANCE_S: i64 = 5 * 60;

/// A new secret: 32 random bytes.
pub fn generate_secret() -> String {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The key bytes of a `whsec_…` secret, or why it is not one.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, &'static str> {
    let encoded = secret.trim().strip_prefix(PREFIX).ok_or("a secret starts with whsec_")?;
    let key = STANDARD.decode(encoded).map_err(|_| "the part after whsec_ is not valid base64")?;
    if !KEY_BYTES.contains(&key.len()) {
        return Err("the key must be 24 to 64 bytes");
    }
    Ok(key)
}

fn mac(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// One `v1,<signature>` entry for a decoded key.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1,{}", STANDARD.encode(mac(key, msg_id, timestamp, body)))
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the secret is not a whsec_ secret: {0}")]
    BadSecret(&'static str),
    #[error("the webhook-timestamp header is missing or not a number")]
    BadTimestamp,
    #[error("the timestamp is {0} s old, more than the tolerance allows")]
    Stale(i64),
    #[error("the timestamp is {0} s in the future, more than the tolerance allows")]
    Future(i64),
    #[error("the webhook-signature header has no v1 signature")]
    NoSignature,
    #[error("the signature matches once the body's formatting is normalised: the body was modified (re-serialised or re-indented) after signing; verify the raw bytes")]
    BodyReformatted,
    #[error("no signature matches: either the secret is wrong or the body (or webhook-id/timestamp) was modified")]
    Mismatch,
}

/// What a receiver gets, as text.
pub struct Signed<'a> {
    pub msg_id: &'a str,
    pub timestamp: &'a str,
    pub signature_header: &'a str,
    pub body: &'a [u8],
}

/// Verifies like a Standard Webhooks receiver, then explains a mismatch as well as it can.
pub fn verify(secret: &str, signed: &Signed<'_>, now_s: i64, tolerance_s: i64) -> Result<(), VerifyError> {
    let key = decode_secret(secret).map_err(VerifyError::BadSecret)?;
    let timestamp: i64 = signed.timestamp.trim().parse().map_err(|_| VerifyError::BadTimestamp)?;
    if now_s - timestamp > tolerance_s {
        return Err(VerifyError::Stale(now_s - timestamp));
    }
    if timestamp - now_s > tolerance_s {
        return Err(VerifyError::Future(timestamp - now_s));
    }
    let candidates: Vec<Vec<u8>> = signed
        .signature_header
        .split_whitespace()
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|sig| STANDARD.decode(sig).ok())
        .collect();
    if candidates.is_empty() {
        return Err(VerifyError::NoSignature);
    }
    let matches = |body: &[u8]| {
        let expected = mac(&key, signed.msg_id, timestamp, body);
        candidates.iter().any(|candidate| bool::from(candidate.as_slice().ct_eq(&expected)))
    };
    if matches(signed.body) {
        return Ok(());
    }
    // Not a security decision: only a hint for the person debugging.
    let reformatted = serde_json::from_slice::<serde_json::Value>(signed.body).ok().is_some_and(|value| {
        let compact = serde_json::to_vec(&value).unwrap_or_default();
        let pretty = serde_json::to_vec_pretty(&value).unwrap_or_default();
        let trimmed = signed.body.trim_ascii();
        [compact.as_slice(), pretty.as_slice(), trimmed].iter().any(|b| *b != signed.body && matches(b))
    });
    Err(if reformatted { VerifyError::BodyReformatted } else { VerifyError::Mismatch })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the Standard Webhooks specification's test suite.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &str = r#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn signed<'a>(signature: &'a str, body: &'a str, timestamp: &'a str) -> Signed<'a> {
        Signed { msg_id: MSG_ID, timestamp, signature_header: signature, body: body.as_bytes() }
    }

    #[test]
    fn matches_the_specification_example() {
        let key = decode_secret(SECRET).expect("valid secret");
        assert_eq!(sign(&key, MSG_ID, TIMESTAMP, BODY.as_bytes()), EXPECTED);
        assert_eq!(verify(SECRET, &signed(EXPECTED, BODY, "1614265330"), TIMESTAMP, 300), Ok(()));
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let header = format!("v1,bm90IGl0 {EXPECTED}");
        assert_eq!(verify(SECRET, &signed(&header, BODY, "1614265330"), TIMESTAMP, 300), Ok(()));
    }

    #[test]
    fn explains_why_it_fails() {
        let ts = "1614265330";
        assert_eq!(verify(SECRET, &signed(EXPECTED, BODY, ts), TIMESTAMP + 301, 300), Err(VerifyError::Stale(301)));
        assert_eq!(verify(SECRET, &signed(EXPECTED, BODY, ts), TIMESTAMP - 301, 300), Err(VerifyError::Future(301)));
        let other = generate_secret();
        assert_eq!(verify(&other, &signed(EXPECTED, BODY, ts), TIMESTAMP, 300), Err(VerifyError::Mismatch));
        let tampered = r#"{"test": 2432232315}"#;
        assert_eq!(verify(SECRET, &signed(EXPECTED, tampered, ts), TIMESTAMP, 300), Err(VerifyError::Mismatch));
        let reindented = "{\n  \"test\": 2432232314\n}";
        let key = decode_secret(SECRET).expect("valid");
        let compact_sig = sign(&key, MSG_ID, TIMESTAMP, br#"{"test":2432232314}"#);
        assert_eq!(
            verify(SECRET, &signed(&compact_sig, reindented, ts), TIMESTAMP, 300),
            Err(VerifyError::BodyReformatted)
        );
        assert!(matches!(verify("nope", &signed(EXPECTED, BODY, ts), TIMESTAMP, 300), Err(VerifyError::BadSecret(_))));
        assert_eq!(verify(SECRET, &signed("v2,abc", BODY, ts), TIMESTAMP, 300), Err(VerifyError::NoSignature));
    }

    #[test]
    fn generated_secrets_decode() {
        assert_eq!(decode_secret(&generate_secret()).map(|k| k.len()), Ok(32));
        assert!(decode_secret("whsec_c2hvcnQ=").is_err());
    }
}
