//! Deliveries with an attempt under way, so no pass starts one twice, and the caps on them.
//!
//! An attempt holds its claim from the pass that starts it until its outcome commits: until
//! then its row still reads as due. A claim goes through two stages. While *sending* (waiting
//! for a slot, or in flight) it counts against its endpoint's cap. Once the answer is in, it
//! only waits for the writer, and counts against one budget for all endpoints instead. When
//! both stages shared the endpoint's cap, every claim could end up waiting for one commit
//! while nothing was being sent, and the cores sat idle for milliseconds at a time.

use std::collections::HashMap;

use crate::ids::{DeliveryId, EndpointId};
use crate::model::Endpoint;
use crate::store::deliveries::DueKey;

/// Attempts waiting for the writer, across all endpoints, at most. Room for two of the writer's
/// largest transactions: one committing, one filling up.
const RECORDING_MAX: usize = 1024;
/// What those attempts hold at most (payloads and bodies), so large payloads cannot pile up.
const RECORDING_MAX_BYTES: usize = 64 * 1024 * 1024;

/// An endpoint's claims still sending, at most: its in-flight slots and seven times as many
/// waiting for one. Measured on a backlog: twice the slots left them idle while a pass read the
/// next rows; four times was 10 % slower than eight; sixteen was no faster.
pub(super) fn sending_cap(endpoint: &Endpoint) -> usize {
    endpoint.max_in_flight as usize * 8
}

/// When an endpoint's sending claims fall to this many, a pass claims more: half its cap, so a
/// pass claims many rows at once rather than one per answer, and claims still wait for the
/// slots while it reads them.
fn low_water(endpoint: &Endpoint) -> usize {
    endpoint.max_in_flight as usize * 4
}

enum Stage {
    Sending,
    Recording { bytes: usize },
}

struct Claim {
    endpoint_id: EndpointId,
    stage: Stage,
}

/// One endpoint's claims, by stage.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Held {
    pub sending: usize,
    pub recording: usize,
}

#[derive(Default)]
pub(super) struct Claims {
    ids: HashMap<DeliveryId, Claim>,
    per_endpoint: HashMap<EndpointId, Held>,
    recording: usize,
    recording_bytes: usize,
    /// Per endpoint, where the next pass resumes its walk of the due rows: each due row before
    /// it is claimed. Forgotten whenever a row may have fallen due behind it, so a pass does not
    /// read past every claimed row again to find a few new ones.
    resume: HashMap<EndpointId, DueKey>,
}

impl Claims {
    pub fn held(&self, endpoint_id: &EndpointId) -> Held {
        self.per_endpoint.get(endpoint_id).copied().unwrap_or_default()
    }

    pub fn contains(&self, id: &DeliveryId) -> bool {
        self.ids.contains_key(id)
    }

    /// Whether the attempts waiting for the writer fill their budget: no new claims until they drain.
    pub fn recording_full(&self) -> bool {
        self.recording >= RECORDING_MAX || self.recording_bytes >= RECORDING_MAX_BYTES
    }

    /// Whether the endpoint may not take another claim now.
    pub fn is_saturated(&self, endpoint: &Endpoint) -> bool {
        self.recording_full() || self.held(&endpoint.id).sending >= sending_cap(endpoint)
    }

    /// Claims `id` for sending, unless it is claimed already or its endpoint is saturated.
    pub fn try_take(&mut self, id: &DeliveryId, endpoint: &Endpoint) -> bool {
        if self.is_saturated(endpoint) || self.contains(id) {
            return false;
        }
        self.take(id, &endpoint.id);
        true
    }

    /// Claims the rows of `keys` (in due order) that are not claimed yet, until the endpoint is
    /// saturated, and resumes the next pass after the last row that is now claimed.
    pub fn claim_in_order(&mut self, keys: Vec<DueKey>, endpoint: &Endpoint) -> Vec<DeliveryId> {
        let mut claimed = Vec::new();
        let mut passed = None;
        for key in keys {
            if !self.contains(&key.1) {
                if self.is_saturated(endpoint) {
                    break;
                }
                self.take(&key.1, &endpoint.id);
                claimed.push(key.1.clone());
            }
            passed = Some(key);
        }
        if let Some(key) = passed {
            self.resume.insert(endpoint.id.clone(), key);
        }
        claimed
    }

    /// Where the next pass over the endpoint's due rows starts, if not at the beginning.
    pub fn resume_point(&self, endpoint_id: &EndpointId) -> Option<DueKey> {
        self.resume.get(endpoint_id).cloned()
    }

    /// A row may have fallen due (again) behind where passes resume: start over.
    pub fn forget_resume_points(&mut self) {
        self.resume.clear();
    }

    /// [`Self::forget_resume_points`] for one endpoint's rows.
    pub fn forget_resume_point(&mut self, endpoint_id: &EndpointId) {
        self.resume.remove(endpoint_id);
    }

    /// Claims `id` for sending whatever the caps say (a person asked for this attempt).
    pub fn take(&mut self, id: &DeliveryId, endpoint_id: &EndpointId) {
        self.ids.insert(id.clone(), Claim { endpoint_id: endpoint_id.clone(), stage: Stage::Sending });
        self.per_endpoint.entry(endpoint_id.clone()).or_default().sending += 1;
    }

    /// The attempt's answer is in and `bytes` of it wait for the writer. Returns whether a pass
    /// should claim more for the endpoint now.
    pub fn sent(&mut self, id: &DeliveryId, endpoint: &Endpoint, bytes: usize) -> bool {
        let Some(claim) = self.ids.get_mut(id) else { return false };
        if !matches!(claim.stage, Stage::Sending) {
            return false;
        }
        claim.stage = Stage::Recording { bytes };
        let held = self.per_endpoint.entry(endpoint.id.clone()).or_default();
        held.sending = held.sending.saturating_sub(1);
        held.recording += 1;
        let at_low_water = held.sending == low_water(endpoint);
        self.recording += 1;
        self.recording_bytes += bytes;
        at_low_water && !self.recording_full()
    }

