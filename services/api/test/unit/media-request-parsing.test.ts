import { safeFilename, titleFromFilename } from '@flotilla/intake';
import { describe, expect, it } from 'vitest';
import { parseIfNoneMatch, parseRangeHeader } from '../../src/modules/media/adapters/media-files.routes.js';

describe('reading what a download asks for', () => {
  it('passes one byte range on, and ignores what it cannot pass', () => {
    expect(parseRangeHeader('bytes=0-99')).toEqual({ start: 0, end: 99 });
    expect(parseRangeHeader('bytes=100-')).toEqual({ start: 100 });
    expect(parseRangeHeader('bytes=-500')).toEqual({ suffix: 500 });
    expect(parseRangeHeader(undefined)).toBeUndefined();
    expect(parseRangeHeader('bytes=0-1,5-6')).toBeUndefined();
    expect(parseRangeHeader('bytes=9-3')).toBeUndefined();
    expect(parseRangeHeader('items=0-3')).toBeUndefined();
    expect(parseRangeHeader('bytes=-')).toBeUndefined();
  });

  it('reads entity tags, weak or strong, quoted or not', () => {
    expect(parseIfNoneMatch('"abc", W/"def" ,*')).toEqual(['abc', 'def', '*']);
    expect(parseIfNoneMatch(undefined)).toEqual([]);
  });
});

describe('names given by clients', () => {
  it('keeps only the last path segment, without control characters, at most 255 characters', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('C:\\photos\\cat.jpg')).toBe('cat.jpg');
    expect(safeFilename('bad\u0000name\u001f.png')).toBe('badname.png');
    expect(safeFilename(`${'a'.repeat(300)}.png`)).toHaveLength(255);
    expect(safeFilename(undefined)).toBe('upload');
    expect(safeFilename('..')).toBe('upload');
  });

  it('titles a document after its file name without the extension', () => {
    expect(titleFromFilename('Quarterly report.pdf')).toBe('Quarterly report');
    expect(titleFromFilename('notes')).toBe('notes');
    expect(titleFromFilename('.md')).toBe('.md');
  });
});
