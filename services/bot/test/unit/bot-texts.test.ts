import { describe, expect, it } from 'vitest';
import { loadBotConfig } from '../../src/config.js';
import { humanReason } from '../../src/modules/notifications/application/failure-reasons.js';
import { splitLongText, TELEGRAM_TEXT_LIMIT } from '../../src/telegram/long-text.js';

const baseEnv = {
  DATA_SERVICE_TOKEN: 'x'.repeat(32),
  REDIS_URL: 'redis://127.0.0.1:6379',
  RABBITMQ_URL: 'amqp://127.0.0.1:5672',
  BOT_TOKEN: '123456:abcdefghijklmnopqrstuvwxyz',
};

describe('long replies', () => {
  it('are split at Telegram’s 4096 characters, at a line break when there is one', () => {
    const paragraph = `${'word '.repeat(150).trim()}\n`;
    const text = paragraph.repeat(20);
    const parts = splitLongText(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
    expect(parts.join(' ').trim().split(/\s+/)).toHaveLength(20 * 150);
    expect(parts[0]?.endsWith('word')).toBe(true);
  });

  it('are cut anywhere when there is no break, and never inside a surrogate pair', () => {
    const text = `${'a'.repeat(4095)}😀${'b'.repeat(10)}`;
    const parts = splitLongText(text);
    expect(parts).toEqual(['a'.repeat(4095), `😀${'b'.repeat(10)}`]);
  });

  it('leave a short text alone', () => {
    expect(splitLongText('hello')).toEqual(['hello']);
  });
});

describe('failure reasons', () => {
  it('say what went wrong in words, with the code', () => {
    expect(humanReason({ code: 'MEDIA.TOO_MANY_PIXELS', message: 'x' })).toBe(
      'the photo has too many pixels (MEDIA.TOO_MANY_PIXELS)',
    );
    expect(humanReason({ code: 'SOMETHING.NEW', message: 'x' })).toContain('something went wrong');
  });
});

describe('bot configuration', () => {
  it('requires the webhook URL and secret in webhook mode, and reports both at once', () => {
    expect(() => loadBotConfig({ ...baseEnv, BOT_MODE: 'webhook' })).toThrow(
      /BOT_WEBHOOK_URL.*\n.*BOT_WEBHOOK_SECRET/,
    );
  });

  it('refuses a malformed bot token and has no default for it', () => {
    expect(() => loadBotConfig({ ...baseEnv, BOT_TOKEN: 'nope' })).toThrow(/BOT_TOKEN/);
    const { BOT_TOKEN: _omitted, ...withoutToken } = baseEnv;
    expect(() => loadBotConfig(withoutToken)).toThrow(/BOT_TOKEN/);
  });

  it('polls Telegram by default', () => {
    expect(loadBotConfig(baseEnv)).toMatchObject({
      mode: 'polling',
      telegramApiRoot: 'https://api.telegram.org',
    });
  });
});
