import {
  ANALYTICS_BATCH_MAX_EVENTS,
  ANALYTICS_EVENT_DATA_MAX_BYTES,
  type AnalyticsEventPage,
} from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_COLLECTION } from '../../src/modules/analytics/event-document.js';
import { makeEvent } from '../support/events.js';
import { startTestService, type TestService, testDatabaseName } from '../support/test-service.js';

const EVENTS = '/api/v1/analytics/events';
let service: TestService;

beforeAll(async () => {
  service = await startTestService(testDatabaseName('dm_events'));
});
afterAll(() => service?.close());

function post(payload: unknown, headers: Record<string, string> = {}) {
  return service.app.inject({
    method: 'POST',
    url: EVENTS,
    headers: { ...service.auth, ...headers },
    payload: payload as never,
  });
}

function get(query: string) {
  return service.app.inject({ method: 'GET', url: `${EVENTS}?${query}`, headers: service.auth });
}

describe('ingesting events', () => {
  it('records a batch and reports every event as inserted', async () => {
    const events = [
      makeEvent(),
      makeEvent({ user_id: newId() }),
      makeEvent({ data: { nested: { a: [1, 2] } } }),
    ];
    const response = await post(events);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: 3, inserted: 3, duplicates: 0 });
  });

  it('stores a repeated event once and counts the repeat as a duplicate, not an error', async () => {
    const event = makeEvent({ user_id: newId() });
    expect((await post([event])).json()).toEqual({ received: 1, inserted: 1, duplicates: 0 });

    const again = await post([event, makeEvent(), event]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ received: 3, inserted: 1, duplicates: 2 });

    const stored = await service.deps.mongo.db
      .collection(EVENTS_COLLECTION)
      .countDocuments({ _id: event.event_id as never });
    expect(stored).toBe(1);
  });

  it('counts ingested events in analytics_events_ingested_total by result', async () => {
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(
      /analytics_events_ingested_total\{result="inserted",service="data-mongo"\} [1-9]/,
    );
    expect(metrics.body).toMatch(
      /analytics_events_ingested_total\{result="duplicate",service="data-mongo"\} [1-9]/,
    );
    expect(metrics.body).toMatch(
      /mongo_operation_duration_seconds_count\{[^}]*operation="events.insert",outcome="ok"\} [1-9]/,
    );
  });

  it('refuses a batch over the limit with 413 ANALYTICS.BATCH_TOO_LARGE', async () => {
    const events = Array.from({ length: ANALYTICS_BATCH_MAX_EVENTS + 1 }, () => makeEvent());
    const response = await post(events);
    expect(response.statusCode).toBe(413);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'ANALYTICS.BATCH_TOO_LARGE', status: 413 });
  });

  it('refuses data that is too large, too deep or has keys MongoDB-wire servers reject, with field paths', async () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let level = 0; level < 20; level += 1) {
      deep.next = {};
      deep = deep.next as Record<string, unknown>;
    }
    const valid = makeEvent();
    const response = await post([
      valid,
      makeEvent({ data: { blob: 'x'.repeat(ANALYTICS_EVENT_DATA_MAX_BYTES) } }),
      makeEvent({ data: root }),
      makeEvent({ data: { ok: { 'a.b': 1 } } }),
      makeEvent({ data: { $where: 'x' } }),
      makeEvent({ data: { cells: [[-5.8e16, false]] } }),
    ]);
    expect(response.statusCode).toBe(422);
    const problem = response.json();
    expect(problem.code).toBe('ANALYTICS.INVALID_EVENT');
    expect(problem.errors.map((error: { field: string }) => error.field)).toEqual([
      '/body/1/data',
      expect.stringMatching(/^\/body\/2\/data(\/next)+$/),
      '/body/3/data/ok/a.b',
      '/body/4/data/$where',
      '/body/5/data/cells/0',
    ]);
    // Nothing of a refused batch is stored.
    const stored = await get('limit=200');
    expect(stored.json().items.map((item: { event_id: string }) => item.event_id)).not.toContain(
      valid.event_id,
    );
  });

  it('refuses a value the store itself cannot keep as invalid (422), naming the event, and keeps the rest of the batch', async () => {
    // Past the checks above (the repository called directly): FerretDB v1 refuses nested arrays with
    // BadValue; a MongoDB server keeps them. Either way nothing is a 500 and no event is lost.
    const kept = makeEvent();
    const odd = makeEvent({ data: { cells: [[1, 2]] } });
    const outcome = await service.deps.events.insert([kept, odd]).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    if ('result' in outcome) {
      expect(outcome.result).toEqual({ inserted: 2, duplicates: 0 });
    } else {
      expect(outcome.error).toMatchObject({
        code: 'ANALYTICS.INVALID_EVENT',
        kind: 'invalid',
        data: { errors: [{ field: '/body/1/data', message: expect.stringContaining('cannot be stored') }] },
      });
    }
    const stored = (await get('limit=200')).json().items.map((item: { event_id: string }) => item.event_id);
    expect(stored).toContain(kept.event_id);
    // Sent again, the stored event is a duplicate and the refused one is refused again.
    await expect(service.deps.events.insert([kept])).resolves.toEqual({ inserted: 0, duplicates: 1 });
  });

  it.each([
    ['malformed JSON', '[{"event_id": ', 400, 'REQUEST.MALFORMED_BODY'],
    ['an empty batch', [], 422, 'REQUEST.VALIDATION'],
    ['an object instead of an array', makeEvent(), 422, 'REQUEST.VALIDATION'],
    ['an unknown field', [{ ...makeEvent(), extra: true }], 422, 'REQUEST.VALIDATION'],
    ['a wrong type', [{ ...makeEvent(), event_version: 'one' }], 422, 'REQUEST.VALIDATION'],
    ['an event id that is not a UUID', [makeEvent({ event_id: 'nope' })], 422, 'REQUEST.VALIDATION'],
    [
      'a timestamp that is not ISO-8601',
      [makeEvent({ occurred_at: 'yesterday' })],
      422,
      'REQUEST.VALIDATION',
    ],
    ['a missing field', [{ ...makeEvent(), producer: undefined }], 422, 'REQUEST.VALIDATION'],
  ])('answers %s with a 4xx problem, never a 500', async (_case, payload, status, code) => {
    const response =
      typeof payload === 'string'
        ? await post(payload, { 'content-type': 'application/json' })
        : await post(payload);
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code, status });
  });

  it('gives field paths for schema errors', async () => {
    const response = await post([{ ...makeEvent(), extra: 1 }]);
    expect(response.json().errors).toContainEqual({
      field: '/body/0/extra',
      message: 'is not an allowed property',
    });
  });
});

