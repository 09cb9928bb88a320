import { ConfigError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { loadDataMongoConfig } from '../../src/config.js';

const required = { MONGO_URL: 'mongodb://127.0.0.1:27017/', SERVICE_TOKENS: `api:${'a'.repeat(32)}` };

describe("data-mongo's configuration", () => {
  it('has safe defaults: port 8002, 64 MiB files, 90 days of analytics', () => {
    const config = loadDataMongoConfig(required);
    expect(config).toMatchObject({
      port: 8002,
      mongoDatabase: 'flotilla',
      mongoPoolSize: 20,
      mongoTimeoutMs: 5000,
      analyticsRetentionDays: 90,
      analyticsSweepIntervalMs: 3_600_000,
      blobMaxBytes: 64 * 1024 * 1024,
    });
    expect(config.serviceTokens.get('api')).toBe('a'.repeat(32));
  });

  it('reports every invalid variable at once', () => {
    const error = (() => {
      try {
        loadDataMongoConfig({
          MONGO_URL: 'postgres://nope',
          BLOB_MAX_BYTES: '0',
          MONGO_ANALYTICS_RETENTION_DAYS: 'forever',
        });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).issues.map((issue) => issue.variable).sort();
    expect(variables).toEqual([
      'BLOB_MAX_BYTES',
      'MONGO_ANALYTICS_RETENTION_DAYS',
      'MONGO_URL',
      'SERVICE_TOKENS',
    ]);
  });
});
