import { describe, expect, it } from 'vitest';
import { CALLERS, type SERVICES, serviceEnvironment, servicePorts } from '../lib/services.js';

const secrets = Object.fromEntries([
  ...CALLERS.map((caller) => [
    `${caller.toUpperCase()}_DATA_SERVICE_TOKEN`,
    `${caller}-token-`.padEnd(40, 'x'),
  ]),
  ['API_JWT_SIGNING_KEY', 'k'.repeat(43)],
]);
const ports = servicePorts({});
const envOf = (name: (typeof SERVICES)[number]['name'], shared: NodeJS.ProcessEnv = {}) =>
  serviceEnvironment(name, shared, secrets, ports);

describe('the launcher gives each service', () => {
  it('its port, the data-service URLs and its own token; the data services every caller token', () => {
    const worker = envOf('worker');
    expect(worker).toMatchObject({
      PORT: '8004',
      DATA_POSTGRES_URL: 'http://127.0.0.1:8001',
      DATA_SERVICE_TOKEN: secrets.WORKER_DATA_SERVICE_TOKEN,
    });
    expect(worker.JWT_SIGNING_KEY).toBeUndefined();
    expect(envOf('data-postgres').SERVICE_TOKENS).toBe(
      CALLERS.map((caller) => `${caller}:${secrets[`${caller.toUpperCase()}_DATA_SERVICE_TOKEN`]}`).join(','),
    );
  });

  it('the api its signing key, and trust in the gateway only while it listens on loopback', () => {
    expect(envOf('api')).toMatchObject({ JWT_SIGNING_KEY: secrets.API_JWT_SIGNING_KEY, TRUST_PROXY: 'true' });
    expect(envOf('api', { HOST: '0.0.0.0' }).TRUST_PROXY).toBe('false');
    expect(envOf('api', { HOST: '0.0.0.0', TRUST_PROXY: 'true' }).TRUST_PROXY).toBe('true');
    expect(envOf('api', { TRUST_PROXY: 'false' }).TRUST_PROXY).toBe('false');
    expect(envOf('bot').TRUST_PROXY).toBeUndefined();
  });

  it("the worker glibc's malloc settings of its image, unless the environment sets others", () => {
    expect(envOf('worker')).toMatchObject({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576' });
    expect(envOf('worker', { MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
    expect(envOf('api').MALLOC_ARENA_MAX).toBeUndefined();
  });
});
