import type { AnalyticsEvent, AnalyticsIngestResult } from '@flotilla/contracts';
import { isInfrastructureFailure, isUpstreamHttpError } from '@flotilla/platform';

/** Writes analytics events, idempotently by `event_id` (data-mongo's ingest satisfies it). */
export interface AnalyticsSink {
  ingest(events: readonly AnalyticsEvent[]): Promise<AnalyticsIngestResult>;
}

/** Dependencies of {@link createRecordEvent}. */
export interface RecordEventDeps {
  sink: AnalyticsSink;
  /** Events written in one call at most. */
  batchSize: number;
  /** Longest wait for a batch to fill. */
  maxWaitMs: number;
  /** Called after every write, with the batch size and the data-mongo counts. */
  onBatch?: (size: number, result: AnalyticsIngestResult | undefined, error?: unknown) => void;
}

/**
 * What became of one event: written (or known already), worth another try, waiting for data-mongo
 * (unavailable: no attempt used), or refused for good.
 */
export type RecordEventResult =
  | { status: 'recorded' }
  | { status: 'retry'; reason: string }
  | { status: 'deferred'; reason: string }
  | { status: 'rejected'; reason: string };

interface Pending {
  event: AnalyticsEvent;
  resolve: (result: RecordEventResult) => void;
}

const isRefusal = (error: unknown) =>
  isUpstreamHttpError(error) &&
  error.status >= 400 &&
  error.status < 500 &&
  error.status !== 408 &&
  error.status !== 429;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A failed write's outcome: refused for good (4xx), waiting for data-mongo, or worth another try. */
function outcomeOf(error: unknown): RecordEventResult {
  if (isRefusal(error)) return { status: 'rejected', reason: describe(error) };
  if (isInfrastructureFailure(error)) return { status: 'deferred', reason: describe(error) };
  return { status: 'retry', reason: describe(error) };
}

/**
 * Records domain events in analytics, in batches: events are collected until `batchSize` are waiting
 * or `maxWaitMs` has passed, then written in one ingest call; each caller's promise settles only
 * after that write, so a message is acknowledged only once its event is stored. A batch refused as
 * invalid is written again one event at a time, so one bad event does not hold back the others.
 */
export function createRecordEvent(deps: RecordEventDeps) {
  let pending: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  const writes = new Set<Promise<void>>();

  async function writeOne(item: Pending): Promise<void> {
    try {
      await deps.sink.ingest([item.event]);
      item.resolve({ status: 'recorded' });
    } catch (error) {
      item.resolve(outcomeOf(error));
    }
  }

  async function write(batch: Pending[]): Promise<void> {
    try {
      const result = await deps.sink.ingest(batch.map((item) => item.event));
      deps.onBatch?.(batch.length, result);
      for (const item of batch) item.resolve({ status: 'recorded' });
    } catch (error) {
      deps.onBatch?.(batch.length, undefined, error);
      if (isRefusal(error) && batch.length > 1) {
        await Promise.all(batch.map(writeOne));
        return;
      }
      const result = outcomeOf(error);
      for (const item of batch) item.resolve(result);
    }
  }

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const done = write(batch);
    writes.add(done);
    void done.finally(() => writes.delete(done));
  }

  return {
    /** Queues one event for the next batch; resolves once the batch holding it was written (or not). */
    record(event: AnalyticsEvent): Promise<RecordEventResult> {
      return new Promise((resolve) => {
        pending.push({ event, resolve });
        if (pending.length >= deps.batchSize) flush();
        else timer ??= setTimeout(flush, deps.maxWaitMs);
      });
    },
    /** Writes what is waiting now and resolves when every write in progress has finished. */
    async flush(): Promise<void> {
      flush();
      await Promise.all([...writes]);
    },
  };
}

/** The batching recorder built by {@link createRecordEvent}. */
export type RecordEvent = ReturnType<typeof createRecordEvent>;
