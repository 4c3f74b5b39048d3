// The time warp in force: from `info.time_warp` at load, then `time_warp.changed`
// messages, so every open tab shows the same banner at once.
import type { TimeWarpApi } from '../api/calls';
import type { StreamMessage, TimeWarp } from '../api/types';

export class TimeWarpStore {
  warp = $state.raw<TimeWarp>({ factor: 1, enabled: false });

  constructor(private readonly api: () => TimeWarpApi) {}

  get enabled(): boolean {
    return this.warp.enabled && this.warp.factor !== 1;
  }

  async load(): Promise<void> {
    this.warp = await this.api().getTimeWarp();
  }

  /** Sets the factor (1 turns it off); throws ApiError for the caller to show. */
  async set(factor: number): Promise<TimeWarp> {
    this.warp = await this.api().putTimeWarp(factor === 1 ? null : factor);
    return this.warp;
  }

  applyBatch(messages: readonly StreamMessage[]): void {
    for (const m of messages) if (m.type === 'time_warp_changed') this.warp = m.time_warp;
  }
}
