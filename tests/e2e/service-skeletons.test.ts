import { afterAll, describe, expect, it } from 'vitest';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
  waitUntilLive,
} from './helpers/service-process.js';

const SERVICES = ['data-postgres', 'data-mongo', 'api', 'bot', 'worker'] as const;
const started: ServiceProcess[] = [];

afterAll(() => {
  for (const service of started) if (service.child.exitCode === null) service.child.kill('SIGKILL');
});

describe.each(SERVICES)('the %s service process', (name) => {
  it('starts with its config, logs JSON, answers health and metrics, and exits 0 on SIGTERM', async () => {
    const env = baseServiceEnv();
    const service = startService(name, await freePort(), env);
    started.push(service);
    await waitUntilLive(service);

    const live = await fetch(service.url('/health/live'));
    expect(await live.json()).toMatchObject({ status: 'alive', service: name });
    const ready = await fetch(service.url('/health/ready'));
    expect([200, 503]).toContain(ready.status);
    expect(((await ready.json()) as { service: string }).service).toBe(name);

    // Data services require a service token; business services ignore it here.
    const traced = await fetch(service.url('/no-such-route'), {
      headers: { 'x-request-id': `e2e-${name}`, authorization: `Bearer ${env.DATA_SERVICE_TOKEN}` },
    });
    expect(traced.status).toBe(404);
    expect(traced.headers.get('x-request-id')).toBe(`e2e-${name}`);
    expect(traced.headers.get('content-type')).toContain('application/problem+json');

    const metrics = await fetch(service.url('/metrics'));
    const text = await metrics.text();
    expect(text).toContain(
      `http_requests_total{method="GET",route="unmatched",status_code="404",service="${name}"} 1`,
    );
    expect(text).toContain('nodejs_heap_size_used_bytes');

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const requestLog = service.logs.find((line) => line.request_id === `e2e-${name}`);
    expect(requestLog).toMatchObject({ service: name, level: 'info', status: 404 });
    expect(service.logs.map((line) => line.msg)).toContain('shutdown complete');
  });
});

describe('configuration errors', () => {
  it('list every missing variable at once and exit with code 78, without a stack trace', async () => {
    const env = baseServiceEnv();
    delete env.DATA_SERVICE_TOKEN;
    delete env.REDIS_URL;
    delete env.JWT_SIGNING_KEY;
    const service = startService('api', await freePort(), { ...env });
    started.push(service);
    expect(await service.exited).toBe(78);
    const output = service.stderr.join('\n');
    expect(output).toContain('Invalid configuration for api');
    expect(output).toContain('DATA_SERVICE_TOKEN: is required but not set');
    expect(output).toContain('REDIS_URL: is required but not set');
    expect(output).toContain('JWT_SIGNING_KEY: is required but not set');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('refuse a service token that is too short', async () => {
    const env = baseServiceEnv();
    env.SERVICE_TOKENS = 'api:short';
    env.LOG_LEVEL = 'chatty';
    const service = startService('data-postgres', await freePort(), env);
    started.push(service);
    expect(await service.exited).toBe(78);
    const output = service.stderr.join('\n');
    expect(output).toContain('SERVICE_TOKENS');
    expect(output).toContain('LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent');
    expect(output).not.toContain('api:short');
  });
});
