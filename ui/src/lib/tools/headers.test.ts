import { describe, expect, it } from 'vitest';
import { hasSignatureHeaders, parseHeaderLines, signatureLines } from './headers';

describe('header lines', () => {
  it('parses name: value lines, lower-casing names and keeping colons in values', () => {
    const text = 'Webhook-Id: msg_1\n\n  webhook-timestamp:1700000000  \nwebhook-signature: v1,abc= v1,def=\nx-url: http://a:1/b';
    expect(parseHeaderLines(text)).toEqual({
      headers: {
        'webhook-id': 'msg_1',
        'webhook-timestamp': '1700000000',
        'webhook-signature': 'v1,abc= v1,def=',
        'x-url': 'http://a:1/b',
      },
      badLines: [],
    });
  });

  it('reports lines that are not headers by number', () => {
    const { headers, badLines } = parseHeaderLines('svix-id: 1\nno colon here\n: empty name\nbad name: x\r\nsvix-timestamp: 2');
    expect(headers).toEqual({ 'svix-id': '1', 'svix-timestamp': '2' });
    expect(badLines).toEqual([2, 3, 4]);
  });

  it('keeps only the signature headers of a request, in either style', () => {
    const lines = signatureLines({
      'content-type': 'application/json',
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1',
      'webhook-signature': 'v1,x',
      'svix-id': 'msg_1',
      'user-agent': 'hooky',
    });
    expect(lines).toBe('webhook-id: msg_1\nwebhook-timestamp: 1\nwebhook-signature: v1,x\nsvix-id: msg_1');
  });

  it('knows when the three headers of one style are there', () => {
    expect(hasSignatureHeaders({ 'svix-id': 'a', 'svix-timestamp': '1', 'svix-signature': 'v1,x' })).toBe(true);
    expect(hasSignatureHeaders({ 'webhook-id': 'a', 'svix-timestamp': '1', 'webhook-signature': 'v1,x' })).toBe(false);
  });
});
