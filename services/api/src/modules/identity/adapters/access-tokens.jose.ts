import { newId } from '@flotilla/platform';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { AccessTokens, Principal } from '../application/identity.ports.js';
import { identityErrors } from '../domain/identity.errors.js';

/** Options of {@link createAccessTokens}. */
export interface AccessTokenOptions {
  /** HS256 key (at least 32 characters). */
  signingKey: string;
  keyId: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const ALGORITHM = 'HS256';
const TOKEN_TYPE = 'at+jwt';
const MAX_TOKEN_LENGTH = 4096;
/** Verified tokens remembered (until their `exp`), so a client's repeated calls skip the HMAC check. */
const VERIFIED_CACHE_SIZE = 10_000;
/** A JWT's characters (base64url parts and dots); anything else is refused before any check. */
const TOKEN_SYNTAX = /^[A-Za-z0-9._~+/-]+=*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Short-lived access JWTs: HS256 only (the algorithm is pinned; `none` and every other algorithm are
 * refused), with `iss`, `aud`, `sub`, `iat`, `exp`, `jti`, header `kid` and `typ: at+jwt` (so no other kind
 * of JWT is accepted as an access token).
 */
export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  // Imported once as a WebCrypto key: verifying with it costs about half of passing raw bytes each time.
  const key = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(options.signingKey),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  // token -> principal and expiry (ms). Only tokens that passed full verification get in; each use re-checks
  // the expiry. Bounded: the oldest entry goes when full (Map keeps insertion order).
  const verified = new Map<string, { principal: Principal; expiresAtMs: number }>();

  function remember(token: string, principal: Principal, exp: number): void {
    if (verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(token, { principal, expiresAtMs: exp * 1000 });
  }

  return {
    ttlSeconds: options.ttlSeconds,
    async issue(principal) {
      return new SignJWT({ role: principal.role })
        .setProtectedHeader({ alg: ALGORITHM, kid: options.keyId, typ: TOKEN_TYPE })
        .setSubject(principal.id)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setExpirationTime(`${options.ttlSeconds}s`)
        .setJti(newId())
        .sign(await key);
    },
    async verify(token): Promise<Principal> {
      if (token.length > MAX_TOKEN_LENGTH) throw identityErrors.TOKEN_INVALID({ detail: 'Token too long' });
      const known = verified.get(token);
      if (known) {
        if (Date.now() < known.expiresAtMs) return known.principal;
        verified.delete(token);
      }
      if (!TOKEN_SYNTAX.test(token)) {
        throw identityErrors.TOKEN_INVALID({ detail: 'Send Authorization: Bearer <access token>' });
      }
      try {
        const { payload, protectedHeader } = await jwtVerify(token, await key, {
          algorithms: [ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          typ: TOKEN_TYPE,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        if (protectedHeader.kid !== options.keyId) throw new Error('unknown kid');
        const role = payload.role;
        if (!payload.sub || !UUID.test(payload.sub) || (role !== 'user' && role !== 'admin')) {
          throw new Error('malformed claims');
        }
        const principal: Principal = { id: payload.sub, role };
        remember(token, principal, payload.exp as number);
        return principal;
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw identityErrors.TOKEN_EXPIRED();
        throw identityErrors.TOKEN_INVALID({ cause: error });
      }
    },
  };
}
