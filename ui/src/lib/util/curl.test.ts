import { describe, expect, it } from 'vitest';
import { curlCommand, hookyCommands, shellQuote, triggerCurl } from './curl';

describe('curl', () => {
  it('quotes for a POSIX shell', () => {
    expect(shellQuote('http://127.0.0.1:7717/x')).toBe('http://127.0.0.1:7717/x');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a b')).toBe("'a b'");
  });

  it('writes a replayable request', () => {
    const cmd = curlCommand('http://h/x', { 'content-type': 'application/json', 'content-length': '8' }, '{"a":"b\'c"}');
    expect(cmd).toBe(`curl -X POST http://h/x \\\n  -H 'content-type: application/json' \\\n  --data-raw '{"a":"b'\\''c"}'`);
  });

  it('fires an event at the trigger URL', () => {
    expect(triggerCurl('http://h/t', 'order.paid', '{ "id": 1 }')).toContain(`--data-raw '{"event_name":"order.paid","payload":{"id":1}}'`);
    expect(triggerCurl('http://h/t', 'x', '{}', 'tok')).toContain(`-H 'authorization: Bearer tok'`);
  });

  it('points the hooky CLI at this engine and its data dir', () => {
    const cmds = hookyCommands('http://127.0.0.1:7790', "/home/me/it's data").split('\n');
    expect(cmds[0]).toBe(`export HOOKY_LISTEN=127.0.0.1:7790 HOOKY_DATA_DIR='/home/me/it'\\''s data'`);
    expect(cmds.slice(1)).toEqual(['hooky events tail', `hooky trigger order.created --data '{"id":1,"status":"paid"}' --wait`]);
  });
});
