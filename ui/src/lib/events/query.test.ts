import { describe, expect, it } from 'vitest';
import { EMPTY_FORM, filterFromForm, formFromQuery, queryFromForm } from './query';

describe('filter query', () => {
  it('round-trips through the address', () => {
    const form = { ...EMPTY_FORM, name: 'order.paid', status: 'failed' as const, endpoint: 'ep_1', range: '1h' as const };
    const text = queryFromForm(form);
    expect(text).toBe('?name=order.paid&status=failed&endpoint=ep_1&range=1h');
    expect(formFromQuery(new URLSearchParams(text.slice(1)))).toEqual(form);
  });

  it('ignores unknown values', () => {
    expect(formFromQuery(new URLSearchParams('status=bogus&range=9y'))).toEqual(EMPTY_FORM);
  });

  it('resolves presets against now', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(filterFromForm({ ...EMPTY_FORM, range: '1h', status: 'succeeded' }, now)).toEqual({
      status: 'succeeded',
      since: '2026-01-01T11:00:00.000Z',
    });
    expect(filterFromForm(EMPTY_FORM, now)).toEqual({});
  });
});
