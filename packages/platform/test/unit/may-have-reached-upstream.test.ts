import { describe, expect, it } from 'vitest';
import { serviceClientErrors, UpstreamHttpError } from '../../src/http/client/client-errors.js';
import {
  mayHaveReachedUpstream,
  upstreamTimeout,
  upstreamUnavailable,
} from '../../src/http/client/transport-failures.js';

const call = { upstream: 'data-postgres', method: 'POST', route: '/api/v1/media-jobs' };
const undici = (code: string) => Object.assign(new Error(code), { code });

describe('whether a failed call may still have been carried out', () => {
  it('may, when no answer says what happened: a timeout, or a connection lost mid-call', () => {
    expect(mayHaveReachedUpstream(upstreamTimeout(call, 'deadline of 10000 ms'))).toBe(true);
    expect(mayHaveReachedUpstream(upstreamTimeout(call, 'headers', undici('UND_ERR_HEADERS_TIMEOUT')))).toBe(
      true,
    );
    for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']) {
      expect(mayHaveReachedUpstream(upstreamUnavailable(call, code, undici(code))), code).toBe(true);
    }
  });

  it('may not, when the request never went out or an answer came back', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH']) {
      expect(mayHaveReachedUpstream(upstreamUnavailable(call, code, undici(code))), code).toBe(false);
    }
    expect(mayHaveReachedUpstream(upstreamTimeout(call, 'connect', undici('UND_ERR_CONNECT_TIMEOUT')))).toBe(
      false,
    );
    expect(mayHaveReachedUpstream(serviceClientErrors.CIRCUIT_OPEN())).toBe(false);
    const answered = new UpstreamHttpError({ ...call, status: 503, body: undefined });
    expect(mayHaveReachedUpstream(answered)).toBe(false);
    expect(mayHaveReachedUpstream(new Error('a bug'))).toBe(false);
  });
});
