/**
 * @packageDocumentation
 * A local Telegram Bot API sandbox: the subset of the Bot API Flotilla's bot uses (with Telegram's
 * semantics and error format), a control API with which tests play Telegram users, and a web chat
 * page for trying the bot offline.
 */

export type {
  BotState,
  CallRecord,
  SandboxUser,
  TranscriptEntry,
} from './bot-state.js';
export { generateBotToken, TOKEN_PATTERN } from './bot-state.js';
export { createSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';
export { createSandboxClient, type SandboxClient } from './sandbox-client.js';
