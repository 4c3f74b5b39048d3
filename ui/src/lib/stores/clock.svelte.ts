// A shared ticking clock for countdowns and relative times.

export class Clock {
  now = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | null = null;

  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => (this.now = Date.now()), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

export const clock = new Clock();
