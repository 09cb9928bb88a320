import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChannelModel, connect } from 'amqplib';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';

/**
 * Test support for the messaging component tests: a throw-away RabbitMQ virtual host per test file
 * (created and deleted through the management API), a small event catalogue and polling helpers.
 */

const amqpUrl = process.env.RABBITMQ_URL;
const managementUrl = process.env.RABBITMQ_MANAGEMENT_URL;
if (!amqpUrl || !managementUrl)
  throw new Error('RABBITMQ_URL / RABBITMQ_MANAGEMENT_URL not set: run `npm run infra -- up`');

const management = new URL(managementUrl);
const authorization = `Basic ${Buffer.from(
  `${decodeURIComponent(management.username)}:${decodeURIComponent(management.password)}`,
).toString('base64')}`;
const managementBase = `${management.protocol}//${management.host}`;

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${managementBase}/api${path}`, {
    method,
    headers: { authorization, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok && response.status !== 404) {
    throw new Error(`management API ${method} ${path}: ${response.status} ${await response.text()}`);
  }
  return response;
}

/** A virtual host of its own, with helpers to inspect and disturb it. */
export interface TestVhost {
  name: string;
  /** AMQP URL of the virtual host. */
  url: string;
  /** Names of the client connections open on the virtual host (as the management API lists them). */
  connections(): Promise<string[]>;
  /** Closes a connection from the broker side. */
  closeConnection(name: string): Promise<void>;
  /** The management API's view of a queue (its message counts lag by seconds: use `ready` for those). */
  queue(name: string): Promise<{ type: string; arguments: Record<string, unknown> } | undefined>;
  /** Messages ready in a queue right now (AMQP `queue.declare passive`), or undefined when it does not exist. */
  ready(name: string): Promise<number | undefined>;
  /** Deletes the virtual host and everything in it. */
  remove(): Promise<void>;
}

/** Creates a virtual host `flotilla-test-<label>-<random>` the configured user may use fully. */
export async function createTestVhost(label: string): Promise<TestVhost> {
  const name = `flotilla-test-${label}-${randomBytes(4).toString('hex')}`;
  const user = decodeURIComponent(new URL(amqpUrl as string).username);
  const vhostPath = encodeURIComponent(name);
  await api('PUT', `/vhosts/${vhostPath}`, {});
  await api('PUT', `/permissions/${vhostPath}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  const url = `${(amqpUrl as string).replace(/\/+$/, '')}/${vhostPath}`;
  let inspector: Promise<ChannelModel> | undefined;
  return {
    name,
    url,
    async connections() {
      const response = await api('GET', `/vhosts/${vhostPath}/connections`);
      if (response.status === 404) return [];
      const list = (await response.json()) as Array<{ name: string }>;
      return list.map((entry) => entry.name);
    },
    async closeConnection(connection) {
      await api('DELETE', `/connections/${encodeURIComponent(connection)}`);
    },
    async queue(queue) {
      const response = await api('GET', `/queues/${vhostPath}/${encodeURIComponent(queue)}`);
      if (response.status === 404) return undefined;
      return (await response.json()) as { type: string; arguments: Record<string, unknown> };
    },
    async ready(queue) {
      inspector ??= connect(url);
      const channel = await (await inspector).createChannel();
      channel.on('error', () => undefined);
      try {
        return (await channel.checkQueue(queue)).messageCount;
      } catch {
        return undefined;
      } finally {
        await channel.close().catch(() => undefined);
      }
    },
    async remove() {
      if (inspector) await (await inspector).close().catch(() => undefined);
      await api('DELETE', `/vhosts/${vhostPath}`);
    },
  };
}

/** The test event catalogue. */
export const TEST_EVENTS = {
  'test.happened': Type.Object(
    {
      n: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
      note: Type.Optional(Type.String({ maxLength: 64 })),
    },
    { additionalProperties: false },
  ),
  'test.other': Type.Object({ ok: Type.Boolean() }, { additionalProperties: false }),
};

/** A logger that prints nothing (set LOG_LEVEL=debug to see the module's logs). */
export const quietLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Polls `predicate` every 20 ms until it is true; throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The sum of a counter's or gauge's samples whose labels include `labels` (0 when none). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((value) =>
      Object.entries(labels).every(
        ([key, expected]) => (value.labels as Record<string, unknown>)[key] === expected,
      ),
    )
    .reduce((sum, value) => sum + value.value, 0);
}

/** A random queue prefix, so idempotency markers of this run are recognisable and removable. */
export function randomPrefix(): string {
  return `t${randomBytes(3).toString('hex')}.`;
}
