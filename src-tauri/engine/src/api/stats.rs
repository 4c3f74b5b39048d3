//! `/api/v1/stats`: delivery statistics over a time window.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiQuery;
use super::AppState;
use crate::ids::EndpointId;
use crate::model::time::now_ms;
use crate::stats::{self, Stats, StatsQuery, DEFAULT_WINDOW_MS, MAX_BUCKETS};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Only attempts of this endpoint.
    pub endpoint_id: Option<String>,
    /// Start of the window, RFC 3339 (default: 24 hours before `until`).
    pub since: Option<String>,
    /// End of the window, exclusive, RFC 3339 (default: now).
    pub until: Option<String>,
    /// Width of each bucket of the series in seconds (default: a round size making at most 60 buckets).
    #[param(minimum = 1)]
    pub bucket_s: Option<i64>,
}

/// An RFC 3339 time as Unix milliseconds; a bad one is a 422 naming `field`.
pub(super) fn parse_time(field: &str, text: &str) -> ApiResult<i64> {
    let time = DateTime::parse_from_rfc3339(text).map_err(|_| {
        ApiError::invalid_field(field, format!("{field} must be an RFC 3339 time, e.g. 2026-12-04T10:00:00Z"))
    })?;
    let ms = time.with_timezone(&Utc).timestamp_millis();
    if ms < 0 {
        return Err(ApiError::invalid_field(field, format!("{field} must be after 1970")));
    }
    Ok(ms)
}

/// An optional time parameter; empty counts as absent.
pub(super) fn optional_time(field: &str, text: Option<&str>) -> ApiResult<Option<i64>> {
    text.filter(|t| !t.is_empty()).map(|t| parse_time(field, t)).transpose()
}

impl StatsParams {
    fn into_query(self, now_ms: i64) -> ApiResult<StatsQuery> {
        let until_ms = optional_time("until", self.until.as_deref())?.unwrap_or(now_ms);
        let since_ms = optional_time("since", self.since.as_deref())?.unwrap_or(until_ms - DEFAULT_WINDOW_MS).max(0);
        if since_ms >= until_ms {
            return Err(ApiError::invalid_field("since", "since must be before until"));
        }
        let endpoint_id = match self.endpoint_id.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                EndpointId::parse(text)
                    .ok_or_else(|| ApiError::invalid_field("endpoint_id", "endpoint_id must be an ep_… id"))?,
            ),
        };
        let bucket_s = match self.bucket_s {
            None => stats::default_bucket_s(since_ms, until_ms),
            Some(bucket_s) if bucket_s < 1 => {
                return Err(ApiError::invalid_field("bucket_s", "bucket_s must be at least 1 second"));
            }
            Some(bucket_s) if bucket_s > i64::MAX / 1000 / 2 => {
                return Err(ApiError::invalid_field("bucket_s", "bucket_s is too large"));
            }
            Some(bucket_s) => {
                if stats::bucket_count(since_ms, until_ms, bucket_s) > MAX_BUCKETS {
                    return Err(ApiError::invalid_field(
                        "bucket_s",
                        format!("bucket_s cuts the window into more than {MAX_BUCKETS} buckets; choose a larger one"),
                    ));
                }
                bucket_s
            }
        };
        Ok(StatsQuery { since_ms, until_ms, bucket_s, endpoint_id })
    }
}

/// Delivery statistics
///
/// Counts, success rate, latency percentiles and error classes of the attempts started
/// in the window, overall, per endpoint and as a time series.
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", security(("bearer" = [])), params(StatsParams),
    responses((status = 200, body = Stats), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_stats(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<StatsParams>,
) -> ApiResult<Json<Stats>> {
    let query = params.into_query(now_ms())?;
    Ok(Json(stats::compute(&state.store, query).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(since: Option<&str>, until: Option<&str>, bucket_s: Option<i64>) -> StatsParams {
        StatsParams { endpoint_id: None, since: since.map(Into::into), until: until.map(Into::into), bucket_s }
    }

    #[test]
    fn the_window_defaults_to_the_last_day() {
        let query = params(None, None, None).into_query(1_767_225_600_000).expect("valid");
        assert_eq!(query.until_ms - query.since_ms, DEFAULT_WINDOW_MS);
        assert_eq!(query.bucket_s, 1800);
    }

    #[test]
    fn bad_windows_and_buckets_name_their_field() {
        let field = |p: StatsParams| p.into_query(1_767_225_600_000).err().and_then(|e| e.field);
        let (early, late) = (Some("2026-01-01T00:00:00Z"), Some("2026-01-02T00:00:00Z"));
        assert_eq!(field(params(late, early, None)), Some("since".into()));
        assert_eq!(field(params(Some("yesterday"), None, None)), Some("since".into()));
        assert_eq!(field(params(early, late, Some(0))), Some("bucket_s".into()));
        assert_eq!(field(params(early, late, Some(1))), Some("bucket_s".into()), "86400 buckets");
        assert!(params(early, late, Some(3600)).into_query(0).is_ok());
    }
}
