// Event-name patterns, with the engine's semantics (model/filter.rs): a pattern
// is dot-separated; a literal segment matches itself, `*` exactly one segment,
// `**` any number of segments (even none).

/** True when `name` matches `pattern`. */
export function matchesPattern(pattern: string, name: string): boolean {
  return segmentsMatch(pattern.split('.'), 0, name.split('.'), 0);
}

function segmentsMatch(pattern: string[], p: number, name: string[], n: number): boolean {
  if (p === pattern.length) return n === name.length;
  const head = pattern[p];
  if (head === '**') {
    for (let skip = n; skip <= name.length; skip++) {
      if (segmentsMatch(pattern, p + 1, name, skip)) return true;
    }
    return false;
  }
  if (n === name.length) return false;
  return (head === '*' || head === name[n]) && segmentsMatch(pattern, p + 1, name, n + 1);
}

/** True when `name` matches at least one of `patterns`. */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, name));
}

const NAME_RE = /^[A-Za-z0-9_.:-]{1,200}$/;
const SEGMENT_RE = /^[A-Za-z0-9_:-]+$/;

/** Event names follow `^[A-Za-z0-9_.:-]{1,200}$`. */
export function isValidEventName(name: string): boolean {
  return NAME_RE.test(name);
}

/** Why a pattern would be refused by the engine, or null when it is fine. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > 200) return 'must be 1 to 200 characters';
  for (const segment of pattern.split('.')) {
    if (segment === '*' || segment === '**') continue;
    if (!SEGMENT_RE.test(segment)) {
      return segment === ''
        ? 'has an empty segment'
        : `segment "${segment}" may only use A-Z a-z 0-9 _ : - (or be * / ** as a whole)`;
    }
  }
  return null;
}

/** Parses a patterns text box: one per line or comma-separated, blanks dropped. */
export function parsePatterns(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
