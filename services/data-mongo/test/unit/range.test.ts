import { describe, expect, it } from 'vitest';
import { contentRange, parseRange } from '../../src/modules/blobs/range.js';

describe('parseRange', () => {
  it.each([
    ['bytes=0-99', 1000, { kind: 'range', start: 0, end: 99 }],
    ['bytes=100-', 1000, { kind: 'range', start: 100, end: 999 }],
    ['bytes=-100', 1000, { kind: 'range', start: 900, end: 999 }],
    ['bytes=-5000', 1000, { kind: 'range', start: 0, end: 999 }],
    ['bytes=990-5000', 1000, { kind: 'range', start: 990, end: 999 }],
    ['bytes=999-999', 1000, { kind: 'range', start: 999, end: 999 }],
    ['BYTES = 1 - 2', 1000, { kind: 'range', start: 1, end: 2 }],
  ])('reads %s of %i bytes as a single range', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it.each([
    ['bytes=1000-', 1000],
    ['bytes=1000-2000', 1000],
    ['bytes=-0', 1000],
    ['bytes=0-', 0],
    ['bytes=-10', 0],
    ['bytes=99999999999999999999-', 1000],
  ])('finds %s of %i bytes unsatisfiable', (header, size) => {
    expect(parseRange(header, size)).toEqual({ kind: 'unsatisfiable' });
  });

  it.each([
    [undefined],
    ['bytes=0-1,5-9'],
    ['items=0-1'],
    ['bytes=abc'],
    ['bytes=-'],
    ['bytes=5-3'],
    ['bytes=1.5-2'],
    [''],
  ])('ignores %s (the whole file is served)', (header) => {
    expect(parseRange(header, 1000)).toEqual({ kind: 'none' });
  });

  it('formats Content-Range', () => {
    expect(contentRange(0, 99, 1000)).toBe('bytes 0-99/1000');
  });
});
