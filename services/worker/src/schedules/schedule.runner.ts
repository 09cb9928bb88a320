import type { Locks, Logger } from '@flotilla/platform';
import { Counter, Histogram, type Registry } from 'prom-client';

/** One periodic task. `run` returns how many items it handled. */
export interface ScheduleSpec {
  /** Lower-case name, e.g. `expired-leases`: the lock resource and the metric label. */
  name: string;
  intervalMs: number;
  run(): Promise<number>;
}

/** A started schedule. */
export interface ScheduleHandle {
  name: string;
  /** Runs once now (when the lock is free); resolves with the items handled, or `undefined` when skipped. */
  runOnce(): Promise<number | undefined>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Metrics shared by every schedule of the process. */
export function createScheduleMetrics(registry: Registry) {
  return {
    runs: new Counter({
      name: 'worker_schedule_runs_total',
      help: 'Schedule ticks, by schedule and outcome (ran, skipped: another replica holds the lock, error).',
      labelNames: ['schedule', 'outcome'],
      registers: [registry],
    }),
    items: new Counter({
      name: 'worker_schedule_items_total',
      help: 'Items (jobs) a schedule acted on.',
      labelNames: ['schedule'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'worker_schedule_errors_total',
      help: 'Schedule runs that failed.',
      labelNames: ['schedule'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'worker_schedule_duration_seconds',
      help: 'Duration of a schedule run.',
      labelNames: ['schedule'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    }),
  };
}

/** The metrics of {@link createScheduleMetrics}. */
export type ScheduleMetrics = ReturnType<typeof createScheduleMetrics>;

/**
 * Runs `spec.run` every `intervalMs` under the Redis lock `lock:schedule:<namespace>:<name>`, taken for
 * one interval and left to expire: across replicas sharing Redis, the task runs about once per
 * interval, by whichever replica takes the lock first. A run that outlives its interval may overlap
 * another replica's next one, so the tasks are idempotent.
 */
export function startSchedule(
  spec: ScheduleSpec,
  deps: { locks: Locks; namespace: string; logger: Logger; metrics: ScheduleMetrics },
): ScheduleHandle {
  const { metrics, logger } = deps;
  const labels = { schedule: spec.name };
  const resource = `schedule:${deps.namespace}:${spec.name}`;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number | undefined> | undefined;
  let stopped = false;

  async function tick(): Promise<number | undefined> {
    let lease: Awaited<ReturnType<Locks['acquire']>>;
    try {
      lease = await deps.locks.acquire(resource, spec.intervalMs);
    } catch (error) {
      metrics.runs.inc({ ...labels, outcome: 'error' });
      metrics.errors.inc(labels);
      logger.warn({ err: error, schedule: spec.name }, 'schedule lock unavailable');
      return undefined;
    }
    if (!lease) {
      metrics.runs.inc({ ...labels, outcome: 'skipped' });
      return undefined;
    }
    const stopTimer = metrics.duration.startTimer(labels);
    try {
      const items = await spec.run();
      metrics.runs.inc({ ...labels, outcome: 'ran' });
      metrics.items.inc(labels, items);
      if (items > 0) logger.info({ schedule: spec.name, items }, 'schedule ran');
      return items;
    } catch (error) {
      metrics.runs.inc({ ...labels, outcome: 'error' });
      metrics.errors.inc(labels);
      logger.warn({ err: error, schedule: spec.name }, 'schedule run failed');
      return undefined;
    } finally {
      stopTimer();
    }
  }

  function runOnce(): Promise<number | undefined> {
    if (running) return running;
    running = tick().finally(() => {
      running = undefined;
    });
    return running;
  }

  function next(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().finally(next);
    }, spec.intervalMs);
    timer.unref();
  }
  next();

  return {
    name: spec.name,
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
