import { describe, expect, it } from 'vitest';
import { defineErrors, isDomainError } from '../../src/errors/domain-error.js';
import { isUuid, newId } from '../../src/ids/uuid.js';
import { createShutdown } from '../../src/lifecycle/shutdown.js';
import { createLogger } from '../../src/logging/logger.js';

const logger = createLogger({ service: 'test', version: '1', level: 'silent' });

describe('shutdown', () => {
  it('runs steps once, in order, even when one fails, and reports exit code 1 after a failure', async () => {
    const shutdown = createShutdown({ logger, timeoutMs: 1000 });
    const order: string[] = [];
    shutdown.add('first', () => {
      order.push('first');
    });
    shutdown.add('failing', () => {
      order.push('failing');
      throw new Error('nope');
    });
    shutdown.add('last', async () => {
      order.push('last');
    });
    const [a, b] = await Promise.all([shutdown.run('test'), shutdown.run('again')]);
    expect(order).toEqual(['first', 'failing', 'last']);
    expect(a).toBe(1);
    expect(b).toBe(1);
    expect(shutdown.started).toBe(true);
  });

  it('gives up at the deadline with exit code 1', async () => {
    const shutdown = createShutdown({ logger, timeoutMs: 50 });
    let reachedLast = false;
    shutdown.add('stuck', () => new Promise<void>(() => {}));
    shutdown.add('last', () => {
      reachedLast = true;
    });
    expect(await shutdown.run('test')).toBe(1);
    expect(reachedLast).toBe(false);
  });

  it('exits 0 when every step succeeds', async () => {
    const shutdown = createShutdown({ logger, timeoutMs: 1000 });
    shutdown.add('ok', async () => {});
    expect(await shutdown.run('test')).toBe(0);
  });
});

describe('ids', () => {
  it('generates time-ordered UUID v7s', async () => {
    const first = newId();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = newId();
    expect(isUuid(first)).toBe(true);
    expect(first[14]).toBe('7');
    expect(first < second).toBe(true);
    expect(isUuid('not-a-uuid')).toBe(false);
  });
});

describe('domain errors', () => {
  it('carry a stable code and kind, and are recognised by code', () => {
    const errors = defineErrors({ GONE: { code: 'MEDIA.GONE', kind: 'not_found', title: 'Gone' } });
    const error = errors.GONE({ detail: 'deleted', cause: new Error('db') });
    expect(error.code).toBe('MEDIA.GONE');
    expect(error.kind).toBe('not_found');
    expect(error.message).toBe('deleted');
    expect(isDomainError(error, 'MEDIA.GONE')).toBe(true);
    expect(isDomainError(error, 'OTHER')).toBe(false);
    expect(isDomainError(new Error('x'))).toBe(false);
    expect(errors.GONE.definition.title).toBe('Gone');
  });
});