    /// Gives a claim back. Returns whether a pass should claim more now: its endpoint (if given)
    /// is down to its low water, or the attempts waiting for the writer no longer fill their budget.
    pub fn give_back(&mut self, id: &DeliveryId, endpoint: Option<&Endpoint>) -> bool {
        let was_full = self.recording_full();
        let Some(claim) = self.ids.remove(id) else { return false };
        if endpoint.is_none() {
            // The attempt never started, so its row is still due, behind where passes resume.
            self.forget_resume_point(&claim.endpoint_id);
        }
        let mut at_low_water = false;
        if let Some(held) = self.per_endpoint.get_mut(&claim.endpoint_id) {
            match claim.stage {
                Stage::Sending => {
                    held.sending = held.sending.saturating_sub(1);
                    at_low_water = endpoint.is_some_and(|endpoint| held.sending == low_water(endpoint));
                }
                Stage::Recording { .. } => held.recording = held.recording.saturating_sub(1),
            }
            if held.sending == 0 && held.recording == 0 {
                self.per_endpoint.remove(&claim.endpoint_id);
            }
        }
        if let Stage::Recording { bytes } = claim.stage {
            self.recording = self.recording.saturating_sub(1);
            self.recording_bytes = self.recording_bytes.saturating_sub(bytes);
        }
        (at_low_water || was_full) && !self.recording_full()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::endpoint_from;

    fn endpoint(max_in_flight: u32) -> Endpoint {
        endpoint_from(serde_json::json!({"url": "http://127.0.0.1:9/hook", "max_in_flight": max_in_flight}))
    }

    #[test]
    fn an_answered_attempt_frees_its_endpoint_to_send_while_its_row_stays_claimed() {
        let endpoint = endpoint(1);
        let mut claims = Claims::default();
        let ids: Vec<DeliveryId> = (0..9).map(|_| DeliveryId::generate()).collect();
        for id in &ids[..8] {
            assert!(claims.try_take(id, &endpoint));
        }
        assert!(!claims.try_take(&ids[8], &endpoint), "eight sending claims fill a one-slot endpoint");

        assert!(!claims.sent(&ids[0], &endpoint, 300), "seven still sending: above the low water");
        assert!(claims.try_take(&ids[8], &endpoint), "the answer made room to send");
        assert!(!claims.try_take(&ids[0], &endpoint), "a row waiting for the writer is still claimed");
        assert_eq!(claims.held(&endpoint.id), Held { sending: 8, recording: 1 });

        assert!(!claims.give_back(&ids[0], Some(&endpoint)), "recorded, with the endpoint at its sending cap");
        for id in &ids[1..4] {
            assert!(!claims.sent(id, &endpoint, 300));
        }
        assert!(claims.give_back(&ids[4], Some(&endpoint)), "down to four sending: time for a pass");
        assert_eq!(claims.held(&endpoint.id), Held { sending: 4, recording: 3 });
    }

    #[test]
    fn a_pass_resumes_after_the_last_row_it_claimed() {
        let endpoint = endpoint(1);
        let mut claims = Claims::default();
        let keys: Vec<DueKey> = (0..10).map(|at| (at, DeliveryId::generate())).collect();
        let ids = |keys: &[DueKey]| keys.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>();
        assert!(claims.try_take(&keys[1].1, &endpoint), "claimed by a trigger's fast path");
        let claimed = claims.claim_in_order(keys.clone(), &endpoint);
        let mut expected = ids(&keys[..8]);
        expected.remove(1);
        assert_eq!(claimed, expected, "the claimed row is passed over; with it, the cap of eight stops the walk");
        assert_eq!(claims.resume_point(&endpoint.id), Some(keys[7].clone()), "not past the row left unclaimed");
        claims.give_back(&claimed[3], Some(&endpoint));
        assert_eq!(claims.resume_point(&endpoint.id), Some(keys[7].clone()), "its row is no longer due");
        claims.give_back(&claimed[0], None);
        assert_eq!(claims.resume_point(&endpoint.id), None, "a claim given back unstarted leaves its row due behind");
    }

    #[test]
    fn attempts_waiting_for_the_writer_stop_new_claims_at_their_budget() {
        let endpoint = endpoint(10);
        let mut claims = Claims::default();
        let ids: Vec<DeliveryId> = (0..RECORDING_MAX).map(|_| DeliveryId::generate()).collect();
        for id in &ids {
            assert!(claims.try_take(id, &endpoint));
            claims.sent(id, &endpoint, 10);
        }
        assert!(claims.recording_full());
        assert!(!claims.try_take(&DeliveryId::generate(), &endpoint), "a full budget stops every endpoint");
        assert!(claims.give_back(&ids[0], None), "draining below the budget makes room");
        assert!(claims.try_take(&DeliveryId::generate(), &endpoint));
    }

    #[test]
    fn large_answers_fill_the_budget_by_bytes() {
        let endpoint = endpoint(10);
        let mut claims = Claims::default();
        let big = DeliveryId::generate();
        assert!(claims.try_take(&big, &endpoint));
        claims.sent(&big, &endpoint, RECORDING_MAX_BYTES);
        assert!(!claims.try_take(&DeliveryId::generate(), &endpoint));
        assert!(claims.give_back(&big, Some(&endpoint)));
        assert!(claims.try_take(&DeliveryId::generate(), &endpoint));
    }
}
