import { describe, expect, it } from 'vitest';
import { createAccessTokens } from '../../src/modules/identity/adapters/access-tokens.jose.js';

const options = {
  signingKey: 'a-signing-key-of-at-least-thirty-two-characters',
  keyId: 'k1',
  issuer: 'flotilla-api',
  audience: 'flotilla',
  ttlSeconds: 900,
};
const alice = { id: '01900000-0000-7000-8000-00000000000a', role: 'user' as const };

describe('access tokens', () => {
  it('verify what they issued, repeatedly', async () => {
    const tokens = createAccessTokens(options);
    const token = await tokens.issue(alice);
    expect(await tokens.verify(token)).toEqual(alice);
    expect(await tokens.verify(token)).toEqual(alice);
  });

  it('refuse anything but a JWT’s characters, with the same answer as a malformed header', async () => {
    const tokens = createAccessTokens(options);
    const token = await tokens.issue(alice);
    for (const bad of [` ${token}`, `${token} `, `${token}\u0000`, 'not a token', '']) {
      await expect(tokens.verify(bad), JSON.stringify(bad)).rejects.toMatchObject({
        code: 'AUTH.TOKEN_INVALID',
        detail: 'Send Authorization: Bearer <access token>',
      });
    }
  });

  it('refuse tokens of another key, another key id, another audience or issuer', async () => {
    const tokens = createAccessTokens(options);
    for (const other of [
      { signingKey: 'another-signing-key-of-thirty-two-characters!' },
      { keyId: 'k0' },
      { audience: 'someone-else' },
      { issuer: 'someone-else' },
    ]) {
      const foreign = await createAccessTokens({ ...options, ...other }).issue(alice);
      await expect(tokens.verify(foreign), JSON.stringify(other)).rejects.toMatchObject({
        code: 'AUTH.TOKEN_INVALID',
      });
    }
  });

  it('stop accepting a token once it expires, even after it was verified (and remembered) before', async () => {
    const tokens = createAccessTokens({ ...options, ttlSeconds: 2 });
    const token = await tokens.issue(alice);
    expect(await tokens.verify(token)).toEqual(alice);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'AUTH.TOKEN_EXPIRED' });
  });

  it('refuse a tampered payload (role raised to admin) with the original signature', async () => {
    const tokens = createAccessTokens(options);
    const [header, payload, signature] = (await tokens.issue(alice)).split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const raised = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    await expect(tokens.verify(`${header}.${raised}.${signature}`)).rejects.toMatchObject({
      code: 'AUTH.TOKEN_INVALID',
    });
  });
});
