import { describe, expect, it } from 'vitest';
import type { CaughtRequestSummary } from '../api/types';
import { mergeCaught, parseJsonBody } from './log';

const req = (id: string, at: string, status = 200): CaughtRequestSummary => ({
  id,
  method: 'POST',
  path: '/catch/x',
  signature: { status: 'not_checked' },
  body_size: 2,
  received_at: at,
  response_status: status,
});

describe('mergeCaught', () => {
  it('puts live rows in front of a page, newest first, each once', () => {
    const page = [req('req_2', '2024-01-01T00:00:02Z'), req('req_1', '2024-01-01T00:00:01Z')];
    const live = [req('req_3', '2024-01-01T00:00:03Z'), req('req_2', '2024-01-01T00:00:02Z', 500)];
    const merged = mergeCaught(page, live);
    expect(merged.map((r) => r.id)).toEqual(['req_3', 'req_2', 'req_1']);
    expect(merged[1]?.response_status).toBe(500);
  });
  it('orders rows of the same instant by id', () => {
    const at = '2024-01-01T00:00:00Z';
    expect(mergeCaught([req('req_a', at)], [req('req_b', at)]).map((r) => r.id)).toEqual(['req_b', 'req_a']);
  });
});

describe('parseJsonBody', () => {
  it('parses objects and arrays only', () => {
    expect(parseJsonBody(' {"a":1} ')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonBody('[1]')).toEqual({ ok: true, value: [1] });
    expect(parseJsonBody('42')).toEqual({ ok: false });
    expect(parseJsonBody('{nope')).toEqual({ ok: false });
    expect(parseJsonBody('')).toEqual({ ok: false });
  });
});
