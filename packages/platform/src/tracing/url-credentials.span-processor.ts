import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * A bot token in a URL path: the Telegram Bot API puts the token there (`/bot<id>:<secret>/sendMessage`,
 * `/file/bot<id>:<secret>/<path>`), so every HTTP client span of the bot would carry it.
 */
const BOT_TOKEN_IN_PATH = /\/bot\d+:[A-Za-z0-9_-]+/g;

/** The URL attributes of HTTP spans, in the old and the stable semantic conventions. */
const URL_ATTRIBUTES = ['url.full', 'url.path', 'http.url', 'http.target'] as const;

/** `value` with every bot token in its path replaced by `<redacted>`. */
export function redactUrlCredentials(value: string): string {
  return value.replace(BOT_TOKEN_IN_PATH, '/bot<redacted>');
}

/**
 * Rewrites the URL attributes of each span as it starts, so no secret carried in a URL path reaches
 * an exporter (Jaeger, Sentry). It must come before the exporting processors; the HTTP
 * instrumentations set those attributes when they start the span.
 */
export function createUrlCredentialsRedactor(): SpanProcessor {
  return {
    onStart(span: Span, _parentContext: Context): void {
      const { attributes } = span as unknown as ReadableSpan;
      for (const key of URL_ATTRIBUTES) {
        const value = attributes[key];
        if (typeof value !== 'string') continue;
        const redacted = redactUrlCredentials(value);
        if (redacted !== value) span.setAttribute(key, redacted);
      }
    },
    onEnd(_span: ReadableSpan): void {},
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
