import { BlobFilenameSchema, MediaOriginalSchema } from '@flotilla/contracts';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { safeFilename } from '../../src/upload/safe-filename.js';
import { titleFromFilename } from '../../src/upload-document.use-case.js';

const blobFilename = Compile(BlobFilenameSchema);
const jobFilename = Compile(MediaOriginalSchema.properties.filename);
const runs = { numRuns: 1000 };

/** Any UTF-16 code unit: lone surrogates too (a Telegram file name arrives as JSON, which can carry them). */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
/** Characters a hostile name is made of: separators, controls, dots, spaces, emoji, bidi overrides. */
const nasty = fc.constantFrom(
  '/',
  '\\',
  '.',
  ' ',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u2028',
  '\u202e',
  '😀',
  'é',
  'a',
);
const anyName = fc.oneof(
  fc.string({ unit: anyCodeUnit, maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: nasty, maxLength: 300 }),
  fc.string({ unit: fc.oneof(nasty, fc.constant('😀')), minLength: 250, maxLength: 600 }),
);
/** Names that are already safe: they must come back unchanged. */
const safeName = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('a', 'Z', '0', '-', '_', '.', ' ', '(', ')', 'é', 'ß', '字', '😀'),
      fc.constant('x'),
    ),
    minLength: 1,
    maxLength: 120,
  })
  .map((name) => name.trim())
  .filter((name) => name !== '' && name !== '.' && name !== '..');

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSAFE = /[/\\\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

describe('file names given by clients', () => {
  it('never keep a path separator, a control character, a lone surrogate or more than 255 characters', () => {
    fc.assert(
      fc.property(fc.option(anyName, { nil: undefined }), (raw) => {
        const name = safeFilename(raw);
        expect(name.length).toBeGreaterThan(0);
        expect(name.length).toBeLessThanOrEqual(255);
        expect(name).not.toMatch(UNSAFE);
        expect(name).not.toMatch(LONE_SURROGATE);
        expect(['.', '..']).not.toContain(name);
        expect(name).toBe(name.trim());
      }),
      runs,
    );
  });

  it('are names the data services store and a download header can carry', () => {
    fc.assert(
      fc.property(anyName, (raw) => {
        const name = safeFilename(raw);
        expect(blobFilename.Check(name)).toBe(true);
        expect(jobFilename.Check(name)).toBe(true);
        // Content-Disposition: filename*=UTF-8''<percent-encoded>; throws on a lone surrogate.
        expect(decodeURIComponent(encodeURIComponent(name))).toBe(name);
        expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name);
      }),
      runs,
    );
  });

  it('keep a safe name exactly, and the last segment of a path', () => {
    fc.assert(
      fc.property(
        safeName,
        fc.array(fc.oneof(safeName, fc.constantFrom('..', '.', '')), { maxLength: 4 }),
        fc.constantFrom('/', '\\'),
        (name, folders, separator) => {
          expect(safeFilename(name)).toBe(name);
          expect(safeFilename([...folders, name].join(separator))).toBe(name);
        },
      ),
      runs,
    );
  });

  it('change nothing when made safe twice', () => {
    fc.assert(
      fc.property(anyName, (raw) => {
        const once = safeFilename(raw);
        expect(safeFilename(once)).toBe(once);
      }),
      runs,
    );
  });

  it('give a document a title of 1 to 255 characters', () => {
    fc.assert(
      fc.property(anyName, (raw) => {
        const title = titleFromFilename(safeFilename(raw));
        expect(title.length).toBeGreaterThan(0);
        expect(title.length).toBeLessThanOrEqual(255);
        expect(title).not.toMatch(LONE_SURROGATE);
      }),
      runs,
    );
  });
});
