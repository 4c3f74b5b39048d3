//! Delivery statistics over a time window: counts, success rate, latency percentiles
//! and error classes, overall, per endpoint and per time bucket.
//!
//! Attempts stream from the database into fixed-size aggregates, so memory does not
//! grow with the number of attempts. Latencies go into a histogram that is exact below
//! 1024 ms and within 1/64 (1.6 %) above; a percentile is the nearest-rank value,
//! never above the largest duration seen.

mod histogram;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::EndpointId;
use crate::model::time::from_ms;
use crate::model::ErrorClass;
use crate::store::stats::{endpoint_names, for_each_attempt, AttemptSample};
use crate::store::{Store, StoreError};
use histogram::Histogram;

/// The window when none is asked for: the last 24 hours.
pub const DEFAULT_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// The most buckets a chosen `bucket_s` may make.
pub const MAX_BUCKETS: i64 = 1000;
/// The most buckets the default bucket size makes.
const DEFAULT_MAX_BUCKETS: i64 = 60;
/// Bucket sizes picked by default, in seconds; past a day, whole days.
const NICE_BUCKETS_S: [i64; 17] =
    [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const DAY_S: i64 = 86400;

/// Attempts per error class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorClassCounts {
    pub timeout: u64,
    pub connect: u64,
    pub dns: u64,
    pub tls: u64,
    pub status: u64,
    pub redirect: u64,
    pub body: u64,
}

impl ErrorClassCounts {
    fn add(&mut self, class: ErrorClass) {
        let slot = match class {
            ErrorClass::Timeout => &mut self.timeout,
            ErrorClass::Connect => &mut self.connect,
            ErrorClass::Dns => &mut self.dns,
            ErrorClass::Tls => &mut self.tls,
            ErrorClass::Status => &mut self.status,
            ErrorClass::Redirect => &mut self.redirect,
            ErrorClass::Body => &mut self.body,
        };
        *slot += 1;
    }
}

/// Numbers over a set of attempts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    pub attempts: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// `succeeded / attempts`; null without attempts.
    pub success_rate: Option<f64>,
    /// Attempt durations, nearest-rank percentiles; null without attempts.
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub p99_ms: Option<u64>,
    pub error_classes: ErrorClassCounts,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EndpointStats {
    pub endpoint_id: EndpointId,
    /// Null when the endpoint has been deleted since.
    pub name: Option<String>,
    #[serde(flatten)]
    pub totals: Totals,
}

/// One step of the time series: the attempts started in `[start, start + bucket_s)`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatsBucket {
    pub start: DateTime<Utc>,
    pub attempts: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub p95_ms: Option<u64>,
    pub error_classes: ErrorClassCounts,
}

/// Delivery statistics of the attempts started in `[since, until)`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The width of each bucket of `series`, in seconds. Buckets are aligned to multiples of it.
    pub bucket_s: i64,
    pub overall: Totals,
    /// Every endpoint (or the one asked for), most attempts first.
    pub endpoints: Vec<EndpointStats>,
    /// Oldest first, empty buckets included.
    pub series: Vec<StatsBucket>,
}

/// What to compute; the bounds are checked by the caller.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    pub since_ms: i64,
    pub until_ms: i64,
    pub bucket_s: i64,
    pub endpoint_id: Option<EndpointId>,
}

/// The start of the first bucket: `since` rounded down to a multiple of the bucket.
fn first_bucket_ms(since_ms: i64, bucket_s: i64) -> i64 {
    since_ms.div_euclid(bucket_s * 1000) * bucket_s * 1000
}

/// How many buckets of `bucket_s` cover `[since_ms, until_ms)`.
pub fn bucket_count(since_ms: i64, until_ms: i64, bucket_s: i64) -> i64 {
    let step = bucket_s * 1000;
    let span = until_ms - first_bucket_ms(since_ms, bucket_s);
    (span + step - 1) / step
}

/// The smallest round bucket size that cuts the window into at most 60 buckets.
pub fn default_bucket_s(since_ms: i64, until_ms: i64) -> i64 {
    if let Some(nice) = NICE_BUCKETS_S.iter().find(|s| bucket_count(since_ms, until_ms, **s) <= DEFAULT_MAX_BUCKETS) {
        return *nice;
    }
    // Whole days: at most 59 of them fit the window, plus one for the alignment.
    let day_ms = DAY_S * 1000;
    let window_days = (until_ms - since_ms + day_ms - 1) / day_ms;
    let days_per_bucket = (window_days + DEFAULT_MAX_BUCKETS - 2) / (DEFAULT_MAX_BUCKETS - 1);
    days_per_bucket.max(1) * DAY_S
}

