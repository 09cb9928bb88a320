import { describe, expect, it } from 'vitest';
import { classifyDecoderError } from '../../src/modules/media/domain/failure-classification.js';
import { PERMANENT_MEDIA_CODES } from '../../src/modules/media/domain/media.errors.js';

describe('failure classification of decoder errors', () => {
  it('names the pixel limit MEDIA.TOO_MANY_PIXELS', () => {
    const error = classifyDecoderError('Input image exceeds pixel limit');
    expect(error.code).toBe('MEDIA.TOO_MANY_PIXELS');
  });

  it('names an unknown format MEDIA.UNSUPPORTED', () => {
    expect(classifyDecoderError('Input buffer contains unsupported image format').code).toBe(
      'MEDIA.UNSUPPORTED',
    );
  });

  it('names a truncated or damaged file MEDIA.CORRUPT', () => {
    for (const message of [
      'VipsJpeg: Premature end of input file',
      'pngload_buffer: libpng read error',
      'VipsJpeg: Corrupt JPEG data: 12 extraneous bytes before marker 0xd9',
    ]) {
      expect(classifyDecoderError(message).code).toBe('MEDIA.CORRUPT');
    }
  });

  it('keeps a long decoder message bounded', () => {
    const error = classifyDecoderError(`bad ${'x'.repeat(5000)}`);
    expect((error.detail ?? '').length).toBeLessThanOrEqual(301);
  });

  it('treats every media failure except an exhausted retry as permanent (never retried)', () => {
    expect([...PERMANENT_MEDIA_CODES].sort()).toEqual([
      'MEDIA.CORRUPT',
      'MEDIA.ORIGINAL_MISSING',
      'MEDIA.TOO_LARGE',
      'MEDIA.TOO_MANY_PIXELS',
      'MEDIA.UNSUPPORTED',
    ]);
  });
});
