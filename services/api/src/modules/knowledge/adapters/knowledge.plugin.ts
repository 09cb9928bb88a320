import type { HttpApp } from '@flotilla/platform';
import { registerMultipart } from '../../../http/multipart-upload.js';
import type { Knowledge } from '../knowledge.deps.js';
import { registerKnowledgeRoutes } from './knowledge.routes.js';

/** The knowledge routes, in their own scope (where multipart bodies are parsed as streams). */
export async function registerKnowledge(app: HttpApp, knowledge: Knowledge): Promise<void> {
  await app.register(async (scope: HttpApp) => {
    await registerMultipart(scope, knowledge.maxUploadBytes);
    registerKnowledgeRoutes(scope, knowledge);
  });
}
