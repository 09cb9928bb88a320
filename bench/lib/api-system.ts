/**
 * The api running in this process against its own data services (separate processes, fresh databases),
 * Redis and a RabbitMQ virtual host of its own, listening on a loopback port: shared by the api
 * benchmark scenarios.
 */
import { randomBytes } from 'node:crypto';
import type { HttpApp } from '@flotilla/platform';
import { createTestVhost, type TestVhost } from '../../packages/platform/test/component/messaging-broker.js';
import { buildApp } from '../../services/api/src/app.js';
import { loadApiConfig } from '../../services/api/src/config.js';
import { type ApiDeps, createDeps } from '../../services/api/src/deps.js';
import { type DataServices, isolatedRedisUrl, startDataServices } from '../../tests/support/data-services.js';

/** A running api for benchmarks. */
export interface ApiSystem {
  deps: ApiDeps;
  app: HttpApp;
  services: DataServices;
  /** `http://127.0.0.1:<port>` of the api. */
  baseUrl: string;
  /** The client address of this run: send it as `X-Forwarded-For` (the api trusts the proxy header). */
  clientIp: string;
  /** Registers a user through the api and logs it in. */
  registerAndLogin(): Promise<{ id: string; email: string; password: string; accessToken: string }>;
  stop(): Promise<void>;
}

/** Starts the api with `env` on top of bench defaults (info logs off, the IP login limit out of the way). */
export async function startApiSystem(env: Record<string, string> = {}): Promise<ApiSystem> {
  const services = await startDataServices();
  let vhost: TestVhost | undefined;
  try {
    vhost = await createTestVhost('bench-api');
    const config = loadApiConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATA_POSTGRES_URL: services.dataPostgresUrl,
      DATA_MONGO_URL: services.dataMongoUrl,
      DATA_SERVICE_TOKEN: services.tokens.api,
      REDIS_URL: isolatedRedisUrl(15),
      RABBITMQ_URL: vhost.url,
      JWT_SIGNING_KEY: randomBytes(36).toString('base64url'),
      LOGIN_MAX_PER_IP: '1000000',
      // Calls come through loopback: each run uses client addresses of its own (X-Forwarded-For), so its
      // login counters never touch those of a system running on this machine.
      TRUST_PROXY: 'true',
      ...env,
    });
    const deps = createDeps(config, {
      queuePrefix: `bench${randomBytes(3).toString('hex')}.`,
      onFatal: (error) => {
        throw error;
      },
    });
    await deps.redis.waitUntilReady();
    await deps.start();
    const app = await buildApp(deps);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const activeVhost = vhost;
    const clientIp = `10.${randomBytes(3).join('.')}`;
    return {
      deps,
      app,
      services,
      baseUrl: address,
      clientIp,
      async registerAndLogin() {
        const suffix = randomBytes(6).toString('hex');
        const email = `bench-${suffix}@example.test`;
        const password = `bench-password-${suffix}`;
        const registered = await app.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          remoteAddress: clientIp,
          payload: { email, username: `bench_${suffix}`, password },
        });
        if (registered.statusCode !== 201)
          throw new Error(`register: ${registered.statusCode} ${registered.body}`);
        const login = await app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: clientIp,
          payload: { email, password },
        });
        if (login.statusCode !== 200) throw new Error(`login: ${login.statusCode} ${login.body}`);
        return { id: registered.json().id, email, password, accessToken: login.json().access_token };
      },
      async stop() {
        await app.close();
        for (const closer of deps.closers) await closer.close();
        await activeVhost.remove();
        await services.stop();
      },
    };
  } catch (error) {
    await vhost?.remove();
    await services.stop();
    throw error;
  }
}

/** Resident set size of this process in MB. */
export function rssMb(): number {
  return Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10;
}
