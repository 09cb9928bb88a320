import type { OpenAIEmbeddings } from '@langchain/openai';
import type { ProviderConfig } from '../config/knowledge-env.js';
import type { Embedder } from './embedder.port.js';
import { toProviderError } from './provider-errors.js';

/** Options of {@link createOpenAICompatibleEmbedder}. */
export interface OpenAICompatibleEmbedderOptions {
  provider: ProviderConfig;
  /** Texts per request. */
  batchSize: number;
  /** Requests in flight at once. */
  concurrency: number;
}

/**
 * Embeds through an OpenAI-compatible `/embeddings` endpoint (OpenAI, OpenRouter, a local server)
 * with LangChain's `OpenAIEmbeddings`: requests of `batchSize` texts, at most `concurrency` in
 * flight, each retried on 429 (honouring `Retry-After`) and 5xx with exponential backoff.
 */
export function createOpenAICompatibleEmbedder(options: OpenAICompatibleEmbedderOptions): Embedder {
  const { provider, batchSize, concurrency } = options;
  // Loaded on first use: LangChain's OpenAI client takes most of a second to import, which a process
  // that never embeds (the api answering offline, a worker idle at start) should not pay at start-up.
  let client: Promise<OpenAIEmbeddings> | undefined;
  const embeddings = () =>
    (client ??= import('@langchain/openai').then(
      ({ OpenAIEmbeddings }) =>
        new OpenAIEmbeddings({
          apiKey: provider.apiKey,
          model: provider.embeddingModel,
          batchSize,
          maxConcurrency: concurrency,
          maxRetries: provider.maxRetries,
          timeout: provider.timeoutMs,
          stripNewLines: false,
          configuration: { baseURL: provider.baseUrl },
        }),
    ));

  return {
    id: `openai-compatible:${provider.embeddingModel}`,
    semantic: true,
    async embedDocuments(texts, embedOptions) {
      const batches: string[][] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        batches.push(texts.slice(start, start + batchSize));
      }
      const vectors: number[][][] = new Array(batches.length);
      let next = 0;
      let embedded = 0;
      let failed = false;
      // Our own pool (not OpenAIEmbeddings' internal one) so progress is reported batch by batch.
      const worker = async () => {
        while (next < batches.length && !failed) {
          embedOptions?.signal?.throwIfAborted();
          const index = next;
          next += 1;
          const batch = batches[index] as string[];
          try {
            vectors[index] = await (await embeddings()).embedDocuments(batch);
          } catch (error) {
            failed = true;
            throw toProviderError(error, 'Embedding');
          }
          embedded += batch.length;
          await embedOptions?.onProgress?.(embedded, texts.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
      return vectors.flat();
    },
    async embedQuery(text) {
      try {
        return await (await embeddings()).embedQuery(text);
      } catch (error) {
        throw toProviderError(error, 'Embedding');
      }
    },
  };
}
