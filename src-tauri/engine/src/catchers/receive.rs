//! What happens when a request reaches `/catch/{name}`: record it, check its signature,
//! announce it, and decide the answer from the catcher's script.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use rand::Rng;

use super::{signature, Catchers};
use crate::bus::StreamMessage;
use crate::ids::CaughtRequestId;
use crate::model::catcher::validate_name;
use crate::model::time::{from_ms, now_ms};
use crate::model::{CaughtRequest, CaughtRequestSummary, ResponseScript, CAUGHT_BODY_CAP};
use crate::store::{catchers, caught_requests, StoreError};

/// A request as it arrived.
pub struct Incoming {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    pub body: Bytes,
}

/// What to answer, by the script.
#[derive(Debug, Clone)]
pub struct Answer {
    /// None: never answer (hang).
    pub status: Option<u16>,
    pub delay: Duration,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn answer_for(script: &ResponseScript, status: u16) -> Answer {
    let mut headers: Vec<(String, String)> = script.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Some(retry_after) = &script.retry_after {
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case("retry-after"));
        headers.push(("retry-after".to_owned(), retry_after.clone()));
    }
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
        let is_json = serde_json::from_str::<serde::de::IgnoredAny>(&script.body).is_ok();
        let content_type = if is_json { "application/json" } else { "text/plain; charset=utf-8" };
        headers.push(("content-type".to_owned(), content_type.to_owned()));
    }
    Answer {
        status: (!script.hang).then_some(status),
        delay: Duration::from_millis(u64::from(script.delay_ms)),
        headers,
        body: script.body.clone(),
    }
}

impl Catchers {
    /// Records a request to the catcher `name` and returns the answer; None when no such catcher.
    pub async fn catch(&self, name: &str, incoming: Incoming) -> Result<Option<Answer>, StoreError> {
        if validate_name(name).is_err() {
            return Ok(None);
        }
        let lookup = name.to_owned();
        let received_ms = now_ms();
        let found = self
            .inner
            .store
            .read(move |conn| {
                let Some(catcher) = catchers::get_by_name(conn, &lookup)? else { return Ok(None) };
                let secrets = signature::secrets_for(conn, catcher.verify.as_ref(), received_ms)?;
                Ok(Some((catcher, secrets)))
            })
            .await?;
        let Some((catcher, secrets)) = found else { return Ok(None) };

        let signature = signature::check(secrets, &incoming.headers, &incoming.body, received_ms / 1000);
        let position = self.inner.positions.advance(&catcher.id);
        let script = &catcher.script;
        let flaky = script.fail_rate.is_some_and(|rate| rand::thread_rng().gen_bool(rate));
        let status = if flaky { script.fail_status } else { script.status_at(position) };
        let answer = answer_for(script, status);

        let body_size = incoming.body.len() as u64;
        let body_truncated = incoming.body.len() > CAUGHT_BODY_CAP;
        let kept = incoming.body.slice(..incoming.body.len().min(CAUGHT_BODY_CAP));
        let summary = CaughtRequestSummary {
            id: CaughtRequestId::generate(),
            method: incoming.method,
            path: incoming.path,
            response_status: answer.status,
            signature,
            body_size,
            received_at: from_ms(received_ms),
        };
        let request = CaughtRequest {
            summary: summary.clone(),
            catcher_id: catcher.id.clone(),
            query: incoming.query,
            headers: incoming.headers,
            body: kept.to_vec(),
            body_truncated,
        };
        self.inner.store.write(move |conn| caught_requests::insert(conn, &request)).await?;
        self.inner.bus.publish(StreamMessage::RequestCaught { catcher_id: catcher.id, request: summary });
        Ok(Some(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_and_content_type_are_added() {
        let script: ResponseScript =
            serde_json::from_str(r#"{"retry_after":"120","headers":{"Retry-After":"5","X-A":"b"}}"#).expect("script");
        let answer = answer_for(&script, 429);
        assert_eq!(answer.status, Some(429));
        let get = |n: &str| answer.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(n)).count();
        assert_eq!((get("retry-after"), get("content-type"), get("x-a")), (1, 1, 1));
        assert!(answer.headers.contains(&("retry-after".into(), "120".into())));
        let hang: ResponseScript = serde_json::from_str(r#"{"hang":true}"#).expect("script");
        assert_eq!(answer_for(&hang, 200).status, None);
    }
}
