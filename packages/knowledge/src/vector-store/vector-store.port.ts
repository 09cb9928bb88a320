/** Metadata stored with each chunk (snake_case, as Chroma stores it). */
export interface ChunkMetadata {
  document_id: string;
  owner_id: string;
  chunk_index: number;
  title: string;
  /** 0 when the format has no pages. */
  page: number;
}

/** A chunk to store: its id, vector, text and metadata. */
export interface VectorRecord {
  id: string;
  embedding: number[];
  text: string;
  metadata: ChunkMetadata;
}

/** A retrieved chunk with its cosine similarity to the query (1 = same direction). */
export interface VectorMatch {
  id: string;
  text: string;
  metadata: ChunkMetadata;
  score: number;
  embedding?: number[];
}

/** Which embedder wrote (or queries) a collection, and the vectors' dimension. */
export interface EmbedderStamp {
  embedder: string;
  dimension: number;
}

/**
 * The owners' vector collections. Each owner has a collection of its own (tenant isolation): every
 * call names the owner, and nothing reads across owners.
 */
export interface VectorStore {
  /** Writes records (same id = overwrite); refuses with `KNOWLEDGE.EMBEDDER_MISMATCH` a collection stamped otherwise. */
  upsert(ownerId: string, stamp: EmbedderStamp, records: readonly VectorRecord[]): Promise<void>;
  /** Deletes a document's chunks whose index is at least `fromIndex` (all of them when 0). */
  deleteDocument(ownerId: string, documentId: string, fromIndex?: number): Promise<number>;
  /** The `k` nearest chunks of the owner's collection (none when it has no collection). */
  query(
    ownerId: string,
    stamp: { embedder: string },
    vector: number[],
    k: number,
    options?: { includeEmbeddings?: boolean; documentIds?: readonly string[] },
  ): Promise<VectorMatch[]>;
  /** Chunks stored for the owner, for one document or all. */
  count(ownerId: string, documentId?: string): Promise<number>;
  /** The ids stored for a document, sorted. */
  documentIds(ownerId: string, documentId: string): Promise<string[]>;
  /** Drops the owner's whole collection (account deletion, tests). */
  dropOwner(ownerId: string): Promise<void>;
  /** Resolves when the store answers. */
  check(): Promise<void>;
}

/** The id of a chunk: the same document and position always give the same id. */
export function chunkId(documentId: string, chunkIndex: number): string {
  return `${documentId}:${chunkIndex}`;
}

/** The collection of an owner. */
export function collectionName(ownerId: string): string {
  return `kb_${ownerId.toLowerCase()}`;
}
