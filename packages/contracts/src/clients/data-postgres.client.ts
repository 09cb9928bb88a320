import {
  createServiceClient,
  type ServiceClient,
  type ServiceClientOptions,
  UpstreamHttpError,
} from '@flotilla/platform';
import {
  type CreateKnowledgeDocumentBody,
  type KnowledgeDocument,
  KnowledgeDocumentErrorCode,
  type KnowledgeDocumentPage,
  type ListKnowledgeDocumentsQuery,
  type PatchKnowledgeDocumentBody,
} from '../http/data-postgres/documents.v1.js';
import {
  type BlobReferences,
  type BlobReferencesBody,
  type ClaimMediaJobBody,
  type CompleteMediaJobBody,
  type CreateMediaJobBody,
  type ExpiredLeasesQuery,
  type FailMediaJobBody,
  type FinishedJobsQuery,
  type ListMediaJobsQuery,
  type MediaJob,
  type MediaJobBatch,
  MediaJobErrorCode,
  type MediaJobPage,
  type MediaJobProgressBody,
  type ReleaseMediaJobBody,
  type RequeueMediaJobBody,
  type StaleQueuedQuery,
} from '../http/data-postgres/media-jobs.v1.js';
import {
  type CreateRefreshTokenBody,
  type RefreshToken,
  RefreshTokenErrorCode,
  type RefreshTokenRevocation,
  type RefreshTokenRotation,
  type RotateRefreshTokenBody,
} from '../http/data-postgres/refresh-tokens.v1.js';
import {
  type CreateUserBody,
  type ListUsersQuery,
  type PatchUserBody,
  type User,
  type UserCredentials,
  UserErrorCode,
  type UserPage,
} from '../http/data-postgres/users.v1.js';

/** Options of {@link createDataPostgresClient}: the service client's, with `name` defaulting to `data-postgres`. */
export type DataPostgresClientOptions = Omit<ServiceClientOptions, 'name'> & { name?: string };

/** Optimistic concurrency for a write: sent as `If-Match: "<version>"`. */
export interface IfMatch {
  ifMatch?: number;
}

/**
 * The typed client of data-postgres, used by api, bot and worker. Arguments and results are the
 * contract's types. Lookups answer `null` when the entity does not exist; every other unexpected status
 * throws `UpstreamHttpError` (its `upstreamCode` is one of the contract's error codes, e.g.
 * `UserErrorCode.EMAIL_TAKEN`, `MediaJobErrorCode.ALREADY_LEASED`). GETs are retried on transient
 * failures; writes are not.
 */
