/**
 * RAG ingest, embedding excluded: `knowledge.ingest` of whole text documents (read, extraction, LangChain
 * splitting, upsert into the owner's Chroma collection with the embedder stamp check, stale-chunk
 * delete) vs raw Chroma `collection.add` of the same chunks, vectors, texts and metadata in batches.
 * Vectors are precomputed on both sides (a lookup embedder), so neither side pays for embedding.
 */
import { randomUUID } from 'node:crypto';
import {
  chunkId,
  collectionName,
  createKnowledgeBase,
  type Embedder,
  knowledgeEnv,
  lexicalVector,
  splitText,
  type TextChunk,
  toKnowledgeConfig,
} from '@flotilla/knowledge';
import { loadConfig } from '@flotilla/platform';
import { ChromaClient } from 'chromadb';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { seededRandom } from '../../tests/support/seeded-random.js';
import { compare, round, runLoad, type Scenario } from '../lib/measure.js';
import { benchLogger, chromaUrl, paragraph, vocabulary } from '../lib/rag-corpus.js';

const DIMENSION = 384;
const CONCURRENCY = 2;
const DOCUMENTS = 40;

const scenario: Scenario = {
  name: 'rag-ingest',
  description: `Knowledge-base ingest of a ~12 KB text document (extraction, splitting at 1000/150, upsert with stamp check, stale-chunk delete), embedding excluded (precomputed ${DIMENSION}-d vectors), vs raw Chroma collection.add of the same chunks in one batch, ${CONCURRENCY} concurrent documents.`,
  async run({ quick }) {
    const config = toKnowledgeConfig(loadConfig(Type.Object(knowledgeEnv()), { service: 'bench', env: {} }));
    const random = seededRandom(42);
    const words = vocabulary(3000, random);
    const texts = Array.from({ length: DOCUMENTS }, () =>
      Array.from({ length: 16 }, () => paragraph(words, 6, random)).join('\n\n'),
    );
    // Precompute every chunk's vector: the system's embedder is a lookup, the baseline reuses them.
    const vectors = new Map<string, number[]>();
    const chunked: TextChunk[][] = [];
    for (const text of texts) {
      const chunks = await splitText([{ text }], 'txt', config.chunking);
      for (const chunk of chunks) vectors.set(chunk.text, lexicalVector(chunk.text, DIMENSION));
      chunked.push(chunks);
    }
    const lookup: Embedder = {
      id: `bench-precomputed:${DIMENSION}`,
      semantic: false,
      async embedDocuments(batch) {
        return batch.map((text) => vectors.get(text) ?? lexicalVector(text, DIMENSION));
      },
      async embedQuery(text) {
        return lexicalVector(text, DIMENSION);
      },
    };
    const kb = createKnowledgeBase(config, {
      chromaUrl: chromaUrl(),
      registry: new Registry(),
      logger: benchLogger,
      embedder: lookup,
    });
    const url = new URL(chromaUrl());
    const chroma = new ChromaClient({ host: url.hostname, port: Number(url.port) });
    const systemOwner = randomUUID();
    const baselineOwner = randomUUID();
    const bounds = { maxOperations: quick ? 60 : 400, maxMs: quick ? 15_000 : 60_000, warmup: 3 };
    let embeddingMs = 0;
    let chunkCount = 0;
    try {
      let n = 0;
      const system = await runLoad(
        async () => {
          const index = n++ % DOCUMENTS;
          const result = await kb.ingest({
            documentId: randomUUID(),
            ownerId: systemOwner,
            title: `Document ${index}`,
            contentType: 'text/plain',
            content: Buffer.from(texts[index] as string),
          });
          embeddingMs += result.embeddingMs;
          chunkCount += result.chunkCount;
        },
        { label: 'knowledge.ingest (embedding excluded)', concurrency: CONCURRENCY, ...bounds },
      );

      const collection = await chroma.getOrCreateCollection({
        name: collectionName(baselineOwner),
        embeddingFunction: null,
        configuration: { hnsw: { space: 'cosine' } },
        metadata: { embedder: lookup.id, dimension: DIMENSION },
      });
      let m = 0;
      const baseline = await runLoad(
        async () => {
          const index = m++ % DOCUMENTS;
          const documentId = randomUUID();
          const chunks = chunked[index] ?? [];
          await collection.add({
            ids: chunks.map((chunk) => chunkId(documentId, chunk.index)),
            embeddings: chunks.map((chunk) => vectors.get(chunk.text) as number[]),
            documents: chunks.map((chunk) => chunk.text),
            metadatas: chunks.map((chunk) => ({
              document_id: documentId,
              owner_id: baselineOwner,
              chunk_index: chunk.index,
              title: `Document ${index}`,
              page: 0,
            })),
          });
        },
        { label: 'raw Chroma collection.add (same chunks)', concurrency: CONCURRENCY, ...bounds },
      );
      const chunksPerDocument = round(chunkCount / Math.max(1, system.operations + bounds.warmup));
      return [
        compare('rag/ingest', scenario.description, system, baseline, {
          concurrency: CONCURRENCY,
          notes: [
            `About ${chunksPerDocument} chunks per document; time spent in the embedder ${round(embeddingMs)} ms in all (lookup).`,
            'The system also reads and decodes the bytes, splits the text, checks the collection stamp and deletes chunks past the new end (one more Chroma call), which the baseline does not.',
          ],
        }),
      ];
    } finally {
      await kb.store.dropOwner(systemOwner);
      await kb.store.dropOwner(baselineOwner);
    }
  },
};

export default scenario;
