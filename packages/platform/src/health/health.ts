/** Result of one readiness check. */
export interface CheckResult {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

/** A dependency check: resolves when the dependency is usable, rejects (or times out) otherwise. */
export type HealthCheck = () => Promise<void>;

/** Readiness report, as served by `/health/ready`. */
export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'shutting_down';
  checks: Record<string, CheckResult>;
}

/** Registry of readiness checks with the shutdown flag that flips readiness off. */
export interface Health {
  /** Adds a named dependency check (for example `postgres`, `redis`). */
  addCheck(name: string, check: HealthCheck): void;
  /** Marks the service as shutting down: readiness answers 503 from now on. */
  markShuttingDown(): void;
  /** True once shutdown has started. */
  isShuttingDown(): boolean;
  /** Runs every check in parallel, each bounded by the timeout. */
  readiness(): Promise<ReadinessReport>;
}

/** Creates the readiness registry. Checks run in parallel, each bounded by `checkTimeoutMs`. */
export function createHealth(options: { checkTimeoutMs?: number } = {}): Health {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  const checks = new Map<string, HealthCheck>();
  let shuttingDown = false;

  async function run(check: HealthCheck): Promise<CheckResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { status: 'up', latency_ms: Math.round(performance.now() - started) };
    } catch (error) {
      return {
        status: 'down',
        latency_ms: Math.round(performance.now() - started),
        error: error instanceof Error ? error.message : String(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    addCheck(name, check) {
      if (checks.has(name)) throw new Error(`health check "${name}" is already registered`);
      checks.set(name, check);
    },
    markShuttingDown() {
      shuttingDown = true;
    },
    isShuttingDown: () => shuttingDown,
    async readiness() {
      const entries = await Promise.all(
        [...checks.entries()].map(async ([name, check]) => [name, await run(check)] as const),
      );
      const results = Object.fromEntries(entries);
      if (shuttingDown) return { status: 'shutting_down', checks: results };
      const allUp = entries.every(([, result]) => result.status === 'up');
      return { status: allUp ? 'ready' : 'not_ready', checks: results };
    },
  };
}
