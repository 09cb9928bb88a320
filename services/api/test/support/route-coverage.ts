import { expect } from 'vitest';

/** Asserts that the harness answered every route in `routes` (call in `afterAll`). */
export function expectRoutesHit(hits: ReadonlySet<string>, routes: readonly string[] | undefined): void {
  expect(routes, 'this file has no entry in COVERED_ROUTES').toBeDefined();
  const missing = (routes ?? []).filter((route) => !hits.has(route));
  expect(missing, 'routes claimed in COVERED_ROUTES but never called by this file').toEqual([]);
}
