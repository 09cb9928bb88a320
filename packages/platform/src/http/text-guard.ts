import type { FastifyInstance } from 'fastify';
import { platformErrors } from '../errors/platform-errors.js';
import type { FieldError } from '../errors/problem.js';

/** Where a request's values come from, and the prefix of their field paths (as in validation errors). */
const SOURCES = [
  ['body', '/body'],
  ['query', '/query'],
  ['params', '/params'],
] as const;

/** Field errors stop being collected past this many (a body full of them needs no longer answer). */
const MAX_ERRORS = 20;

function collectNul(value: unknown, path: string, errors: FieldError[], depth: number): void {
  if (errors.length >= MAX_ERRORS || depth > 64) return;
  if (typeof value === 'string') {
    if (value.includes('\u0000'))
      errors.push({ field: path, message: 'must not contain the NUL character (U+0000)' });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      collectNul(item, `${path}/${index}`, errors, depth + 1);
    });
    return;
  }
  if (typeof value === 'object' && value !== null && !isStream(value)) {
    for (const [key, item] of Object.entries(value)) {
      const escaped = key.replaceAll('~', '~0').replaceAll('/', '~1');
      if (key.includes('\u0000'))
        errors.push({ field: `${path}/${escaped}`, message: 'the name must not contain NUL' });
      collectNul(item, `${path}/${escaped}`, errors, depth + 1);
    }
  }
}

function isStream(value: object): boolean {
  return typeof (value as { pipe?: unknown }).pipe === 'function';
}

/**
 * Refuses any request whose body, query or path parameters carry the NUL character (U+0000) in a text,
 * with 422 `REQUEST.VALIDATION` and the field paths: no database stores it in a text (PostgreSQL refuses
 * it), so it is bad input, answered as such before any route runs, for every text field of every route.
 * Raw bodies passed as streams (uploads) are not read here.
 */
export function rejectUnstorableText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const errors: FieldError[] = [];
    for (const [source, prefix] of SOURCES) collectNul(request[source], prefix, errors, 0);
    if (errors.length === 0) return;
    throw platformErrors.VALIDATION({
      detail: errors.map((error) => `${error.field} ${error.message}`).join('; '),
      data: { errors },
    });
  });
}
