import multipart from '@fastify/multipart';
import { drainUnreadRequestBodies, type HttpApp } from '@flotilla/platform';
import type { Media } from '../media.deps.js';
import { registerMediaRoutes } from './media.routes.js';
import { registerMediaEventRoutes } from './media-events.routes.js';
import { registerMediaFileRoutes } from './media-files.routes.js';

/** Limits of every multipart request: one file and a few short text fields (the file's own limit is per route). */
export const MULTIPART_LIMITS = {
  fieldNameSize: 100,
  fieldSize: 1024,
  fields: 4,
  files: 1,
  parts: 6,
  headerPairs: 50,
};

/** Longest time the rest of a refused upload may take to arrive before its connection is closed. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Registers the multipart parser (streaming mode, tight limits) in a scope, and drains what a client is
 * still sending after an early answer (a refusal at once or midway), up to `maxUploadBytes` more.
 */
export async function registerMultipart(scope: HttpApp, maxUploadBytes: number): Promise<void> {
  await scope.register(multipart, { limits: MULTIPART_LIMITS });
  drainUnreadRequestBodies(scope, { maxBytes: maxUploadBytes, timeoutMs: DRAIN_TIMEOUT_MS });
}

/** The media routes, in their own scope (where multipart bodies are parsed as streams). */
export async function registerMedia(app: HttpApp, media: Media): Promise<void> {
  await app.register(async (scope: HttpApp) => {
    await registerMultipart(scope, media.maxUploadBytes);
    registerMediaRoutes(scope, media);
    registerMediaFileRoutes(scope, media);
    registerMediaEventRoutes(scope, media);
  });
}
