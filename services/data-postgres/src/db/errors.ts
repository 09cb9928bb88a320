import { type DomainError, defineErrors, type FieldError, retryAfterWait } from '@flotilla/platform';
import { documentErrors } from '../modules/documents/documents.errors.js';
import { mediaJobErrors } from '../modules/media-jobs/media-jobs.errors.js';
import { refreshTokenErrors } from '../modules/refresh-tokens/refresh-tokens.errors.js';
import { userErrors } from '../modules/users/users.errors.js';

/** Database failures that are not about one entity. */
export const databaseErrors = defineErrors({
  UNAVAILABLE: { code: 'DB.UNAVAILABLE', kind: 'unavailable', title: 'The database is unavailable' },
  TIMEOUT: { code: 'DB.TIMEOUT', kind: 'unavailable', title: 'The database did not answer in time' },
  CONTENTION: {
    code: 'DB.CONTENTION',
    kind: 'unavailable',
    title: 'The operation collided with a concurrent one; retry it',
  },
  CONFLICT: { code: 'DB.CONFLICT', kind: 'conflict', title: 'The change conflicts with stored data' },
  INVALID: { code: 'DB.INVALID', kind: 'invalid', title: 'The database refused a value' },
});

/**
 * The one mapping from constraint names (see migrations/) to domain errors. A unique or foreign key
 * violation of a constraint not listed here still becomes a 409/422, never a 500.
 */
const CONSTRAINT_ERRORS: Record<string, () => DomainError> = {
  users_pkey: () => userErrors.ALREADY_EXISTS(),
  users_email_key: () => userErrors.EMAIL_TAKEN(),
  users_username_key: () => userErrors.USERNAME_TAKEN(),
  users_telegram_id_key: () => userErrors.TELEGRAM_ID_TAKEN(),
  refresh_tokens_pkey: () => refreshTokenErrors.ALREADY_EXISTS(),
  refresh_tokens_token_hash_key: () => refreshTokenErrors.HASH_TAKEN(),
  refresh_tokens_user_id_fkey: () =>
    refreshTokenErrors.USER_NOT_FOUND({ data: { errors: [field('/body/user_id', 'names no user')] } }),
  media_jobs_pkey: () => mediaJobErrors.ALREADY_EXISTS(),
  media_jobs_owner_id_fkey: () =>
    mediaJobErrors.OWNER_NOT_FOUND({ data: { errors: [field('/body/owner_id', 'names no user')] } }),
  documents_pkey: () => documentErrors.ALREADY_EXISTS(),
  documents_owner_id_fkey: () =>
    documentErrors.OWNER_NOT_FOUND({ data: { errors: [field('/body/owner_id', 'names no user')] } }),
  documents_source_job_id_fkey: () =>
    documentErrors.SOURCE_JOB_NOT_FOUND({
      data: { errors: [field('/body/source_job_id', 'names no media job')] },
    }),
};

function field(path: string, message: string): FieldError {
  return { field: path, message };
}

interface PgErrorLike {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

/** Network-level failures of the driver (no SQLSTATE): the database cannot be reached. */
const CONNECTION_FAILURE =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|EAI_AGAIN)$|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/;

/** A pooled connection not had within POSTGRES_CONNECT_TIMEOUT_MS (pg-pool's message). */
const CONNECT_TIMEOUT = /timeout exceeded when trying to connect/;

/** How long a request that failed on one of data-postgres's timeouts has waited. */
export interface DatabaseWaits {
  /** POSTGRES_STATEMENT_TIMEOUT_MS. */
  statementTimeoutMs: number;
  /** POSTGRES_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs: number;
}

/** The answer's `Retry-After` after a whole timeout's wait, when the wait is known. */
function waited(ms: number | undefined) {
  return ms === undefined ? {} : retryAfterWait(ms);
}

/**
 * Translates a PostgreSQL or driver error into a domain error, or returns `undefined` for an error
 * that is a bug (it then surfaces as a 500 and is logged with its stack). With `waits`, a statement
 * timeout and a connection not had in time name the wait as their `Retry-After`.
 */
export function translateDatabaseError(error: unknown, waits?: DatabaseWaits): DomainError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, constraint, message } = error as PgErrorLike;
  const sqlState = typeof code === 'string' ? code : '';
  const text = typeof message === 'string' ? message : '';
  const known = typeof constraint === 'string' ? CONSTRAINT_ERRORS[constraint] : undefined;
  if (known && (sqlState === '23505' || sqlState === '23503')) return known();
  switch (sqlState) {
    case '23505':
      return databaseErrors.CONFLICT({ cause: error });
    case '23503':
    case '23502':
    case '23514':
    case '22001':
    case '22003':
    case '22007':
    case '22008':
    case '22P02':
      return databaseErrors.INVALID({ cause: error });
    case '57014':
      return databaseErrors.TIMEOUT({ cause: error, ...waited(waits?.statementTimeoutMs) });
    case '40001':
    case '40P01':
    case '55P03':
      return databaseErrors.CONTENTION({ cause: error });
    case '53300':
    case '57P01':
    case '57P02':
    case '57P03':
      return databaseErrors.UNAVAILABLE({ cause: error });
  }
  // Any other data exception (class 22: a NUL or invalid byte in a text, a value out of range...) is
  // input the database cannot store: the caller's to fix, never a 500.
  if (sqlState.startsWith('22')) return databaseErrors.INVALID({ cause: error });
  if (CONNECT_TIMEOUT.test(text)) {
    return databaseErrors.UNAVAILABLE({ cause: error, ...waited(waits?.connectTimeoutMs) });
  }
  if (sqlState.startsWith('08') || CONNECTION_FAILURE.test(sqlState) || CONNECTION_FAILURE.test(text)) {
    return databaseErrors.UNAVAILABLE({ cause: error });
  }
  return undefined;
}
