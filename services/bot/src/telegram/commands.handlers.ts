import type { MediaJob, User } from '@flotilla/contracts';
import type { AskResult } from '@flotilla/knowledge';
import { Composer, InlineKeyboard } from 'grammy';
import type { UnlinkOutcome } from '../modules/accounts/application/unlink-telegram.use-case.js';
import type { MyStats } from '../modules/files/application/get-my-stats.use-case.js';
import type { FilesPage } from '../modules/files/application/list-files.use-case.js';
import { formatBytes } from '../modules/notifications/application/failure-reasons.js';
import type { BotContext } from './bot-context.js';
import type { LinkOutcome } from './link-account.js';
import { splitLongText } from './long-text.js';
import { describeJob, describeJobInDetail, TEXTS } from './texts.js';

/** The use cases the commands call (each a plain function). */
export interface CommandServices {
  findUser(telegramId: number): Promise<User | null>;
  linkTelegram(code: string, telegramId: number): Promise<LinkOutcome>;
  unlinkTelegram(telegramId: number): Promise<UnlinkOutcome>;
  listFiles(input: { ownerId: string; cursor?: string }): Promise<FilesPage>;
  getJobStatus(input: { ownerId: string; jobId: string }): Promise<MediaJob | undefined>;
  ask(input: { ownerId: string; question: string }): Promise<AskResult>;
  getMyStats(userId: string): Promise<MyStats>;
}

/** Replies with a text of any length (split at Telegram's 4096 characters). */
export async function replyLong(ctx: BotContext, text: string): Promise<void> {
  for (const part of splitLongText(text)) await ctx.reply(part);
}

function formatAnswer(result: AskResult): string {
  const label =
    result.mode === 'extractive' ? 'Extractive answer (passages from your documents, no model):\n' : '';
  const sources = result.citations.map(
    (citation, index) => `[${index + 1}] ${citation.title} (passage ${citation.chunkIndex + 1})`,
  );
  return `${label}${result.answer}${sources.length > 0 ? `\n\nSources:\n${sources.join('\n')}` : ''}`;
}

function formatStats(stats: MyStats): string {
  const lines = [`Your last ${stats.days} days: ${stats.events} events.`];
  for (const entry of stats.byType) lines.push(`• ${entry.type}: ${entry.count}`);
  lines.push(`Photos compressed: ${stats.photosCompressed}, saved ${formatBytes(stats.bytesSaved)}.`);
  return lines.join('\n');
}

/** The `/files` page `index` (0-based) as text and buttons. */
async function renderFilesPage(ctx: BotContext, services: CommandServices, user: User, index: number) {
  const cursors = ctx.session.filesCursors ?? [];
  const cursor = index === 0 ? undefined : cursors[index - 1];
  if (index > 0 && !cursor) return undefined;
  const page = await services.listFiles({ ownerId: user.id, ...(cursor ? { cursor } : {}) });
  if (page.items.length === 0 && index === 0) return { text: TEXTS.noFiles, keyboard: undefined };
  const next = [...cursors.slice(0, index)];
  if (page.nextCursor) next[index] = page.nextCursor;
  ctx.session.filesCursors = next;
  const keyboard = new InlineKeyboard();
  if (index > 0) keyboard.text('◀ Previous', `files:${index - 1}`);
  if (page.nextCursor) keyboard.text('Next ▶', `files:${index + 1}`);
  const text = [`Your files (page ${index + 1}):`, ...page.items.map(describeJob)].join('\n');
  return { text, keyboard: index > 0 || page.nextCursor ? keyboard : undefined };
}

/**
 * The commands. Each handler parses the update, calls a use case and replies; identity is the
 * verified update's `from.id` only. Commands that need an account tell an unlinked user how to link.
 */
