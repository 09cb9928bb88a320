/** Abort reason used when a call's overall deadline passes. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';

  constructor(readonly timeoutMs: number) {
    super(`Deadline of ${timeoutMs} ms exceeded`);
  }
}

/**
 * The signal of one call: aborted by the caller's own signal or by the call's deadline, whichever
 * comes first. Keeps both causes apart so a deadline becomes a timeout error while a cancellation by
 * the caller is passed through untouched.
 */
export interface CallSignal {
  readonly signal: AbortSignal;
  /** True when the deadline aborted the call. */
  timedOut(): boolean;
  /** True when the caller's signal aborted the call. */
  cancelled(): boolean;
  /** Stops the deadline (a streamed body is then bounded by the body timeout only). */
  clearDeadline(): void;
  /** Releases the timer and the listener on the caller's signal. Call once the call is over. */
  dispose(): void;
}

/** Creates the signal of one call with a deadline of `timeoutMs`, linked to the caller's `signal`. */
export function createCallSignal(timeoutMs: number, callerSignal?: AbortSignal): CallSignal {
  const controller = new AbortController();
  const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) {
    onCallerAbort();
  } else {
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  }
  let timer: NodeJS.Timeout | undefined = setTimeout(
    () => controller.abort(new DeadlineExceededError(timeoutMs)),
    timeoutMs,
  );
  const clearDeadline = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    timedOut: () => controller.signal.reason instanceof DeadlineExceededError,
    cancelled: () =>
      controller.signal.aborted && !(controller.signal.reason instanceof DeadlineExceededError),
    clearDeadline,
    dispose() {
      clearDeadline();
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}
