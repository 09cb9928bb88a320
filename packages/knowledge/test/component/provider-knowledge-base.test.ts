import { randomUUID } from 'node:crypto';
import { createLogger, isDomainError } from '@flotilla/platform';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_PROMPT_VERSION } from '../../src/answering/answer-prompt.v1.js';
import { createKnowledgeBase, type KnowledgeBase } from '../../src/knowledge-base.js';
import { chromaUrl, knowledgeTestConfig } from '../support/knowledge-test-config.js';
import {
  type OpenAICompatibleServer,
  startOpenAICompatibleServer,
} from '../support/openai-compatible-server.js';

const logger = createLogger({ service: 'knowledge-test', version: 'test', level: 'silent' });
const owners: string[] = [];
let provider: OpenAICompatibleServer;
let kb: KnowledgeBase;
let registry: Registry;

function newOwner(): string {
  const owner = randomUUID();
  owners.push(owner);
  return owner;
}

function providerConfig(baseUrl: string) {
  return knowledgeTestConfig({
    LLM_API_KEY: 'test-key-0123456789abcdef',
    LLM_BASE_URL: baseUrl,
    LLM_CHAT_MODEL: 'double-chat',
    LLM_EMBEDDING_MODEL: 'double-embed',
    LLM_MAX_RETRIES: '2',
    LLM_TIMEOUT_MS: '5000',
    EMBEDDING_BATCH_SIZE: '4',
    EMBEDDING_CONCURRENCY: '2',
    KNOWLEDGE_CHUNK_SIZE: '200',
    KNOWLEDGE_CHUNK_OVERLAP: '0',
  });
}

const MANUAL = Array.from(
  { length: 10 },
  (_, i) =>
    `Step ${i}: ${i === 7 ? 'Reset the router by holding the power button for ten seconds.' : `Check cable number ${i} is firmly plugged in.`}`,
).join('\n\n');

beforeAll(async () => {
  provider = await startOpenAICompatibleServer();
  registry = new Registry();
  kb = createKnowledgeBase(providerConfig(provider.baseUrl), { chromaUrl: chromaUrl(), registry, logger });
});

afterAll(async () => {
  for (const owner of owners) await kb.store.dropOwner(owner);
  await provider.close();
});

