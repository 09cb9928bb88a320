import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { createLogger, isDomainError } from '@flotilla/platform';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createLexicalEmbedder } from '../../src/embeddings/lexical.embedder.js';
import { createKnowledgeBase, type KnowledgeBase } from '../../src/knowledge-base.js';
import { CONTENT_TYPES, makeDocx, makePdf } from '../support/fixtures.js';
import { chromaUrl, knowledgeTestConfig } from '../support/knowledge-test-config.js';

const logger = createLogger({ service: 'knowledge-test', version: 'test', level: 'silent' });
const owners: string[] = [];
const config = knowledgeTestConfig({ KNOWLEDGE_CHUNK_SIZE: '300', KNOWLEDGE_CHUNK_OVERLAP: '50' });

function newKnowledgeBase(registry = new Registry()): KnowledgeBase {
  return createKnowledgeBase(config, { chromaUrl: chromaUrl(), registry, logger });
}
function newOwner(): string {
  const owner = randomUUID();
  owners.push(owner);
  return owner;
}
const kb = newKnowledgeBase();

afterAll(async () => {
  for (const owner of owners) await kb.store.dropOwner(owner);
});

const GARDEN = [
  'Tomatoes need six to eight hours of direct sunlight every day.',
  'Water tomato plants deeply twice a week rather than a little every day.',
  'Basil grows well next to tomatoes and keeps some pests away.',
].join('\n\n');

