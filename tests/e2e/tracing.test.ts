import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestVhost, type TestVhost } from '../../packages/platform/test/component/messaging-broker.js';
import { workerTestEnv } from '../../services/worker/test/support/worker-harness.js';
import { type DataServices, isolatedRedisUrl, startDataServices } from '../support/data-services.js';
import { type JaegerSpan, type JaegerTrace, startTestJaeger, type TestJaeger } from '../support/jaeger.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import {
  baseServiceEnv,
  freePort,
  repoRoot,
  type ServiceProcess,
  startService,
  waitUntilLive,
} from './helpers/service-process.js';

/**
 * One trace per photo upload: with Jaeger running and tracing on, the gateway's span of the upload
 * (the project's nginx config with its tracing, as `npm run infra -- up --observability` renders it),
 * the api's upload request, its calls
 * to data-mongo and data-postgres, the `media.uploaded` message and the worker's processing (with its
 * own calls to the data services) are one trace in Jaeger, parented across the queue. A photo sent
 * through the bot, with the notification back, is traced in `tracing-bot.test.ts`.
 */

let jaeger: TestJaeger;
let data: DataServices;
let vhost: TestVhost;
let api: ServiceProcess;
let worker: ServiceProcess;
let gateway: TestGateway;

beforeAll(async () => {
  jaeger = await startTestJaeger();
  const tracing = { TRACING_OTLP_URL: jaeger.otlpUrl, TRACING_SAMPLE_RATIO: '1' };
  vhost = await createTestVhost('tracing');
  data = await startDataServices({
    env: { ...tracing, LOG_LEVEL: 'info' },
    readyTimeoutMs: 120_000,
    rabbitmqUrl: vhost.url,
  });
  const redisUrl = isolatedRedisUrl();
  worker = startService('worker', await freePort(), {
    ...baseServiceEnv(),
    ...workerTestEnv(data, vhost.url),
    ...tracing,
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'info',
  });
  api = startService('api', await freePort(), {
    ...baseServiceEnv(),
    ...tracing,
    LOG_LEVEL: 'info',
    DATA_POSTGRES_URL: data.dataPostgresUrl,
    DATA_MONGO_URL: data.dataMongoUrl,
    DATA_SERVICE_TOKEN: data.tokens.api,
    RABBITMQ_URL: vhost.url,
    REDIS_URL: redisUrl,
  });
  await Promise.all([waitUntilLive(worker, 60_000), waitUntilLive(api, 60_000)]);
  gateway = await startTestGateway(await freePort(), [api.port], { tracing: gatewayTracing() });
}, 1_800_000);

const gatewayTracing = () => ({
  otlpUrl: jaeger.otlpUrl,
  sampleRatio: 1,
  instance: 'test-gateway',
  environment: 'test',
});

afterAll(async () => {
  await gateway?.stop();
  for (const service of [api, worker]) {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  }
  await data?.stop();
  await vhost?.remove();
  await jaeger?.stop();
});

