import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runWithContext } from '../../src/context/request-context.js';
import { createLogger, maskSecrets } from '../../src/logging/logger.js';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { stream, lines };
}

describe('logger', () => {
  it('writes JSON lines with service, version and the current request id', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'svc', version: '1.2.3', destination: stream });
    runWithContext({ requestId: 'r-42', userId: 'u-1' }, () => logger.info({ foo: 1 }, 'hello'));
    logger.info('outside');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'svc',
      version: '1.2.3',
      request_id: 'r-42',
      user_id: 'u-1',
      foo: 1,
      msg: 'hello',
    });
    expect(lines[1]).not.toHaveProperty('request_id');
  });

  it('adds trace fields when a provider is given', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({
      service: 'svc',
      version: '1',
      destination: stream,
      traceFields: () => ({ trace_id: 't1', span_id: 's1' }),
    });
    logger.info('x');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ trace_id: 't1', span_id: 's1' });
  });

  it('redacts secret fields and masks credentials in messages', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'svc', version: '1', destination: stream });
    logger.info(
      { password: 'hunter2', user: { token: 'abc' }, req: { headers: { authorization: 'Bearer zzz' } } },
      'connecting to postgres://flotilla:s3cret@db:5432/x with Bearer eyJhbGciOi.payload.sig',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const line = JSON.stringify(lines[0]);
    expect(line).not.toContain('hunter2');
    expect(line).not.toContain('"abc"');
    expect(line).not.toContain('zzz');
    expect(line).not.toContain('s3cret');
    expect(line).not.toContain('eyJhbGciOi');
    expect(lines[0]?.password).toBe('[redacted]');
  });

  it('keeps the values around redacted fields as they were', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'svc', version: '1', destination: stream });
    const fields = { status: 200, route: '/users/:id', ok: true, nothing: null, tags: ['a', 'b'] };
    logger.info({ ...fields, user: { id: 'u1', password: 'hunter2' } }, 'done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ ...fields, user: { id: 'u1', password: '[redacted]' }, msg: 'done' });
  });

  it('stamps every line with its time in ISO 8601', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'svc', version: '1', destination: stream });
    const before = Date.now();
    for (let index = 0; index < 50; index++) logger.info({ index }, 'tick');
    await new Promise((resolve) => setTimeout(resolve, 5));
    logger.info('later');
    const after = Date.now();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(51);
    for (const line of lines) {
      expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const at = Date.parse(line.time as string);
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    }
    expect(Date.parse(lines[50]?.time as string)).toBeGreaterThan(Date.parse(lines[0]?.time as string));
  });

  it('writes every line whole and in order through an asynchronous file destination, across its write chunks', async () => {
    // The services' own destination kind (sonic-boom, asynchronous; patched, see README "Patched
    // dependencies"): lines logged while a write is under way gather into chunks of at most 16 KB.
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-log-'));
    try {
      const file = join(dir, 'service.log');
      const destination = pino.destination({ dest: file, sync: false });
      await once(destination, 'ready');
      const logger = createLogger({ service: 'svc', version: '1', destination });
      const filler = 'é€x'.repeat(60); // 360 bytes of UTF-8 in 180 characters
      for (let i = 0; i < 3000; i++) logger.info({ i, filler }, 'line');
      const closed = once(destination, 'close');
      destination.end();
      await closed;

      const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
      expect(lines).toHaveLength(3000);
      const parsed = lines.map((line) => JSON.parse(line) as { i: number; filler: string });
      expect(parsed.map((line) => line.i)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
      expect(parsed.every((line) => line.filler === filler)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('masks URL passwords and bearer tokens in free text', () => {
    expect(maskSecrets('amqp://user:pw@host:5672')).toBe('amqp://user:****@host:5672');
    expect(maskSecrets('redis://:pw@host')).toBe('redis://:pw@host'.replace(':pw@', ':****@'));
    expect(maskSecrets('Authorization: Bearer abc.def')).toBe('Authorization: Bearer ****');
    expect(maskSecrets('no secrets here')).toBe('no secrets here');
  });
});
