// The live stream (`GET /api/v1/stream`): one EventSource for the whole app.
// Messages are queued and handed to subscribers once per animation frame, so a
// burst of hundreds of updates costs one render.
import type { StreamMessage } from '../api/types';

/** The `event:` names the engine sends with a StreamMessage as data. */
export const MESSAGE_EVENTS = [
  'event.created',
  'delivery.updated',
  'attempt.created',
  'endpoint.updated',
  'endpoint.deleted',
  'run.updated',
  'fixtures.changed',
  'time_warp.changed',
  'request.caught',
  'catcher.updated',
  'catcher.deleted',
  'demo.changed',
] as const;

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface StreamListener {
  /** A batch of messages, oldest first. */
  onBatch?(messages: readonly StreamMessage[]): void;
  /** The stream (re)connected or fell behind: lists should be reloaded. */
  onResync?(): void;
}

/** Runs `flush` soon; returns a function that cancels it. */
export type Scheduler = (flush: () => void) => () => void;

/** One call per animation frame; a timer while the page is hidden (frames pause there). */
export const frameScheduler: Scheduler = (flush) => {
  if (typeof document !== 'undefined' && document.hidden) {
    const id = setTimeout(flush, 250);
    return () => clearTimeout(id);
  }
  const id = requestAnimationFrame(flush);
  return () => cancelAnimationFrame(id);
};

/** Collects pushed items and hands them over in one batch per scheduled flush. */
export class Batcher<T> {
  private queue: T[] = [];
  private cancel: (() => void) | null = null;

  constructor(
    private readonly deliver: (batch: T[]) => void,
    private readonly schedule: Scheduler = frameScheduler,
  ) {}

  push(item: T): void {
    this.queue.push(item);
    if (!this.cancel) this.cancel = this.schedule(() => this.flush());
  }

  /** Delivers what is queued now. */
  flush(): void {
    this.cancel?.();
    this.cancel = null;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.deliver(batch);
  }

  /** Drops what is queued (after a resync, the reload supersedes it). */
  clear(): void {
    this.cancel?.();
    this.cancel = null;
    this.queue = [];
  }

  get pending(): number {
    return this.queue.length;
  }
}

export interface EventSourceLike {
  readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
  onerror: ((event: Event) => void) | null;
  onopen: ((event: Event) => void) | null;
}

export interface StreamOptions {
  url: string;
  createSource?: (url: string) => EventSourceLike;
  schedule?: Scheduler;
  /** Called when the source closed for good (e.g. 401); returns whether to try again. */
  onFatal?: () => Promise<boolean>;
  onState?: (state: StreamState) => void;
}

const CLOSED = 2;

export class StreamHub {
  private listeners = new Set<StreamListener>();
  private source: EventSourceLike | null = null;
  private batcher: Batcher<StreamMessage>;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retries = 0;
  private stopped = false;
  private connectedOnce = false;
  state: StreamState = 'closed';

  constructor(private readonly options: StreamOptions) {
    this.batcher = new Batcher((batch) => this.emit(batch), options.schedule ?? frameScheduler);
  }

  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = null;
    this.batcher.clear();
    this.setState('closed');
  }

  /** Feeds one raw SSE message (exposed for tests). */
  receive(kind: string, data: string): void {
    if (kind === 'ready' || kind === 'resync' || kind === 'events.cleared') {
      // Anything queued predates the reload the listeners are about to do.
      this.batcher.clear();
      for (const l of this.listeners) l.onResync?.();
      return;
    }
    let message: StreamMessage;
    try {
      message = JSON.parse(data) as StreamMessage;
    } catch {
      return;
    }
    this.batcher.push(message);
  }

  /** Delivers queued messages now (tests, and before a navigation that needs fresh data). */
  flush(): void {
    this.batcher.flush();
  }

  private emit(batch: readonly StreamMessage[]): void {
    for (const l of this.listeners) l.onBatch?.(batch);
  }

  private setState(state: StreamState): void {
    this.state = state;
    this.options.onState?.(state);
  }

  private open(): void {
    const create = this.options.createSource ?? ((url: string) => new EventSource(url) as unknown as EventSourceLike);
    this.setState(this.connectedOnce ? 'reconnecting' : 'connecting');
    const source = create(this.options.url);
    this.source = source;
    // The very first `ready` needs no reload (the screens load right after
    // connecting); any later one means messages may have been missed.
    let reloadOnReady = this.connectedOnce;
    source.addEventListener('ready', (e) => {
      this.retries = 0;
      this.setState('live');
      if (reloadOnReady) this.receive('ready', e.data);
      reloadOnReady = true;
      this.connectedOnce = true;
    });
    source.addEventListener('resync', (e) => this.receive('resync', e.data));
    // Another tab cleared the log: every list reloads, as after a resync.
    source.addEventListener('events.cleared', (e) => this.receive('events.cleared', e.data));
    for (const kind of MESSAGE_EVENTS) source.addEventListener(kind, (e) => this.receive(kind, e.data));
    source.onerror = () => {
      if (this.stopped) return;
      if (source.readyState === CLOSED) {
        // The browser gave up (a non-200 answer, e.g. the token was refused).
        source.close();
        void this.retryLater();
      } else {
        // EventSource reconnects by itself; the `ready` it gets then triggers a reload.
        this.setState('reconnecting');
      }
    };
  }

  private async retryLater(): Promise<void> {
    this.setState('reconnecting');
    const again = this.options.onFatal ? await this.options.onFatal() : true;
    if (!again || this.stopped) {
      this.setState('closed');
      return;
    }
    this.retries++;
    const delay = Math.min(1000 * 2 ** Math.min(this.retries, 5), 30_000);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.open();
    }, delay);
  }
}
