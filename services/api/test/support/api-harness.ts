import { randomBytes } from 'node:crypto';
import type { User } from '@flotilla/contracts';
import type { EventEnvelope, HttpApp } from '@flotilla/platform';
import { type ChannelModel, connect } from 'amqplib';
import type { InjectOptions } from 'fastify';
import {
  createTestVhost,
  type TestVhost,
  waitFor,
} from '../../../../packages/platform/test/component/messaging-broker.js';
import {
  type DataServices,
  isolatedRedisUrl,
  startDataServices,
} from '../../../../tests/support/data-services.js';
import { buildApp } from '../../src/app.js';
import { type ApiConfig, loadApiConfig } from '../../src/config.js';
import { type ApiDeps, createDeps } from '../../src/deps.js';

export { waitFor };

/** A logged-in user of the harness. */
export interface TestUser {
  user: User;
  accessToken: string;
  refreshToken: string;
  email: string;
  password: string;
  /** `{ authorization: 'Bearer <access token>' }`. */
  headers: Record<string, string>;
}

/** The api built in-process against its own data services, RabbitMQ vhost and queue prefix. */
export interface ApiHarness {
  app: HttpApp;
  deps: ApiDeps;
  config: ApiConfig;
  services: DataServices;
  vhost: TestVhost;
  /** `app.inject` from this harness's own client address (override with `remoteAddress`). */
  inject: HttpApp['inject'];
  /** Routes answered so far, as `METHOD /api/v1/template` (for the OpenAPI coverage check). */
  hits: Set<string>;
  /** Registers a fresh user through the API and logs it in. */
  registerAndLogin(overrides?: { password?: string; username?: string }): Promise<TestUser>;
  /** A fresh user promoted to admin (through data-postgres, as an operator would), logged in. */
  asAdmin(): Promise<TestUser>;
  /** Starts recording events of `type` published on the vhost; `next` waits for one matching `predicate`. */
  watchEvents(type: string): Promise<EventWatch>;
  /** Stops the api (closers in order), then the data services and the vhost. */
  stop(): Promise<void>;
}

/** Events of one type seen on the broker since the watch started. */
export interface EventWatch {
  seen: EventEnvelope[];
  next(predicate?: (event: EventEnvelope) => boolean, timeoutMs?: number): Promise<EventEnvelope>;
}

/** Options of {@link startApiHarness}. */
export interface ApiHarnessOptions {
  /** Label of the RabbitMQ vhost. */
  label: string;
  /** api environment on top of the test defaults. */
  env?: Record<string, string>;
  /** Reuse running data services (the caller stops them). */
  services?: DataServices;
  /** Wait for Redis before starting (default true; false for tests with Redis unreachable). */
  waitForRedis?: boolean;
}

/** A JWT signing key for tests (random, 48 characters). */
export function testSigningKey(): string {
  return randomBytes(36).toString('base64url');
}

/** The api's environment for tests: fast argon2 bounds kept at the OWASP minimum, a generous IP limit. */
export function apiTestEnv(services: DataServices, rabbitmqUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_POSTGRES_URL: services.dataPostgresUrl,
    DATA_MONGO_URL: services.dataMongoUrl,
    DATA_SERVICE_TOKEN: services.tokens.api,
    REDIS_URL: isolatedRedisUrl(),
    RABBITMQ_URL: rabbitmqUrl,
    JWT_SIGNING_KEY: testSigningKey(),
    LOGIN_MAX_PER_IP: '100000',
    PASSWORD_HASH_CONCURRENCY: '4',
  };
}

/** Starts the api in-process for component tests. Call `stop()` in `afterAll`. */
export async function startApiHarness(options: ApiHarnessOptions): Promise<ApiHarness> {
  const vhost = await createTestVhost(options.label);
  const services = options.services ?? (await startDataServices({ rabbitmqUrl: vhost.url }));
  const config = loadApiConfig({ ...apiTestEnv(services, vhost.url), ...options.env });
  const deps = createDeps(config, {
    queuePrefix: `t${randomBytes(3).toString('hex')}.`,
    onFatal: (error) => {
      throw error;
    },
  });
  if (options.waitForRedis !== false) await deps.redis.waitUntilReady();
  await deps.start();
  const app = await buildApp(deps);
  const hits = new Set<string>();
  app.addHook('onResponse', (request, _reply, done) => {
    if (request.routeOptions.url) hits.add(`${request.method} ${request.routeOptions.url}`);
    done();
  });
  await app.ready();
  // Every request of this harness comes from an address of its own (unless a test sets one), so the
  // per-IP login counters in the shared Redis never mix with other test files or a running system's.
  const clientIp = `10.${randomBytes(3).join('.')}`;
  const inject = ((options: InjectOptions | string) =>
    app.inject(
      typeof options === 'string'
        ? { url: options, remoteAddress: clientIp }
        : { remoteAddress: clientIp, ...options },
    )) as HttpApp['inject'];

  async function registerAndLogin(
    overrides: { password?: string; username?: string } = {},
  ): Promise<TestUser> {
    const suffix = randomBytes(5).toString('hex');
    const email = `user-${suffix}@example.test`;
    const password = overrides.password ?? `pw-${suffix}-long-enough`;
    const registered = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, username: overrides.username ?? `user_${suffix}`, password },
    });
    if (registered.statusCode !== 201)
      throw new Error(`register failed: ${registered.statusCode} ${registered.body}`);
    const login = await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
    const tokens = login.json<{ access_token: string; refresh_token: string }>();
    const user = (await deps.dataPostgres.users.get(registered.json<{ id: string }>().id)) as User;
    return {
      user,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      email,
      password,
      headers: { authorization: `Bearer ${tokens.access_token}` },
    };
  }

  let observer: ChannelModel | undefined;
  async function watchEvents(type: string): Promise<EventWatch> {
    observer ??= await connect(vhost.url);
    const channel = await observer.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, 'events', type);
    const seen: EventEnvelope[] = [];
    await channel.consume(
      queue,
      (message) => {
        if (message) seen.push(JSON.parse(message.content.toString('utf8')) as EventEnvelope);
      },
      { noAck: true },
    );
    return {
      seen,
      async next(predicate = () => true, timeoutMs = 5000) {
        await waitFor(`a ${type} event`, () => seen.some(predicate), timeoutMs);
        return seen.find(predicate) as EventEnvelope;
      },
    };
  }

  return {
    app,
    deps,
    watchEvents,
    config,
    services,
    vhost,
    inject,
    hits,
    registerAndLogin,
    async asAdmin() {
      const plain = await registerAndLogin();
      const user = await deps.dataPostgres.users.patch(plain.user.id, { role: 'admin' });
      await deps.identity.profiles.invalidate(user.id);
      return { ...plain, user };
    },
    async stop() {
      await observer?.close().catch(() => undefined);
      await app.close();
      for (const closer of deps.closers) await closer.close();
      await vhost.remove();
      if (!options.services) await services.stop();
    },
  };
}
