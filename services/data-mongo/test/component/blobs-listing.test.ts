import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BlobMetadata, createDataMongoClient, type DataMongoClient } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService, testDatabaseName } from '../support/test-service.js';

const owner = newId();
let service: TestService;
let client: DataMongoClient;

beforeAll(async () => {
  service = await startTestService(testDatabaseName('dm_blob_list'));
  client = createDataMongoClient({
    baseUrl: await service.listen(),
    callerName: 'api',
    serviceToken: service.token,
  });
});
afterAll(async () => {
  await client?.close();
  await service?.close();
});

async function store(name: string): Promise<BlobMetadata> {
  const bytes = Buffer.from(`content of ${name}`);
  return client.blobs.upload(
    Readable.from(bytes),
    { filename: name, owner_id: owner, content_type: 'text/plain' },
    { contentLength: bytes.length },
  );
}

async function listAll(createdBefore: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await client.blobs.list({ created_before: createdBefore, limit, ...(cursor && { cursor }) });
    pages += 1;
    ids.push(...page.items.map((item) => item.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return { ids, pages };
}

describe('listing stored files by age', () => {
  it('lists the files created before the given time, the oldest first, page after page, and none after it', async () => {
    const older: BlobMetadata[] = [];
    for (let n = 0; n < 5; n += 1) older.push(await store(`old-${n}.txt`));
    await sleep(20);
    const threshold = new Date().toISOString();
    await sleep(20);
    const younger = await store('young.txt');

    const { ids, pages } = await listAll(threshold, 2);
    expect(ids).toEqual(older.map((blob) => blob.id));
    expect(pages).toBe(3);
    expect(ids).not.toContain(younger.id);

    const first = await client.blobs.list({ created_before: threshold, limit: 1 });
    expect(first.items[0]).toEqual(older[0]);
    const everything = await listAll(new Date(Date.now() + 60_000).toISOString(), 200);
    expect(everything.ids.at(-1)).toBe(younger.id);
  });

  it('lists nothing before the first file was stored', async () => {
    const page = await client.blobs.list({ created_before: '2000-01-01T00:00:00.000Z' });
    expect(page).toEqual({ items: [], next_cursor: null });
  });

  it('refuses a cursor it did not make, and a listing without its time, with a 4xx problem', async () => {
    const badCursor = await service.app.inject({
      method: 'GET',
      url: `/api/v1/blobs?created_before=${encodeURIComponent(new Date().toISOString())}&cursor=bm90LWEtY3Vyc29y`,
      headers: service.auth,
    });
    expect(badCursor.statusCode).toBe(422);
    expect(badCursor.headers['content-type']).toContain('application/problem+json');
    expect(badCursor.json()).toMatchObject({ code: 'BLOB.INVALID_CURSOR' });

    const noTime = await service.app.inject({ method: 'GET', url: '/api/v1/blobs', headers: service.auth });
    expect(noTime.statusCode).toBeGreaterThanOrEqual(400);
    expect(noTime.statusCode).toBeLessThan(500);
    expect(noTime.headers['content-type']).toContain('application/problem+json');

    const badTime = await service.app.inject({
      method: 'GET',
      url: '/api/v1/blobs?created_before=yesterday',
      headers: service.auth,
    });
    expect(badTime.statusCode).toBeGreaterThanOrEqual(400);
    expect(badTime.statusCode).toBeLessThan(500);
  });

  it('requires a service token', async () => {
    const response = await service.app.inject({
      method: 'GET',
      url: `/api/v1/blobs?created_before=${encodeURIComponent(new Date().toISOString())}`,
    });
    expect(response.statusCode).toBe(401);
  });
});
