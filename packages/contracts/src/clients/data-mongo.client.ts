import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import {
  type CircuitStateName,
  createServiceClient,
  type QueryValue,
  type ServiceClientOptions,
} from '@flotilla/platform';
import {
  ANALYTICS_BATCH_MAX_EVENTS,
  ANALYTICS_V1_PATHS,
  type AnalyticsActivity,
  type AnalyticsEvent,
  type AnalyticsEventPage,
  type AnalyticsEventQuery,
  type AnalyticsIngestResult,
  type AnalyticsProcessingTimes,
  type AnalyticsRangeQuery,
  type AnalyticsSavings,
} from '../http/data-mongo/analytics.v1.js';
import {
  BLOBS_V1_PATHS,
  type BlobListQuery,
  type BlobMetadata,
  type BlobPage,
  type BlobUploadQuery,
} from '../http/data-mongo/blobs.v1.js';

/** Options of {@link createDataMongoClient}: the service client's, with `name` defaulting to `data-mongo`. */
export interface DataMongoClientOptions extends Omit<ServiceClientOptions, 'name'> {
  name?: string;
  /**
   * Default deadline of an upload, in ms. The whole body is sent before data-mongo answers, so it must
   * cover the transfer of the largest file. Default 300 000.
   */
  uploadTimeoutMs?: number;
  /**
   * How long data-mongo may take to answer an upload once the whole file is sent: it stores the last
   * chunks and the file document first, which a loaded store can make slow. Giving up earlier would
   * leave a stored file the caller never learns of. Default 60 000 (bounded by the upload's deadline).
   */
  uploadAnswerTimeoutMs?: number;
}

/** A time range, narrowed to one user when `user_id` is set (system-wide otherwise). */
export type AnalyticsStatsFilter = AnalyticsRangeQuery & { user_id?: string };

/** What an upload stores besides the bytes. `content_type` defaults to `application/octet-stream`. */
export type BlobUploadMeta = BlobUploadQuery & { content_type?: string };

/** Per-call options of the streaming blob calls. */
export interface BlobCallOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Deadline until data-mongo's answer (the response headers). */
  timeoutMs?: number;
}

/** Options of {@link DataMongoClient.blobs}`.upload`. */
export interface BlobUploadOptions extends BlobCallOptions {
  /** Size of the body when known: sent as `Content-Length`, so an oversized file is refused at once. */
  contentLength?: number;
}

/** A byte range of a download: `start` to `end` inclusive (to the end when omitted), or the last `suffix` bytes. */
export type BlobByteRange = { start: number; end?: number } | { suffix: number };

/** A download: the body stream (consume it fully or destroy it) and the headers describing it. */
export interface BlobDownload {
  /** 200 for the whole file, 206 for a range. */
  status: number;
  body: Readable;
  contentType: string;
  /** Bytes in `body`. */
  contentLength: number;
  /** SHA-256 of the whole file (lower-case hex), from the ETag. */
  sha256: string;
  /** `bytes start-end/size` for a 206. */
  contentRange: string | undefined;
  headers: IncomingHttpHeaders;
}

