import { ConfigError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../src/config.js';

const required = {
  DATA_SERVICE_TOKEN: 'w'.repeat(40),
  REDIS_URL: 'redis://127.0.0.1:6379',
  RABBITMQ_URL: 'amqp://127.0.0.1:5672',
};

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadWorkerConfig({ ...required, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => issue.variable);
    throw error;
  }
  return [];
}

describe('worker configuration', () => {
  it('has safe defaults for processing, analytics and schedules', () => {
    const config = loadWorkerConfig(required);
    expect(config.port).toBe(8004);
    expect(config.media).toMatchObject({ maxEdge: 2048, outputFormat: 'jpeg', quality: 80, concurrency: 2 });
    expect(config.retryDelaysMs).toBeUndefined();
    expect(config.analytics.prefetch).toBeGreaterThanOrEqual(config.analytics.batchSize);
    expect(config.schedules.enabled).toBe(true);
  });

  it('refuses an analytics prefetch smaller than the batch (a batch could never fill)', () => {
    expect(issuesOf({ ANALYTICS_BATCH_SIZE: '100', ANALYTICS_PREFETCH: '50' })).toEqual([
      'ANALYTICS_PREFETCH',
    ]);
  });

  it('parses retry delays and refuses repeated ones', () => {
    expect(loadWorkerConfig({ ...required, MESSAGE_RETRY_DELAYS_MS: '200,400' }).retryDelaysMs).toEqual([
      200, 400,
    ]);
    expect(issuesOf({ MESSAGE_RETRY_DELAYS_MS: '200,200' })).toEqual(['MESSAGE_RETRY_DELAYS_MS']);
    expect(issuesOf({ MESSAGE_RETRY_DELAYS_MS: '1s' })).toEqual(['MESSAGE_RETRY_DELAYS_MS']);
  });

  it('reports every invalid media setting at once', () => {
    expect(
      issuesOf({ MEDIA_OUTPUT_FORMAT: 'gif', MEDIA_QUALITY: '0', MEDIA_MAX_EDGE: 'big' }).sort(),
    ).toEqual(['MEDIA_MAX_EDGE', 'MEDIA_OUTPUT_FORMAT', 'MEDIA_QUALITY']);
  });
});
