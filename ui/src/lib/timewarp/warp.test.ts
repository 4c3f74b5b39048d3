import { describe, expect, it } from 'vitest';
import { factorText, parseFactor, spanText, warpSentence } from './warp';

describe('time warp text', () => {
  it('says how much time passes per second', () => {
    expect(warpSentence(3600)).toBe('1 hour of retries passes in 1 second');
    expect(warpSentence(60)).toBe('1 minute of retries passes in 1 second');
    expect(warpSentence(86400)).toBe('1 day of retries passes in 1 second');
    expect(warpSentence(7200)).toBe('2 hours of retries passes in 1 second');
  });
  it('spans odd factors in their largest unit', () => {
    expect(spanText(90)).toBe('1.5 minutes');
    expect(spanText(10)).toBe('10 seconds');
    expect(spanText(1.5)).toBe('1.5 seconds');
    expect(spanText(1_000_000)).toBe('11.6 days');
  });
  it('writes factors', () => {
    expect(factorText(3600)).toBe('×3600');
    expect(factorText(2.5)).toBe('×2.5');
  });
  it('parses typed factors', () => {
    expect(parseFactor('3600')).toBe(3600);
    expect(parseFactor('×60')).toBe(60);
    expect(parseFactor('')).toBe(1);
    expect(parseFactor('0.5')).toMatch(/from 1 to/);
    expect(parseFactor('fast')).toMatch(/from 1 to/);
    expect(parseFactor('2000000')).toMatch(/from 1 to/);
  });
});
