//! Where each catcher is in its status sequence. In memory only: a restart, like a
//! new script, starts the sequence over.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ids::CatcherId;

#[derive(Default)]
pub struct Positions {
    by_catcher: Mutex<HashMap<CatcherId, u64>>,
}

impl Positions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CatcherId, u64>> {
        self.by_catcher.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Requests answered since the script was set.
    pub fn get(&self, id: &CatcherId) -> u64 {
        self.lock().get(id).copied().unwrap_or(0)
    }

    /// The position of this request, moving the sequence on by one.
    pub fn advance(&self, id: &CatcherId) -> u64 {
        let mut positions = self.lock();
        let position = positions.entry(id.clone()).or_insert(0);
        let current = *position;
        *position = position.saturating_add(1);
        current
    }

    pub fn reset(&self, id: &CatcherId) {
        self.lock().insert(id.clone(), 0);
    }

    pub fn forget(&self, id: &CatcherId) {
        self.lock().remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_per_request_and_resets() {
        let positions = Positions::default();
        let id = CatcherId::generate();
        assert_eq!((positions.advance(&id), positions.advance(&id), positions.get(&id)), (0, 1, 2));
        positions.reset(&id);
        assert_eq!(positions.advance(&id), 0);
    }
}
