import { defineErrors, fileErrors } from '@flotilla/platform';

/**
 * Why a photo job failed, with stable codes recorded on the job and in `media.failed`. Every one of
 * these is permanent: processing the same file again would fail the same way, so it is never retried.
 */
export const mediaErrors = defineErrors({
  TOO_MANY_PIXELS: {
    code: 'MEDIA.TOO_MANY_PIXELS',
    kind: 'too_large',
    title: 'The photo has more pixels than the worker accepts',
  },
  // The same code as an upload above its limit: declared once, in the platform.
  TOO_LARGE: fileErrors.TOO_LARGE.definition,
  CORRUPT: {
    code: 'MEDIA.CORRUPT',
    kind: 'invalid',
    title: 'The photo is damaged or truncated and cannot be decoded',
  },
  UNSUPPORTED: {
    code: 'MEDIA.UNSUPPORTED',
    kind: 'unsupported',
    title: 'The file is not a photo in a supported format',
  },
  ORIGINAL_MISSING: {
    code: 'MEDIA.ORIGINAL_MISSING',
    kind: 'not_found',
    title: 'The uploaded file of this job no longer exists',
  },
  RETRIES_EXHAUSTED: {
    code: 'MEDIA.RETRIES_EXHAUSTED',
    kind: 'unavailable',
    title: 'Processing kept failing on a temporary error and was given up',
  },
});

/** The stable codes of {@link mediaErrors}. */
export const PERMANENT_MEDIA_CODES: ReadonlySet<string> = new Set(
  Object.values(mediaErrors)
    .map((factory) => factory.definition.code)
    .filter((code) => code !== mediaErrors.RETRIES_EXHAUSTED.definition.code),
);