describe('offline knowledge base (lexical embedder, real ChromaDB)', () => {
  it('ingests each format and stores one vector per chunk under the owner', async () => {
    const owner = newOwner();
    const documents = [
      { contentType: CONTENT_TYPES.txt, content: Buffer.from(GARDEN), expect: 'sunlight' },
      { contentType: CONTENT_TYPES.md, content: Buffer.from(`# Garden\n\n${GARDEN}`), expect: 'Basil' },
      {
        contentType: CONTENT_TYPES.pdf,
        content: await makePdf([['Compost heaps need air.'], ['Turn the compost every two weeks.']]),
        expect: 'compost',
      },
      {
        contentType: CONTENT_TYPES.docx,
        content: await makeDocx(['Prune roses in late winter.']),
        expect: 'roses',
      },
    ];
    for (const document of documents) {
      const documentId = randomUUID();
      const progress: number[] = [];
      const result = await kb.ingest(
        {
          documentId,
          ownerId: owner,
          title: `A ${document.contentType}`,
          contentType: document.contentType,
          content: document.content,
        },
        { onProgress: ({ embedded }) => void progress.push(embedded) },
      );
      expect(result.chunkCount).toBeGreaterThan(0);
      expect(await kb.store.count(owner, documentId)).toBe(result.chunkCount);
      expect(progress[0]).toBe(0);
      expect(progress.at(-1)).toBe(result.chunkCount);
    }
    const pdfAnswer = await kb.ask({ ownerId: owner, question: 'How often should I turn the compost?' });
    expect(pdfAnswer.citations[0]).toMatchObject({ page: 2 });
    expect(pdfAnswer.answer).toContain('Turn the compost every two weeks.');
  });

  it('re-ingesting a document writes the same ids and the same count, and a shorter version leaves no stale chunk', async () => {
    const owner = newOwner();
    const documentId = randomUUID();
    const long = Array.from(
      { length: 8 },
      (_, i) => `Section ${i}. ${'Lorem ipsum dolor sit amet. '.repeat(8)}`,
    ).join('\n\n');
    const input = { documentId, ownerId: owner, title: 'Long', contentType: 'text/plain' };
    const first = await kb.ingest({ ...input, content: Buffer.from(long) });
    const idsBefore = await kb.store.documentIds(owner, documentId);
    const second = await kb.ingest({ ...input, content: Readable.from([Buffer.from(long)]) });
    expect(second.chunkCount).toBe(first.chunkCount);
    expect(await kb.store.documentIds(owner, documentId)).toEqual(idsBefore);
    expect(idsBefore).toContain(`${documentId}:0`);

    const shorter = await kb.ingest({ ...input, content: Buffer.from('Only one short section now.') });
    expect(shorter.chunkCount).toBe(1);
    expect(await kb.store.documentIds(owner, documentId)).toEqual([`${documentId}:0`]);
  });

  it('answers offline with the passage that holds the answer, marked extractive', async () => {
    const owner = newOwner();
    const garden = randomUUID();
    await kb.ingest({
      documentId: garden,
      ownerId: owner,
      title: 'Garden notes',
      contentType: 'text/plain',
      content: Buffer.from(GARDEN),
    });
    await kb.ingest({
      documentId: randomUUID(),
      ownerId: owner,
      title: 'Travel',
      contentType: 'text/plain',
      content: Buffer.from('The train to Lyon leaves at nine. Bring the passports and the tickets.'),
    });
    const registry = new Registry();
    const answer = await newKnowledgeBase(registry).ask({
      ownerId: owner,
      question: 'How often should I water the tomato plants?',
    });
    expect(answer.mode).toBe('extractive');
    expect(answer.model).toBeNull();
    expect(answer.citations[0]).toMatchObject({ documentId: garden, title: 'Garden notes' });
    expect(answer.answer).toContain('Water tomato plants deeply twice a week');
    expect(answer.answer).toMatch(/^Extractive answer/);
    const asks = await registry.getSingleMetric('knowledge_ask_total')?.get();
    expect(asks?.values).toContainEqual(
      expect.objectContaining({ labels: { mode: 'extractive', context: 'found' }, value: 1 }),
    );
  });

  it("never shows one owner's documents to another owner", async () => {
    const alice = newOwner();
    const bob = newOwner();
    await kb.ingest({
      documentId: randomUUID(),
      ownerId: alice,
      title: 'Secret',
      contentType: 'text/plain',
      content: Buffer.from('The vault code is 4711 and the vault is behind the painting.'),
    });
    await kb.ingest({
      documentId: randomUUID(),
      ownerId: bob,
      title: 'Bob notes',
      contentType: 'text/plain',
      content: Buffer.from('Bob likes cycling on Sundays.'),
    });
    const answer = await kb.ask({
      ownerId: bob,
      question: 'What is the vault code behind the painting?',
      topK: 12,
    });
    expect(answer.citations.every((citation) => citation.title === 'Bob notes')).toBe(true);
    expect(answer.answer).not.toContain('4711');
    const stranger = await kb.ask({ ownerId: newOwner(), question: 'What is the vault code?' });
    expect(stranger.citations).toEqual([]);
  });

  it('removes the vectors of a deleted document, and a second delete removes nothing', async () => {
    const owner = newOwner();
    const keep = randomUUID();
    const remove = randomUUID();
    await kb.ingest({
      documentId: keep,
      ownerId: owner,
      title: 'Keep',
      contentType: 'text/plain',
      content: Buffer.from(GARDEN),
    });
    const removed = await kb.ingest({
      documentId: remove,
      ownerId: owner,
      title: 'Remove',
      contentType: 'text/markdown',
      content: Buffer.from(`# X\n\n${GARDEN}`),
    });
    expect(await kb.deleteDocumentVectors({ ownerId: owner, documentId: remove })).toEqual({
      deleted: removed.chunkCount,
    });
    expect(await kb.store.count(owner, remove)).toBe(0);
    expect(await kb.store.count(owner, keep)).toBeGreaterThan(0);
    expect(await kb.deleteDocumentVectors({ ownerId: owner, documentId: remove })).toEqual({ deleted: 0 });
  });

  it('refuses to mix embedders in one collection', async () => {
    const owner = newOwner();
    await kb.ingest({
      documentId: randomUUID(),
      ownerId: owner,
      title: 'A',
      contentType: 'text/plain',
      content: Buffer.from(GARDEN),
    });
    const other = createKnowledgeBase(config, {
      chromaUrl: chromaUrl(),
      registry: new Registry(),
      logger,
      embedder: createLexicalEmbedder({ dimension: 128 }),
    });
    const failure = await other
      .ingest({
        documentId: randomUUID(),
        ownerId: owner,
        title: 'B',
        contentType: 'text/plain',
        content: Buffer.from(GARDEN),
      })
      .catch((error: unknown) => error);
    expect(isDomainError(failure, 'KNOWLEDGE.EMBEDDER_MISMATCH')).toBe(true);
    const askFailure = await other
      .ask({ ownerId: owner, question: 'tomatoes?' })
      .catch((error: unknown) => error);
    expect(isDomainError(askFailure, 'KNOWLEDGE.EMBEDDER_MISMATCH')).toBe(true);
  });

  it('with MMR, prefers a different passage over a duplicate of the best one', async () => {
    const owner = newOwner();
    const copyA = randomUUID();
    const copyB = randomUUID();
    const other = randomUUID();
    const text = 'Tomatoes need six to eight hours of direct sunlight every day.';
    for (const documentId of [copyA, copyB]) {
      await kb.ingest({
        documentId,
        ownerId: owner,
        title: 'Copy',
        contentType: 'text/plain',
        content: Buffer.from(text),
      });
    }
    await kb.ingest({
      documentId: other,
      ownerId: owner,
      title: 'Other',
      contentType: 'text/plain',
      content: Buffer.from('Peppers need less direct sunlight than tomatoes and more water.'),
    });
    const question = 'How many hours of direct sunlight do tomatoes need every day?';
    const plain = await kb.ask({ ownerId: owner, question, topK: 2 });
    expect(new Set(plain.citations.map((citation) => citation.documentId))).toEqual(new Set([copyA, copyB]));
    const diverse = await kb.ask({ ownerId: owner, question, topK: 2, mmr: true });
    expect(diverse.citations.map((citation) => citation.documentId)).toContain(other);
  });

  it('bounds the question and k', async () => {
    const owner = newOwner();
    const tooLong = await kb
      .ask({ ownerId: owner, question: 'x'.repeat(1001) })
      .catch((error: unknown) => error);
    expect(isDomainError(tooLong, 'KNOWLEDGE.QUESTION_TOO_LONG')).toBe(true);
    const empty = await kb.ask({ ownerId: owner, question: '   ' }).catch((error: unknown) => error);
    expect(isDomainError(empty, 'KNOWLEDGE.INVALID_QUESTION')).toBe(true);
    const text = Array.from({ length: 40 }, (_, i) => `Fact ${i} about tomatoes and sunlight.`).join('\n\n');
    await kb.ingest({
      documentId: randomUUID(),
      ownerId: owner,
      title: 'Many',
      contentType: 'text/plain',
      content: Buffer.from(text),
    });
    const answer = await kb.ask({ ownerId: owner, question: 'tomatoes sunlight', topK: 1000 });
    expect(answer.citations.length).toBeLessThanOrEqual(config.retrieval.topKMax);
  });

  it('answers STORE_UNAVAILABLE when ChromaDB cannot be reached', async () => {
    const down = createKnowledgeBase(config, {
      chromaUrl: 'http://127.0.0.1:9',
      registry: new Registry(),
      logger,
    });
    const failure = await down
      .ask({ ownerId: newOwner(), question: 'anything?' })
      .catch((error: unknown) => error);
    expect(isDomainError(failure, 'KNOWLEDGE.STORE_UNAVAILABLE')).toBe(true);
    await expect(down.check()).rejects.toThrow();
  });
});
