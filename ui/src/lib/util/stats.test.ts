import { describe, expect, it } from 'vitest';
import { endpointHealth, percentile } from './stats';
import { delivery, event } from '../test/fixtures';

describe('health', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(100);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('counts attempts and latency per endpoint', () => {
    const events = [
      event({ deliveries: [delivery({ endpoint_id: 'ep_A', status: 'succeeded', attempt_count: 3, last_duration_ms: 30 })] }),
      event({ deliveries: [delivery({ endpoint_id: 'ep_A', status: 'failed', attempt_count: 1, last_duration_ms: 100 }), delivery({ endpoint_id: 'ep_B', status: 'succeeded', attempt_count: 1, last_duration_ms: 5 })] }),
      event({ deliveries: [delivery({ endpoint_id: 'ep_A', status: 'pending', attempt_count: 0 })] }),
    ];
    const a = endpointHealth(events, 'ep_A');
    expect(a.deliveries).toBe(3);
    expect(a.attempts).toBe(4);
    expect(a.successes).toBe(1);
    expect(a.successRate).toBe(0.25);
    expect(a.p50).toBe(30);
    expect(a.p95).toBe(100);
    expect(a.samples).toHaveLength(2);
    expect(endpointHealth(events, 'ep_none').successRate).toBeNull();
  });
});