export function createCommandHandlers(services: CommandServices): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  async function linkedUser(ctx: BotContext): Promise<User | undefined> {
    const user = ctx.from ? await services.findUser(ctx.from.id) : null;
    if (!user) await ctx.reply(TEXTS.notLinked);
    return user ?? undefined;
  }

  async function link(ctx: BotContext, code: string): Promise<void> {
    if (!ctx.from) return;
    ctx.session.awaiting = undefined;
    const outcome = await services.linkTelegram(code.trim(), ctx.from.id);
    if (outcome.status === 'linked') await ctx.reply(TEXTS.linked(outcome.user.username));
    else if (outcome.status === 'already-linked') await ctx.reply(TEXTS.alreadyLinked(outcome.user.username));
    else if (outcome.status === 'taken') await ctx.reply(TEXTS.taken);
    else await ctx.reply(TEXTS.invalidCode);
  }

  async function ask(ctx: BotContext, question: string): Promise<void> {
    const user = await linkedUser(ctx);
    if (!user) return;
    ctx.session.awaiting = undefined;
    await ctx.replyWithChatAction('typing');
    await replyLong(ctx, formatAnswer(await services.ask({ ownerId: user.id, question })));
  }

  composer.command('start', async (ctx) => {
    ctx.handlerName = 'start';
    if (ctx.match.trim()) return link(ctx, ctx.match);
    const user = ctx.from ? await services.findUser(ctx.from.id) : null;
    await ctx.reply(
      `${TEXTS.greeting(ctx.from?.first_name ?? 'there')}\n\n${user ? TEXTS.alreadyLinked(user.username) : TEXTS.notLinked}`,
    );
  });

  composer.command('help', async (ctx) => {
    ctx.handlerName = 'help';
    await ctx.reply(TEXTS.help);
  });

  composer.command('link', async (ctx) => {
    ctx.handlerName = 'link';
    if (ctx.match.trim()) return link(ctx, ctx.match);
    ctx.session.awaiting = 'link-code';
    await ctx.reply(TEXTS.askForCode);
  });

  composer.command('unlink', async (ctx) => {
    ctx.handlerName = 'unlink';
    if (!ctx.from) return;
    const outcome = await services.unlinkTelegram(ctx.from.id);
    await ctx.reply(outcome.status === 'unlinked' ? TEXTS.unlinked : TEXTS.notLinkedToUnlink);
  });

  composer.command('files', async (ctx) => {
    ctx.handlerName = 'files';
    const user = await linkedUser(ctx);
    if (!user) return;
    ctx.session.filesCursors = [];
    const page = await renderFilesPage(ctx, services, user, 0);
    if (page) await ctx.reply(page.text, page.keyboard ? { reply_markup: page.keyboard } : {});
  });

  composer.callbackQuery(/^files:(\d{1,4})$/, async (ctx) => {
    ctx.handlerName = 'files-page';
    const user = ctx.from ? await services.findUser(ctx.from.id) : null;
    const page = user ? await renderFilesPage(ctx, services, user, Number(ctx.match[1])) : undefined;
    await ctx.answerCallbackQuery(page ? {} : { text: 'This list is out of date; send /files again.' });
    if (page) {
      await ctx.editMessageText(page.text, page.keyboard ? { reply_markup: page.keyboard } : {});
    }
  });

  composer.command('status', async (ctx) => {
    ctx.handlerName = 'status';
    const user = await linkedUser(ctx);
    if (!user) return;
    const jobId = ctx.match.trim();
    if (!jobId) return void (await ctx.reply(TEXTS.statusUsage));
    const job = await services.getJobStatus({ ownerId: user.id, jobId });
    await ctx.reply(job ? describeJobInDetail(job) : TEXTS.jobNotFound);
  });

  composer.command('ask', async (ctx) => {
    ctx.handlerName = 'ask';
    if (ctx.match.trim()) return ask(ctx, ctx.match.trim());
    ctx.session.awaiting = 'question';
    await ctx.reply(TEXTS.askForQuestion);
  });

  composer.command('stats', async (ctx) => {
    ctx.handlerName = 'stats';
    const user = await linkedUser(ctx);
    if (!user) return;
    await ctx.reply(formatStats(await services.getMyStats(user.id)));
  });

  composer.command('cancel', async (ctx) => {
    ctx.handlerName = 'cancel';
    const had = ctx.session.awaiting !== undefined;
    ctx.session.awaiting = undefined;
    await ctx.reply(had ? TEXTS.cancelled : TEXTS.nothingToCancel);
  });

  // Plain text answers a pending question; anything else (unknown commands included) gets the help.
  composer.on('message:text', async (ctx) => {
    ctx.handlerName = 'text';
    const text = ctx.message.text;
    if (!text.startsWith('/') && ctx.session.awaiting === 'question') return ask(ctx, text);
    if (!text.startsWith('/') && ctx.session.awaiting === 'link-code') return link(ctx, text);
    await ctx.reply(TEXTS.help);
  });

  return composer;
}
