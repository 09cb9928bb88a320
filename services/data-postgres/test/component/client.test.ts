import {
  createDataPostgresClient,
  type DataPostgresClient,
  MediaJobErrorCode,
  RefreshTokenErrorCode,
  UserErrorCode,
} from '@flotilla/contracts';
import { isUpstreamHttpError } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argonHash, jobBody, tokenHash, userBody } from '../helpers/fixtures.js';
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

async function upstreamCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isUpstreamHttpError(error)) return error.upstreamCode;
    throw error;
  }
  return undefined;
}

describe('the typed data-postgres client', () => {
  it('creates, reads, lists, patches and deletes users', async () => {
    const hash = argonHash();
    const user = await client.users.create(
      userBody({ email: 'Client@Example.com', password_hash: hash, telegram_id: 123_456 }),
    );
    expect(user.email).toBe('client@example.com');
    expect(await client.users.get(user.id)).toEqual(user);
    expect(await client.users.getByEmail('CLIENT@example.com')).toEqual(user);
    expect(await client.users.getByTelegramId(123_456)).toEqual(user);
    expect(await client.users.getCredentialsByEmail('client@example.com')).toEqual({
      user,
      password_hash: hash,
    });
    expect(await client.users.getCredentials(user.id)).toEqual({ user, password_hash: hash });
    expect(await client.users.get('0190a6e4-0000-7000-8000-000000000000')).toBeNull();
    expect(await client.users.getByEmail('nobody@example.com')).toBeNull();

    const page = await client.users.list({ email_prefix: 'client@', limit: 10 });
    expect(page).toEqual({ items: [user], next_cursor: null });

    const patched = await client.users.patch(user.id, { display_name: 'Client' }, { ifMatch: 1 });
    expect(patched).toMatchObject({ display_name: 'Client', version: 2 });
    expect(await upstreamCode(client.users.patch(user.id, { display_name: 'Stale' }, { ifMatch: 1 }))).toBe(
      UserErrorCode.VERSION_MISMATCH,
    );
    expect(await upstreamCode(client.users.create(userBody({ email: 'client@EXAMPLE.com' })))).toBe(
      UserErrorCode.EMAIL_TAKEN,
    );
    expect(await client.users.delete(user.id, { ifMatch: 2 })).toBe(true);
    expect(await client.users.delete(user.id)).toBe(false);
  });

  it('stores, rotates and revokes refresh tokens', async () => {
    const user = await client.users.create(userBody());
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const token = await client.refreshTokens.create({
      user_id: user.id,
      token_hash: tokenHash(),
      expires_at: expiresAt,
    });
    expect(await client.refreshTokens.findByHash(token.token_hash)).toEqual(token);
    expect(await client.refreshTokens.findByHash(tokenHash())).toBeNull();
    const rotation = await client.refreshTokens.rotate({
      token_hash: token.token_hash,
      replacement: { token_hash: tokenHash(), expires_at: expiresAt },
    });
    expect(rotation.previous.replaced_by).toBe(rotation.current.id);
    const reuse = client.refreshTokens.rotate({
      token_hash: token.token_hash,
      replacement: { token_hash: tokenHash(), expires_at: expiresAt },
    });
    expect(await upstreamCode(reuse)).toBe(RefreshTokenErrorCode.REUSED);
    expect(await client.refreshTokens.revokeFamily(token.family_id)).toEqual({ revoked: 2 });
    expect(await client.refreshTokens.revokeAllForUser(user.id)).toEqual({ revoked: 0 });
  });

  it('drives a media job through its states and the schedule queries', async () => {
    const user = await client.users.create(userBody());
    const job = await client.mediaJobs.create(jobBody(user.id));
    expect(await client.mediaJobs.get(job.id)).toEqual(job);
    expect(await client.mediaJobs.get('0190a6e4-0000-7000-8000-000000000000')).toBeNull();
    expect((await client.mediaJobs.list({ owner_id: user.id, status: 'queued' })).items).toEqual([job]);

    await client.mediaJobs.claim(job.id, { lease_owner: 'worker-1', lease_seconds: 30 });
    expect(
      await upstreamCode(client.mediaJobs.claim(job.id, { lease_owner: 'worker-2', lease_seconds: 30 })),
    ).toBe(MediaJobErrorCode.ALREADY_LEASED);
    await client.mediaJobs.progress(job.id, { lease_owner: 'worker-1', progress: 50 });
    const failed = await client.mediaJobs.fail(job.id, {
      lease_owner: 'worker-1',
      error: { code: 'MEDIA.TIMEOUT', message: 'took too long' },
      retryable: true,
    });
    expect(failed.status).toBe('queued');
    await client.mediaJobs.claim(job.id, { lease_owner: 'worker-3', lease_seconds: 30 });
    const done = await client.mediaJobs.complete(job.id, {
      lease_owner: 'worker-3',
      result: { blob_id: 'out1', size_bytes: 10, bytes_saved: 5 },
    });
    expect(done).toMatchObject({
      status: 'succeeded',
      result: { blob_id: 'out1', size_bytes: 10, bytes_saved: 5 },
    });
    expect(await upstreamCode(client.mediaJobs.requeue(job.id))).toBe(MediaJobErrorCode.ILLEGAL_TRANSITION);

    expect(Array.isArray((await client.mediaJobs.listExpiredLeases()).items)).toBe(true);
    expect(Array.isArray((await client.mediaJobs.listStaleQueued({ older_than_seconds: 60 })).items)).toBe(
      true,
    );
  });

  it('creates, lists, patches and deletes documents', async () => {
    const user = await client.users.create(userBody());
    const document = await client.documents.create({
      owner_id: user.id,
      title: 'Notes',
      content_type: 'text/markdown',
    });
    expect(await client.documents.get(document.id)).toEqual(document);
    const indexed = await client.documents.patch(document.id, { status: 'indexed', chunk_count: 7 });
    expect(indexed).toMatchObject({ status: 'indexed', chunk_count: 7 });
    expect((await client.documents.list({ owner_id: user.id })).items).toEqual([indexed]);
    expect(await client.documents.delete(document.id)).toBe(true);
    expect(await client.documents.delete(document.id)).toBe(false);
    expect(await client.documents.get(document.id)).toBeNull();
  });

  it('reports a bad request as an UpstreamHttpError with field errors, without retrying it', async () => {
    try {
      await client.users.create({ ...userBody(), email: 'not-an-email' });
      expect.unreachable();
    } catch (error) {
      expect(isUpstreamHttpError(error, 422)).toBe(true);
      if (isUpstreamHttpError(error)) expect(error.problem?.errors?.[0]?.field).toBe('/body/email');
    }
  });
});
