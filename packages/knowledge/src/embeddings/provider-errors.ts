import { type DomainError, isDomainError } from '@flotilla/platform';
import { knowledgeErrors } from '../errors/knowledge.errors.js';

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = (error as { status?: unknown }).status;
  return typeof candidate === 'number' ? candidate : undefined;
}

/**
 * Maps a provider failure (after LangChain's own retries) to a knowledge error: a refused request
 * (4xx other than 429: bad key, unknown model) is `PROVIDER_REJECTED`, anything else (429, 5xx,
 * timeout, connection refused) `PROVIDER_UNAVAILABLE`. The detail names the status, never the key.
 */
export function toProviderError(error: unknown, operation: string): DomainError {
  if (isDomainError(error)) return error;
  const status = statusOf(error);
  const reason = status === undefined ? describe(error) : `HTTP ${status}`;
  if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 408) {
    return knowledgeErrors.PROVIDER_REJECTED({
      detail: `${operation} refused by the provider (${reason}).`,
      cause: error,
    });
  }
  return knowledgeErrors.PROVIDER_UNAVAILABLE({
    detail: `${operation} failed after retries (${reason}).`,
    cause: error,
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const cause = (error as { cause?: unknown }).cause;
  const code = cause && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
  const name = error.name === 'Error' ? '' : `${error.name}: `;
  return `${name}${typeof code === 'string' ? code : error.message}`.slice(0, 200);
}
