import { describe, expect, it } from 'vitest';
import { emptyScriptForm, formFromScript, scriptFromForm, scriptSummary, splitStatuses } from './script';
import { headerRow } from '../endpoints/form';

describe('scriptSummary', () => {
  it('walks the status sequence', () => {
    expect(scriptSummary({ statuses: [500, 500, 200] })).toBe('500 → 500 → 200');
  });
  it('says flaky with the rate, leaving out the default lone 200', () => {
    expect(scriptSummary({ statuses: [200], fail_rate: 0.5, fail_status: 503 })).toBe('flaky 50 %');
    expect(scriptSummary({ statuses: [200], fail_rate: 0.25, fail_status: 500 })).toBe('flaky 25 % (500)');
  });
  it('says hang and delays', () => {
    expect(scriptSummary({ statuses: [200], hang: true })).toBe('hang');
    expect(scriptSummary({ statuses: [200], delay_ms: 2000 })).toBe('delay 2 s');
    expect(scriptSummary({ statuses: [429], delay_ms: 250, retry_after: '120' })).toBe('429 · delay 250 ms · Retry-After 120');
  });
  it('says 200 for the default script', () => {
    expect(scriptSummary({})).toBe('200');
  });
});

describe('script form', () => {
  it('makes the default script from an empty form', () => {
    const { script, errors } = scriptFromForm(emptyScriptForm());
    expect(errors).toEqual({});
    expect(script).toEqual({ statuses: [200], body: '{"ok":true}' });
  });

  it('round-trips every field', () => {
    const script = {
      statuses: [500, 500, 200],
      fail_rate: 0.3,
      fail_status: 502,
      delay_ms: 1500,
      retry_after: '120',
      body: 'nope',
      headers: { 'X-Test': 'yes' },
      hang: true,
    };
    expect(scriptFromForm(formFromScript(script))).toEqual({ script, errors: {} });
  });

  it('leaves out the fail status when nothing fails, and zero delays', () => {
    const form = { ...emptyScriptForm(), failStatus: 'x', delayMs: '0' };
    expect(scriptFromForm(form).script).toEqual({ statuses: [200], body: '{"ok":true}' });
  });

  it('accepts a sequence pasted into one chip', () => {
    expect(splitStatuses('500, 500 → 200')).toEqual(['500', '500', '200']);
    expect(scriptFromForm({ ...emptyScriptForm(), statuses: ['500,200'] }).script.statuses).toEqual([500, 200]);
  });

  it('names the fields it cannot send', () => {
    const form = {
      ...emptyScriptForm(),
      statuses: ['5oo'],
      failPercent: 20,
      failStatus: '',
      delayMs: '1.5',
      headers: [headerRow('', 'v')],
    };
    expect(scriptFromForm(form).errors).toEqual({
      'script.statuses': '"5oo" is not an HTTP status',
      'script.fail_status': 'An HTTP status, e.g. 503',
      'script.delay_ms': 'A whole number of milliseconds',
      'script.headers': 'Each header needs a name',
    });
    expect(scriptFromForm({ ...emptyScriptForm(), statuses: [' '] }).errors['script.statuses']).toBe('Add at least one status');
  });

  it('reads a stored script with the engine defaults filled in', () => {
    const form = formFromScript({ statuses: [200], fail_status: 503, delay_ms: 0, body: '{"ok":true}', headers: {}, hang: false });
    expect(form).toMatchObject({ statuses: ['200'], failPercent: 0, failStatus: '503', delayMs: '', retryAfter: '', hang: false });
  });
});
