import { Parser } from '@asyncapi/parser';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import {
  buildAsyncApiDocument,
  CONSUMER_QUEUE_LIST,
  CONSUMER_QUEUES,
  EVENT_SCHEMAS,
  EVENT_TYPES,
} from '../../src/index.js';

describe('the AsyncAPI document of the event catalogue', () => {
  it('is a valid AsyncAPI 3 document according to the reference parser', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(buildAsyncApiDocument()));
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 0);
    expect(errors.map((error) => `${error.path.join('.')}: ${error.message}`)).toEqual([]);
    expect(document).toBeDefined();
  });

  it('describes every event type of the catalogue, each with its own channel and operation', async () => {
    const { document } = await new Parser().parse(JSON.stringify(buildAsyncApiDocument()));
    const messageNames =
      document
        ?.allMessages()
        .all()
        .map((message) => message.name()) ?? [];
    expect(messageNames).toHaveLength(EVENT_TYPES.length);
    const addresses =
      document
        ?.allChannels()
        .all()
        .map((channel) => channel.address()) ?? [];
    expect(new Set(addresses)).toEqual(new Set(EVENT_TYPES));
    expect(document?.allOperations().all()).toHaveLength(EVENT_TYPES.length);
  });
});

describe('the consumer queue catalogue', () => {
  it('routes only event types of the catalogue (or every event)', () => {
    for (const queue of CONSUMER_QUEUE_LIST) {
      for (const key of queue.routingKeys) {
        expect(key === '#' || key in EVENT_SCHEMAS, `${queue.consumer}.${queue.purpose}: ${key}`).toBe(true);
      }
    }
  });

  it('names every queue once, with positive, increasing retry delays', () => {
    const names = CONSUMER_QUEUE_LIST.map((queue) => `q.${queue.consumer}.${queue.purpose}`);
    expect(new Set(names).size).toBe(names.length);
    for (const queue of CONSUMER_QUEUE_LIST) {
      expect(queue.retryDelaysMs.length).toBeGreaterThan(0);
      expect([...queue.retryDelaysMs].sort((a, b) => a - b)).toEqual([...queue.retryDelaysMs]);
      expect(queue.retryDelaysMs.every((delay) => Number.isInteger(delay) && delay > 0)).toBe(true);
    }
  });

  it('sends photos and documents to the worker, and every event to analytics', () => {
    expect(CONSUMER_QUEUES.workerMedia.routingKeys).toEqual(['media.uploaded']);
    expect(CONSUMER_QUEUES.workerDocuments.routingKeys).toEqual(['document.uploaded']);
    expect(CONSUMER_QUEUES.workerAnalytics.routingKeys).toEqual(['#']);
  });
});

describe('event data schemas', () => {
  it('are closed: an unknown member is refused (no mass assignment through events)', () => {
    for (const [type, schema] of Object.entries(EVENT_SCHEMAS)) {
      expect((schema as { additionalProperties?: unknown }).additionalProperties, type).toBe(false);
      const check = Compile(schema);
      expect(check.Check({ unexpected_member: 1 }), type).toBe(false);
    }
  });
});
