import { ConfigError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { loadDataPostgresConfig, loadMigrateConfig } from '../../src/config.js';
import { expectedVersion } from '../../src/http/wire.js';

const tokens = `api:${'a'.repeat(32)}`;

describe('data-postgres configuration', () => {
  it('has safe pool and timeout defaults and does not migrate on start unless asked', () => {
    const config = loadDataPostgresConfig({
      POSTGRES_URL: 'postgres://u:p@localhost/db',
      SERVICE_TOKENS: tokens,
    });
    expect(config.postgres).toEqual({
      url: 'postgres://u:p@localhost/db',
      poolMax: 10,
      statementTimeoutMs: 5000,
      connectTimeoutMs: 5000,
    });
    expect(config.migrateOnStart).toBe(false);
    expect(config.port).toBe(8001);
  });

  it('reports every bad pool setting at once', () => {
    try {
      loadDataPostgresConfig({
        POSTGRES_URL: 'mysql://x',
        POSTGRES_POOL_MAX: '0',
        POSTGRES_STATEMENT_TIMEOUT_MS: 'soon',
        SERVICE_TOKENS: tokens,
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const variables = (error as ConfigError).issues.map((issue) => issue.variable);
      expect(variables).toEqual(['POSTGRES_URL', 'POSTGRES_POOL_MAX', 'POSTGRES_STATEMENT_TIMEOUT_MS']);
    }
  });

  it('lets the migration command run with only POSTGRES_URL', () => {
    expect(loadMigrateConfig({ POSTGRES_URL: 'postgresql://localhost/db' })).toEqual({
      postgresUrl: 'postgresql://localhost/db',
      logLevel: 'info',
    });
  });
});

describe('the expected version of a write', () => {
  it('comes from If-Match or expected_version, which must agree', () => {
    expect(expectedVersion('"3"', undefined)).toBe(3);
    expect(expectedVersion(undefined, 4)).toBe(4);
    expect(expectedVersion('"5"', 5)).toBe(5);
    expect(expectedVersion('*', undefined)).toBeUndefined();
    expect(expectedVersion(undefined, undefined)).toBeUndefined();
    expect(() => expectedVersion('"1"', 2)).toThrow('If-Match and expected_version disagree');
  });
});
