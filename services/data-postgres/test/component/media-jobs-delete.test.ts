import { createDataPostgresClient, type DataPostgresClient } from '@flotilla/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobBody, userBody } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

let service: TestService;
let client: DataPostgresClient;

beforeAll(async () => {
  service = await createTestService();
  const address = await service.app.listen({ host: '127.0.0.1', port: 0 });
  client = createDataPostgresClient({ baseUrl: address, callerName: 'api', serviceToken: service.token });
});
afterAll(async () => {
  await client?.close();
  await service?.close();
});

describe('deleting a media job', () => {
  it('deletes the job once (a repeat answers false) and keeps a document made from it, unlinked', async () => {
    const user = await client.users.create(userBody());
    const job = await client.mediaJobs.create(jobBody(user.id, { kind: 'document' }));
    const document = await client.documents.create({
      owner_id: user.id,
      title: 'Notes',
      content_type: 'text/plain',
      source_job_id: job.id,
    });

    expect(await client.mediaJobs.delete(job.id)).toBe(true);
    expect(await client.mediaJobs.get(job.id)).toBeNull();
    expect(await client.mediaJobs.delete(job.id)).toBe(false);
    expect((await client.documents.get(document.id))?.source_job_id).toBeNull();
  });

  it('answers 422 for an id that is not a UUID', async () => {
    const response = await service.app.inject({
      method: 'DELETE',
      url: '/api/v1/media-jobs/not-a-uuid',
      headers: service.auth,
    });
    expect(response.statusCode).toBe(422);
  });
});