async function poll<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Registers a new user and logs in: the bearer header of that user. */
async function logInNewUser(): Promise<Record<string, string>> {
  const tag = randomBytes(4).toString('hex');
  const credentials = { email: `trace.${tag}@example.com`, password: `a long passphrase ${tag}` };
  const registered = await fetch(api.url('/api/v1/auth/register'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...credentials, username: `trace_${tag}` }),
  });
  expect(registered.status, await registered.clone().text()).toBe(201);
  const login = await fetch(api.url('/api/v1/auth/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  expect(login.status).toBe(200);
  const { access_token: token } = (await login.json()) as { access_token: string };
  return { authorization: `Bearer ${token}` };
}

async function uploadPhoto(requestId: string): Promise<{ jobId: string; auth: Record<string, string> }> {
  const auth = await logInNewUser();
  const photo = await sharp(randomBytes(640 * 480 * 3), { raw: { width: 640, height: 480, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'traced.jpg');
  const uploaded = await fetch(`${gateway.url}/api/v1/media`, {
    method: 'POST',
    headers: { ...auth, 'x-request-id': requestId },
    body: form,
  });
  expect(uploaded.status, await uploaded.clone().text()).toBe(202);
  const { id } = (await uploaded.json()) as { id: string };
  return { jobId: id, auth };
}

const serviceOf = (trace: JaegerTrace, span: JaegerSpan) => trace.processes[span.processID]?.serviceName;
const tag = (span: JaegerSpan, key: string) => span.tags.find((entry) => entry.key === key)?.value;
const parentOf = (trace: JaegerTrace, span: JaegerSpan) => {
  const reference = span.references.find((entry) => entry.refType === 'CHILD_OF');
  return reference && trace.spans.find((candidate) => candidate.spanID === reference.spanID);
};

describe('tracing and logs of a photo upload', () => {
  it('puts the gateway, the api, both data services and the worker in one trace, parented across the queue', async () => {
    const requestId = `trace-${randomBytes(6).toString('hex')}`;
    const { jobId, auth } = await uploadPhoto(requestId);
    await poll('the photo job to succeed', async () => {
      const response = await fetch(api.url(`/api/v1/media/${jobId}`), { headers: auth });
      const job = (await response.json()) as { status: string };
      if (job.status === 'failed') throw new Error(`the job failed: ${JSON.stringify(job)}`);
      return job.status === 'succeeded' ? job : undefined;
    });

    // The api's request log line carries the trace id of the upload.
    const uploadLog = api.logs.find(
      (line) => line.request_id === requestId && line.msg === 'request completed',
    );
    expect(uploadLog?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const traceId = String(uploadLog?.trace_id);

    // Every line logged while handling the upload, in any service, carries that trace id; the data
    // services' lines include the calls the worker made after the queue.
    const handling = [api, worker, data.processes.dataPostgres, data.processes.dataMongo].flatMap((service) =>
      service.logs.filter((line) => line.request_id === requestId),
    );
    expect(handling.filter((line) => line.caller === 'worker').length).toBeGreaterThan(0);
    for (const line of handling) {
      expect(line.trace_id).toBe(traceId);
      expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    }

    const expected = ['gateway', 'api', 'data-mongo', 'data-postgres', 'worker'];
    const trace = await poll(
      'every service in the trace',
      async () => {
        const found = await jaeger.trace(traceId);
        const services = new Set(found?.spans.map((span) => (found ? serviceOf(found, span) : '')));
        const workerDone = found?.spans.some(
          (span) => serviceOf(found, span) === 'worker' && span.operationName === 'sharp transform',
        );
        // Spans are exported as they end: wait until no span points at a parent Jaeger lacks yet.
        const settled = found?.spans.filter((span) => !parentOf(found, span)).length === 1;
        return found && workerDone && settled && expected.every((name) => services.has(name))
          ? found
          : undefined;
      },
      30_000,
    );

    expect(new Set(trace.spans.map((span) => span.traceID))).toEqual(new Set([traceId]));
    // Exactly one root: the gateway's span of the upload, parent of the api's server span; every other
    // span's parent is in the trace.
    const roots = trace.spans.filter((span) => !parentOf(trace, span));
    expect(roots.map((span) => `${serviceOf(trace, span)} ${span.operationName}`)).toEqual([
      'gateway POST /api/*',
    ]);
    const [root] = roots as [JaegerSpan];
    expect(tag(root, 'http.response.status_code')).toBe(202);
    expect(tag(root, 'url.path')).toBe('/api/v1/media');
    expect(tag(root, 'http.request.header.x-request-id')).toBe(requestId);
    const apiUpload = trace.spans.find((span) => span.operationName === 'POST /api/v1/media');
    expect(apiUpload && serviceOf(trace, apiUpload)).toBe('api');
    expect(apiUpload && parentOf(trace, apiUpload)).toBe(root);

    // Across the queue: the worker's consumer span of `q.worker.media` is a child of the publish span of
    // data-postgres's outbox relay, which published the event in the trace of the api request that
    // stored it with the job (its parent is a span of the api).
    const consume = trace.spans.find(
      (span) =>
        serviceOf(trace, span) === 'worker' &&
        tag(span, 'span.kind') === 'consumer' &&
        span.operationName.includes('q.worker.media'),
    );
    expect(consume, 'a consumer span in the worker').toBeDefined();
    const publish = consume && parentOf(trace, consume);
    expect(publish && serviceOf(trace, publish)).toBe('data-postgres');
    expect(publish && tag(publish, 'span.kind')).toBe('producer');
    const storedBy = publish && parentOf(trace, publish);
    expect(storedBy && serviceOf(trace, storedBy)).toBe('api');

    // The worker's sharp span and its data-service calls hang under that consumer span.
    const sharpSpan = trace.spans.find((span) => span.operationName === 'sharp transform');
    let ancestor = sharpSpan && parentOf(trace, sharpSpan);
    while (ancestor && ancestor !== consume) ancestor = parentOf(trace, ancestor);
    expect(ancestor).toBe(consume);
    const workerCalls = trace.spans.filter(
      (span) =>
        ['data-postgres', 'data-mongo'].includes(serviceOf(trace, span) ?? '') &&
        tag(span, 'span.kind') === 'server' &&
        (() => {
          let node = parentOf(trace, span);
          while (node && node !== consume) node = parentOf(trace, node);
          return node === consume;
        })(),
    );
    expect(new Set(workerCalls.map((span) => serviceOf(trace, span)))).toEqual(
      new Set(['data-postgres', 'data-mongo']),
    );
    // Database spans are there too.
    expect(
      trace.spans.some(
        (span) => tag(span, 'db.system') === 'postgresql' || tag(span, 'db.system.name') === 'postgresql',
      ),
    ).toBe(true);
    expect(
      trace.spans.some(
        (span) => tag(span, 'db.system') === 'mongodb' || tag(span, 'db.system.name') === 'mongodb',
      ),
    ).toBe(true);
  });

  it("the gateway continues a caller's trace and keeps its decision not to sample; a request answered by the gateway's error page still ends its span", async () => {
    const auth = await logInNewUser();
    const callerSpan = randomBytes(8).toString('hex');
    const read = (traceId: string, flags: string) =>
      fetch(`${gateway.url}/api/v1/users/me`, {
        headers: { ...auth, traceparent: `00-${traceId}-${callerSpan}-${flags}` },
      });
    const unsampled = randomBytes(16).toString('hex');
    expect((await read(unsampled, '00')).status).toBe(200);
    const sampled = randomBytes(16).toString('hex');
    expect((await read(sampled, '01')).status).toBe(200);
    const trace = await poll('the sampled read in Jaeger', async () => {
      const found = await jaeger.trace(sampled);
      return found?.spans.length === 2 ? found : undefined;
    });
    const gatewaySpan = trace.spans.find((span) => serviceOf(trace, span) === 'gateway');
    expect(gatewaySpan?.operationName).toBe('GET /api/*');
    // The caller's span (not in Jaeger) is the gateway span's parent; the api's span is its child.
    expect(gatewaySpan?.references).toEqual([{ refType: 'CHILD_OF', traceID: sampled, spanID: callerSpan }]);
    const apiSpan = trace.spans.find((span) => serviceOf(trace, span) === 'api');
    expect(apiSpan && parentOf(trace, apiSpan)).toBe(gatewaySpan);

    // A malformed traceparent is ignored: the trace begins at the gateway, whose trace id is its own
    // request id (the X-Request-ID it answers with when the caller sent none).
    const fresh = await fetch(`${gateway.url}/api/v1/users/me`, {
      headers: { ...auth, traceparent: `00-${'z'.repeat(32)}-${callerSpan}-01` },
    });
    expect(fresh.status).toBe(200);
    const ownId = fresh.headers.get('x-request-id') ?? '';
    expect(ownId).toMatch(/^[0-9a-f]{32}$/);
    const begun = await poll('the trace begun at the gateway', async () => {
      const found = await jaeger.trace(ownId);
      return found?.spans.length === 2 ? found : undefined;
    });
    const roots = begun.spans.filter((span) => span.references.length === 0);
    expect(roots.map((span) => `${serviceOf(begun, span)} ${span.operationName}`)).toEqual([
      'gateway GET /api/*',
    ]);

    // An api that does not answer: nginx answers 502 from its error page (an internal redirect).
    const closed = await freePort();
    const broken = await startTestGateway(await freePort(), [closed], { tracing: gatewayTracing() });
    try {
      const failed = randomBytes(16).toString('hex');
      const response = await fetch(`${broken.url}/api/v1/users/me`, {
        headers: { traceparent: `00-${failed}-${callerSpan}-01` },
      });
      expect(response.status).toBe(502);
      expect(((await response.json()) as { code: string }).code).toBe('GATEWAY.UPSTREAM_UNAVAILABLE');
      const failedTrace = await poll('the failed request in Jaeger', () => jaeger.trace(failed));
      expect(
        failedTrace.spans.map((span) => `${serviceOf(failedTrace, span)} ${span.operationName}`),
      ).toEqual(['gateway GET /api/*']);
      const [span] = failedTrace.spans as [JaegerSpan];
      expect(tag(span, 'http.response.status_code')).toBe(502);
      expect(tag(span, 'error')).toBe(true);
    } finally {
      await broken.stop();
    }
    // Both gateway workers flush every second: by now the unsampled read would have been exported.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await jaeger.trace(unsampled)).toBeUndefined();
  });

  it('the gateway traces what it refuses itself (rate limit, body limit, no route), not its health check', async () => {
    const strict = await startTestGateway(await freePort(), [api.port], {
      tracing: gatewayTracing(),
      maxBodySize: '8k',
      authRate: '1r/m',
      authBurst: 1,
    });
    const callerSpan = randomBytes(8).toString('hex');
    const traced = async (path: string, init: RequestInit = {}) => {
      const traceId = randomBytes(16).toString('hex');
      const response = await fetch(`${strict.url}${path}`, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          traceparent: `00-${traceId}-${callerSpan}-01`,
        },
      });
      await response.arrayBuffer();
      return { traceId, status: response.status };
    };
    const login = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.test', password: 'not checked here' }),
    };
    try {
      const refused = [
        await traced('/no/such/route'),
        await traced('/api/v1/media', {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: Buffer.alloc(64 * 1024, 1),
        }),
      ];
      // The first login and a burst of one pass to the api; the next is refused by the gateway.
      await traced('/api/v1/auth/login', login);
      await traced('/api/v1/auth/login', login);
      refused.push(await traced('/api/v1/auth/login', login));
      expect(refused.map((answer) => answer.status)).toEqual([404, 413, 429]);
      const health = await traced('/health');
      expect(health.status).toBe(200);

      const spans = [];
      for (const answer of refused) {
        const trace = await poll(`the ${answer.status} in Jaeger`, () => jaeger.trace(answer.traceId));
        expect(trace.spans).toHaveLength(1);
        const [span] = trace.spans as [JaegerSpan];
        // The caller's span is its parent, as for a request the gateway passes on.
        expect(span.references).toEqual([
          { refType: 'CHILD_OF', traceID: answer.traceId, spanID: callerSpan },
        ]);
        spans.push(
          `${serviceOf(trace, span)} ${span.operationName} ${tag(span, 'http.response.status_code')}`,
        );
      }
      expect(spans).toEqual([
        'gateway GET /* 404',
        'gateway POST /api/* 413',
        'gateway POST /api/v1/auth/* 429',
      ]);
      // Every worker flushes once a second: by now the health check's span would have been exported.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await jaeger.trace(health.traceId)).toBeUndefined();
    } finally {
      await strict.stop();
    }
  });

  it('a cached profile read is one server span, without a Redis span under it; a cache miss shows its data-postgres call', async () => {
    const auth = await logInNewUser();
    const read = async () => {
      const traceId = randomBytes(16).toString('hex');
      const response = await fetch(api.url('/api/v1/users/me'), {
        headers: { ...auth, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      });
      expect(response.status).toBe(200);
      // The server span ends last: once Jaeger has it, it has every span of the request.
      return poll('the read in Jaeger', async () => {
        const found = await jaeger.trace(traceId);
        return found?.spans.some(
          (span) => tag(span, 'span.kind') === 'server' && serviceOf(found, span) === 'api',
        )
          ? found
          : undefined;
      });
    };
    const miss = await read();
    expect(miss.spans.some((span) => serviceOf(miss, span) === 'data-postgres')).toBe(true);
    const hit = await read();
    expect(hit.spans.map((span) => `${serviceOf(hit, span)} ${span.operationName}`)).toEqual([
      'api GET /api/v1/users/me',
    ]);
  });

  it("every field the ELK index template and ingest pipeline map is in the services' log lines, with its type", async () => {
    const elk = join(repoRoot, 'infrastructure', 'observability', 'elk');
    const template = JSON.parse(await readFile(join(elk, 'index-template.json'), 'utf8')) as {
      template: { mappings: { properties: Record<string, Mapping> } };
    };
    const pipeline = JSON.parse(await readFile(join(elk, 'ingest-pipeline.json'), 'utf8')) as {
      processors: Array<Record<string, { field: string; copy_from?: string }>>;
    };
    const mapped = flatten(template.template.mappings.properties);
    const lines = [api, worker, data.processes.dataPostgres, data.processes.dataMongo].flatMap(
      (service) => service.logs,
    );
    const appFields = Object.entries(mapped).filter(([path]) => path.startsWith('app.'));
    expect(appFields.length).toBeGreaterThan(10);
    for (const [path, type] of appFields) {
      const key = path.slice('app.'.length);
      const values = lines.map((line) => line[key]).filter((value) => value !== undefined);
      expect(values.length, `no log line has ${key}`).toBeGreaterThan(0);
      for (const value of values)
        expect(fitsType(value, type), `${key}=${JSON.stringify(value)} as ${type}`).toBe(true);
    }
    // Ids are keywords: exact match and aggregations, never analysed text.
    for (const id of ['request_id', 'trace_id', 'span_id', 'user_id', 'event_id', 'job_id']) {
      expect(mapped[`app.${id}`]).toBe('keyword');
    }
    // The pipeline reads only mapped fields and writes only mapped fields of the same type.
    const producedBy = new Map<string, string | undefined>();
    for (const processor of pipeline.processors) {
      for (const options of Object.values(processor)) {
        if (options.copy_from) {
          expect(mapped[options.copy_from], `${options.copy_from} is not mapped`).toBeDefined();
          expect(mapped[options.field]).toBe(mapped[options.copy_from] === 'text' ? 'text' : 'keyword');
        } else {
          expect(mapped[options.field], `${options.field} is not mapped`).toBeDefined();
        }
        producedBy.set(options.field, options.copy_from);
      }
    }
    const outside = Object.keys(mapped).filter((path) => !path.startsWith('app.'));
    for (const path of outside) {
      // Filebeat writes @timestamp and the raw line in message; the pipeline writes the rest.
      if (path !== '@timestamp') expect(producedBy.has(path), `nothing writes ${path}`).toBe(true);
    }
  });
});

type Mapping = { type?: string; properties?: Record<string, Mapping> };

function flatten(properties: Record<string, Mapping>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, mapping] of Object.entries(properties)) {
    if (mapping.properties) Object.assign(out, flatten(mapping.properties, `${prefix}${name}.`));
    else if (mapping.type) out[`${prefix}${name}`] = mapping.type;
  }
  return out;
}

function fitsType(value: unknown, type: string): boolean {
  switch (type) {
    case 'keyword':
    case 'text':
      return typeof value === 'string';
    case 'short':
      return Number.isInteger(value) && Math.abs(value as number) <= 32_767;
    case 'integer':
    case 'long':
      return Number.isInteger(value);
    case 'date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    default:
      return false;
  }
}
