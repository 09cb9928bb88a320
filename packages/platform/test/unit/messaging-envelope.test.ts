import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { createEventValidator } from '../../src/messaging/event-envelope.js';
import {
  consumerTopology,
  deadLetterQueueName,
  formatDelay,
  resolveTopologyNames,
  retryQueueName,
  workQueueName,
  workQueueOf,
} from '../../src/messaging/topology.js';

const validator = createEventValidator({
  'media.uploaded': Type.Object({ job_id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
});

const envelope = {
  event_id: '0190a5b2-7c3e-7000-8000-000000000001',
  event_type: 'media.uploaded',
  event_version: 1,
  occurred_at: '2026-11-24T16:00:00.000Z',
  producer: 'api',
  request_id: 'req-1',
  data: { job_id: '0190a5b2-7c3e-7000-8000-000000000002' },
};

describe('event validation', () => {
  it('accepts a well-formed envelope whose data matches its schema', () => {
    expect(validator.validate(envelope)).toEqual({ ok: true, envelope });
    expect(validator.validate({ ...envelope, user_id: '0190a5b2-7c3e-7000-8000-000000000003' }).ok).toBe(
      true,
    );
  });

  it('names what is wrong: envelope fields, unknown types, data fields', () => {
    const missing = validator.validate({ ...envelope, request_id: undefined, extra: 1 });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.reason).toMatch(/^invalid envelope:/);
    const unknown = validator.validate({ ...envelope, event_type: 'media.vanished' });
    expect(unknown).toMatchObject({ ok: false, reason: 'unknown event type "media.vanished"' });
    const data = validator.validate({ ...envelope, data: { job_id: 'nope', more: true } });
    expect(data.ok).toBe(false);
    if (!data.ok) {
      expect(data.reason).toMatch(/^invalid media\.uploaded data:/);
      expect(data.errors.map((error) => error.field)).toEqual(
        expect.arrayContaining(['/data', '/data/job_id']),
      );
    }
    expect(validator.validate('just text').ok).toBe(false);
  });
});

describe('queue names', () => {
  const names = resolveTopologyNames();

  it('follow q.<consumer>.<purpose>, with delay and dead-letter queues beside the work queue', () => {
    expect(names).toEqual({ exchange: 'events', deadLetterExchange: 'events.dlx', queuePrefix: '' });
    const queue = workQueueName(names, 'worker', 'media');
    expect(queue).toBe('q.worker.media');
    expect(retryQueueName(queue, 1000)).toBe('q.worker.media.retry.1s');
    expect(retryQueueName(queue, 1500)).toBe('q.worker.media.retry.1500ms');
    expect(formatDelay(60_000)).toBe('60s');
    expect(deadLetterQueueName(queue)).toBe('q.worker.media.dlq');
    expect(workQueueOf('q.worker.media.dlq')).toBe('q.worker.media');
    expect(workQueueOf('q.worker.media')).toBe('q.worker.media');
    expect(workQueueName(resolveTopologyNames({ queuePrefix: 't1.' }), 'bot', 'notifications')).toBe(
      't1.q.bot.notifications',
    );
  });

  it('refuse unsafe parts and duplicate or invalid delays', () => {
    expect(() => workQueueName(names, 'Worker', 'media')).toThrow(/invalid queue name part/);
    expect(() => workQueueName(names, 'worker', 'me dia')).toThrow(/invalid queue name part/);
    expect(() => consumerTopology('q.a.b', ['x.y'], [1000, 1000])).toThrow(/distinct/);
    expect(() => consumerTopology('q.a.b', ['x.y'], [0])).toThrow(/invalid retry delay/);
    expect(consumerTopology('q.a.b', ['x.y'], [50, 100]).retryQueues).toEqual([
      { name: 'q.a.b.retry.50ms', delayMs: 50 },
      { name: 'q.a.b.retry.100ms', delayMs: 100 },
    ]);
  });
});
