import { Readable } from 'node:stream';
import { hashKeyPart, redisKey } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, startBotHarness, waitFor } from '../support/bot-harness.js';

let harness: BotHarness;

beforeAll(async () => {
  harness = await startBotHarness({ label: 'bot-commands' });
});
afterAll(() => harness?.stop());

const startsWith = (prefix: string) => (message: { text?: string }) =>
  message.text?.startsWith(prefix) ?? false;

async function createJob(ownerId: string, filename: string) {
  const bytes = Buffer.from('not really a photo');
  const blob = await harness.dataMongo.blobs.upload(
    Readable.from(bytes),
    { filename, owner_id: ownerId, content_type: 'image/jpeg' },
    { contentLength: bytes.length },
  );
  return harness.dataPostgres.mediaJobs.create({
    owner_id: ownerId,
    kind: 'photo',
    source: 'telegram',
    original: { blob_id: blob.id, filename, content_type: 'image/jpeg', size_bytes: bytes.length },
  });
}

describe('bot commands through the sandbox', () => {
  it('greets on /start and tells an unlinked user how to link', async () => {
    const person = harness.telegramUser();
    await harness.telegram.sendText(person, '/start');
    const reply = await harness.telegram.waitForBotMessage(person.id, startsWith('Hello Ada'));
    expect(reply.text).toContain('POST /api/v1/users/me/telegram/link-code');
  });

  it('links with a valid code, and tells the user so', async () => {
    const user = await harness.createUser();
    const person = harness.telegramUser();
    await harness.telegram.sendText(person, `/start ${await harness.issueLinkCode(user.id)}`);
    await harness.telegram.waitForBotMessage(
      person.id,
      startsWith(`Linked: this Telegram account now belongs to ${user.username}`),
    );
    expect((await harness.dataPostgres.users.get(user.id))?.telegram_id).toBe(person.id);
  });

  it('refuses a reused code and an expired one, and links nothing', async () => {
    const user = await harness.createUser();
    const first = harness.telegramUser();
    const code = await harness.issueLinkCode(user.id);
    await harness.telegram.sendText(first, `/link ${code}`);
    await harness.telegram.waitForBotMessage(first.id, startsWith('Linked'));

    const second = harness.telegramUser();
    await harness.telegram.sendText(second, `/link ${code}`);
    await harness.telegram.waitForBotMessage(
      second.id,
      startsWith('That code is unknown, expired or already used'),
    );

    const other = await harness.createUser();
    const expired = await harness.issueLinkCode(other.id, 20);
    await waitFor(
      'the code to expire',
      async () => (await harness.redis.exists(redisKey('linkcode', hashKeyPart(expired)))) === 0,
    );
    const third = harness.telegramUser();
    await harness.telegram.sendText(third, `/start ${expired}`);
    await harness.telegram.waitForBotMessage(
      third.id,
      startsWith('That code is unknown, expired or already used'),
    );
    expect((await harness.dataPostgres.users.get(other.id))?.telegram_id).toBeNull();
    expect(await harness.dataPostgres.users.getByTelegramId(second.id)).toBeNull();
  });

  it('asks for the code when /link comes without one, and takes the next message as the code', async () => {
    const user = await harness.createUser();
    const person = harness.telegramUser();
    await harness.telegram.sendText(person, '/link');
    await harness.telegram.waitForBotMessage(person.id, startsWith('Send me your one-time link code'));
    await harness.telegram.sendText(person, await harness.issueLinkCode(user.id));
    await harness.telegram.waitForBotMessage(person.id, startsWith('Linked'));
  });

  it('unlinks with /unlink, and says so when there is nothing to unlink', async () => {
    const { user, telegram: person } = await harness.linkedUser();
    await harness.telegram.sendText(person, '/unlink');
    await harness.telegram.waitForBotMessage(person.id, startsWith('Unlinked'));
    expect((await harness.dataPostgres.users.get(user.id))?.telegram_id).toBeNull();
    await harness.telegram.sendText(person, '/unlink');
    await harness.telegram.waitForBotMessage(person.id, startsWith('This Telegram account is not linked.'));
  });

  it('answers /help, unknown commands and unknown text with the help', async () => {
    const person = harness.telegramUser();
    for (const text of ['/help', '/frobnicate', 'hello there']) await harness.telegram.sendText(person, text);
    await waitFor('three help replies', async () => {
      const replies = (await harness.telegram.transcript(person.id)).filter((entry) => entry.from === 'bot');
      return replies.length === 3 && replies.every((reply) => reply.text?.startsWith('What I can do:'));
    });
  });

  it('tells an unlinked user to link before /files, /status, /ask and /stats', async () => {
    const person = harness.telegramUser();
    for (const text of ['/files', '/status x', '/ask what?', '/stats'])
      await harness.telegram.sendText(person, text);
    await waitFor('four replies', async () => {
      const replies = (await harness.telegram.transcript(person.id)).filter((entry) => entry.from === 'bot');
      return (
        replies.length === 4 &&
        replies.every((reply) => reply.text?.startsWith('This Telegram account is not linked yet'))
      );
    });
  });

  it('lists files a page at a time with Next and Previous buttons', async () => {
    const { user, telegram: person } = await harness.linkedUser();
    for (const name of ['one.jpg', 'two.jpg', 'three.jpg']) await createJob(user.id, name);
    await harness.telegram.sendText(person, '/files');
    const first = await harness.telegram.waitForBotMessage(person.id, startsWith('Your files (page 1)'));
    expect(first.text).toContain('three.jpg');
    expect(first.text).toContain('two.jpg');
    expect(first.text).not.toContain('one.jpg');
    const buttons = (
      first.reply_markup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }
    ).inline_keyboard;
    expect(buttons.flat().map((button) => button.text)).toEqual(['Next ▶']);

    const pressed = await harness.telegram.pressButton(person, first.message_id, 'files:1');
    const second = await harness.telegram.waitForBotMessage(person.id, startsWith('Your files (page 2)'));
    expect(second.message_id).toBe(first.message_id);
    expect(second.edits).toBe(1);
    expect(second.text).toContain('one.jpg');
    await waitFor(
      'the button answered',
      async () => (await harness.telegram.callbackAnswer(pressed.callback_query_id)).answered,
    );
  });

  it('shows one job with /status, and nobody else’s', async () => {
    const { user, telegram: person } = await harness.linkedUser();
    const job = await createJob(user.id, 'mine.jpg');
    const stranger = await createJob((await harness.createUser()).id, 'theirs.jpg');
    await harness.telegram.sendText(person, `/status ${job.id}`);
    const reply = await harness.telegram.waitForBotMessage(person.id, startsWith('🖼 Photo mine.jpg'));
    expect(reply.text).toContain('Status: 🕓 queued');
    await harness.telegram.sendText(person, `/status ${stranger.id}`);
    await harness.telegram.waitForBotMessage(person.id, startsWith('I know no job of yours with that id.'));
  });

  it('answers /stats with the user’s activity', async () => {
    const { telegram: person } = await harness.linkedUser();
    await harness.telegram.sendText(person, '/stats');
    const reply = await harness.telegram.waitForBotMessage(person.id, startsWith('Your last 30 days'));
    expect(reply.text).toContain('Photos compressed: 0');
  });

  it('waits for a question after a bare /ask, and /cancel forgets it', async () => {
    const { telegram: person } = await harness.linkedUser();
    await harness.telegram.sendText(person, '/ask');
    await harness.telegram.waitForBotMessage(person.id, startsWith('What would you like to know?'));
    await harness.telegram.sendText(person, '/cancel');
    await harness.telegram.waitForBotMessage(person.id, startsWith('Cancelled.'));
    await harness.telegram.sendText(person, 'so what now?');
    await waitFor('the help', async () =>
      (await harness.telegram.transcript(person.id)).some((entry) =>
        entry.text?.startsWith('What I can do:'),
      ),
    );
    await harness.telegram.sendText(person, '/cancel');
    await harness.telegram.waitForBotMessage(person.id, startsWith('Nothing to cancel.'));
  });

  it('answers /ask from an empty knowledge base in the offline extractive mode', async () => {
    const { telegram: person } = await harness.linkedUser();
    await harness.telegram.sendText(person, '/ask How many days of leave do new staff get?');
    const reply = await harness.telegram.waitForBotMessage(person.id, startsWith('Extractive answer'));
    expect(reply.text?.length).toBeGreaterThan('Extractive answer'.length);
  });
});
