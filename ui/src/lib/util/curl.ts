// Copy-as-cURL for attempts and triggers.

/** Quotes for a POSIX shell: 'it'\''s'. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function curlCommand(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  method = 'POST',
): string {
  const lines = [`curl -X ${method} ${shellQuote(url)}`];
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'host') continue;
    lines.push(`  -H ${shellQuote(`${name}: ${value}`)}`);
  }
  if (body) lines.push(`  --data-raw ${shellQuote(body)}`);
  return lines.join(' \\\n');
}

/** The curl command that fires an event at the trigger URL. */
export function triggerCurl(triggerUrl: string, eventName: string, payload: string, token?: string): string {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  return curlCommand(triggerUrl, headers, JSON.stringify({ event_name: eventName, payload: JSON.parse(payload) }));
}

/** The `hooky` CLI commands that follow this engine's events and fire one with `--wait`. The
 * CLI finds the address and the token's data dir in its environment. */
export function hookyCommands(baseUrl: string, dataDir: string): string {
  const listen = baseUrl.replace(/^https?:\/\//, '');
  return [
    `export HOOKY_LISTEN=${shellQuote(listen)} HOOKY_DATA_DIR=${shellQuote(dataDir)}`,
    'hooky events tail',
    `hooky trigger order.created --data ${shellQuote('{"id":1,"status":"paid"}')} --wait`,
  ].join('\n');
}
