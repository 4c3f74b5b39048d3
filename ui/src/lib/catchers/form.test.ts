import { describe, expect, it } from 'vitest';
import { catcherBody, emptyCatcherForm } from './form';

describe('catcherBody', () => {
  it('subscribes by default and checks the endpoint signatures', () => {
    const form = { ...emptyCatcherForm(), name: 'orders', filters: 'order.*, invoice.paid' };
    form.script.statuses = ['500', '200'];
    expect(catcherBody(form)).toEqual({
      body: {
        name: 'orders',
        script: { statuses: [500, 200], body: '{"ok":true}' },
        subscribe: { event_filter: ['order.*', 'invoice.paid'] },
      },
      then: null,
      errors: {},
    });
  });

  it('sets another signature check after creating a subscribed catcher', () => {
    const none = catcherBody({ ...emptyCatcherForm(), name: 'a', verifyMode: 'none' });
    expect(none.then).toEqual({ verify: null });
    const secret = catcherBody({ ...emptyCatcherForm(), name: 'a', verifyMode: 'secret', secret: ' whsec_x ' });
    expect(secret.then).toEqual({ verify: { secret: 'whsec_x' } });
  });

  it('checks a secret directly when not subscribed', () => {
    const out = catcherBody({ ...emptyCatcherForm(), name: 'a', subscribe: false, verifyMode: 'secret', secret: 'whsec_x' });
    expect(out.body).toEqual({ name: 'a', script: { statuses: [200], body: '{"ok":true}' }, verify: { secret: 'whsec_x' } });
    expect(out.then).toBeNull();
    const plain = catcherBody({ ...emptyCatcherForm(), name: 'a', subscribe: false });
    expect(plain.body.verify).toBeUndefined();
  });

  it('names the fields that cannot be sent', () => {
    const out = catcherBody({ ...emptyCatcherForm(), name: 'Orders!', verifyMode: 'secret', filters: ' ' });
    expect(Object.keys(out.errors).sort()).toEqual(['name', 'subscribe.event_filter', 'verify.secret']);
  });
});
