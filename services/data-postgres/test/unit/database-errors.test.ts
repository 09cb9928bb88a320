import { describe, expect, it } from 'vitest';
import { translateDatabaseError } from '../../src/db/errors.js';

const pgError = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`pg ${code}`), { code, ...extra });

describe('translating database errors', () => {
  it.each([
    ['users_email_key', '23505', 'USER.EMAIL_TAKEN', 'conflict'],
    ['users_username_key', '23505', 'USER.USERNAME_TAKEN', 'conflict'],
    ['users_telegram_id_key', '23505', 'USER.TELEGRAM_ID_TAKEN', 'conflict'],
    ['refresh_tokens_token_hash_key', '23505', 'REFRESH_TOKEN.HASH_TAKEN', 'conflict'],
    ['media_jobs_owner_id_fkey', '23503', 'JOB.OWNER_NOT_FOUND', 'invalid'],
    ['documents_source_job_id_fkey', '23503', 'DOCUMENT.SOURCE_JOB_NOT_FOUND', 'invalid'],
  ])('maps a violation of %s to its entity error', (constraint, code, expected, kind) => {
    const error = translateDatabaseError(pgError(code, { constraint }));
    expect(error).toMatchObject({ code: expected, kind });
  });

  it.each([
    ['an unknown unique violation', pgError('23505', { constraint: 'other_key' }), 'DB.CONFLICT'],
    ['a check violation', pgError('23514'), 'DB.INVALID'],
    ['a value too long', pgError('22001'), 'DB.INVALID'],
    ['a NUL character in a text (invalid byte sequence)', pgError('22021'), 'DB.INVALID'],
    ['a NUL escape in JSON (untranslatable character)', pgError('22P05'), 'DB.INVALID'],
    ['any other data exception', pgError('22012'), 'DB.INVALID'],
    ['a statement timeout', pgError('57014'), 'DB.TIMEOUT'],
    ['a deadlock', pgError('40P01'), 'DB.CONTENTION'],
    ['too many connections', pgError('53300'), 'DB.UNAVAILABLE'],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'DB.UNAVAILABLE',
    ],
    ['a pool timeout', new Error('timeout exceeded when trying to connect'), 'DB.UNAVAILABLE'],
  ])('maps %s', (_name, error, expected) => {
    expect(translateDatabaseError(error)?.code).toBe(expected);
  });

  it('names a whole timeout as the Retry-After of its 503, and only a whole timeout', () => {
    const waits = { statementTimeoutMs: 5000, connectTimeoutMs: 2500 };
    const retryAfter = (error: unknown) => translateDatabaseError(error, waits)?.data?.retry_after_seconds;
    expect(retryAfter(pgError('57014'))).toBe(5);
    expect(retryAfter(new Error('timeout exceeded when trying to connect'))).toBe(3);
    // A refused connection or a server going away is known at once: the default short Retry-After.
    expect(
      retryAfter(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
    expect(retryAfter(pgError('57P01'))).toBeUndefined();
    // Without the waits (a caller that does not know them), no Retry-After is named.
    expect(translateDatabaseError(pgError('57014'))?.data).toBeUndefined();
  });

  it('leaves bugs alone (they become a logged 500)', () => {
    expect(translateDatabaseError(pgError('42703'))).toBeUndefined();
    expect(translateDatabaseError(new TypeError('x is undefined'))).toBeUndefined();
    expect(translateDatabaseError('text')).toBeUndefined();
  });
});
