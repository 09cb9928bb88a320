import { ConfigError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { loadApiConfig } from '../../src/config.js';

const base = {
  DATA_SERVICE_TOKEN: 'd'.repeat(32),
  REDIS_URL: 'redis://127.0.0.1:6379',
  RABBITMQ_URL: 'amqp://127.0.0.1:5672',
  JWT_SIGNING_KEY: 'k'.repeat(32),
};

function issuesOf(env: Record<string, string | undefined>): string[] {
  try {
    loadApiConfig(env);
  } catch (error) {
    if (error instanceof ConfigError)
      return error.issues.map((issue) => `${issue.variable}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('api configuration', () => {
  it('refuses to start without a JWT signing key, and with one shorter than 32 characters (value hidden)', () => {
    expect(issuesOf({ ...base, JWT_SIGNING_KEY: undefined })).toContain(
      'JWT_SIGNING_KEY: is required but not set',
    );
    const short = issuesOf({ ...base, JWT_SIGNING_KEY: 'short-key' });
    expect(short).toHaveLength(1);
    expect(short[0]).toMatch(/^JWT_SIGNING_KEY: .*\(value hidden\)$/);
  });

  it('defaults to OWASP’s argon2id minimum and short-lived access tokens, no CORS origin', () => {
    const config = loadApiConfig(base);
    expect(config).toMatchObject({
      argon2MemoryKib: 19_456,
      argon2TimeCost: 2,
      argon2Parallelism: 1,
      accessTokenTtlSeconds: 900,
      corsOrigins: [],
      idempotencyTtlSeconds: 86_400,
    });
  });

  it('opens up to 64 connections to each data service unless told otherwise, and refuses fewer than one', () => {
    expect(loadApiConfig(base).dataServiceConnections).toBe(64);
    expect(loadApiConfig({ ...base, DATA_SERVICE_CONNECTIONS: '16' }).dataServiceConnections).toBe(16);
    expect(issuesOf({ ...base, DATA_SERVICE_CONNECTIONS: '0' })[0]).toMatch(/^DATA_SERVICE_CONNECTIONS/);
  });

  it('refuses argon2 parameters below the OWASP minimum', () => {
    const issues = issuesOf({ ...base, ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1' });
    expect(issues.map((issue) => issue.split(':')[0]).sort()).toEqual([
      'ARGON2_MEMORY_KIB',
      'ARGON2_TIME_COST',
    ]);
  });

  it('refuses access tokens living longer than an hour and a password maximum below the minimum', () => {
    expect(issuesOf({ ...base, ACCESS_TOKEN_TTL_SECONDS: '86400' })[0]).toMatch(/^ACCESS_TOKEN_TTL_SECONDS/);
    expect(issuesOf({ ...base, PASSWORD_MIN_LENGTH: '64', PASSWORD_MAX_LENGTH: '32' })).toEqual([
      'PASSWORD_MAX_LENGTH: must be at least PASSWORD_MIN_LENGTH',
    ]);
  });

  it('reads CORS origins as an exact list and refuses anything that is not an origin list', () => {
    expect(
      loadApiConfig({ ...base, CORS_ORIGINS: 'https://app.example,http://localhost:5173' }).corsOrigins,
    ).toEqual(['https://app.example', 'http://localhost:5173']);
    expect(issuesOf({ ...base, CORS_ORIGINS: '*' })[0]).toMatch(/^CORS_ORIGINS/);
  });
});
