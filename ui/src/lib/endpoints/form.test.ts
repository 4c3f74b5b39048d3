import { describe, expect, it } from 'vitest';
import { emptyForm, headerRow, parseSchedule, presetOf, toBody, toPatch } from './form';

describe('endpoint form', () => {
  it('builds the create body from the fields', () => {
    const form = {
      ...emptyForm(),
      url: ' http://127.0.0.1:3000/hooks ',
      name: 'Billing',
      filters: 'order.*\ninvoice.**',
      schedule: '1, 2 5',
      rateLimit: '2.5',
      headers: [headerRow('Authorization', 'Bearer x'), headerRow('', '')],
    };
    const { body, errors } = toBody(form);
    expect(errors).toEqual({});
    expect(body).toEqual({
      url: 'http://127.0.0.1:3000/hooks',
      name: 'Billing',
      description: '',
      event_filter: ['order.*', 'invoice.**'],
      timeout_ms: 15000,
      retry_schedule: [1, 2, 5],
      max_in_flight: 10,
      rate_limit_per_s: 2.5,
      headers: { Authorization: 'Bearer x' },
      enabled: true,
      header_style: 'webhook',
      payload_format: 'raw',
      verify_tls: true,
      auto_disable: { policy: 'failing_for', window_s: 432000 },
    });
    expect(toPatch({ ...body, rate_limit_per_s: undefined }).rate_limit_per_s).toBeNull();
  });

  it('sends the signing and auto-disable options, and never patches the secret', () => {
    const { body } = toBody({ ...emptyForm(), url: 'http://h', headerStyle: 'svix', payloadFormat: 'envelope', autoDisable: 'consecutive_failures', autoFailures: '3', secret: 'whsec_abc' });
    expect(body).toMatchObject({ header_style: 'svix', payload_format: 'envelope', auto_disable: { policy: 'consecutive_failures', failures: 3 }, secret: 'whsec_abc' });
    expect('secret' in toPatch(body)).toBe(false);
    expect(toBody({ ...emptyForm(), autoDisable: 'off' }).body.auto_disable).toEqual({ policy: 'off' });
    expect(toBody({ ...emptyForm(), verifyTls: false }).body.verify_tls).toBe(false);
  });

  it('names the fields it cannot send', () => {
    const { errors } = toBody({ ...emptyForm(), filters: 'ord*er', timeoutMs: 'soon', schedule: '1, x', headers: [headerRow('', 'v')] });
    expect(Object.keys(errors).sort()).toEqual(['event_filter', 'headers', 'retry_schedule', 'timeout_ms']);
  });

  it('knows the presets', () => {
    expect(presetOf([1, 2, 5])).toBe('fast');
    expect(presetOf([])).toBe('none');
    expect(presetOf([5, 300, 1800, 7200, 18000, 36000, 36000])).toBe('standard');
    expect(presetOf([9])).toBeNull();
    expect(parseSchedule('')).toEqual([]);
  });
});
