//! A seeded PRNG, so that a failing run of a randomised test can be repeated with HOOKY_SEED.

use std::time::Duration;

use super::env_number;

/// SplitMix64: small, seedable and good enough to pick kill moments.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A duration uniformly in `[low, high)`.
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        let span = u64::try_from((high - low).as_micros()).unwrap_or(u64::MAX).max(1);
        low + Duration::from_micros(self.next_u64() % span)
    }
}

/// A seed from HOOKY_SEED, or from the clock.
pub fn seed() -> u64 {
    env_number("HOOKY_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    })
}
