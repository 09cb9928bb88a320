import multipart from '@fastify/multipart';
import type { HttpApp } from '@flotilla/platform';
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

/** Registers the multipart parser (streaming mode, tight limits) in a scope. */
export async function registerMultipart(scope: HttpApp): Promise<void> {
  await scope.register(multipart, { limits: MULTIPART_LIMITS });
}

/** The media routes, in their own scope (where multipart bodies are parsed as streams). */
export async function registerMedia(app: HttpApp, media: Media): Promise<void> {
  await app.register(async (scope: HttpApp) => {
    await registerMultipart(scope);
    registerMediaRoutes(scope, media);
    registerMediaFileRoutes(scope, media);
    registerMediaEventRoutes(scope, media);
  });
}
