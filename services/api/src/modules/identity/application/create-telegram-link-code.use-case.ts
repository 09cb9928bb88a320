import type { LinkCodes } from './identity.ports.js';

/** Issues a one-time code the user sends to the bot as `/start <code>` to link their Telegram account. */
export function createCreateTelegramLinkCode(deps: { linkCodes: LinkCodes }) {
  return function createTelegramLinkCode(userId: string) {
    return deps.linkCodes.issue(userId);
  };
}
