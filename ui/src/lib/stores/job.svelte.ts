// Follows a background job (bulk retry, endpoint recovery) until it ends,
// polling `GET /api/v1/jobs/{id}`.
import type { JobsApi } from '../api/calls';
import { errorMessage } from '../api/client';
import type { JobOut } from '../api/types';

export interface JobWatchOptions {
  everyMs?: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** done / total as 0..1 (1 for an empty job). */
export function jobProgress(job: Pick<JobOut, 'done' | 'total'>): number {
  if (job.total <= 0) return 1;
  return Math.min(1, job.done / job.total);
}

export function jobSummary(job: JobOut): string {
  const counts = `${job.done} of ${job.total} · ${job.succeeded} succeeded, ${job.failed} failed`;
  if (job.state === 'cancelled') return `Cancelled after ${counts}`;
  if (job.state === 'finished') return `Done: ${job.succeeded} succeeded, ${job.failed} failed`;
  return counts;
}

export class JobWatcher {
  job = $state.raw<JobOut | null>(null);
  error = $state<string | null>(null);
  cancelling = $state(false);
  running = $derived(this.job?.state === 'running');
  progress = $derived(this.job ? jobProgress(this.job) : 0);

  private generation = 0;
  private readonly everyMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly api: () => JobsApi,
    options: JobWatchOptions = {},
  ) {
    this.everyMs = options.everyMs ?? 400;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Shows `job` and polls it until it is no longer running (or `reset()`). */
  async watch(job: JobOut): Promise<JobOut> {
    const generation = ++this.generation;
    this.job = job;
    this.error = null;
    let failures = 0;
    while (this.job?.state === 'running' && generation === this.generation) {
      await this.sleep(this.everyMs);
      // Gone (reset) or ended meanwhile (cancelled from the dialog).
      if (generation !== this.generation || this.job?.state !== 'running') break;
      try {
        const next = await this.api().getJob(job.id);
        if (generation !== this.generation) break;
        this.job = next;
        failures = 0;
      } catch (err) {
        this.error = errorMessage(err);
        if (++failures >= 5) break;
      }
    }
    return this.job ?? job;
  }

  async cancel(): Promise<void> {
    if (!this.job || this.job.state !== 'running') return;
    this.cancelling = true;
    try {
      this.job = await this.api().cancelJob(this.job.id);
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.cancelling = false;
    }
  }

  /** Stops polling and forgets the job. */
  reset(): void {
    this.generation++;
    this.job = null;
    this.error = null;
  }
}
