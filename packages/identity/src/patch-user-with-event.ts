import {
  type DataPostgresClient,
  type OutboxEvent,
  type PatchUserBody,
  type User,
  UserErrorCode,
  type UserUpdatedData,
} from '@flotilla/contracts';
import { isUpstreamHttpError } from '@flotilla/platform';
import type { OutboxEvents } from './telegram-link.ports.js';

/** Users as a change announced by `user.updated` reads and writes them. */
export type AnnouncedUserStore = Pick<DataPostgresClient['users'], 'get' | 'patch'>;

/** A change of a user and how `user.updated` names it. */
export interface AnnouncedUserChange {
  changes: Omit<PatchUserBody, 'events' | 'expected_version'>;
  changed: UserUpdatedData['changed'];
  /** The user as just read, if the caller has it (saves a read). */
  current?: User;
  /** Other events to store with the write (`telegram.linked`). */
  also?: OutboxEvent[];
}

const ATTEMPTS = 3;

/**
 * Applies a change to a user together with its `user.updated` event, in one data-postgres transaction
 * (the outbox publishes the event once the write commits, so a changed user always has its event). The
 * event carries the new version, so the write is conditional on the version it was built from
 * (`expected_version`); when another write got in between, the user is read again and the change
 * retried, up to three times. Resolves to the changed user, or `null` when there is no such user;
 * data-postgres's other refusals are rethrown as they came.
 */
export async function patchUserWithEvent(
  deps: { users: AnnouncedUserStore; events: OutboxEvents },
  userId: string,
  change: AnnouncedUserChange,
): Promise<User | null> {
  let current: User | null = change.current ?? null;
  for (let attempt = 1; ; attempt += 1) {
    current ??= await deps.users.get(userId);
    if (!current) return null;
    const updated = deps.events.prepare(
      'user.updated',
      {
        user_id: userId,
        version: current.version + 1,
        changed: change.changed,
        status: change.changes.status ?? current.status,
      },
      { userId },
    );
    try {
      return await deps.users.patch(userId, {
        ...change.changes,
        expected_version: current.version,
        events: [...(change.also ?? []), updated],
      });
    } catch (error) {
      const stale = isUpstreamHttpError(error) && error.upstreamCode === UserErrorCode.VERSION_MISMATCH;
      if (!stale || attempt >= ATTEMPTS) throw error;
      current = null;
    }
  }
}
