import { createHash, randomBytes } from 'node:crypto';
import type { CreateMediaJobBody, CreateUserBody, MediaJob, User } from '@flotilla/contracts';
import type { TestService } from './test-service.js';

/** A syntactically valid argon2id PHC string (data-postgres stores what the api computed). */
export function argonHash(): string {
  return `$argon2id$v=19$m=65536,t=3,p=4$${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 hex of a fresh random token, as the api stores refresh tokens. */
export function tokenHash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('hex');
}

let counter = 0;

/** A create-user body with unique email and username. */
export function userBody(overrides: Partial<CreateUserBody> = {}): CreateUserBody {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}${randomBytes(2).toString('hex')}`;
  return {
    email: `user.${tag}@example.com`,
    username: `user_${tag}`,
    password_hash: argonHash(),
    ...overrides,
  };
}

/** Creates a user through the API and returns it. */
export async function createUser(
  service: TestService,
  overrides: Partial<CreateUserBody> = {},
): Promise<User> {
  const response = await service.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: service.auth,
    payload: userBody(overrides),
  });
  if (response.statusCode !== 201) throw new Error(`create user: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** A create-job body for a photo. */
export function jobBody(ownerId: string, overrides: Partial<CreateMediaJobBody> = {}): CreateMediaJobBody {
  return {
    owner_id: ownerId,
    kind: 'photo',
    original: {
      blob_id: randomBytes(12).toString('hex'),
      filename: 'cat.jpg',
      content_type: 'image/jpeg',
      size_bytes: 2_345_678,
    },
    ...overrides,
  };
}

/** Creates a media job through the API and returns it. */
export async function createJob(
  service: TestService,
  ownerId: string,
  overrides: Partial<CreateMediaJobBody> = {},
): Promise<MediaJob> {
  const response = await service.app.inject({
    method: 'POST',
    url: '/api/v1/media-jobs',
    headers: service.auth,
    payload: jobBody(ownerId, overrides),
  });
  if (response.statusCode !== 201) throw new Error(`create job: ${response.statusCode} ${response.body}`);
  return response.json();
}
