/** Options of {@link Embedder.embedDocuments}. */
export interface EmbedDocumentsOptions {
  /** Called after each batch with the texts embedded so far and the total. */
  onProgress?: (embedded: number, total: number) => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * Turns texts into vectors. `id` names the embedder and its model (recorded on each collection, so
 * vectors of two embedders are never mixed); `dimension` is known up front or after the first call.
 */
export interface Embedder {
  readonly id: string;
  /** `true` for a semantic (model) embedder, `false` for the offline lexical one. */
  readonly semantic: boolean;
  embedDocuments(texts: readonly string[], options?: EmbedDocumentsOptions): Promise<number[][]>;
  embedQuery(text: string, options?: { signal?: AbortSignal }): Promise<number[]>;
}
