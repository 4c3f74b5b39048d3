// The verify panel's headers box: one `name: value` per line.

export interface ParsedHeaders {
  headers: Record<string, string>;
  /** 1-based numbers of the lines that are not `name: value`. */
  badLines: number[];
}

const NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses `name: value` lines; blank lines are skipped, names are lower-cased, the last one wins. */
export function parseHeaderLines(text: string): ParsedHeaders {
  const headers: Record<string, string> = {};
  const badLines: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!name || !NAME.test(name)) {
      badLines.push(i + 1);
      return;
    }
    headers[name.toLowerCase()] = line.slice(colon + 1).trim();
  });
  return { headers, badLines };
}

/** The signature headers of a request, as lines (other headers are left out). */
export function signatureLines(headers: Readonly<Record<string, string>>): string {
  return Object.entries(headers)
    .filter(([name]) => /^(webhook|svix)-(id|timestamp|signature)$/i.test(name))
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}

/** Whether the headers carry an id, a timestamp and a signature of one style. */
export function hasSignatureHeaders(headers: Readonly<Record<string, string>>): boolean {
  return ['webhook', 'svix'].some((p) => ['id', 'timestamp', 'signature'].every((k) => `${p}-${k}` in headers));
}
