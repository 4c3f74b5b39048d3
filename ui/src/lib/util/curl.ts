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
