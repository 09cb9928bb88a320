import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLogger } from '@flotilla/platform';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ANSWER_PROMPT_VERSION } from '../../src/answering/answer-prompt.v1.js';
import { createKnowledgeBase, type KnowledgeBase } from '../../src/knowledge-base.js';
import { chromaUrl, knowledgeTestConfig } from '../support/knowledge-test-config.js';
import {
  type OpenAICompatibleServer,
  startOpenAICompatibleServer,
} from '../support/openai-compatible-server.js';

const logger = createLogger({ service: 'knowledge-test', version: 'test', level: 'silent' });
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
const owners: { kb: KnowledgeBase; owner: string }[] = [];
let llm: OpenAICompatibleServer;
let offline: KnowledgeBase;
let withProvider: KnowledgeBase;

const GARDEN = [
  'Tomatoes need six to eight hours of direct sunlight every day.',
  'Water tomato plants deeply twice a week rather than a little every day.',
  'Basil grows well next to tomatoes and keeps some pests away.',
  'Stake tomato plants early, before their roots spread, so the stakes do not cut them.',
  'Pick tomatoes when they are evenly coloured and give slightly under the thumb.',
].join('\n\n');

function newOwner(kb: KnowledgeBase): string {
  const owner = randomUUID();
  owners.push({ kb, owner });
  return owner;
}

function ingestGarden(kb: KnowledgeBase, owner: string, documentId = randomUUID()) {
  return kb.ingest({
    documentId,
    ownerId: owner,
    title: 'Garden notes',
    contentType: 'text/plain',
    content: Buffer.from(GARDEN),
  });
}

function finished(name: string): ReadableSpan {
  const spans = exporter.getFinishedSpans().filter((span) => span.name === name);
  expect(spans, `one ${name} span`).toHaveLength(1);
  return spans[0] as ReadableSpan;
}

function childrenOf(parent: ReadableSpan): string[] {
  const { spanId, traceId } = parent.spanContext();
  return exporter
    .getFinishedSpans()
    .filter((span) => span.parentSpanContext?.spanId === spanId)
    .map((span) => {
      expect(span.spanContext().traceId).toBe(traceId);
      return span.name;
    });
}

/** Every attribute value of every span, and of their events (recorded exceptions), as one text. */
function recordedValues(): string {
  return JSON.stringify(
    exporter
      .getFinishedSpans()
      .flatMap((span) => [span.attributes, ...span.events.map((event) => event.attributes ?? {})]),
  );
}

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(tracerProvider);
  const registry = new Registry();
  llm = await startOpenAICompatibleServer();
  offline = createKnowledgeBase(
    knowledgeTestConfig({ KNOWLEDGE_CHUNK_SIZE: '200', KNOWLEDGE_CHUNK_OVERLAP: '0' }),
    {
      chromaUrl: chromaUrl(),
      registry,
      logger,
    },
  );
  withProvider = createKnowledgeBase(
    knowledgeTestConfig({
      LLM_API_KEY: 'test-key-0123456789abcdef',
      LLM_BASE_URL: llm.baseUrl,
      LLM_CHAT_MODEL: 'double-chat',
      LLM_EMBEDDING_MODEL: 'double-embed',
      LLM_MAX_RETRIES: '0',
    }),
    { chromaUrl: chromaUrl(), registry, logger },
  );
});

beforeEach(() => exporter.reset());

afterAll(async () => {
  for (const { kb, owner } of owners) await kb.store.dropOwner(owner);
  await llm.close();
  trace.disable();
  context.disable();
  await tracerProvider.shutdown();
});

