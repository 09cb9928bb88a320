import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
} from 'cockatiel';
import type { DomainError } from '../../errors/domain-error.js';
import { serviceClientErrors } from './client-errors.js';
import type { BreakerOptions, CircuitStateName } from './client-options.js';

/** Options of {@link createUpstreamBreaker}. */
export interface UpstreamBreakerOptions<T> extends BreakerOptions {
  upstream: string;
  /** True for thrown errors that count as failures (transport errors); others pass through uncounted. */
  isFailure: (error: unknown) => boolean;
  /** True for results that count as failures (5xx responses); other results count as successes. */
  isFailedResult: (result: T) => boolean;
  /** Called on every state change. */
  onStateChange?: (state: CircuitStateName) => void;
}

/**
 * A per-upstream circuit breaker (cockatiel's, with a consecutive-failure rule): after
 * `failureThreshold` failures in a row it opens and calls fail fast with `UPSTREAM.CIRCUIT_OPEN`;
 * after `halfOpenAfterMs` one probe call goes through, and its outcome closes or reopens the circuit.
 */
export interface UpstreamBreaker<T> {
  /** Runs `fn` through the breaker; throws `UPSTREAM.CIRCUIT_OPEN` without calling it while open. */
  execute(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** The current state. */
  state(): CircuitStateName;
}

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'open',
};

/** Creates the circuit breaker of one upstream. */
export function createUpstreamBreaker<T>(options: UpstreamBreakerOptions<T>): UpstreamBreaker<T> {
  const policy = handleWhen((error) => options.isFailure(error)).orWhenResult((result) =>
    options.isFailedResult(result as T),
  );
  const breaker = circuitBreaker(policy, {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.failureThreshold),
  });
  if (options.onStateChange) {
    const onStateChange = options.onStateChange;
    breaker.onStateChange((state) => onStateChange(STATE_NAMES[state]));
  }

  const circuitOpen = (cause: unknown): DomainError =>
    serviceClientErrors.CIRCUIT_OPEN({
      detail:
        `${options.upstream} failed ${options.failureThreshold} times in a row; ` +
        `calls to it are paused for up to ${options.halfOpenAfterMs} ms`,
      cause,
    });

  return {
    async execute(fn, signal) {
      try {
        return await breaker.execute(() => fn(), signal);
      } catch (error) {
        if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError)
          throw circuitOpen(error);
        throw error;
      }
    },
    state: () => STATE_NAMES[breaker.state],
  };
}
