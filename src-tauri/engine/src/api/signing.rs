//! Signing secrets of endpoints, and a verifier for signed requests.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, OptionalJson, PathId};
use super::AppState;
use crate::ids::EndpointId;
use crate::model::time::now_ms;
use crate::signing::{self, Signed, VerifyError};
use crate::store::secrets;

const DEFAULT_GRACE_S: u32 = 24 * 3600;
const MAX_GRACE_S: u32 = 30 * 24 * 3600;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecretOut {
    /// The current secret, `whsec_…`.
    pub key: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateIn {
    /// A `whsec_…` secret to switch to; one is generated when absent.
    pub key: Option<String>,
    /// How long the old secret keeps signing beside the new one (default 86400 s).
    pub grace_period_s: Option<u32>,
}

fn endpoint_id(PathId(text): PathId) -> ApiResult<EndpointId> {
    EndpointId::parse(&text).ok_or_else(|| ApiError::not_found("endpoint"))
}

/// Get an endpoint's signing secret
#[utoipa::path(get, path = "/api/v1/endpoints/{id}/secret", tag = "signing", security(("bearer" = [])),
    params(("id" = String, Path, description = "An `ep_…` id")),
    responses((status = 200, body = SecretOut), (status = 404, body = ErrorBody)))]
pub async fn get_secret(State(state): State<AppState>, id: PathId) -> ApiResult<Json<SecretOut>> {
    let id = endpoint_id(id)?;
    let key = state.store.read(move |conn| secrets::current(conn, &id)).await?;
    key.map(|key| Json(SecretOut { key })).ok_or_else(|| ApiError::not_found("endpoint"))
}

/// Rotate an endpoint's signing secret
///
/// The old secret keeps signing beside the new one for the grace period, so
/// deliveries carry both signatures while receivers switch over.
#[utoipa::path(post, path = "/api/v1/endpoints/{id}/secret/rotate", tag = "signing", security(("bearer" = [])),
    params(("id" = String, Path, description = "An `ep_…` id")), request_body(content = Option<RotateIn>),
    responses((status = 200, body = SecretOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    id: PathId,
    OptionalJson(body): OptionalJson<RotateIn>,
) -> ApiResult<Json<SecretOut>> {
    let id = endpoint_id(id)?;
    let input = body.unwrap_or_default();
    let key = match input.key {
        Some(key) => {
            signing::decode_secret(&key).map_err(|why| ApiError::invalid_field("key", format!("key: {why}")))?;
            key.trim().to_owned()
        }
        None => signing::generate_secret(),
    };
    let grace_s = input.grace_period_s.unwrap_or(DEFAULT_GRACE_S);
    if grace_s > MAX_GRACE_S {
        return Err(ApiError::invalid_field("grace_period_s", "grace_period_s is at most 2592000 (30 days)"));
    }
    let (target, new_key) = (id.clone(), key.clone());
    let rotated = state
        .store
        .write(move |conn| {
            if secrets::current(conn, &target)?.is_none() {
                return Ok(false);
            }
            secrets::rotate(conn, &target, &new_key, i64::from(grace_s) * 1000, now_ms())?;
            Ok(true)
        })
        .await?;
    if !rotated {
        return Err(ApiError::not_found("endpoint"));
    }
    state.delivery.endpoint_changed(&id);
    Ok(Json(SecretOut { key }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyIn {
    /// The `whsec_…` secret to check against.
    pub secret: String,
    /// The request headers; `webhook-*` or `svix-*` names, any case.
    pub headers: BTreeMap<String, String>,
    /// The raw request body.
    pub body: String,
    /// Allowed clock difference in seconds (default 300).
    pub tolerance_s: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyOut {
    pub valid: bool,
    /// `ok`, `bad_secret`, `bad_timestamp`, `stale_timestamp`, `future_timestamp`,
    /// `no_signature`, `body_reformatted` or `mismatch`.
    pub reason: String,
    pub message: String,
}

fn reason_code(err: &VerifyError) -> &'static str {
    match err {
        VerifyError::BadSecret(_) => "bad_secret",
        VerifyError::BadTimestamp => "bad_timestamp",
        VerifyError::Stale(_) => "stale_timestamp",
        VerifyError::Future(_) => "future_timestamp",
        VerifyError::NoSignature => "no_signature",
        VerifyError::BodyReformatted => "body_reformatted",
        VerifyError::Mismatch => "mismatch",
    }
}

/// Verify a signed request
///
/// Checks a body and its headers against a secret as a Standard Webhooks
/// receiver would, and says why it fails: wrong secret, stale or future
/// timestamp, or a modified body.
#[utoipa::path(post, path = "/api/v1/signatures/verify", tag = "signing", security(("bearer" = [])), request_body = VerifyIn,
    responses((status = 200, body = VerifyOut), (status = 422, body = ErrorBody)))]
pub async fn verify_signature(ApiJson(input): ApiJson<VerifyIn>) -> Json<VerifyOut> {
    Json(verify_request(&input, chrono::Utc::now().timestamp()))
}

/// Shared by the API route and `hooky verify`.
pub fn verify_request(input: &VerifyIn, now_s: i64) -> VerifyOut {
    let header = |suffix: &str| {
        input
            .headers
            .iter()
            .find(|(name, _)| {
                let name = name.to_ascii_lowercase();
                name == format!("webhook-{suffix}") || name == format!("svix-{suffix}")
            })
            .map_or("", |(_, value)| value.as_str())
    };
    let signed = Signed {
        msg_id: header("id"),
        timestamp: header("timestamp"),
        signature_header: header("signature"),
        body: input.body.as_bytes(),
    };
    let tolerance = i64::from(input.tolerance_s.unwrap_or(300));
    match signing::verify(&input.secret, &signed, now_s, tolerance) {
        Ok(()) => VerifyOut { valid: true, reason: "ok".into(), message: "the signature is valid".into() },
        Err(err) => VerifyOut { valid: false, reason: reason_code(&err).into(), message: err.to_string() },
    }
}