describe('knowledge spans (OpenTelemetry SDK in memory, real ChromaDB)', () => {
  it('an ingest is one knowledge.ingest span over extract, split, embed and store, with counts and no content', async () => {
    const owner = newOwner(offline);
    const documentId = randomUUID();
    const result = await ingestGarden(offline, owner, documentId);

    const ingest = finished('knowledge.ingest');
    expect(ingest.parentSpanContext).toBeUndefined();
    expect(ingest.kind).toBe(SpanKind.INTERNAL);
    expect(ingest.instrumentationScope).toMatchObject({ name: '@flotilla/knowledge', version });
    expect(ingest.status.code).toBe(SpanStatusCode.UNSET);
    expect(childrenOf(ingest)).toEqual([
      'knowledge.extract',
      'knowledge.split',
      'knowledge.embed',
      'knowledge.store',
    ]);
    expect(result.chunkCount).toBeGreaterThan(1);
    expect(ingest.attributes).toEqual({
      'knowledge.document_id': documentId,
      'knowledge.content_type': 'text/plain',
      'knowledge.embedder': offline.embedder.id,
      'knowledge.chunks': result.chunkCount,
    });
    expect(finished('knowledge.extract').attributes).toEqual({ 'knowledge.format': 'txt' });
    expect(finished('knowledge.embed').attributes).toEqual({
      'knowledge.embedder': offline.embedder.id,
      'knowledge.texts': result.chunkCount,
    });
    expect(finished('knowledge.store').attributes).toEqual({ 'knowledge.chunks': result.chunkCount });
    const recorded = recordedValues();
    expect(recorded).not.toContain(owner);
    expect(recorded).not.toContain('Tomatoes');
  });

  it('an ask is one knowledge.ask span over embed, retrieve and an extractive generate, with hits and no question', async () => {
    const owner = newOwner(offline);
    await ingestGarden(offline, owner);
    exporter.reset();
    const question = 'How often should I water the tomato plants?';
    const answer = await offline.ask({ ownerId: owner, question, topK: 2 });

    const ask = finished('knowledge.ask');
    expect(ask.parentSpanContext).toBeUndefined();
    expect(childrenOf(ask)).toEqual(['knowledge.embed', 'knowledge.retrieve', 'knowledge.generate']);
    expect(finished('knowledge.embed').attributes).toEqual({
      'knowledge.embedder': offline.embedder.id,
      'knowledge.texts': 1,
    });
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(finished('knowledge.retrieve').attributes).toEqual({
      'knowledge.k': 2,
      'knowledge.mmr': false,
      'knowledge.hits': answer.citations.length,
      'knowledge.empty_context': false,
    });
    expect(finished('knowledge.generate').attributes).toEqual({ 'knowledge.mode': 'extractive' });
    const recorded = recordedValues();
    expect(recorded).not.toContain(owner);
    expect(recorded).not.toContain(question);
    expect(recorded).not.toContain('water');
  });

  it('an owner without documents gets a retrieve span with no hits and an empty context', async () => {
    await offline.ask({ ownerId: newOwner(offline), question: 'Where is the basil?', mmr: true });

    expect(finished('knowledge.retrieve').attributes).toEqual({
      'knowledge.k': 4,
      'knowledge.mmr': true,
      'knowledge.hits': 0,
      'knowledge.empty_context': true,
    });
    expect(finished('knowledge.generate').attributes).toEqual({ 'knowledge.mode': 'extractive' });
  });

  it('a document without text leaves the extract and ingest spans in ERROR with KNOWLEDGE.NO_TEXT, and nothing after', async () => {
    const owner = newOwner(offline);
    await expect(
      offline.ingest({
        documentId: randomUUID(),
        ownerId: owner,
        title: 'Blank',
        contentType: 'text/plain',
        content: Buffer.from(' \n\t\n'),
      }),
    ).rejects.toMatchObject({ code: 'KNOWLEDGE.NO_TEXT' });

    const ingest = finished('knowledge.ingest');
    expect(childrenOf(ingest)).toEqual(['knowledge.extract']);
    for (const span of [ingest, finished('knowledge.extract')]) {
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'KNOWLEDGE.NO_TEXT' });
      expect(span.events.map((event) => event.name)).toEqual(['exception']);
      expect(span.ended).toBe(true);
    }
    expect(recordedValues()).not.toContain(owner);
  });

  it('an empty question leaves the knowledge.ask span in ERROR with KNOWLEDGE.INVALID_QUESTION', async () => {
    await expect(offline.ask({ ownerId: newOwner(offline), question: '   ' })).rejects.toMatchObject({
      code: 'KNOWLEDGE.INVALID_QUESTION',
    });

    const ask = finished('knowledge.ask');
    expect(ask.status).toEqual({ code: SpanStatusCode.ERROR, message: 'KNOWLEDGE.INVALID_QUESTION' });
    expect(childrenOf(ask)).toEqual([]);
  });

  it('with a provider, knowledge.generate carries the model, the prompt version and the token usage', async () => {
    const owner = newOwner(withProvider);
    await ingestGarden(withProvider, owner);
    exporter.reset();
    const question = 'How many hours of sunlight do tomatoes need?';
    const answer = await withProvider.ask({ ownerId: owner, question });

    const ask = finished('knowledge.ask');
    expect(childrenOf(ask)).toEqual(['knowledge.embed', 'knowledge.retrieve', 'knowledge.generate']);
    expect(finished('knowledge.embed').attributes).toMatchObject({
      'knowledge.embedder': 'openai-compatible:double-embed',
    });
    expect(answer.usage?.inputTokens).toBeGreaterThan(0);
    expect(finished('knowledge.generate').attributes).toEqual({
      'knowledge.mode': 'generative',
      'gen_ai.request.model': 'double-chat',
      'knowledge.prompt_version': ANSWER_PROMPT_VERSION,
      'gen_ai.usage.input_tokens': answer.usage?.inputTokens,
      'gen_ai.usage.output_tokens': answer.usage?.outputTokens,
    });
    const recorded = recordedValues();
    expect(recorded).not.toContain(owner);
    expect(recorded).not.toContain(question);
  });
});
