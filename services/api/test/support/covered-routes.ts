/**
 * Which test file covers which operation of the api's OpenAPI document, as `METHOD /api/v1/path` with
 * Fastify's `:param` templates. `test/component/openapi.test.ts` fails when an operation of the document
 * is in no list; each listed file checks, after its tests, that it really called every route it claims
 * (`expectRoutesHit(harness, COVERED_ROUTES['<file>'])`). Add your module's files here.
 */
export const COVERED_ROUTES: Record<string, readonly string[]> = {
  // identity (auth, users, admin) and dead letters
  'auth.test.ts': [
    'POST /api/v1/auth/register',
    'POST /api/v1/auth/login',
    'POST /api/v1/auth/refresh',
    'POST /api/v1/auth/logout',
  ],
  'users.test.ts': [
    'GET /api/v1/users/me',
    'PATCH /api/v1/users/me',
    'POST /api/v1/users/me/password',
    'POST /api/v1/users/me/telegram/link-code',
    'DELETE /api/v1/users/me/telegram',
  ],
  'admin.test.ts': [
    'GET /api/v1/admin/users',
    'POST /api/v1/admin/users/:id/suspend',
    'POST /api/v1/admin/users/:id/reactivate',
    'GET /api/v1/admin/dead-letters/:queue',
    'GET /api/v1/admin/dead-letters/:queue/:message_id',
    'POST /api/v1/admin/dead-letters/:queue/replay',
    'DELETE /api/v1/admin/dead-letters/:queue',
  ],
  // media, knowledge, stats: their files go below.
  'media-upload.test.ts': ['POST /api/v1/media'],
  'media-jobs.test.ts': [
    'GET /api/v1/media',
    'GET /api/v1/media/:id',
    'DELETE /api/v1/media/:id',
    'GET /api/v1/media/:id/original',
    'GET /api/v1/media/:id/result',
    'GET /api/v1/media/:id/thumbnail',
  ],
  'media-events.test.ts': ['GET /api/v1/media/:id/events'],
  'knowledge.test.ts': [
    'POST /api/v1/knowledge/documents',
    'GET /api/v1/knowledge/documents',
    'GET /api/v1/knowledge/documents/:id',
    'DELETE /api/v1/knowledge/documents/:id',
    'POST /api/v1/ask',
  ],
  'stats.test.ts': ['GET /api/v1/stats/me', 'GET /api/v1/stats/system'],
};
