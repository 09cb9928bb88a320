import type { DomainError } from '@flotilla/platform';
import { mediaErrors } from './media.errors.js';

/** Input formats the worker processes (as the decoder names them). */
export const SUPPORTED_INPUT_FORMATS: ReadonlySet<string> = new Set([
  'jpeg',
  'png',
  'webp',
  'gif',
  'tiff',
  'avif',
  'heif',
]);

const PIXEL_LIMIT = /pixel limit/i;
const UNSUPPORTED = /unsupported image format|unsupported.*(format|compression)|not a known file format/i;

/**
 * Names the permanent failure behind a decoder error message. A decoder fails on the input itself
 * (the same bytes would fail again), so every message maps to a code: the pixel limit, an unknown
 * format, and anything else (premature end, bad markers, bad CRC...) as a damaged file.
 */
export function classifyDecoderError(message: string): DomainError {
  const detail = message.length > 300 ? `${message.slice(0, 300)}…` : message;
  if (PIXEL_LIMIT.test(message)) return mediaErrors.TOO_MANY_PIXELS({ detail });
  if (UNSUPPORTED.test(message)) return mediaErrors.UNSUPPORTED({ detail });
  return mediaErrors.CORRUPT({ detail });
}
