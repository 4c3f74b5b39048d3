//! Checks a caught request's Standard Webhooks signature against the catcher's `verify`.

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::model::{SignatureOutcome, VerifySpec};
use crate::signing::{self, Signed, DEFAULT_TOLERANCE_S};
use crate::store::{secrets, StoreError};

/// The secrets to try: the fixed one, or the endpoint's that still sign now (a rotated
/// previous one included while in its grace period). `Err` says why there are none.
pub fn secrets_for(
    conn: &Connection,
    verify: Option<&VerifySpec>,
    now_ms: i64,
) -> Result<Option<Result<Vec<String>, String>>, StoreError> {
    let Some(verify) = verify else { return Ok(None) };
    if let Some(secret) = &verify.secret {
        return Ok(Some(Ok(vec![secret.clone()])));
    }
    let Some(endpoint_id) = &verify.endpoint_id else { return Ok(None) };
    let keys = secrets::signing_secrets_of(conn, endpoint_id, now_ms)?;
    Ok(Some(if keys.is_empty() {
        Err(format!("endpoint {endpoint_id} has no signing secret; was it deleted?"))
    } else {
        Ok(keys)
    }))
}

/// `webhook-{suffix}`, else `svix-{suffix}`, from lower-case header names.
fn signature_header<'a>(headers: &'a BTreeMap<String, String>, suffix: &str) -> &'a str {
    headers
        .get(&format!("webhook-{suffix}"))
        .or_else(|| headers.get(&format!("svix-{suffix}")))
        .map_or("", String::as_str)
}

/// Verified when any secret matches; otherwise the reason the newest one gives.
pub fn check(
    secrets: Option<Result<Vec<String>, String>>,
    headers: &BTreeMap<String, String>,
    body: &[u8],
    now_s: i64,
) -> SignatureOutcome {
    let secrets = match secrets {
        None => return SignatureOutcome::NotChecked,
        Some(Err(reason)) => return SignatureOutcome::Failed { reason },
        Some(Ok(secrets)) => secrets,
    };
    let signed = Signed {
        msg_id: signature_header(headers, "id"),
        timestamp: signature_header(headers, "timestamp"),
        signature_header: signature_header(headers, "signature"),
        body,
    };
    let mut first_error = None;
    for secret in &secrets {
        match signing::verify(secret, &signed, now_s, DEFAULT_TOLERANCE_S) {
            Ok(()) => return SignatureOutcome::Verified,
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    let reason = first_error.map_or_else(|| "no secret to check with".to_owned(), |err| err.to_string());
    SignatureOutcome::Failed { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn headers(signature: &str, timestamp: i64) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("svix-id".to_owned(), "msg_1".to_owned()),
            ("svix-timestamp".to_owned(), timestamp.to_string()),
            ("svix-signature".to_owned(), signature.to_owned()),
        ])
    }

    #[test]
    fn any_secret_may_match_and_svix_headers_count() {
        let key = signing::decode_secret(SECRET).expect("valid");
        let signature = signing::sign(&key, "msg_1", 1000, b"{}");
        let secrets = Some(Ok(vec![signing::generate_secret(), SECRET.to_owned()]));
        assert_eq!(check(secrets, &headers(&signature, 1000), b"{}", 1000), SignatureOutcome::Verified);
        let wrong = Some(Ok(vec![signing::generate_secret()]));
        assert!(matches!(check(wrong, &headers(&signature, 1000), b"{}", 1000), SignatureOutcome::Failed { .. }));
        assert_eq!(check(None, &headers(&signature, 1000), b"{}", 1000), SignatureOutcome::NotChecked);
    }
}
