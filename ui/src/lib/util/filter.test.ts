import { describe, expect, it } from 'vitest';
import { isValidEventName, matchesAny, matchesPattern, parsePatterns, patternProblem } from './filter';

describe('matchesPattern (the engine semantics)', () => {
  it.each([
    ['order.created', 'order.created', true],
    ['order.created', 'order.updated', false],
    ['order.*', 'order.updated', true],
    ['order.*', 'order.item.added', false],
    ['order.*', 'order', false],
    ['order.**', 'order.item.added', true],
    ['order.**', 'order', true],
    ['**', 'anything.at.all', true],
    ['**', 'x', true],
    ['*.created', 'user.created', true],
    ['*.created', 'user.profile.created', false],
    ['**.failed', 'payment.card.failed', true],
    ['**.failed', 'failed', true],
    ['a.**.z', 'a.z', true],
    ['a.**.z', 'a.b.c.z', true],
    ['a.**.z', 'a.b.c', false],
    ['*', 'order', true],
    ['*', 'order.created', false],
    ['Order.created', 'order.created', false],
  ])('%s vs %s → %s', (pattern, name, expected) => {
    expect(matchesPattern(pattern, name)).toBe(expected);
  });

  it('matches any of several patterns', () => {
    expect(matchesAny(['user.*', 'order.*'], 'order.paid')).toBe(true);
    expect(matchesAny(['user.*', 'order.*'], 'invoice.paid')).toBe(false);
    expect(matchesAny([], 'order.paid')).toBe(false);
  });
});

describe('patterns and names', () => {
  it('finds the problems the engine refuses', () => {
    expect(patternProblem('order.*')).toBeNull();
    expect(patternProblem('**')).toBeNull();
    expect(patternProblem('order..x')).toMatch(/empty segment/);
    expect(patternProblem('ord*er')).toMatch(/ord\*er/);
    expect(patternProblem('a b')).not.toBeNull();
    expect(patternProblem('')).not.toBeNull();
    expect(patternProblem('x'.repeat(201))).not.toBeNull();
  });

  it('validates event names', () => {
    expect(isValidEventName('order.created:v2-beta_1')).toBe(true);
    expect(isValidEventName('')).toBe(false);
    expect(isValidEventName('order created')).toBe(false);
    expect(isValidEventName('a'.repeat(201))).toBe(false);
  });

  it('reads patterns one per line or comma-separated', () => {
    expect(parsePatterns(' order.*\n\nuser.created, ** ')).toEqual(['order.*', 'user.created', '**']);
  });
});
