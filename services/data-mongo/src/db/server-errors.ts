import { MongoServerError } from 'mongodb';

/** Server error codes data-mongo reacts to (the same on MongoDB and FerretDB). */
export const SERVER_ERROR = {
  BAD_VALUE: 2,
  NAMESPACE_NOT_FOUND: 26,
  COMMAND_NOT_FOUND: 59,
  INDEX_OPTIONS_CONFLICT: 85,
  INDEX_KEY_SPECS_CONFLICT: 86,
  NOT_IMPLEMENTED: 238,
  DUPLICATE_KEY: 11000,
} as const;

/** True when `error` is a server error with one of `codes`. */
export function hasServerCode(error: unknown, ...codes: number[]): boolean {
  return error instanceof MongoServerError && typeof error.code === 'number' && codes.includes(error.code);
}

/**
 * True when the server refused a feature it does not have: FerretDB v1 answers `NotImplemented` (238) for
 * TTL indexes, `collMod` and many aggregation operators; an old MongoDB answers `CommandNotFound`.
 */
export function isUnsupportedFeature(error: unknown): boolean {
  return hasServerCode(error, SERVER_ERROR.NOT_IMPLEMENTED, SERVER_ERROR.COMMAND_NOT_FOUND);
}
