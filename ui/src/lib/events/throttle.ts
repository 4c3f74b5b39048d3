// Runs an async task on request, at most once per interval and never twice at
// once: requests made meanwhile fold into one more run afterwards.

export class Throttle {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private again = false;
  private lastStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs = 1000,
  ) {}

  /** Asks for a run: now if the last one started an interval ago, else when it has. */
  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastStart + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, wait);
  }

  /** Drops a pending run (the one in flight, if any, still finishes). */
  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.again = false;
  }

  /** Whether a run is waiting or in flight. */
  get busy(): boolean {
    return this.running || this.timer !== null;
  }

  private async run(): Promise<void> {
    this.running = true;
    this.lastStart = Date.now();
    try {
      await this.task();
    } catch {
      // The task reports its own errors; a failed run must not stop later ones.
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.request();
      }
    }
  }
}
