//! `GET /api/v1/stream`: every change as Server-Sent Events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{Stream, StreamExt};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use super::AppState;

/// Live changes
///
/// Each message's `event:` is one of `event.created`, `delivery.updated`,
/// `attempt.created`, `endpoint.updated`, `endpoint.deleted`, `fixtures.changed`; its data is a
/// `StreamMessage`. A `resync` message means some were dropped because the
/// client fell behind: reload the lists. The token may be passed as `?token=`.
#[utoipa::path(get, path = "/api/v1/stream", tag = "stream", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream of StreamMessage", content_type = "text/event-stream", body = crate::bus::StreamMessage)))]
pub async fn stream(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let messages = BroadcastStream::new(state.bus.subscribe()).map(|item| {
        Ok(match item {
            Ok(message) => Event::default()
                .event(message.kind())
                .json_data(&message)
                .unwrap_or_else(|_| Event::default().event("resync").data("{}")),
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                Event::default().event("resync").data(format!("{{\"missed\":{missed}}}"))
            }
        })
    });
    let hello = futures_util::stream::once(async { Ok(Event::default().event("ready").data("{}")) });
    // End the stream at shutdown, or graceful shutdown would wait on it forever.
    let stream = hello.chain(messages).take_until(state.cancel.clone().cancelled_owned());
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
