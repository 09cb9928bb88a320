import { randomBytes } from 'node:crypto';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
  waitUntilLive,
} from '../../../../tests/e2e/helpers/service-process.js';
import type { BotHarness } from './bot-harness.js';

/** The worker as its own process on the harness's data services, broker vhost and Redis. */
export async function startWorkerProcess(harness: BotHarness): Promise<ServiceProcess> {
  const port = await freePort();
  const worker = startService('worker', port, {
    ...baseServiceEnv(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    DATA_POSTGRES_URL: harness.services.dataPostgresUrl,
    DATA_MONGO_URL: harness.services.dataMongoUrl,
    DATA_SERVICE_TOKEN: harness.services.tokens.worker,
    REDIS_URL: harness.bot.config.redisUrl,
    RABBITMQ_URL: harness.vhost.url,
    CHROMA_URL: process.env.CHROMA_URL ?? 'http://127.0.0.1:8100',
    MESSAGE_RETRY_DELAYS_MS: '200,400',
    MEDIA_MAX_EDGE: '256',
    MEDIA_THUMBNAIL_EDGE: '64',
    SCHEDULES_ENABLED: 'false',
    SCHEDULE_LOCK_NAMESPACE: `t-${randomBytes(4).toString('hex')}`,
    SHUTDOWN_TIMEOUT_MS: '5000',
  });
  await waitUntilLive(worker);
  return worker;
}

/** Stops a process started by {@link startWorkerProcess} (SIGTERM, then SIGKILL). */
export async function stopWorkerProcess(worker: ServiceProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill('SIGTERM');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}
