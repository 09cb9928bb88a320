import type { KnowledgeDocument, User } from '@flotilla/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJob, createUser } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

let service: TestService;
let owner: User;
beforeAll(async () => {
  service = await createTestService();
  owner = await createUser(service);
});
afterAll(async () => service?.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  service.app.inject({ method, url, headers: service.auth, ...(payload && { payload }) });

async function createDocument(overrides: object = {}): Promise<KnowledgeDocument> {
  const response = await call('POST', '/api/v1/documents', {
    owner_id: owner.id,
    title: 'Handbook',
    content_type: 'application/pdf',
    ...overrides,
  });
  expect(response.statusCode).toBe(201);
  return response.json();
}

describe('knowledge-base documents', () => {
  it('are created pending, linked to their source job, and read back', async () => {
    const job = await createJob(service, owner.id, { kind: 'document' });
    const document = await createDocument({ source_job_id: job.id });
    expect(document).toMatchObject({
      owner_id: owner.id,
      source_job_id: job.id,
      status: 'pending',
      chunk_count: 0,
      error: null,
      indexed_at: null,
    });
    expect((await call('GET', `/api/v1/documents/${document.id}`)).json()).toEqual(document);
  });

  it('are found by their source job', async () => {
    const job = await createJob(service, owner.id, { kind: 'document' });
    const other = await createJob(service, owner.id, { kind: 'document' });
    const document = await createDocument({ source_job_id: job.id });
    await createDocument({ source_job_id: other.id });
    await createDocument();
    const found = (await call('GET', `/api/v1/documents?source_job_id=${job.id}`)).json();
    expect(found.items).toEqual([document]);
    const bad = await call('GET', '/api/v1/documents?source_job_id=not-a-uuid');
    expect(bad.statusCode).toBe(422);
  });

  it('refuse an unknown owner or source job with 422 and a field path, and a duplicate id with 409', async () => {
    const orphan = await call('POST', '/api/v1/documents', {
      owner_id: '0190a6e4-0000-7000-8000-000000000000',
      title: 'x',
      content_type: 'text/plain',
    });
    expect(orphan.json()).toMatchObject({ status: 422, code: 'DOCUMENT.OWNER_NOT_FOUND' });
    const noJob = await call('POST', '/api/v1/documents', {
      owner_id: owner.id,
      title: 'x',
      content_type: 'text/plain',
      source_job_id: '0190a6e4-0000-7000-8000-000000000000',
    });
    expect(noJob.json()).toMatchObject({
      code: 'DOCUMENT.SOURCE_JOB_NOT_FOUND',
      errors: [{ field: '/body/source_job_id', message: 'names no media job' }],
    });
    const document = await createDocument();
    const duplicate = await call('POST', '/api/v1/documents', {
      id: document.id,
      owner_id: owner.id,
      title: 'x',
      content_type: 'text/plain',
    });
    expect(duplicate.json()).toMatchObject({ status: 409, code: 'DOCUMENT.ALREADY_EXISTS' });
  });

  it('move to indexed with a chunk count, or to failed with an error', async () => {
    const document = await createDocument();
    const failed = await call('PATCH', `/api/v1/documents/${document.id}`, {
      status: 'failed',
      error: { code: 'DOCUMENT.UNREADABLE', message: 'No text layer' },
    });
    expect(failed.json()).toMatchObject({
      status: 'failed',
      error: { code: 'DOCUMENT.UNREADABLE' },
      indexed_at: null,
    });
    const indexed = await call('PATCH', `/api/v1/documents/${document.id}`, {
      status: 'indexed',
      chunk_count: 42,
    });
    expect(indexed.json()).toMatchObject({ status: 'indexed', chunk_count: 42, error: null });
    expect(indexed.json().indexed_at).not.toBeNull();
    const renamed = await call('PATCH', `/api/v1/documents/${document.id}`, { title: 'Handbook v2' });
    expect(renamed.json()).toMatchObject({ title: 'Handbook v2', status: 'indexed' });
  });

  it('reject an empty or invalid patch with 422 and an unknown id with 404', async () => {
    const document = await createDocument();
    expect((await call('PATCH', `/api/v1/documents/${document.id}`, {})).statusCode).toBe(422);
    expect((await call('PATCH', `/api/v1/documents/${document.id}`, { chunk_count: -1 })).statusCode).toBe(
      422,
    );
    expect((await call('PATCH', `/api/v1/documents/${document.id}`, { status: 'done' })).statusCode).toBe(
      422,
    );
    const missing = await call('PATCH', '/api/v1/documents/0190a6e4-0000-7000-8000-000000000000', {
      title: 'x',
    });
    expect(missing.json()).toMatchObject({ status: 404, code: 'DOCUMENT.NOT_FOUND' });
  });

  it('are listed by owner and status, newest first, and deleted', async () => {
    const reader = await createUser(service);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1)
      ids.push((await createDocument({ owner_id: reader.id, title: `Doc ${i}` })).id);
    await call('PATCH', `/api/v1/documents/${ids[1]}`, { status: 'indexed', chunk_count: 3 });
    const page = (await call('GET', `/api/v1/documents?owner_id=${reader.id}&limit=2`)).json();
    const rest = (
      await call('GET', `/api/v1/documents?owner_id=${reader.id}&limit=2&cursor=${page.next_cursor}`)
    ).json();
    expect([...page.items, ...rest.items].map((item: KnowledgeDocument) => item.id)).toEqual(
      [...ids].reverse(),
    );
    const indexed = (await call('GET', `/api/v1/documents?owner_id=${reader.id}&status=indexed`)).json();
    expect(indexed.items.map((item: KnowledgeDocument) => item.id)).toEqual([ids[1]]);

    expect((await call('DELETE', `/api/v1/documents/${ids[0]}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/documents/${ids[0]}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/api/v1/documents/${ids[0]}`)).statusCode).toBe(404);
  });

  it('disappear with their owner', async () => {
    const someone = await createUser(service);
    const document = await createDocument({ owner_id: someone.id });
    expect((await call('DELETE', `/api/v1/users/${someone.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/documents/${document.id}`)).statusCode).toBe(404);
  });
});
