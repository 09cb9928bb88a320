import { ANALYTICS_EVENT_DATA_MAX_BYTES } from '@flotilla/contracts';
import { describe, expect, it } from 'vitest';
import { findEventDataErrors } from '../../src/modules/analytics/event-data.js';
import { makeEvent } from '../support/events.js';

describe('the rules on event data', () => {
  it('accept ordinary nested data', () => {
    expect(
      findEventDataErrors([makeEvent({ data: { a: 1, b: { c: [1, { d: 'x' }] }, 'snake_case-key': null } })]),
    ).toEqual([]);
  });

  it('refuse data larger than the limit', () => {
    const errors = findEventDataErrors([
      makeEvent({ data: { s: 'x'.repeat(ANALYTICS_EVENT_DATA_MAX_BYTES) } }),
    ]);
    expect(errors).toEqual([{ field: '/body/0/data', message: expect.stringContaining('bytes') }]);
  });

  it('count bytes, not characters', () => {
    const justUnder = 'é'.repeat(Math.floor((ANALYTICS_EVENT_DATA_MAX_BYTES - 20) / 2));
    expect(findEventDataErrors([makeEvent({ data: { s: justUnder } })])).toEqual([]);
    const over = 'é'.repeat(ANALYTICS_EVENT_DATA_MAX_BYTES / 2 + 1);
    expect(findEventDataErrors([makeEvent({ data: { s: over } })])).toHaveLength(1);
  });

  it.each([
    [{ 'a.b': 1 }, '/body/0/data/a.b'],
    [{ $set: 1 }, '/body/0/data/$set'],
    [{ '': 1 }, '/body/0/data/'],
    [{ list: [{ 'x.y': 1 }] }, '/body/0/data/list/0/x.y'],
    [{ 'a/b': { 'c.d': 1 } }, '/body/0/data/a~1b/c.d'],
  ])('refuse the key of %j at %s', (data, field) => {
    expect(findEventDataErrors([makeEvent({ data })])).toEqual([{ field, message: expect.any(String) }]);
  });

  it('refuse an array directly inside an array (the store cannot keep one), wherever it is', () => {
    expect(findEventDataErrors([makeEvent({ data: { m: [[1, 2]] } })])).toEqual([
      { field: '/body/0/data/m/0', message: expect.stringContaining('array') },
    ]);
    expect(findEventDataErrors([makeEvent(), makeEvent({ data: { a: { b: [1, [true]] } } })])).toEqual([
      { field: '/body/1/data/a/b/1', message: expect.any(String) },
    ]);
    expect(findEventDataErrors([makeEvent({ data: { rows: [{ cells: [1, 2] }, []] } })])).toEqual([
      { field: '/body/0/data/rows/1', message: expect.any(String) },
    ]);
  });

  it('allow dots and dollars inside values', () => {
    expect(findEventDataErrors([makeEvent({ data: { path: 'a.b', price: '$5' } })])).toEqual([]);
  });

  it('refuse nesting deeper than the limit', () => {
    let data: Record<string, unknown> = { leaf: true };
    for (let level = 0; level < 20; level += 1) data = { next: data };
    const errors = findEventDataErrors([makeEvent(), makeEvent({ data })]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.field).toMatch(/^\/body\/1\/data(\/next)+$/);
  });
});
