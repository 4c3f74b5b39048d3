//! The scheduler's sleep: what it reads must join up with the pass before it.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{DeliveryEngine, IDLE_SLEEP};
use crate::bus::Bus;
use crate::model::time::now_ms;
use crate::store::test_support::{endpoint_from, store_due, temp_store};

/// A row that fell due after the pass read the clock, but before the sleep is chosen, is due
/// now: it must not be skipped as "not after now" and left until the idle wake an hour later.
#[tokio::test]
async fn a_row_due_between_the_pass_and_the_sleep_is_run_at_once() {
    let (_dir, store) = temp_store();
    let endpoint = endpoint_from(serde_json::json!({"url": "http://127.0.0.1:9/hook"}));
    let pass_read_at = now_ms();
    let due_at = pass_read_at + 5;
    store_due(&store, endpoint, 1, due_at).await;
    let engine = DeliveryEngine::new(store, Bus::default(), CancellationToken::new()).expect("engine");
    tokio::time::sleep(Duration::from_millis(20)).await;

    assert_eq!(engine.until_next_due(pass_read_at).await.expect("read"), Duration::ZERO);
    // Rows the pass already saw (due at or before its reading) are not waited for again.
    assert_eq!(engine.until_next_due(due_at).await.expect("read"), IDLE_SLEEP);
}
