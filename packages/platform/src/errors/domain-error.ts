/**
 * The kinds of failure an edge (HTTP handler, bot, consumer) needs to tell apart.
 * Each edge maps a kind once: HTTP maps `not_found` to 404, a consumer maps `invalid` to dead-letter, etc.
 */
export type ErrorKind =
  | 'bad_request'
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'too_large'
  | 'unsupported'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** Declaration of one error: its stable code, kind and a human title. */
export interface ErrorDefinition {
  code: string;
  kind: ErrorKind;
  title: string;
}

/** Options when raising a {@link DomainError}. */
export interface DomainErrorOptions {
  /** Human explanation for this occurrence (safe to show a client: no secrets, no internals). */
  detail?: string;
  /** Structured extras safe to show a client (for example field errors). */
  data?: Record<string, unknown>;
  /** The underlying error, for logs only. */
  cause?: unknown;
}

/**
 * The `data` of an unavailable error raised after a whole timeout's wait: that wait, in whole seconds
 * (at least one), as `retry_after_seconds`, which the HTTP edge sends as `Retry-After`. Asking sooner
 * would only wait it again, and a service client whose backoff cap is shorter answers its own caller at
 * once instead of retrying.
 */
export function retryAfterWait(waitMs: number): Pick<DomainErrorOptions, 'data'> {
  return { data: { retry_after_seconds: Math.max(1, Math.ceil(waitMs / 1000)) } };
}

/**
 * A failure the application expects and names, with a stable code such as `MEDIA.TOO_LARGE`.
 * Domain errors know nothing of HTTP; edges translate `kind` to their own vocabulary.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: string;
  readonly kind: ErrorKind;
  readonly title: string;
  readonly detail: string | undefined;
  readonly data: Record<string, unknown> | undefined;

  constructor(definition: ErrorDefinition, options: DomainErrorOptions = {}) {
    super(
      options.detail ?? definition.title,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = definition.code;
    this.kind = definition.kind;
    this.title = definition.title;
    this.detail = options.detail;
    this.data = options.data;
  }
}

/**
 * Declares a catalogue of errors in one place (as Fastify declares its error codes) and returns
 * factories: `const errors = defineErrors({ TOO_LARGE: { code: 'MEDIA.TOO_LARGE', kind: 'too_large',
 * title: 'File too large' } }); throw errors.TOO_LARGE({ detail: '12 MB > 10 MB' });`
 */
export function defineErrors<const T extends Record<string, ErrorDefinition>>(
  definitions: T,
): { [K in keyof T]: ((options?: DomainErrorOptions) => DomainError) & { definition: T[K] } } {
  const factories = {} as Record<
    string,
    ((options?: DomainErrorOptions) => DomainError) & { definition: ErrorDefinition }
  >;
  for (const [name, definition] of Object.entries(definitions)) {
    factories[name] = Object.assign((options?: DomainErrorOptions) => new DomainError(definition, options), {
      definition,
    });
  }
  return factories as never;
}

/** True when `error` is a {@link DomainError}, optionally of the given code. */
export function isDomainError(error: unknown, code?: string): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