describe('querying events', () => {
  const userId = newId();
  const base = Date.parse('2026-03-01T12:00:00.000Z');
  const userEvents = Array.from({ length: 7 }, (_, index) =>
    makeEvent({
      user_id: userId,
      event_type: index % 2 === 0 ? 'media.uploaded' : 'media.succeeded',
      // Two events share a timestamp, so the id breaks the tie in the order.
      occurred_at: new Date(base + Math.min(index, 5) * 60_000).toISOString(),
    }),
  );

  beforeAll(async () => {
    await post([...userEvents, makeEvent({ user_id: newId(), occurred_at: new Date(base).toISOString() })]);
  });

  const newestFirst = () =>
    [...userEvents].sort(
      (a, b) => b.occurred_at.localeCompare(a.occurred_at) || b.event_id.localeCompare(a.event_id),
    );

  it("returns a user's events newest first, page by page, each exactly once", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(`user_id=${userId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode).toBe(200);
      const page = response.json() as AnalyticsEventPage;
      seen.push(...page.items.map((item) => item.event_id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst().map((event) => event.event_id));
  });

  it('returns events as they were sent', async () => {
    const page = (await get(`user_id=${userId}&limit=1`)).json() as AnalyticsEventPage;
    expect(page.items[0]).toEqual(newestFirst()[0]);
  });

  it('filters by time range (from inclusive, to exclusive) and by types', async () => {
    const from = new Date(base + 60_000).toISOString();
    const to = new Date(base + 3 * 60_000).toISOString();
    const ranged = (await get(`user_id=${userId}&from=${from}&to=${to}`)).json() as AnalyticsEventPage;
    expect(ranged.items.map((item) => item.occurred_at).sort()).toEqual([
      new Date(base + 60_000).toISOString(),
      new Date(base + 2 * 60_000).toISOString(),
    ]);

    const typed = (await get(`user_id=${userId}&event_type=media.succeeded`)).json() as AnalyticsEventPage;
    expect(typed.items).toHaveLength(3);
    expect(new Set(typed.items.map((item) => item.event_type))).toEqual(new Set(['media.succeeded']));

    const both = await get(`user_id=${userId}&event_type=media.succeeded&event_type=media.uploaded`);
    expect(both.json().items).toHaveLength(7);
  });

  it.each([
    ['a malformed cursor', 'cursor=bm9wZQ', 'ANALYTICS.INVALID_CURSOR'],
    [
      'a range that ends before it starts',
      'from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z',
      'ANALYTICS.INVALID_RANGE',
    ],
    ['a limit above 200', 'limit=201', 'REQUEST.VALIDATION'],
    ['an unknown parameter', 'colour=blue', 'REQUEST.VALIDATION'],
    ['a user id that is not a UUID', 'user_id=42', 'REQUEST.VALIDATION'],
  ])('answers %s with 422', async (_case, query, code) => {
    const response = await get(query);
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ code });
  });
});
