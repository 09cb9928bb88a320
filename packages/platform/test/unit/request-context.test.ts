import { describe, expect, it } from 'vitest';
import { getRequestId, resolveRequestId, runWithContext } from '../../src/context/request-context.js';

describe('request id', () => {
  it('keeps a valid inbound id', () => {
    expect(resolveRequestId('req-123_abc.DEF:9')).toBe('req-123_abc.DEF:9');
    expect(resolveRequestId(['first', 'second'])).toBe('first');
  });

  it('replaces a missing, oversized or unsafe id with a fresh UUID', () => {
    const uuid = /^[0-9a-f-]{36}$/;
    expect(resolveRequestId(undefined)).toMatch(uuid);
    expect(resolveRequestId('a'.repeat(129))).toMatch(uuid);
    expect(resolveRequestId('bad id\nwith newline')).toMatch(uuid);
    expect(resolveRequestId('<script>')).toMatch(uuid);
  });

  it('is visible across awaits inside the context and absent outside it', async () => {
    expect(getRequestId()).toBeUndefined();
    const seen = await runWithContext({ requestId: 'ctx-1' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return getRequestId();
    });
    expect(seen).toBe('ctx-1');
    expect(getRequestId()).toBeUndefined();
  });
});
