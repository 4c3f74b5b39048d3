// One event with its deliveries and attempts, kept live by the stream.
import type { EventsApi } from '../api/calls';
import { ApiError, errorMessage } from '../api/client';
import type { AttemptOut, DeliveryOut, EventOut, StreamMessage } from '../api/types';
import { parseTime } from '../util/format';

/** Applies stream messages to a full event; returns the same object when nothing changed. */
export function applyToEvent(event: EventOut, messages: readonly StreamMessage[]): EventOut {
  let deliveries: DeliveryOut[] | null = null;
  let status = event.status;
  const list = () => (deliveries ??= event.deliveries.slice());
  for (const m of messages) {
    if (m.type === 'delivery_updated' && m.event_id === event.id) {
      status = m.event_status;
      const at = list().findIndex((d) => d.id === m.delivery.id);
      if (at < 0) {
        // A new delivery of this event (a resend, a recovery): its attempts follow.
        list().push({ ...m.delivery, attempts: [], created_at: m.delivery.updated_at, event_id: event.id });
        continue;
      }
      const current = list()[at] as DeliveryOut;
      if (parseTime(current.updated_at) > parseTime(m.delivery.updated_at)) continue;
      list()[at] = { ...current, ...m.delivery };
    } else if (m.type === 'attempt_created' && m.event_id === event.id) {
      const attempt: AttemptOut = m.attempt;
      const at = list().findIndex((d) => d.id === attempt.delivery_id);
      if (at < 0) continue;
      const current = list()[at] as DeliveryOut;
      if (current.attempts.some((a) => a.id === attempt.id)) continue;
      const attempts = [...current.attempts, attempt].sort((a, b) => a.number - b.number);
      list()[at] = { ...current, attempts };
    }
  }
  if (deliveries === null && status === event.status) return event;
  return { ...event, status, deliveries: deliveries ?? event.deliveries };
}

export class EventDetailStore {
  event = $state.raw<EventOut | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  notFound = $state(false);

  constructor(
    private readonly api: () => EventsApi,
    readonly id: string,
  ) {}

  /** Messages that arrive while the event is being fetched; applied on top of it. */
  private heldBack: StreamMessage[] | null = null;

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    this.heldBack = [];
    try {
      const event = await this.api().getEvent(this.id);
      this.event = applyToEvent(event, this.heldBack);
      this.notFound = false;
    } catch (err) {
      this.notFound = err instanceof ApiError && err.status === 404;
      this.error = errorMessage(err);
    } finally {
      this.heldBack = null;
      this.loading = false;
    }
  }

  applyBatch(messages: readonly StreamMessage[]): void {
    if (this.heldBack) this.heldBack.push(...messages);
    else if (this.event) this.event = applyToEvent(this.event, messages);
  }
}
