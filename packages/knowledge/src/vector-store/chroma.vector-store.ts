import type { Metadata, Where } from 'chromadb';
import {
  ChromaClient,
  ChromaConnectionError,
  ChromaNotFoundError,
  ChromaServerError,
  type Collection,
} from 'chromadb';
import { knowledgeErrors } from '../errors/knowledge.errors.js';
import {
  type ChunkMetadata,
  collectionName,
  type EmbedderStamp,
  type VectorMatch,
  type VectorStore,
} from './vector-store.port.js';

const MAX_WRITE_BATCH = 1000;
const MAX_CACHED_COLLECTIONS = 256;

/** Options of {@link createChromaVectorStore}. */
export interface ChromaVectorStoreOptions {
  /** ChromaDB server URL, e.g. `http://127.0.0.1:8100`. */
  url: string;
}

/**
 * The vector store on a ChromaDB server (API v2): one collection per owner, `kb_<owner id>`, cosine
 * space, stamped with `embedder` and `dimension` in its metadata. Embeddings are always passed in
 * (the collection has no embedding function). Connection and server failures raise
 * `KNOWLEDGE.STORE_UNAVAILABLE`.
 */
export function createChromaVectorStore(options: ChromaVectorStoreOptions): VectorStore {
  const url = new URL(options.url);
  const client = new ChromaClient({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    ssl: url.protocol === 'https:',
  });
  const cache = new Map<string, Collection>();

  function remember(ownerId: string, collection: Collection): Collection {
    if (cache.size >= MAX_CACHED_COLLECTIONS) cache.delete(cache.keys().next().value as string);
    cache.set(ownerId, collection);
    return collection;
  }

  async function existing(ownerId: string): Promise<Collection | undefined> {
    const cached = cache.get(ownerId);
    if (cached) return cached;
    try {
      return remember(ownerId, await client.getCollection({ name: collectionName(ownerId) }));
    } catch (error) {
      if (error instanceof ChromaNotFoundError) return undefined;
      throw error;
    }
  }

  async function forWriting(ownerId: string, stamp: EmbedderStamp): Promise<Collection> {
    const collection =
      (await existing(ownerId)) ??
      remember(
        ownerId,
        await client.getOrCreateCollection({
          name: collectionName(ownerId),
          embeddingFunction: null,
          configuration: { hnsw: { space: 'cosine' } },
          metadata: { embedder: stamp.embedder, dimension: stamp.dimension, owner_id: ownerId },
        }),
      );
    assertStamp(collection, stamp);
    return collection;
  }

  /** Runs `action`, retrying once with a fresh handle when the cached collection was dropped meanwhile. */
  async function withCollection<T>(
    ownerId: string,
    action: (collection: Collection) => Promise<T>,
  ): Promise<T | undefined> {
    return guard(async () => {
      const collection = await existing(ownerId);
      if (!collection) return undefined;
      try {
        return await action(collection);
      } catch (error) {
        if (!(error instanceof ChromaNotFoundError)) throw error;
        cache.delete(ownerId);
        const fresh = await existing(ownerId);
        return fresh ? action(fresh) : undefined;
      }
    });
  }

  return {
    async upsert(ownerId, stamp, records) {
      await guard(async () => {
        const collection = await forWriting(ownerId, stamp);
        for (let start = 0; start < records.length; start += MAX_WRITE_BATCH) {
          const batch = records.slice(start, start + MAX_WRITE_BATCH);
          await collection.upsert({
            ids: batch.map((record) => record.id),
            embeddings: batch.map((record) => record.embedding),
            documents: batch.map((record) => record.text),
            metadatas: batch.map((record) => ({ ...record.metadata }) as Metadata),
          });
        }
      });
    },

    async deleteDocument(ownerId, documentId, fromIndex = 0) {
      const where: Where =
        fromIndex > 0
          ? { $and: [{ document_id: documentId }, { chunk_index: { $gte: fromIndex } }] }
          : { document_id: documentId };
      const deleted = await withCollection(ownerId, async (collection) => {
        const result = await collection.delete({ where });
        return result.deleted;
      });
      return deleted ?? 0;
    },

    async query(ownerId, stamp, vector, k, queryOptions = {}) {
      const matches = await withCollection(ownerId, async (collection) => {
        assertStamp(collection, { embedder: stamp.embedder, dimension: vector.length });
        const where: Where | undefined =
          queryOptions.documentIds && queryOptions.documentIds.length > 0
            ? { document_id: { $in: [...queryOptions.documentIds] } }
            : undefined;
        const result = await collection.query<Metadata>({
          queryEmbeddings: [vector],
          nResults: k,
          ...(where ? { where } : {}),
          include: queryOptions.includeEmbeddings
            ? ['documents', 'metadatas', 'distances', 'embeddings']
            : ['documents', 'metadatas', 'distances'],
        });
        const ids = result.ids[0] ?? [];
        return ids.map((id, i): VectorMatch => {
          const embedding = result.embeddings[0]?.[i];
          return {
            id,
            text: result.documents[0]?.[i] ?? '',
            metadata: result.metadatas[0]?.[i] as unknown as ChunkMetadata,
            // Cosine distance is 1 - cosine similarity.
            score: 1 - (result.distances[0]?.[i] ?? 1),
            ...(embedding ? { embedding } : {}),
          };
        });
      });
      return matches ?? [];
    },

    async count(ownerId, documentId) {
      const total = await withCollection(ownerId, async (collection) => {
        if (documentId === undefined) return collection.count();
        const result = await collection.get({ where: { document_id: documentId }, include: [] });
        return result.ids.length;
      });
      return total ?? 0;
    },

    async documentIds(ownerId, documentId) {
      const ids = await withCollection(ownerId, async (collection) => {
        const result = await collection.get({ where: { document_id: documentId }, include: [] });
        return [...result.ids].sort();
      });
      return ids ?? [];
    },

    async dropOwner(ownerId) {
      cache.delete(ownerId);
      await guard(async () => {
        try {
          await client.deleteCollection({ name: collectionName(ownerId) });
        } catch (error) {
          if (!(error instanceof ChromaNotFoundError)) throw error;
        }
      });
    },

    async check() {
      await guard(() => client.heartbeat());
    },
  };
}

function assertStamp(collection: Collection, stamp: EmbedderStamp): void {
  const embedder = collection.metadata?.embedder;
  const dimension = collection.metadata?.dimension;
  if (embedder !== stamp.embedder || dimension !== stamp.dimension) {
    throw knowledgeErrors.EMBEDDER_MISMATCH({
      detail: `The collection holds vectors of ${String(embedder)} (${String(dimension)} dimensions), not of ${stamp.embedder} (${stamp.dimension}); re-ingest the owner's documents after changing embedders.`,
      data: { collection_embedder: embedder ?? null, embedder: stamp.embedder },
    });
  }
}

async function guard<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (
      error instanceof ChromaConnectionError ||
      error instanceof ChromaServerError ||
      isFetchFailure(error)
    ) {
      throw knowledgeErrors.STORE_UNAVAILABLE({
        detail: `ChromaDB is unreachable or failing (${error instanceof Error ? error.message.slice(0, 160) : 'unknown'}).`,
        cause: error,
      });
    }
    throw error;
  }
}

function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && /fetch failed/i.test(error.message);
}