export interface DataPostgresClient {
  users: {
    create(body: CreateUserBody): Promise<User>;
    get(id: string): Promise<User | null>;
    getByEmail(email: string): Promise<User | null>;
    getByTelegramId(telegramId: number): Promise<User | null>;
    /** The user and its password hash, for login. */
    getCredentialsByEmail(email: string): Promise<UserCredentials | null>;
    /** The user and its password hash, for a password change. */
    getCredentials(id: string): Promise<UserCredentials | null>;
    list(query?: ListUsersQuery): Promise<UserPage>;
    /** 412 `USER.VERSION_MISMATCH` when `ifMatch` (or `body.expected_version`) is not current. */
    patch(id: string, body: PatchUserBody, options?: IfMatch): Promise<User>;
    /** `false` when there was no such user. */
    delete(id: string, options?: IfMatch): Promise<boolean>;
  };
  refreshTokens: {
    create(body: CreateRefreshTokenBody): Promise<RefreshToken>;
    findByHash(tokenHash: string): Promise<RefreshToken | null>;
    /** 409 `REFRESH_TOKEN.REUSED` / `.REVOKED` / `.EXPIRED` when the presented token may not be rotated. */
    rotate(body: RotateRefreshTokenBody): Promise<RefreshTokenRotation>;
    revokeFamily(familyId: string): Promise<RefreshTokenRevocation>;
    revokeAllForUser(userId: string): Promise<RefreshTokenRevocation>;
  };
  mediaJobs: {
    create(body: CreateMediaJobBody): Promise<MediaJob>;
    get(id: string): Promise<MediaJob | null>;
    list(query?: ListMediaJobsQuery): Promise<MediaJobPage>;
    claim(id: string, body: ClaimMediaJobBody): Promise<MediaJob>;
    progress(id: string, body: MediaJobProgressBody): Promise<MediaJob>;
    complete(id: string, body: CompleteMediaJobBody): Promise<MediaJob>;
    fail(id: string, body: FailMediaJobBody): Promise<MediaJob>;
    /** Back to `queued` without counting the attempt (the infrastructure stopped it, not the job). */
    release(id: string, body: ReleaseMediaJobBody): Promise<MediaJob>;
    requeue(id: string, body?: RequeueMediaJobBody): Promise<MediaJob>;
    listExpiredLeases(query?: ExpiredLeasesQuery): Promise<MediaJobBatch>;
    listStaleQueued(query: StaleQueuedQuery): Promise<MediaJobBatch>;
    /** Finished (`succeeded` or `failed`) jobs older than the threshold, oldest first (retention). */
    listFinished(query: FinishedJobsQuery): Promise<MediaJobBatch>;
    /** `false` when there was no such job. The job's blobs are the caller's to delete. */
    delete(id: string): Promise<boolean>;
    /** Which of these blob ids some job references (original, result or thumbnail); read only, retried. */
    blobReferences(body: BlobReferencesBody): Promise<BlobReferences>;
  };
  documents: {
    create(body: CreateKnowledgeDocumentBody): Promise<KnowledgeDocument>;
    get(id: string): Promise<KnowledgeDocument | null>;
    list(query?: ListKnowledgeDocumentsQuery): Promise<KnowledgeDocumentPage>;
    patch(id: string, body: PatchKnowledgeDocumentBody): Promise<KnowledgeDocument>;
    /** `false` when there was no such document. */
    delete(id: string): Promise<boolean>;
  };
  /** The underlying service client (circuit state, raw requests). */
  readonly http: ServiceClient;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

type Params = Record<string, string | number>;

/** Creates the typed data-postgres client over one pooled service client. */
export function createDataPostgresClient(options: DataPostgresClientOptions): DataPostgresClient {
  const http = createServiceClient({ ...options, name: options.name ?? 'data-postgres' });

  /** A read or delete where 404 with the entity's own code means "no such thing" (a route 404 still throws). */
  async function orMissing<T>(
    method: 'GET' | 'DELETE',
    path: string,
    params: Params,
    notFoundCode: string,
    headers?: Record<string, string>,
  ): Promise<{ found: true; body: T } | { found: false }> {
    const success = method === 'GET' ? 200 : 204;
    const response = await http.request<T>({
      method,
      path,
      params,
      expect: [success, 404],
      ...(headers && { headers }),
    });
    if (response.status === success) return { found: true, body: response.body };
    if ((response.body as { code?: unknown } | undefined)?.code === notFoundCode) return { found: false };
    throw new UpstreamHttpError({
      upstream: http.name,
      method,
      route: path,
      status: 404,
      body: response.body,
    });
  }

  async function get<T>(path: string, params: Params, notFoundCode: string): Promise<T | null> {
    const result = await orMissing<T>('GET', path, params, notFoundCode);
    return result.found ? result.body : null;
  }

  async function remove(path: string, params: Params, notFoundCode: string, ifMatch?: number) {
    const headers = ifMatch === undefined ? undefined : { 'if-match': `"${ifMatch}"` };
    return (await orMissing('DELETE', path, params, notFoundCode, headers)).found;
  }

  const post = <T>(path: string, body: unknown, params?: Params) =>
    http.json<T>('POST', path, { body, ...(params && { params }) });

  return {
    users: {
      create: (body) => post('/api/v1/users', body),
      get: (id) => get('/api/v1/users/:id', { id }, UserErrorCode.NOT_FOUND),
      getByEmail: (email) => get('/api/v1/users/by-email/:email', { email }, UserErrorCode.NOT_FOUND),
      getByTelegramId: (telegramId) =>
        get(
          '/api/v1/users/by-telegram-id/:telegram_id',
          { telegram_id: telegramId },
          UserErrorCode.NOT_FOUND,
        ),
      getCredentialsByEmail: (email) =>
        get('/api/v1/users/by-email/:email/credentials', { email }, UserErrorCode.NOT_FOUND),
      getCredentials: (id) => get('/api/v1/users/:id/credentials', { id }, UserErrorCode.NOT_FOUND),
      list: (query = {}) => http.json('GET', '/api/v1/users', { query }),
      patch: (id, body, options = {}) =>
        http.json('PATCH', '/api/v1/users/:id', {
          params: { id },
          body,
          ...(options.ifMatch !== undefined && { headers: { 'if-match': `"${options.ifMatch}"` } }),
        }),
      delete: (id, options = {}) =>
        remove('/api/v1/users/:id', { id }, UserErrorCode.NOT_FOUND, options.ifMatch),
    },
    refreshTokens: {
      create: (body) => post('/api/v1/refresh-tokens', body),
      findByHash: (tokenHash) =>
        get(
          '/api/v1/refresh-tokens/by-hash/:token_hash',
          { token_hash: tokenHash },
          RefreshTokenErrorCode.NOT_FOUND,
        ),
      rotate: (body) => post('/api/v1/refresh-tokens/rotate', body),
      revokeFamily: (familyId) =>
        http.json('POST', '/api/v1/refresh-tokens/families/:family_id/revoke', {
          params: { family_id: familyId },
        }),
      revokeAllForUser: (userId) =>
        http.json('POST', '/api/v1/refresh-tokens/users/:user_id/revoke', { params: { user_id: userId } }),
    },
    mediaJobs: {
      create: (body) => post('/api/v1/media-jobs', body),
      get: (id) => get('/api/v1/media-jobs/:id', { id }, MediaJobErrorCode.NOT_FOUND),
      list: (query = {}) => http.json('GET', '/api/v1/media-jobs', { query }),
      claim: (id, body) => post('/api/v1/media-jobs/:id/claim', body, { id }),
      progress: (id, body) => post('/api/v1/media-jobs/:id/progress', body, { id }),
      complete: (id, body) => post('/api/v1/media-jobs/:id/complete', body, { id }),
      fail: (id, body) => post('/api/v1/media-jobs/:id/fail', body, { id }),
      release: (id, body) => post('/api/v1/media-jobs/:id/release', body, { id }),
      requeue: (id, body = {}) => post('/api/v1/media-jobs/:id/requeue', body, { id }),
      listExpiredLeases: (query = {}) => http.json('GET', '/api/v1/media-jobs/expired-leases', { query }),
      listStaleQueued: (query) => http.json('GET', '/api/v1/media-jobs/stale-queued', { query }),
      listFinished: (query) => http.json('GET', '/api/v1/media-jobs/finished', { query }),
      delete: (id) => remove('/api/v1/media-jobs/:id', { id }, MediaJobErrorCode.NOT_FOUND),
      blobReferences: (body) =>
        http.json('POST', '/api/v1/media-jobs/blob-references', { body, idempotent: true }),
    },
    documents: {
      create: (body) => post('/api/v1/documents', body),
      get: (id) => get('/api/v1/documents/:id', { id }, KnowledgeDocumentErrorCode.NOT_FOUND),
      list: (query = {}) => http.json('GET', '/api/v1/documents', { query }),
      patch: (id, body) => http.json('PATCH', '/api/v1/documents/:id', { params: { id }, body }),
      delete: (id) => remove('/api/v1/documents/:id', { id }, KnowledgeDocumentErrorCode.NOT_FOUND),
    },
    http,
    close: () => http.close(),
  };
}
