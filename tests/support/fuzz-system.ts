import { randomBytes } from 'node:crypto';
import { createDataPostgresClient } from '@flotilla/contracts';
import { createTestVhost, type TestVhost } from '../../packages/platform/test/component/messaging-broker.js';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
  stopServiceProcess,
  waitUntilReady,
} from '../e2e/helpers/service-process.js';
import { type DataServices, isolatedRedisUrl, startDataServices } from './data-services.js';

/** A logged-in user of the api. */
export interface FuzzUser {
  id: string;
  accessToken: string;
}

/**
 * data-postgres, data-mongo and the api as their own processes on free ports, on databases, a RabbitMQ
 * vhost and a Redis database of their own (the shared servers), with one user and one admin logged in:
 * what the schema-driven fuzz run drives. No worker: uploads stay queued, which the contract allows.
 */
export interface FuzzSystem {
  services: DataServices;
  api: ServiceProcess;
  /** `http://127.0.0.1:<port>` of the api. */
  apiUrl: string;
  user: FuzzUser;
  admin: FuzzUser;
  stop(): Promise<void>;
}

async function registerAndLogin(
  apiUrl: string,
  label: string,
  beforeLogin: (id: string) => Promise<unknown> = async () => undefined,
): Promise<FuzzUser> {
  const suffix = randomBytes(6).toString('hex');
  const credentials = { email: `${label}-${suffix}@example.test`, password: `fuzz-password-${suffix}` };
  const json = { 'content-type': 'application/json' };
  const registered = await fetch(`${apiUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ ...credentials, username: `${label}_${suffix}` }),
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  const { id } = (await registered.json()) as { id: string };
  await beforeLogin(id);
  const login = await fetch(`${apiUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(credentials),
  });
  if (login.status !== 200) throw new Error(`login answered ${login.status}`);
  const { access_token } = (await login.json()) as { access_token: string };
  return { id, accessToken: access_token };
}

/** Starts the fuzz system; call `stop()` when done. */
export async function startFuzzSystem(label = 'fuzz'): Promise<FuzzSystem> {
  let services: DataServices | undefined;
  let vhost: TestVhost | undefined;
  let api: ServiceProcess | undefined;
  const stop = async () => {
    await stopServiceProcess(api);
    if (services) await services.stop().catch(() => undefined);
    await vhost?.remove().catch(() => undefined);
  };
  try {
    services = await startDataServices({ readyTimeoutMs: 120_000 });
    vhost = await createTestVhost(label);
    const apiPort = await freePort();
    api = startService('api', apiPort, {
      ...baseServiceEnv(),
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      DATA_POSTGRES_URL: services.dataPostgresUrl,
      DATA_MONGO_URL: services.dataMongoUrl,
      DATA_SERVICE_TOKEN: services.tokens.api,
      REDIS_URL: isolatedRedisUrl(),
      RABBITMQ_URL: vhost.url,
      JWT_SIGNING_KEY: randomBytes(36).toString('base64url'),
      // The fuzzer logs in thousands of times from one address: the limiter's own 429 is declared and
      // tested elsewhere, here it would hide every other answer.
      LOGIN_MAX_PER_IP: '1000000',
      LOGIN_MAX_PER_ACCOUNT: '10000',
    });
    await waitUntilReady(api, 120_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const apiUrl = `http://127.0.0.1:${api.port}`;
  const dataPostgres = createDataPostgresClient({
    baseUrl: services.dataPostgresUrl,
    callerName: 'api',
    serviceToken: services.tokens.api,
  });
  const user = await registerAndLogin(apiUrl, 'fuzzuser');
  // Promoted through data-postgres, as an operator would, before its token is issued.
  const admin = await registerAndLogin(apiUrl, 'fuzzadmin', (id) =>
    dataPostgres.users.patch(id, { role: 'admin' }),
  );
  return { services, api, apiUrl, user, admin, stop };
}
