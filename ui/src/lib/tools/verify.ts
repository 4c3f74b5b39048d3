// What a verification result means, in plain words.
import type { VerifyOut } from '../api/types';

export type VerifyTone = 'ok' | 'fail' | 'warn';

export interface VerifyVerdict {
  tone: VerifyTone;
  title: string;
  detail: string;
}

const REASONS: Record<string, { tone: VerifyTone; title: string; detail: string }> = {
  ok: { tone: 'ok', title: 'Valid signature', detail: 'A Standard Webhooks receiver with this secret accepts this request.' },
  mismatch: {
    tone: 'fail',
    title: 'Wrong secret, or the body was modified',
    detail: 'No signature matches. Check that the secret is this endpoint’s, and that the body is byte-for-byte what was sent.',
  },
  body_reformatted: {
    tone: 'fail',
    title: 'The body was re-formatted',
    detail: 'It matches once whitespace is normalised: something parsed and re-serialised the JSON. Verify the raw bytes.',
  },
  stale_timestamp: {
    tone: 'warn',
    title: 'Stale timestamp',
    detail: 'The webhook-timestamp is older than the tolerance (5 minutes), so a receiver rejects it as a possible replay.',
  },
  future_timestamp: {
    tone: 'warn',
    title: 'Timestamp in the future',
    detail: 'The webhook-timestamp is ahead of this clock by more than the tolerance. Check the clocks.',
  },
  bad_timestamp: { tone: 'fail', title: 'Unreadable timestamp', detail: 'The timestamp header is missing or not a number of seconds.' },
  no_signature: {
    tone: 'fail',
    title: 'No v1 signature',
    detail: 'The signature header has no `v1,…` entry (or the id / timestamp / signature headers are missing).',
  },
  bad_secret: { tone: 'fail', title: 'Bad secret', detail: 'The secret is not a `whsec_…` key with valid base64 after the prefix.' },
};

export function verdictOf(result: VerifyOut): VerifyVerdict {
  const known = REASONS[result.reason];
  if (known) return { ...known };
  return { tone: result.valid ? 'ok' : 'fail', title: result.valid ? 'Valid signature' : 'Not valid', detail: result.message };
}
