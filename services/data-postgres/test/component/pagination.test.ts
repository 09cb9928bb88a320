import { newId } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, jobBody } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

let service: TestService;
beforeAll(async () => {
  service = await createTestService();
});
afterAll(async () => service?.close());

describe('cursor pagination', () => {
  it('returns every job present at the start exactly once while other jobs are being inserted', async () => {
    const owner = await createUser(service);
    const { mediaJobs } = service.deps.repositories;
    const insert = () => {
      const body = jobBody(owner.id);
      return mediaJobs.create({
        id: newId(),
        ownerId: owner.id,
        kind: body.kind,
        original: {
          blobId: body.original.blob_id,
          filename: 'a.jpg',
          contentType: 'image/jpeg',
          sizeBytes: 1,
        },
      });
    };
    // Rows created in bursts share their millisecond: the id breaks the tie.
    const existing = new Set<string>();
    for (let burst = 0; burst < 12; burst += 1) {
      const rows = await Promise.all(Array.from({ length: 10 }, insert));
      for (const row of rows) existing.add(row.id);
    }

    let inserting = true;
    const inserted: string[] = [];
    const writer = (async () => {
      while (inserting) {
        const rows = await Promise.all(Array.from({ length: 3 }, insert));
        inserted.push(...rows.map((row) => row.id));
      }
    })();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    try {
      do {
        const url: string = `/api/v1/media-jobs?owner_id=${owner.id}&limit=7${cursor ? `&cursor=${cursor}` : ''}`;
        const response = await service.app.inject({ url, headers: service.auth });
        expect(response.statusCode).toBe(200);
        const page = response.json<{ items: Array<{ id: string }>; next_cursor: string | null }>();
        seen.push(...page.items.map((item) => item.id));
        cursor = page.next_cursor;
        pages += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
      } while (cursor);
    } finally {
      inserting = false;
      await writer;
    }

    expect(inserted.length).toBeGreaterThan(0);
    expect(pages).toBeGreaterThan(10);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
  });
});
