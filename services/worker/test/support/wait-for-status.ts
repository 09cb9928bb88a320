import { waitFor } from '../../../../packages/platform/test/component/messaging-broker.js';

/** Polls `read` until the record it returns has `status`, then returns that record. */
export async function waitForStatus<T extends { status: string }>(
  what: string,
  read: () => Promise<T | null>,
  status: T['status'],
  timeoutMs = 20_000,
): Promise<T> {
  let record: T | null = null;
  await waitFor(
    `${what} to be ${status}`,
    async () => {
      record = await read();
      return record?.status === status;
    },
    timeoutMs,
  );
  return record as unknown as T;
}
