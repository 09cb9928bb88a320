import { randomBytes } from 'node:crypto';
import type { MediaFailedData } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../../../../tests/e2e/helpers/service-process.js';
import { type BotHarness, startBotHarness, waitFor } from '../support/bot-harness.js';
import { startWorkerProcess, stopWorkerProcess } from '../support/worker-process.js';

let harness: BotHarness;
let worker: ServiceProcess;

beforeAll(async () => {
  harness = await startBotHarness({ label: 'bot-files' });
  worker = await startWorkerProcess(harness);
});
afterAll(async () => {
  if (worker) await stopWorkerProcess(worker);
  await harness?.stop();
});

const startsWith = (prefix: string) => (message: { text?: string }) =>
  message.text?.startsWith(prefix) ?? false;

/** A noisy 800x600 JPEG at high quality: the worker shrinks it (max edge 256 in these tests). */
function noisyJpeg(): Promise<Buffer> {
  return sharp(randomBytes(800 * 600 * 3), { raw: { width: 800, height: 600, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

async function notificationCount(result: string): Promise<number> {
  const metric = await harness.bot.deps.runtime.metrics.registry
    .getSingleMetric('bot_notifications_total')
    ?.get();
  return (metric?.values ?? [])
    .filter((value) => value.labels.result === result)
    .reduce((sum, value) => sum + value.value, 0);
}

/** Publishes `media.failed` for a job of `ownerId`, as the worker would after a final failure. */
async function publishFailure(ownerId: string, data: Partial<MediaFailedData> = {}) {
  await harness.publisher.publish<MediaFailedData>(
    'media.failed',
    {
      job_id: newId(),
      owner_id: ownerId,
      kind: 'photo',
      source: 'telegram',
      error: { code: 'MEDIA.CORRUPT', message: 'bad data' },
      attempts: 1,
      ...data,
    },
    { userId: ownerId },
  );
}

describe('files through the bot', () => {
  it('takes a photo, edits its progress message, and sends back the photo compressed by the real worker', async () => {
    const { user, telegram: person } = await harness.linkedUser();
    const original = await noisyJpeg();
    await harness.telegram.sendPhoto(person, original);
    const received = await harness.telegram.waitForBotMessage(person.id, startsWith('📥 Got your photo'));
    const jobId = /Job ([0-9a-f-]{36})/.exec(received.text ?? '')?.[1] ?? '';
    const job = await harness.dataPostgres.mediaJobs.get(jobId);
    expect(job).toMatchObject({ owner_id: user.id, kind: 'photo', source: 'telegram' });

    const returned = await harness.telegram.waitForBotMessage(
      person.id,
      (message) => message.photo !== undefined,
      60_000,
    );
    expect(returned.caption).toMatch(/^Your compressed photo: .* → .*\(saved .* %\), 256×192\.$/);
    const bytes = await harness.telegram.file(returned.photo?.file_id ?? '');
    expect(bytes.length).toBeLessThan(original.length);
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 256, height: 192 });
    await harness.telegram.waitForBotMessage(
      person.id,
      (message) => message.message_id === received.message_id && startsWith('✅ Done')(message),
    );
  });

  it('indexes a document, then answers /ask citing it', async () => {
    const { telegram: person } = await harness.linkedUser();
    const text = 'Leave policy.\n\nNew staff get twenty-five days of paid leave in their first year.\n';
    await harness.telegram.sendDocument(person, {
      bytes: Buffer.from(text),
      fileName: 'handbook.txt',
      mimeType: 'text/plain',
    });
    await harness.telegram.waitForBotMessage(person.id, startsWith('📥 Got your document'));
    await harness.telegram.waitForBotMessage(
      person.id,
      startsWith('📚 “handbook” is in your knowledge base'),
      60_000,
    );
    await harness.telegram.sendText(person, '/ask How many days of paid leave do new staff get?');
    const answer = await harness.telegram.waitForBotMessage(person.id, startsWith('Extractive answer'));
    expect(answer.text).toContain('twenty-five days');
    expect(answer.text).toContain('Sources:\n[1] handbook (passage 1)');
  });

  it('takes a document whose Telegram name has a path and control characters, under its last segment', async () => {
    const { telegram: person } = await harness.linkedUser();
    await harness.telegram.sendDocument(person, {
      bytes: Buffer.from('Opening hours: nine to five.\n'),
      fileName: '../../etc/hours\u0007\u202e.txt',
      mimeType: 'text/plain',
    });
    await harness.telegram.waitForBotMessage(person.id, startsWith('📥 Got your document'));
    await harness.telegram.waitForBotMessage(
      person.id,
      startsWith('📚 “hours” is in your knowledge base'),
      60_000,
    );
  });

  it('refuses a file above the limit from its declared size, without downloading it', async () => {
    const { telegram: person } = await harness.linkedUser();
    const before = (await harness.telegram.calls()).filter(
      (call) => call.method === 'getFile' || call.method === 'download',
    );
    await harness.telegram.sendDocument(person, {
      bytes: Buffer.from('%PDF-1.4 tiny'),
      fileName: 'huge.pdf',
      mimeType: 'application/pdf',
      declaredSize: 30 * 1024 * 1024,
    });
    await harness.telegram.waitForBotMessage(person.id, startsWith('Sorry, this file is too large'));
    const after = (await harness.telegram.calls()).filter(
      (call) => call.method === 'getFile' || call.method === 'download',
    );
    expect(after).toHaveLength(before.length);
  });

  it('retries a reply after the retry_after of a 429', async () => {
    const person = harness.telegramUser();
    await harness.telegram.injectFault({ method: 'sendMessage', error_code: 429, retry_after: 1 });
    await harness.telegram.sendText(person, '/help');
    await harness.telegram.waitForBotMessage(person.id, startsWith('What I can do:'));
    const calls = (await harness.telegram.calls('sendMessage')).filter((call) => call.chat_id === person.id);
    expect(calls.map((call) => call.error_code ?? 200)).toEqual([429, 200]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('notifies the owner found from the job, even when the event names no chat', async () => {
    const { user, telegram: person } = await harness.linkedUser();
    await publishFailure(user.id);
    const message = await harness.telegram.waitForBotMessage(
      person.id,
      startsWith('Sorry, I could not process your photo'),
    );
    expect(message.text).toContain('the photo seems to be damaged (MEDIA.CORRUPT)');
  });

  it('marks a user who blocked the bot and does not write to them again', async () => {
    const { user, telegram: person } = await harness.linkedUser();
    await harness.telegram.setBlocked(person.id, true);
    const blockedBefore = await notificationCount('blocked');
    await publishFailure(user.id);
    await waitFor(
      'the 403 to be seen',
      async () => (await notificationCount('blocked')) === blockedBefore + 1,
    );
    await publishFailure(user.id);
    await waitFor(
      'the second notification skipped',
      async () => (await notificationCount('blocked')) === blockedBefore + 2,
    );
    const calls = (await harness.telegram.calls('sendMessage')).filter((call) => call.chat_id === person.id);
    // The /start reply, then one refused notification; the second was never attempted.
    expect(calls.map((call) => call.error_code ?? 200)).toEqual([200, 403]);
  });
});
