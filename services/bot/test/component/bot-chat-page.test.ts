import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../../../../tests/e2e/helpers/service-process.js';
import { ensureChromium } from '../../../../tests/support/chromium.js';
import { type BotHarness, PAGE_USER, startBotHarness } from '../support/bot-harness.js';
import { startWorkerProcess, stopWorkerProcess } from '../support/worker-process.js';

/** Where this test leaves its screenshot (git-ignored). */
const OUTPUT_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  '.cache',
  'test-output',
  'bot-chat-page',
);

let harness: BotHarness;
let worker: ServiceProcess;
let browser: Browser;

beforeAll(async () => {
  const executablePath = await ensureChromium();
  harness = await startBotHarness({ label: 'bot-chat-page' });
  worker = await startWorkerProcess(harness);
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}, 600_000);
afterAll(async () => {
  await browser?.close();
  if (worker) await stopWorkerProcess(worker);
  await harness?.stop();
});

describe('the sandbox chat page in a real browser', () => {
  it('links the account, sends a photo and shows the compressed photo the bot sends back', async () => {
    const user = await harness.createUser();
    const code = await harness.issueLinkCode(user.id);
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    try {
      await page.goto(`${harness.sandboxUrl}/`);
      await page.fill('#text', `/start ${code}`);
      await page.click('#send');
      await page.locator('.msg.bot', { hasText: 'Linked: this Telegram account now belongs to' }).waitFor();

      const photo = await sharp({
        create: { width: 900, height: 600, channels: 3, background: { r: 30, g: 120, b: 200 } },
      })
        .composite([
          {
            input: Buffer.from(
              '<svg width="900" height="600"><circle cx="450" cy="300" r="200" fill="orange"/></svg>',
            ),
          },
        ])
        .jpeg({ quality: 95 })
        .toBuffer();
      await page.setInputFiles('#file', { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: photo });
      await page.click('#send');
      await page.locator('.msg.bot', { hasText: 'Got your photo' }).waitFor();

      const returned = page.locator('img.bot-photo');
      await returned.waitFor({ timeout: 60_000 });
      // Evaluated in the page (a string: this file is compiled without the DOM types).
      await page.waitForFunction(
        "(() => { const image = document.querySelector('img.bot-photo'); return image && image.complete && image.naturalWidth > 0; })()",
      );
      const size = await returned.evaluate((image) => {
        const { naturalWidth, naturalHeight } = image as unknown as {
          naturalWidth: number;
          naturalHeight: number;
        };
        return [naturalWidth, naturalHeight];
      });
      expect(size).toEqual([256, 171]);
      await expect(page.locator('.msg.bot', { hasText: 'Your compressed photo:' }).count()).resolves.toBe(1);
      await page.locator('.msg.bot', { hasText: '✅ Done.' }).waitFor();

      await mkdir(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: join(OUTPUT_DIR, 'photo-returned.png'), fullPage: true });
      const transcript = await harness.telegram.transcript(PAGE_USER.id);
      expect(transcript.some((entry) => entry.from === 'user' && entry.photo !== undefined)).toBe(true);
    } finally {
      await page.close();
    }
  });
});
