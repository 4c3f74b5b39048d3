// Demo mode: its state (kept live by `demo.changed` / `time_warp.changed`), the start,
// stop and reset actions, and the flow view's dots and tallies fed from the stream.
import type { DemoApi } from '../api/calls';
import { errorMessage } from '../api/client';
import type { DemoOut, StreamMessage, TimeWarp } from '../api/types';
import { FlowModel, type Dot, type Tally } from '../demo/flow';

export type DemoAction = 'start' | 'stop' | 'reset';

export class DemoStore {
  state = $state.raw<DemoOut | null>(null);
  loaded = $state(false);
  busy = $state<DemoAction | null>(null);
  error = $state<string | null>(null);
  /** What the last reset removed, for a short confirmation. */
  notice = $state<string | null>(null);
  timeWarp = $state.raw<TimeWarp | null>(null);

  dots = $state.raw<Dot[]>([]);
  tallies = $state.raw<ReadonlyMap<string, Tally>>(new Map());
  /** Bumped when retry schedules change, so "next retry" labels recompute. */
  retriesVersion = $state(0);
  /** The flow view is on screen: only then are dots made. */
  watching = false;

  private readonly flow = new FlowModel();

  constructor(private readonly api: () => DemoApi) {}

  async load(): Promise<void> {
    try {
      this.setState(await this.api().getDemo());
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  start(intervalMs?: number): Promise<void> {
    return this.act('start', async () => {
      if (!this.state?.active) this.clearFlow();
      this.setState(await this.api().startDemo(intervalMs));
    });
  }

  stop(): Promise<void> {
    return this.act('stop', async () => this.setState(await this.api().stopDemo()));
  }

  reset(): Promise<void> {
    return this.act('reset', async () => {
      const out = await this.api().resetDemo();
      this.timeWarp = out.time_warp;
      this.clearFlow();
      await this.load();
      this.notice =
        `Removed ${out.deleted_catchers} catchers, ${out.deleted_endpoints} endpoints and ` +
        `${out.deleted_events.toLocaleString()} events.`;
    });
  }

  nextRetry(endpointId: string): number | null {
    void this.retriesVersion;
    return this.flow.nextRetry(endpointId);
  }

  /** A dot finished its trip. */
  finish(id: number): void {
    this.flow.finish(id);
    this.dots = this.flow.dots;
  }

  applyBatch(batch: readonly StreamMessage[]): void {
    let fresh = 0;
    for (const m of batch) {
      if (m.type === 'demo_changed') {
        this.setState(m.demo);
        fresh = 0;
      } else if (m.type === 'time_warp_changed') this.timeWarp = m.time_warp;
      else if (m.type === 'event_created' && this.isDemoEvent(m.event.deliveries)) fresh++;
    }
    // The engine announces its count every 10 events; count the ones in between here.
    if (fresh > 0 && this.state) this.state = { ...this.state, events_sent: this.state.events_sent + fresh };
    const retriesBefore = batch.some((m) => m.type === 'delivery_updated');
    if (this.flow.apply(batch, performance.now(), this.watching)) {
      this.dots = this.flow.dots;
      this.tallies = new Map(this.flow.tallies);
    }
    if (retriesBefore) this.retriesVersion++;
  }

  /** An event the running demo sent: it goes to a demo endpoint. */
  private isDemoEvent(deliveries: readonly { endpoint_id: string }[]): boolean {
    const state = this.state;
    return !!state?.running && deliveries.some((d) => state.endpoints.includes(d.endpoint_id));
  }

  private setState(state: DemoOut): void {
    this.state = state;
    this.timeWarp = state.time_warp;
  }

  private clearFlow(): void {
    this.flow.clear();
    this.dots = [];
    this.tallies = new Map();
  }

  private async act(action: DemoAction, run: () => Promise<void>): Promise<void> {
    this.busy = action;
    this.error = null;
    this.notice = null;
    try {
      await run();
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.busy = null;
    }
  }
}