#[derive(Debug, Default)]
struct Aggregate {
    attempts: u64,
    succeeded: u64,
    errors: ErrorClassCounts,
    latency: Histogram,
}

impl Aggregate {
    fn add(&mut self, sample: &AttemptSample) {
        self.attempts += 1;
        self.succeeded += u64::from(sample.succeeded);
        if let Some(class) = sample.error_class {
            self.errors.add(class);
        }
        self.latency.add(sample.duration_ms);
    }

    fn totals(&self) -> Totals {
        Totals {
            attempts: self.attempts,
            succeeded: self.succeeded,
            failed: self.attempts - self.succeeded,
            success_rate: (self.attempts > 0).then(|| self.succeeded as f64 / self.attempts as f64),
            p50_ms: self.latency.percentile(50),
            p95_ms: self.latency.percentile(95),
            p99_ms: self.latency.percentile(99),
            error_classes: self.errors,
        }
    }
}

/// Computes the stats in one read of the attempts of the window.
pub async fn compute(store: &Store, query: StatsQuery) -> Result<Stats, StoreError> {
    store
        .read(move |conn| {
            let StatsQuery { since_ms, until_ms, bucket_s, endpoint_id } = query;
            let first_ms = first_bucket_ms(since_ms, bucket_s);
            let step_ms = bucket_s * 1000;
            let buckets = usize::try_from(bucket_count(since_ms, until_ms, bucket_s)).unwrap_or(0);
            let mut series: Vec<Aggregate> = (0..buckets).map(|_| Aggregate::default()).collect();
            let mut overall = Aggregate::default();
            let mut per_endpoint: HashMap<EndpointId, Aggregate> = HashMap::new();
            for_each_attempt(conn, since_ms, until_ms, endpoint_id.as_ref(), |sample| {
                overall.add(&sample);
                let index = usize::try_from((sample.started_at_ms - first_ms) / step_ms).unwrap_or(0);
                if let Some(bucket) = series.get_mut(index) {
                    bucket.add(&sample);
                }
                per_endpoint.entry(sample.endpoint_id.clone()).or_default().add(&sample);
            })?;
            let names: HashMap<EndpointId, String> = endpoint_names(conn)?.into_iter().collect();
            // Every endpoint shows, with zeros when it had no attempts; deleted ones only with attempts.
            for id in names.keys() {
                if endpoint_id.as_ref().is_none_or(|wanted| wanted == id) {
                    per_endpoint.entry(id.clone()).or_default();
                }
            }
            let mut endpoints: Vec<EndpointStats> = per_endpoint
                .into_iter()
                .map(|(id, aggregate)| EndpointStats {
                    name: names.get(&id).cloned(),
                    endpoint_id: id,
                    totals: aggregate.totals(),
                })
                .collect();
            endpoints.sort_by(|a, b| {
                b.totals.attempts.cmp(&a.totals.attempts).then_with(|| a.endpoint_id.cmp(&b.endpoint_id))
            });
            let series = (0i64..)
                .zip(series)
                .map(|(i, bucket)| StatsBucket {
                    start: from_ms(first_ms + i * step_ms),
                    attempts: bucket.attempts,
                    succeeded: bucket.succeeded,
                    failed: bucket.attempts - bucket.succeeded,
                    p95_ms: bucket.latency.percentile(95),
                    error_classes: bucket.errors,
                })
                .collect();
            Ok(Stats {
                since: from_ms(since_ms),
                until: from_ms(until_ms),
                bucket_s,
                overall: overall.totals(),
                endpoints,
                series,
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_bucket_makes_at_most_60() {
        let now = 1_767_225_600_123; // not aligned
        for window_s in [10, 3600, 86_400, 7 * 86_400, 90 * 86_400, 3650 * 86_400] {
            let since = now - window_s * 1000;
            let bucket = default_bucket_s(since, now);
            let count = bucket_count(since, now, bucket);
            assert!((1..=60).contains(&count), "{window_s} s -> {bucket} s x {count}");
        }
        assert_eq!(default_bucket_s(now - DEFAULT_WINDOW_MS, now), 1800);
    }
}
