import { createDataPostgresClient, type DataPostgresClient } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobBody, userBody } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

let service: TestService;
let client: DataPostgresClient;

beforeAll(async () => {
  service = await createTestService();
  const address = await service.app.listen({ host: '127.0.0.1', port: 0 });
  client = createDataPostgresClient({ baseUrl: address, callerName: 'worker', serviceToken: service.token });
});
afterAll(async () => {
  await client?.close();
  await service?.close();
});

describe('which blobs media jobs reference (the orphan sweep)', () => {
  it("answers the ids that are some job's original, result or thumbnail, and no other", async () => {
    const user = await client.users.create(userBody());
    const queued = await client.mediaJobs.create(jobBody(user.id));
    const done = await client.mediaJobs.create(jobBody(user.id));
    await client.mediaJobs.claim(done.id, { lease_owner: 'w:1', lease_seconds: 60 });
    const result = { blob_id: newId(), thumbnail_blob_id: newId() };
    await client.mediaJobs.complete(done.id, { lease_owner: 'w:1', result });
    const orphans = [newId(), newId()];

    const asked = [
      queued.original.blob_id,
      orphans[0] as string,
      done.original.blob_id,
      result.blob_id,
      result.thumbnail_blob_id,
      orphans[1] as string,
      queued.original.blob_id,
    ];
    const { referenced } = await client.mediaJobs.blobReferences({ blob_ids: asked });
    expect([...referenced].sort()).toEqual(
      [queued.original.blob_id, done.original.blob_id, result.blob_id, result.thumbnail_blob_id].sort(),
    );
    expect(await client.mediaJobs.blobReferences({ blob_ids: orphans })).toEqual({ referenced: [] });
  });

  it('forgets the blobs of a deleted job', async () => {
    const user = await client.users.create(userBody());
    const job = await client.mediaJobs.create(jobBody(user.id));
    await client.mediaJobs.delete(job.id);
    expect(await client.mediaJobs.blobReferences({ blob_ids: [job.original.blob_id] })).toEqual({
      referenced: [],
    });
  });

  it('looks each blob column up by index, without scanning every job', async () => {
    const user = await client.users.create(userBody());
    await client.mediaJobs.create(jobBody(user.id));
    const db = new pg.Client({ connectionString: service.database.url });
    await db.connect();
    try {
      // On a table this small the planner would rightly scan; with scans priced out it must still
      // find an index for each of the three lookups the endpoint runs.
      await db.query('SET enable_seqscan = off');
      for (const column of ['original_blob_id', 'result_blob_id', 'thumbnail_blob_id']) {
        const { rows } = await db.query(
          `EXPLAIN (FORMAT JSON) SELECT ${column} FROM media_jobs WHERE ${column} IN ($1, $2)`,
          [newId(), newId()],
        );
        const plan = JSON.stringify(rows[0]['QUERY PLAN']);
        expect(plan, column).toMatch(/"Index (Only )?Scan"|"Bitmap Index Scan"/);
        expect(plan, column).toContain(`media_jobs_${column.replace('_id', '')}_idx`);
      }
    } finally {
      await db.end();
    }
  });

  it('refuses an empty list, too many ids and ids with characters no blob id has, with a 4xx problem', async () => {
    const bodies = [
      { blob_ids: [] },
      { blob_ids: Array.from({ length: 501 }, () => newId()) },
      { blob_ids: ['with\u0000nul'] },
      { blob_ids: ['a'.repeat(65)] },
      {},
    ];
    for (const payload of bodies) {
      const response = await service.app.inject({
        method: 'POST',
        url: '/api/v1/media-jobs/blob-references',
        headers: service.auth,
        payload,
      });
      expect(response.statusCode, JSON.stringify(payload).slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });
});