describe('knowledge base with an OpenAI-compatible provider (local double)', () => {
  it('embeds in batches of the configured size through the provider and stamps the collection with its model', async () => {
    const owner = newOwner();
    const before = provider.requests.length;
    const result = await kb.ingest({
      documentId: randomUUID(),
      ownerId: owner,
      title: 'Router manual',
      contentType: 'text/plain',
      content: Buffer.from(MANUAL),
    });
    const calls = provider.requests.slice(before).filter((request) => request.path === '/v1/embeddings');
    expect(result.embedder).toBe('openai-compatible:double-embed');
    expect(calls).toHaveLength(Math.ceil(result.chunkCount / 4));
    expect(calls.every((call) => (call.body.input as string[]).length <= 4)).toBe(true);
    expect(calls[0]?.authorization).toBe('Bearer test-key-0123456789abcdef');
    expect(calls[0]?.body.model).toBe('double-embed');
  });

  it('answers with the chat model: citations, model, prompt version and token usage', async () => {
    const owner = newOwner();
    const documentId = randomUUID();
    await kb.ingest({
      documentId,
      ownerId: owner,
      title: 'Router manual',
      contentType: 'text/plain',
      content: Buffer.from(MANUAL),
    });
    const answer = await kb.ask({ ownerId: owner, question: 'How do I reset the router?', topK: 3 });
    expect(answer.mode).toBe('generative');
    expect(answer.model).toBe('double-chat');
    expect(answer.promptVersion).toBe(ANSWER_PROMPT_VERSION);
    expect(answer.answer).toContain('Reset the router by holding the power button');
    expect(answer.citations[0]).toMatchObject({ documentId, title: 'Router manual' });
    expect(answer.citations[0]?.snippet).toContain('Reset the router');
    expect(answer.usage?.inputTokens).toBeGreaterThan(0);
    expect(answer.usage?.totalTokens).toBe(
      (answer.usage?.inputTokens ?? 0) + (answer.usage?.outputTokens ?? 0),
    );
    const chatCall = provider.requests.findLast((request) => request.path === '/v1/chat/completions');
    expect(JSON.stringify(chatCall?.body.messages)).toContain('Use ONLY the numbered passages');
    const tokens = await registry.getSingleMetric('knowledge_llm_tokens_total')?.get();
    expect(tokens?.values.some((value) => value.labels.kind === 'input' && value.value > 0)).toBe(true);
  });

  it('does not call the chat model when nothing matches, and counts the empty context', async () => {
    const before = provider.requests.filter((request) => request.path === '/v1/chat/completions').length;
    const answer = await kb.ask({ ownerId: newOwner(), question: 'Anything at all?' });
    expect(answer.citations).toEqual([]);
    expect(answer.model).toBeNull();
    expect(provider.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(
      before,
    );
    const asks = await registry.getSingleMetric('knowledge_ask_total')?.get();
    expect(asks?.values).toContainEqual(
      expect.objectContaining({ labels: { mode: 'generative', context: 'empty' } }),
    );
  });

  it('retries a 429 with Retry-After, then succeeds', async () => {
    const owner = newOwner();
    provider.fail({ path: '/v1/embeddings', status: 429, times: 1, retryAfterSeconds: 0 });
    const before = provider.requests.length;
    const result = await kb.ingest({
      documentId: randomUUID(),
      ownerId: owner,
      title: 'Short',
      contentType: 'text/plain',
      content: Buffer.from('One short passage about routers.'),
    });
    expect(result.chunkCount).toBe(1);
    expect(
      provider.requests.slice(before).filter((request) => request.path === '/v1/embeddings'),
    ).toHaveLength(2);
    expect(await kb.store.count(owner)).toBe(1);
  });

  it('retries a 500 of the chat model, then answers', async () => {
    const owner = newOwner();
    await kb.ingest({
      documentId: randomUUID(),
      ownerId: owner,
      title: 'M',
      contentType: 'text/plain',
      content: Buffer.from(MANUAL),
    });
    provider.fail({ path: '/v1/chat/completions', status: 500, times: 1 });
    const answer = await kb.ask({ ownerId: owner, question: 'How do I reset the router?' });
    expect(answer.mode).toBe('generative');
  });

  it('fails with KNOWLEDGE.PROVIDER_UNAVAILABLE after its retries when the provider keeps failing', async () => {
    const owner = newOwner();
    provider.setBroken(true);
    const before = provider.requests.length;
    try {
      const failure = await kb
        .ingest({
          documentId: randomUUID(),
          ownerId: owner,
          title: 'X',
          contentType: 'text/plain',
          content: Buffer.from('Some text.'),
        })
        .catch((error: unknown) => error);
      expect(isDomainError(failure, 'KNOWLEDGE.PROVIDER_UNAVAILABLE')).toBe(true);
      expect((failure as Error).message).toContain('HTTP 500');
      expect(provider.requests.length - before).toBe(3);
      expect(await kb.store.count(owner)).toBe(0);
    } finally {
      provider.setBroken(false);
    }
  });

  it('fails with KNOWLEDGE.PROVIDER_UNAVAILABLE when the provider is down', async () => {
    const down = await startOpenAICompatibleServer();
    await down.close();
    const offline = createKnowledgeBase(providerConfig(down.baseUrl), {
      chromaUrl: chromaUrl(),
      registry: new Registry(),
      logger,
    });
    const failure = await offline
      .ingest({
        documentId: randomUUID(),
        ownerId: newOwner(),
        title: 'X',
        contentType: 'text/plain',
        content: Buffer.from('Text.'),
      })
      .catch((error: unknown) => error);
    expect(isDomainError(failure, 'KNOWLEDGE.PROVIDER_UNAVAILABLE')).toBe(true);
  });

  it('fails with KNOWLEDGE.PROVIDER_REJECTED, without retrying, when the key is refused', async () => {
    provider.fail({ path: '/v1/embeddings', status: 401, times: 1 });
    const before = provider.requests.length;
    const failure = await kb
      .ingest({
        documentId: randomUUID(),
        ownerId: newOwner(),
        title: 'X',
        contentType: 'text/plain',
        content: Buffer.from('Text.'),
      })
      .catch((error: unknown) => error);
    expect(isDomainError(failure, 'KNOWLEDGE.PROVIDER_REJECTED')).toBe(true);
    expect(provider.requests.length - before).toBe(1);
  });
});
