import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { commonEnv, parseServiceTokens, ServiceTokens, toCommonConfig } from '../../src/config/common.js';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

const Schema = Type.Object({
  ...commonEnv(8000),
  DATABASE_URL: Type.String({ pattern: '^postgres://' }),
  API_SECRET: Type.String({ minLength: 32 }),
  WORKERS: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
  TOKENS: ServiceTokens,
});

const token = 'x'.repeat(32);

describe('loadConfig', () => {
  it('coerces strings to the schema types and applies defaults', () => {
    const config = loadConfig(Schema, {
      service: 'test',
      env: {
        PORT: '9000',
        LOG_PRETTY: 'true',
        DATABASE_URL: 'postgres://h/db',
        API_SECRET: token,
        TOKENS: `api:${token}`,
      },
    });
    expect(config.PORT).toBe(9000);
    expect(config.LOG_PRETTY).toBe(true);
    expect(config.WORKERS).toBe(2);
    expect(config.LOG_LEVEL).toBe('info');
    expect(toCommonConfig(config)).toMatchObject({ port: 9000, host: '127.0.0.1', nodeEnv: 'development' });
  });

  it('reports every missing and invalid variable in one error', () => {
    let error: unknown;
    try {
      loadConfig(Schema, { service: 'test', env: { PORT: 'abc', WORKERS: '99', LOG_LEVEL: 'loud' } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).issues.map((issue) => issue.variable).sort();
    expect(variables).toEqual(
      expect.arrayContaining(['API_SECRET', 'DATABASE_URL', 'LOG_LEVEL', 'PORT', 'TOKENS', 'WORKERS']),
    );
    expect((error as ConfigError).message).toContain('Invalid configuration for test');
  });

  it('treats empty strings as unset and never prints a secret value', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(Schema, {
        service: 'test',
        env: { DATABASE_URL: '', API_SECRET: 'short-secret-value', TOKENS: `api:${token}` },
      });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error?.issues.find((issue) => issue.variable === 'DATABASE_URL')?.message).toBe(
      'is required but not set',
    );
    expect(error?.message).toContain('API_SECRET');
    expect(error?.message).not.toContain('short-secret-value');
  });

  it('parses caller:token pairs and rejects short tokens', () => {
    expect(parseServiceTokens(`api:${token},worker:${token}y`)).toEqual(
      new Map([
        ['api', token],
        ['worker', `${token}y`],
      ]),
    );
    expect(() =>
      loadConfig(Schema, {
        service: 'test',
        env: { DATABASE_URL: 'postgres://h', API_SECRET: token, TOKENS: 'api:short' },
      }),
    ).toThrow(/TOKENS/);
  });
});
