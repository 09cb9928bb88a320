import type { User } from '@flotilla/contracts';
import { type createCompleteTelegramLink, telegramLinkErrors } from '@flotilla/identity';
import { isDomainError } from '@flotilla/platform';

/** What a `/start <code>` or `/link <code>` achieved, for the reply. */
export type LinkOutcome =
  | { status: 'linked'; user: User }
  | { status: 'already-linked'; user: User }
  | { status: 'invalid-code' }
  | { status: 'taken' };

const CODE_SHAPE = /^[A-Za-z0-9]{6,32}$/;

/**
 * Runs the shared `completeTelegramLink` (`@flotilla/identity`, the api's own) for the sender of a
 * verified update, and turns its expected errors into outcomes the bot answers in words.
 */
export function createLinkAccount(completeTelegramLink: ReturnType<typeof createCompleteTelegramLink>) {
  return async function linkAccount(code: string, telegramId: number): Promise<LinkOutcome> {
    if (!CODE_SHAPE.test(code)) return { status: 'invalid-code' };
    try {
      const link = await completeTelegramLink(code, telegramId, { chatId: telegramId });
      return { status: link.changed ? 'linked' : 'already-linked', user: link.user };
    } catch (error) {
      if (isDomainError(error, telegramLinkErrors.LINK_CODE_INVALID.definition.code))
        return { status: 'invalid-code' };
      if (isDomainError(error, telegramLinkErrors.ID_TAKEN.definition.code)) return { status: 'taken' };
      throw error;
    }
  };
}
