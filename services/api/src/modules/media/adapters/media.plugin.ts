import type { HttpApp } from '@flotilla/platform';
import { registerMultipart } from '../../../http/multipart-upload.js';
import type { Media } from '../media.deps.js';
import { registerMediaRoutes } from './media.routes.js';
import { registerMediaEventRoutes } from './media-events.routes.js';
import { registerMediaFileRoutes } from './media-files.routes.js';

/** The media routes, in their own scope (where multipart bodies are parsed as streams). */
export async function registerMedia(app: HttpApp, media: Media): Promise<void> {
  await app.register(async (scope: HttpApp) => {
    await registerMultipart(scope, media.maxUploadBytes);
    registerMediaRoutes(scope, media);
    registerMediaFileRoutes(scope, media);
    registerMediaEventRoutes(scope, media);
  });
}
