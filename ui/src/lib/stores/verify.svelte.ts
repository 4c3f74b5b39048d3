// The verify panel's draft: kept across visits, prefilled from an attempt.
import type { AttemptOut } from '../api/types';
import { signatureLines } from '../tools/headers';

export class VerifyDraft {
  body = $state('');
  headers = $state('');
  secret = $state('');
  /** The endpoint whose secret was picked. */
  endpointId = $state('');
  /** The endpoint the prefilled attempt went to: its secret is one click away. */
  suggested = $state('');
  /** Where the draft came from, e.g. "attempt 2 of evt_…". */
  source = $state('');

  prefill(attempt: AttemptOut, endpointId: string, source: string): void {
    this.body = attempt.request.body;
    this.headers = signatureLines(attempt.request.headers);
    this.secret = '';
    this.endpointId = '';
    this.suggested = endpointId;
    this.source = source;
  }
}
