//! Attempt durations in a histogram of fixed size: exact below 1024 ms, within 1/64 above.

use std::collections::BTreeMap;

/// Durations in bins: one per millisecond below 1024, then 64 per power of two.
#[derive(Debug, Default)]
pub(super) struct Histogram {
    bins: BTreeMap<u32, u64>,
    count: u64,
    max: u64,
}

const EXACT_BELOW: u64 = 1024;
const SUB_BINS_LOG2: u32 = 6;

fn bin_of(ms: u64) -> u32 {
    if ms < EXACT_BELOW {
        return ms as u32;
    }
    let exponent = 63 - ms.leading_zeros(); // 10 and up
    let shift = exponent - SUB_BINS_LOG2;
    let sub = (ms >> shift) & ((1 << SUB_BINS_LOG2) - 1);
    EXACT_BELOW as u32 + ((exponent - 10) << SUB_BINS_LOG2) + sub as u32
}

/// The largest duration that falls in `bin`.
fn bin_upper(bin: u32) -> u64 {
    if u64::from(bin) < EXACT_BELOW {
        return u64::from(bin);
    }
    let k = bin - EXACT_BELOW as u32;
    let exponent = 10 + (k >> SUB_BINS_LOG2);
    let sub = u128::from(k & ((1 << SUB_BINS_LOG2) - 1));
    let shift = exponent - SUB_BINS_LOG2;
    let upper = (((1u128 << SUB_BINS_LOG2) + sub + 1) << shift) - 1;
    u64::try_from(upper).unwrap_or(u64::MAX)
}

impl Histogram {
    pub(super) fn add(&mut self, ms: u64) {
        *self.bins.entry(bin_of(ms)).or_default() += 1;
        self.count += 1;
        self.max = self.max.max(ms);
    }

    /// The nearest-rank percentile: the smallest duration at or above `percent` % of them.
    pub(super) fn percentile(&self, percent: u64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = (percent * self.count).div_ceil(100).clamp(1, self.count);
        let mut seen = 0;
        for (bin, n) in &self.bins {
            seen += n;
            if seen >= rank {
                return Some(bin_upper(*bin).min(self.max));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_exact_below_1024_and_within_a_64th_above() {
        for ms in [0, 1, 17, 1023] {
            assert_eq!(bin_upper(bin_of(ms)), ms);
        }
        for ms in [1024u64, 1500, 15_000, 600_000, 123_456_789, u64::MAX] {
            let upper = bin_upper(bin_of(ms));
            assert!(upper >= ms && upper - ms <= ms / 64, "{ms} -> {upper}");
        }
        assert!(bin_of(2047) < bin_of(2048));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut histogram = Histogram::default();
        for ms in [12, 10, 15, 300] {
            histogram.add(ms);
        }
        assert_eq!(histogram.percentile(50), Some(12));
        assert_eq!(histogram.percentile(95), Some(300));
        assert_eq!(histogram.percentile(99), Some(300));
        assert_eq!(Histogram::default().percentile(50), None);
        let mut slow = Histogram::default();
        slow.add(15_001);
        assert_eq!(slow.percentile(99), Some(15_001), "never above the largest duration");
    }
}