/** The typed client of data-mongo. Create with {@link createDataMongoClient}. */
export interface DataMongoClient {
  analytics: {
    /**
     * Records events, idempotently by `event_id` (safe to retry; a repeat counts as a duplicate). Batches
     * larger than {@link ANALYTICS_BATCH_MAX_EVENTS} are sent in several calls and their counts added.
     */
    ingest(events: readonly AnalyticsEvent[]): Promise<AnalyticsIngestResult>;
    /** Recorded events, newest first, filtered by user, time range and types; follow `next_cursor`. */
    query(query?: AnalyticsEventQuery): Promise<AnalyticsEventPage>;
    /** One user's activity by type and by day. */
    userActivity(userId: string, range?: AnalyticsRangeQuery): Promise<AnalyticsActivity>;
    /** System-wide activity by type and by day, with the number of active users. */
    systemActivity(range?: AnalyticsRangeQuery): Promise<AnalyticsActivity>;
    /** Processing-time percentiles per media kind, for one user or system-wide. */
    processingTimes(filter?: AnalyticsStatsFilter): Promise<AnalyticsProcessingTimes>;
    /** Bytes saved by compression, for one user or system-wide. */
    savings(filter?: AnalyticsStatsFilter): Promise<AnalyticsSavings>;
  };
  blobs: {
    /** Streams `body` into GridFS (never retried: a stream cannot be replayed). Too large: `BLOB.TOO_LARGE` (413). */
    upload(body: Readable, meta: BlobUploadMeta, options?: BlobUploadOptions): Promise<BlobMetadata>;
    /** A blob's metadata, or `undefined` when there is no such blob. */
    get(id: string): Promise<BlobMetadata | undefined>;
    /** Files created before `created_before`, the oldest first; follow `next_cursor`. */
    list(query: BlobListQuery): Promise<BlobPage>;
    /**
     * Streams a blob, whole or one byte range. No such blob throws an `UpstreamHttpError` with status 404,
     * an unsatisfiable range one with status 416.
     */
    download(id: string, range?: BlobByteRange, options?: BlobCallOptions): Promise<BlobDownload>;
    /** Deletes a blob and its chunks; `false` when there was no such blob (so a retried delete is harmless). */
    delete(id: string): Promise<boolean>;
  };
  /** Current circuit state of the connection to data-mongo. */
  circuitState(): CircuitStateName;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

function rangeHeader(range: BlobByteRange): string {
  if ('suffix' in range) return `bytes=-${range.suffix}`;
  return `bytes=${range.start}-${range.end ?? ''}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function statsPath(filter: AnalyticsStatsFilter, systemPath: string, userPath: string) {
  const { user_id: userId, ...range } = filter;
  return userId === undefined
    ? { path: systemPath, options: { query: range } }
    : { path: userPath, options: { params: { user_id: userId }, query: range } };
}

/** Creates the typed client of data-mongo over the platform's service client (pooled, retries, breaker). */
export function createDataMongoClient(options: DataMongoClientOptions): DataMongoClient {
  const { uploadTimeoutMs = 300_000, uploadAnswerTimeoutMs = 60_000, ...rest } = options;
  const http = createServiceClient({ ...rest, name: options.name ?? 'data-mongo' });

  const analytics: DataMongoClient['analytics'] = {
    async ingest(events) {
      const total: AnalyticsIngestResult = { received: 0, inserted: 0, duplicates: 0 };
      for (let offset = 0; offset < events.length; offset += ANALYTICS_BATCH_MAX_EVENTS) {
        const batch = events.slice(offset, offset + ANALYTICS_BATCH_MAX_EVENTS);
        const result = await http.json<AnalyticsIngestResult>('POST', ANALYTICS_V1_PATHS.events, {
          body: batch,
          idempotent: true,
        });
        total.received += result.received;
        total.inserted += result.inserted;
        total.duplicates += result.duplicates;
      }
      return total;
    },
    query(query = {}) {
      return http.json<AnalyticsEventPage>('GET', ANALYTICS_V1_PATHS.events, {
        query: query as Record<string, QueryValue>,
      });
    },
    userActivity(userId, range = {}) {
      return http.json<AnalyticsActivity>('GET', ANALYTICS_V1_PATHS.userActivity, {
        params: { user_id: userId },
        query: range,
      });
    },
    systemActivity(range = {}) {
      return http.json<AnalyticsActivity>('GET', ANALYTICS_V1_PATHS.activity, { query: range });
    },
    processingTimes(filter = {}) {
      const call = statsPath(
        filter,
        ANALYTICS_V1_PATHS.processingTimes,
        ANALYTICS_V1_PATHS.userProcessingTimes,
      );
      return http.json<AnalyticsProcessingTimes>('GET', call.path, call.options);
    },
    savings(filter = {}) {
      const call = statsPath(filter, ANALYTICS_V1_PATHS.savings, ANALYTICS_V1_PATHS.userSavings);
      return http.json<AnalyticsSavings>('GET', call.path, call.options);
    },
  };

  const blobs: DataMongoClient['blobs'] = {
    async upload(body, meta, callOptions = {}) {
      const headers: Record<string, string> = {
        'content-type': meta.content_type ?? 'application/octet-stream',
      };
      if (callOptions.contentLength !== undefined)
        headers['content-length'] = String(callOptions.contentLength);
      const response = await http.request<BlobMetadata>({
        method: 'POST',
        path: BLOBS_V1_PATHS.blobs,
        query: { filename: meta.filename, owner_id: meta.owner_id },
        headers,
        body,
        expect: [201],
        timeoutMs: callOptions.timeoutMs ?? uploadTimeoutMs,
        headersTimeoutMs: uploadAnswerTimeoutMs,
        ...(callOptions.signal ? { signal: callOptions.signal } : {}),
      });
      return response.body;
    },
    async get(id) {
      const response = await http.request<BlobMetadata>({
        method: 'GET',
        path: BLOBS_V1_PATHS.blob,
        params: { id },
        expect: [200, 404],
      });
      return response.status === 404 ? undefined : response.body;
    },
    list(query) {
      return http.json<BlobPage>('GET', BLOBS_V1_PATHS.blobs, {
        query: query as Record<string, QueryValue>,
      });
    },
    async download(id, range, callOptions = {}) {
      const response = await http.stream({
        method: 'GET',
        path: BLOBS_V1_PATHS.content,
        params: { id },
        expect: [200, 206],
        ...(range ? { headers: { range: rangeHeader(range) } } : {}),
        ...(callOptions.timeoutMs !== undefined ? { timeoutMs: callOptions.timeoutMs } : {}),
        ...(callOptions.signal ? { signal: callOptions.signal } : {}),
      });
      const { headers } = response;
      return {
        status: response.status,
        body: response.body,
        contentType: header(headers, 'content-type') ?? 'application/octet-stream',
        contentLength: Number(header(headers, 'content-length') ?? 0),
        sha256: (header(headers, 'etag') ?? '').replaceAll('"', ''),
        contentRange: header(headers, 'content-range'),
        headers,
      };
    },
    async delete(id) {
      const response = await http.request({
        method: 'DELETE',
        path: BLOBS_V1_PATHS.blob,
        params: { id },
        expect: [204, 404],
      });
      return response.status === 204;
    },
  };

  return { analytics, blobs, circuitState: () => http.circuitState(), close: () => http.close() };
}
