import { ConfigError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { knowledgeTestConfig } from '../support/knowledge-test-config.js';

describe('knowledge config', () => {
  it('runs offline when no provider key is set', () => {
    const config = knowledgeTestConfig();
    expect(config.provider).toBeUndefined();
    expect(config.retrieval).toEqual({ topK: 4, topKMax: 12, questionMaxChars: 1000 });
  });

  it('describes the provider when a key is set (OpenRouter by base URL)', () => {
    const config = knowledgeTestConfig({
      LLM_API_KEY: 'sk-or-v1-0123456789abcdef0123',
      LLM_BASE_URL: 'https://openrouter.ai/api/v1',
      LLM_CHAT_MODEL: 'openai/gpt-4o-mini',
    });
    expect(config.provider).toMatchObject({
      baseUrl: 'https://openrouter.ai/api/v1',
      chatModel: 'openai/gpt-4o-mini',
    });
  });

  it('refuses a short key and out-of-range numbers, all at once', () => {
    expect(() => knowledgeTestConfig({ LLM_API_KEY: 'short', KNOWLEDGE_CHUNK_SIZE: '10' })).toThrow(
      ConfigError,
    );
    try {
      knowledgeTestConfig({ LLM_API_KEY: 'short', KNOWLEDGE_CHUNK_SIZE: '10' });
    } catch (error) {
      expect((error as ConfigError).issues.map((issue) => issue.variable).sort()).toEqual([
        'KNOWLEDGE_CHUNK_SIZE',
        'LLM_API_KEY',
      ]);
    }
  });

  it('caps the overlap at half a chunk', () => {
    const config = knowledgeTestConfig({ KNOWLEDGE_CHUNK_SIZE: '400', KNOWLEDGE_CHUNK_OVERLAP: '1000' });
    expect(config.chunking).toEqual({ chunkSize: 400, chunkOverlap: 200 });
  });
});
