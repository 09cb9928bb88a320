/**
 * RAG query: `knowledge.ask` in offline mode (lexical query embedding, top-4 retrieval from the owner's
 * collection, citations and the extractive answer) vs raw Chroma `collection.query` with the same query
 * embedding computed the same way, on one collection of at least 10,000 chunks, same run.
 */
import { randomUUID } from 'node:crypto';
import {
  chunkId,
  collectionName,
  createKnowledgeBase,
  knowledgeEnv,
  lexicalVector,
  toKnowledgeConfig,
  type VectorRecord,
} from '@flotilla/knowledge';
import { loadConfig } from '@flotilla/platform';
import { ChromaClient } from 'chromadb';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { seededRandom } from '../../tests/support/seeded-random.js';
import { compare, round, runLoad, type Scenario } from '../lib/measure.js';
import { benchLogger, chromaUrl, paragraph, vocabulary } from '../lib/rag-corpus.js';

const DIMENSION = 384;
const CHUNKS = 10_000;
const DOCUMENTS = 100;
const TOP_K = 4;
const CONCURRENCY = 4;

const scenario: Scenario = {
  name: 'rag-query',
  description: `knowledge.ask (offline: lexical ${DIMENSION}-d query vector, top-${TOP_K} from the owner's collection, citations, extractive answer) vs raw Chroma collection.query with the same vector, one collection of ${CHUNKS} chunks, ${CONCURRENCY} concurrent questions.`,
  async run({ quick }) {
    const config = toKnowledgeConfig(
      loadConfig(Type.Object(knowledgeEnv()), {
        service: 'bench',
        env: { LEXICAL_EMBEDDING_DIMENSION: String(DIMENSION), KNOWLEDGE_TOP_K: String(TOP_K) },
      }),
    );
    const kb = createKnowledgeBase(config, {
      chromaUrl: chromaUrl(),
      registry: new Registry(),
      logger: benchLogger,
    });
    const owner = randomUUID();
    const random = seededRandom(7);
    const words = vocabulary(5000, random);
    try {
      const seedStarted = performance.now();
      const perDocument = CHUNKS / DOCUMENTS;
      for (let d = 0; d < DOCUMENTS; d += 1) {
        const documentId = randomUUID();
        const records: VectorRecord[] = Array.from({ length: perDocument }, (_, i) => {
          const text = paragraph(words, 5, random);
          return {
            id: chunkId(documentId, i),
            embedding: lexicalVector(text, DIMENSION),
            text,
            metadata: {
              document_id: documentId,
              owner_id: owner,
              chunk_index: i,
              title: `Document ${d}`,
              page: 0,
            },
          };
        });
        await kb.store.upsert(owner, { embedder: kb.embedder.id, dimension: DIMENSION }, records);
      }
      const stored = await kb.store.count(owner);
      if (stored < CHUNKS) throw new Error(`only ${stored} chunks stored`);
      const seedSeconds = round((performance.now() - seedStarted) / 1000);
      const questions = Array.from({ length: 500 }, () => `${paragraph(words, 1, random).slice(0, 120)}?`);
      const bounds = { maxOperations: quick ? 1_000 : 10_000, maxMs: quick ? 10_000 : 30_000, warmup: 50 };

      let q = 0;
      const system = await runLoad(
        async () => {
          const answer = await kb.ask({
            ownerId: owner,
            question: questions[q++ % questions.length] as string,
          });
          if (answer.citations.length === 0) throw new Error('no citation');
        },
        { label: `knowledge.ask top-${TOP_K} (offline)`, concurrency: CONCURRENCY, ...bounds },
      );

      const url = new URL(chromaUrl());
      const chroma = new ChromaClient({ host: url.hostname, port: Number(url.port) });
      const collection = await chroma.getCollection({ name: collectionName(owner) });
      let r = 0;
      const baseline = await runLoad(
        async () => {
          const vector = lexicalVector(questions[r++ % questions.length] as string, DIMENSION);
          const result = await collection.query({
            queryEmbeddings: [vector],
            nResults: TOP_K,
            include: ['documents', 'metadatas', 'distances'],
          });
          if ((result.ids[0]?.length ?? 0) === 0) throw new Error('no result');
        },
        { label: `raw Chroma collection.query top-${TOP_K}`, concurrency: CONCURRENCY, ...bounds },
      );
      return [
        compare('rag/query', scenario.description, system, baseline, {
          concurrency: CONCURRENCY,
          notes: [
            `Collection of ${stored} chunks (${DOCUMENTS} documents), seeded in ${seedSeconds} s.`,
            'Both sides embed the question lexically; the system adds the owner-collection lookup (cached), the embedder stamp check, citations and the extractive answer.',
          ],
        }),
      ];
    } finally {
      await kb.store.dropOwner(owner);
    }
  },
};

export default scenario;
