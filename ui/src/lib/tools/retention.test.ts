import { describe, expect, it } from 'vitest';
import { retentionField, retentionForm, retentionSettings } from './retention';
import { fileNameOf } from '../util/download';

describe('retention form', () => {
  it('shows off as empty and bytes as megabytes', () => {
    expect(retentionForm({ retention_days: 30, retention_max_events: null, retention_max_bytes: 512 * 1024 * 1024 })).toEqual({
      days: '30',
      maxEvents: '',
      maxMb: '512',
    });
  });

  it('turns the fields back into settings, empty meaning off', () => {
    expect(retentionSettings({ days: ' 7 ', maxEvents: '', maxMb: '1.5' })).toEqual({
      settings: { retention_days: 7, retention_max_events: null, retention_max_bytes: 1572864 },
    });
  });

  it('names the fields that are not numbers', () => {
    expect(retentionSettings({ days: 'x', maxEvents: '1e3', maxMb: '-1' })).toEqual({
      errors: {
        days: 'A whole number, or empty for no limit',
        maxEvents: 'A whole number, or empty for no limit',
        maxMb: 'A number of megabytes, or empty for no limit',
      },
    });
    expect(retentionField('retention_max_bytes')).toBe('maxMb');
    expect(retentionField('other')).toBeNull();
  });

  it('reads a download file name from Content-Disposition', () => {
    expect(fileNameOf('attachment; filename="hooky-events.har"', 'x')).toBe('hooky-events.har');
    expect(fileNameOf(null, 'fallback.jsonl')).toBe('fallback.jsonl');
  });
});
