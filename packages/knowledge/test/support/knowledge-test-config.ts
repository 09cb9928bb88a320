import { loadConfig } from '@flotilla/platform';
import { Type } from 'typebox';
import { type KnowledgeConfig, knowledgeEnv, toKnowledgeConfig } from '../../src/config/knowledge-env.js';

/** The knowledge config from variables, through the real loader (defaults for the rest). */
export function knowledgeTestConfig(env: Record<string, string> = {}): KnowledgeConfig {
  return toKnowledgeConfig(loadConfig(Type.Object(knowledgeEnv()), { env, service: 'knowledge-test' }));
}

/** ChromaDB of the test environment. */
export function chromaUrl(): string {
  const url = process.env.CHROMA_URL;
  if (!url) throw new Error('CHROMA_URL is not set (npm run infra -- up)');
  return url;
}
