// QA runs: the list of past runs, and the run on screen with its cases, kept
// live by `run.updated` (the summary at once, the cases by a coalesced reload).
import type { RunsApi } from '../api/calls';
import { errorMessage } from '../api/client';
import type { RunIn, RunOut, RunSummary, StreamMessage } from '../api/types';
import { coalesce } from '../util/coalesce';

export class RunsStore {
  /** Newest first. */
  list = $state.raw<RunSummary[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** The run on screen, with its report. */
  current = $state.raw<RunOut | null>(null);
  currentError = $state<string | null>(null);
  cancelling = $state(false);

  private readonly refreshCurrent = coalesce(async () => {
    const id = this.current?.id;
    if (!id) return;
    try {
      const run = await this.api().getRun(id);
      if (this.current?.id === id) this.adopt(run);
    } catch (err) {
      this.currentError = errorMessage(err);
    }
  });

  constructor(private readonly api: () => RunsApi) {}

  async load(): Promise<void> {
    try {
      this.list = await this.api().listRuns();
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** Shows a run (null: none). */
  async open(id: string | null): Promise<void> {
    this.currentError = null;
    if (!id) {
      this.current = null;
      return;
    }
    if (this.current?.id !== id) this.current = null;
    try {
      this.adopt(await this.api().getRun(id));
    } catch (err) {
      this.currentError = errorMessage(err);
    }
  }

  /** Starts a run and shows it; throws ApiError (422 with the reason) for the form. */
  async start(body: RunIn): Promise<RunOut> {
    const run = await this.api().startRun(body);
    // A short run can end, and the stream say so, before this answer is read.
    this.putSummary(run);
    this.adopt(run);
    return run;
  }

  async cancel(id: string): Promise<void> {
    this.cancelling = true;
    try {
      this.putSummary(await this.api().cancelRun(id));
      await this.refreshCurrent();
    } catch (err) {
      this.currentError = errorMessage(err);
    } finally {
      this.cancelling = false;
    }
  }

  applyBatch(messages: readonly StreamMessage[]): void {
    let currentChanged = false;
    for (const m of messages) {
      if (m.type !== 'run_updated') continue;
      this.putSummary(m.run);
      if (this.current?.id === m.run.id) {
        this.current = { ...this.current, ...m.run };
        currentChanged = true;
      }
    }
    if (currentChanged) void this.refreshCurrent();
  }

  onResync(): void {
    if (this.loaded) void this.load();
    if (this.current) void this.refreshCurrent();
  }

  /**
   * Shows a fetched run. Its GET may have been answered before a `run.updated` that
   * arrived while it was in flight: when the list is ahead, fetch once more.
   */
  private adopt(run: RunOut): void {
    this.current = run;
    const latest = this.list.find((r) => r.id === run.id);
    if (latest && isAhead(latest, run)) void this.refreshCurrent();
  }

  /** Puts a run's summary in the list, unless the list already holds a later view of it. */
  private putSummary(run: RunSummary): void {
    const { id, state, target, total, done, passed, failed, skipped, started_at, finished_at } = run;
    const summary: RunSummary = { id, state, target, total, done, passed, failed, skipped, started_at, finished_at };
    const at = this.list.findIndex((r) => r.id === id);
    if (at < 0) {
      this.list = [summary, ...this.list];
    } else if (!isAhead(this.list[at] as RunSummary, summary)) {
      this.list = this.list.map((r, i) => (i === at ? summary : r));
    }
  }
}

/** Whether `a` is a later view of the same run than `b` (runs only move forward). */
function isAhead(a: RunSummary, b: RunSummary): boolean {
  return a.done > b.done || (a.state !== 'running' && b.state === 'running');
}
