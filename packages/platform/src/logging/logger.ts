import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { getContext } from '../context/request-context.js';
import { currentTraceFields } from '../tracing/trace-context.js';

export type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  service: string;
  version: string;
  level?: string;
  /** Human-friendly output for development; JSON lines otherwise. */
  pretty?: boolean;
  /** Where JSON lines go (tests pass a stream to inspect output). Defaults to stdout, written asynchronously. */
  destination?: DestinationStream;
  /** Trace fields (`trace_id`, `span_id`) provider; by default those of the active OpenTelemetry span. */
  traceFields?: () => Record<string, string> | undefined;
}

/** Paths whose values are replaced by `[redacted]` in every log line. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'newPassword',
  '*.newPassword',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'serviceToken',
  '*.serviceToken',
];

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]+)(@)/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;

/** Masks credentials inside free text: `postgres://u:secret@h` and `Bearer abc` lose their secrets. */
export function maskSecrets(text: string): string {
  // Most messages hold neither form: two substring checks are cheaper than two regular expressions.
  if (!text.includes('://') && !text.includes('Bearer')) return text;
  return text.replace(URL_CREDENTIALS, '$1****$3').replace(BEARER, '$1****');
}

let lastTimeMs = Number.NaN;
let lastTimeField = '';

/**
 * pino's `isoTime` (`,"time":"2026-12-05T02:30:00.000Z"`), formatted once per millisecond: a loaded
 * service writes many lines within one, and each `toISOString` costs about as much as the rest of
 * the line's fields.
 */
export function cachedIsoTime(): string {
  const now = Date.now();
  if (now !== lastTimeMs) {
    lastTimeMs = now;
    lastTimeField = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTimeField;
}

/**
 * Creates the service's pino logger: JSON lines carrying `service`, `version`, and from the current
 * request context `request_id` (plus `trace_id`/`span_id` when tracing provides them). Known secret
 * fields are redacted and credentials inside messages are masked.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service, version: options.version },
    timestamp: cachedIsoTime,
    messageKey: 'msg',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === 'string' ? maskSecrets(arg) : arg));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    mixin() {
      const context = getContext();
      const fields: Record<string, string> = {};
      if (context?.requestId) fields.request_id = context.requestId;
      if (context?.userId) fields.user_id = context.userId;
      if (context?.caller) fields.caller = context.caller;
      const trace = (options.traceFields ?? currentTraceFields)();
      if (trace) Object.assign(fields, trace);
      return fields;
    },
    serializers: {
      err: pino.stdSerializers.err,
      error: pino.stdSerializers.err,
    },
  };
  if (options.pretty) {
    return pino({
      ...pinoOptions,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  // stdout is written asynchronously: a line costs the request a copy into a buffer, not a write system
  // call, and lines written while one write is under way go out together with the next. pino writes
  // what is still buffered synchronously when the process exits (process.exit, a fatal error).
  return pino(pinoOptions, options.destination ?? pino.destination({ dest: 1, sync: false }));
}
