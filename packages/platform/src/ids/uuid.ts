import { validate as isValidUuid, v7 } from 'uuid';

/** A new UUID v7: time-ordered, so ids sort by creation time and index well. */
export function newId(): string {
  return v7();
}

/** True when `value` is a UUID (any version) in canonical form. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && isValidUuid(value);
}
