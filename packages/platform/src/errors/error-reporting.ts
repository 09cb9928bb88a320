/** What is known about an unexpected error when it is reported (ids only: no bodies, no personal data). */
export interface ErrorReport {
  requestId?: string;
  method?: string;
  /** Route template, e.g. `/api/v1/media/:id`. */
  route?: string;
  userId?: string;
}

/** Receives unexpected errors (the Sentry integration installs one when `SENTRY_DSN` is set). */
export type ErrorReporter = (error: unknown, report: ErrorReport) => void;

// On globalThis, so the telemetry bootstrap (loaded before the service) and the service share it.
const REPORTER = Symbol.for('flotilla.error-reporter');
type Holder = { [REPORTER]?: ErrorReporter };

/** Installs the process-wide error reporter. */
export function setErrorReporter(reporter: ErrorReporter | undefined): void {
  (globalThis as Holder)[REPORTER] = reporter;
}

/**
 * Reports an unexpected error (a 500, a crashed handler) to the installed reporter, if any. Never
 * throws: reporting must not turn one failure into two.
 */
export function reportError(error: unknown, report: ErrorReport = {}): void {
  try {
    (globalThis as Holder)[REPORTER]?.(error, report);
  } catch {
    // The reporter failed: the error is logged by the caller anyway.
  }
}
