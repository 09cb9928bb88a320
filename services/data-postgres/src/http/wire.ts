import { ProblemSchema } from '@flotilla/contracts';
import { platformErrors } from '@flotilla/platform';
import { encodePosition, type Position } from '../db/keyset.js';

/** A timestamp on the wire: ISO-8601 UTC with milliseconds. */
export function iso(date: Date): string {
  return date.toISOString();
}

/** A nullable timestamp on the wire. */
export function isoOrNull(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** The `next_cursor` of a page. */
export function nextCursor(next: Position | null): string | null {
  return next ? encodePosition(next) : null;
}

/** Every data-postgres route requires the caller's service token. */
export const serviceTokenSecurity = [{ serviceToken: [] }];

/** Problem responses of a route for the OpenAPI document: always 401, 403 and 422, plus `statuses`. */
export function problemResponses(...statuses: number[]) {
  const responses: Record<number, typeof ProblemSchema> = {};
  for (const status of [401, 403, 422, ...statuses]) responses[status] = ProblemSchema;
  return responses;
}

/**
 * The expected version from `If-Match: "<n>"` or `expected_version` (either, or both when they agree);
 * `undefined` when the caller sent neither or `If-Match: *`.
 */
export function expectedVersion(
  ifMatch: string | undefined,
  fromBody: number | undefined,
): number | undefined {
  const header = ifMatch === undefined || ifMatch === '*' ? undefined : Number(ifMatch.slice(1, -1));
  if (header !== undefined && fromBody !== undefined && header !== fromBody) {
    throw platformErrors.VALIDATION({
      detail: 'If-Match and expected_version disagree',
      data: { errors: [{ field: '/body/expected_version', message: 'disagrees with If-Match' }] },
    });
  }
  return header ?? fromBody;
}
