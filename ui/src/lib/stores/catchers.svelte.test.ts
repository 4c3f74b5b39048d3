import { describe, expect, it } from 'vitest';
import type { CatchersApi } from '../api/calls';
import type { CatcherOut, StreamMessage } from '../api/types';
import { CatchersStore } from './catchers.svelte';

const ID = 'ctc_01JDQ8W6S4Z6R4D2Y7B9X3K5M1';
const catcher = (patch: Partial<CatcherOut> = {}): CatcherOut => ({
  id: ID,
  name: 'orders',
  url: 'http://127.0.0.1:7717/catch/orders',
  position: 0,
  request_count: 0,
  last_request_at: null,
  script: { statuses: [200] },
  created_at: '2026-01-01T00:00:00.000Z',
  ...patch,
});
const caught = (at: string): StreamMessage => ({
  type: 'request_caught',
  catcher_id: ID,
  request: {
    id: 'req_01JDQ8W6S4Z6R4D2Y7B9X3K5M2',
    method: 'POST',
    path: '/catch/orders',
    received_at: at,
    body_size: 2,
    signature: { status: 'not_checked' },
  },
});

/** A fake API whose create and update answer when the test says, with what was written then. */
function fakeApi() {
  const pending: (() => void)[] = [];
  const later = (answer: CatcherOut) => new Promise<CatcherOut>((resolve) => pending.push(() => resolve(answer)));
  const api = {
    listCatchers: async () => [],
    createCatcher: () => later(catcher()),
    updateCatcher: () => later(catcher({ script: { statuses: [500] } })),
  } as unknown as CatchersApi;
  return { api, answer: () => pending.shift()?.() };
}

describe('CatchersStore', () => {
  it('keeps a request the stream told of before the create was answered', async () => {
    const fake = fakeApi();
    const store = new CatchersStore(() => fake.api);
    const created = store.create({ name: 'orders' });
    // The engine announces the new catcher, then a request reaches it, before the answer is read.
    store.applyBatch([{ type: 'catcher_updated', catcher: catcher() }, caught('2026-01-01T00:00:01.000Z')]);
    fake.answer();
    await created;
    expect(store.byId.get(ID)?.request_count).toBe(1);
    expect(store.byId.get(ID)?.last_request_at).toBe('2026-01-01T00:00:01.000Z');
  });

  it('takes the new script from an update answered after a request, and keeps the count', async () => {
    const fake = fakeApi();
    const store = new CatchersStore(() => fake.api);
    store.applyBatch([{ type: 'catcher_updated', catcher: catcher() }]);
    const updated = store.update(ID, { script: { statuses: [500] } });
    store.applyBatch([caught('2026-01-01T00:00:01.000Z')]);
    fake.answer();
    await updated;
    expect(store.byId.get(ID)?.script).toEqual({ statuses: [500] });
    expect(store.byId.get(ID)?.request_count).toBe(1);
  });
});
