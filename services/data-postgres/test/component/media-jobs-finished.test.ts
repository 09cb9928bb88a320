import { setTimeout as sleep } from 'node:timers/promises';
import { createDataPostgresClient, type DataPostgresClient } from '@flotilla/contracts';
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

describe('listing finished media jobs (retention)', () => {
  it('lists succeeded and failed jobs finished before the threshold, oldest first, never live ones', async () => {
    const user = await client.users.create(userBody());
    const succeeded = await client.mediaJobs.create(jobBody(user.id));
    await client.mediaJobs.claim(succeeded.id, { lease_owner: 'w:1', lease_seconds: 60 });
    await client.mediaJobs.complete(succeeded.id, { lease_owner: 'w:1' });
    const failed = await client.mediaJobs.create(jobBody(user.id));
    await client.mediaJobs.claim(failed.id, { lease_owner: 'w:2', lease_seconds: 60 });
    await client.mediaJobs.fail(failed.id, {
      lease_owner: 'w:2',
      error: { code: 'MEDIA.CORRUPT', message: 'truncated' },
      retryable: false,
    });
    const queued = await client.mediaJobs.create(jobBody(user.id));
    const processing = await client.mediaJobs.create(jobBody(user.id));
    await client.mediaJobs.claim(processing.id, { lease_owner: 'w:3', lease_seconds: 60 });

    expect((await client.mediaJobs.listFinished({ older_than_seconds: 3600 })).items).toEqual([]);
    await sleep(1100);
    const { items } = await client.mediaJobs.listFinished({ older_than_seconds: 1 });
    const ids = items.map((job) => job.id);
    expect(ids).toEqual([succeeded.id, failed.id]);
    expect(ids).not.toContain(queued.id);
    expect(ids).not.toContain(processing.id);
    expect((await client.mediaJobs.listFinished({ older_than_seconds: 1, limit: 1 })).items).toHaveLength(1);
  });

  it('answers 422 without a threshold', async () => {
    const response = await service.app.inject({
      method: 'GET',
      url: '/api/v1/media-jobs/finished',
      headers: service.auth,
    });
    expect(response.statusCode).toBe(422);
  });
});
