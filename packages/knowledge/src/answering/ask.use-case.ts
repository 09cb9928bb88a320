import type { Logger } from '@flotilla/platform';
import type { Attributes, Tracer } from '@opentelemetry/api';
import type { Embedder } from '../embeddings/embedder.port.js';
import { knowledgeErrors } from '../errors/knowledge.errors.js';
import type { KnowledgeMetrics } from '../metrics/knowledge.metrics.js';
import { type Step, timed } from '../tracing/knowledge.tracing.js';
import type { VectorMatch, VectorStore } from '../vector-store/vector-store.port.js';
import { ANSWER_PROMPT_VERSION, answerPromptV1, formatContext } from './answer-prompt.v1.js';
import type { ChatModel, ChatReply, TokenUsage } from './chat-model.port.js';
import { extractiveAnswer } from './extractive-answer.js';
import { selectByMmr } from './mmr.js';

const SNIPPET_CHARS = 240;
const MMR_CANDIDATES_FACTOR = 4;

/** A question from one owner about their own documents. */
export interface AskInput {
  ownerId: string;
  question: string;
  /** Passages to retrieve (default from config, at most `topKMax`). */
  topK?: number;
  /** Diversify passages with maximal marginal relevance. */
  mmr?: boolean;
  /** Restrict to these documents (still within the owner's collection). */
  documentIds?: readonly string[];
  signal?: AbortSignal;
}

/** A passage an answer rests on. */
export interface Citation {
  documentId: string;
  title: string;
  chunkIndex: number;
  /** Page of a PDF, absent otherwise. */
  page?: number;
  /** Cosine similarity of the passage to the question (1 = same direction). */
  score: number;
  snippet: string;
}

/** An answer. `mode: "extractive"` means quoted passages, not a model's words. */
export interface AskResult {
  mode: 'generative' | 'extractive';
  answer: string;
  citations: Citation[];
  /** The chat model that wrote the answer; `null` in extractive mode or when nothing was found. */
  model: string | null;
  /** The prompt template's version; `null` when no model was called. */
  promptVersion: string | null;
  /** Tokens used, when the provider reported them. */
  usage: TokenUsage | null;
  /** The embedder the passages were retrieved with. */
  embedder: string;
}

/** Answers a question from the owner's documents only. */
export type Ask = (input: AskInput) => Promise<AskResult>;

/** Dependencies of {@link createAsk}. */
export interface AskDeps {
  embedder: Embedder;
  store: VectorStore;
  /** Absent: extractive mode. */
  chatModel: ChatModel | undefined;
  retrieval: { topK: number; topKMax: number; questionMaxChars: number };
  metrics: KnowledgeMetrics;
  /** Spans `knowledge.ask` > `knowledge.embed`, `knowledge.retrieve`, `knowledge.generate`. */
  tracer: Tracer;
  logger: Logger;
}

/**
 * Creates the `ask` use case shared by the api and the bot: bounded question -> query vector -> top-k of
 * the owner's collection (optionally MMR) -> versioned prompt -> chat model, or an extractive answer
 * without a provider. Raises `KNOWLEDGE.QUESTION_TOO_LONG`, `KNOWLEDGE.INVALID_QUESTION`,
 * `KNOWLEDGE.EMBEDDER_MISMATCH`, `KNOWLEDGE.PROVIDER_UNAVAILABLE`, `KNOWLEDGE.STORE_UNAVAILABLE`.
 */
export function createAsk(deps: AskDeps): Ask {
  const { embedder, chatModel, metrics, retrieval, tracer } = deps;
  return (input) =>
    timed(tracer, 'knowledge.ask', {}, async () => {
      const question = input.question.trim();
      if (question.length === 0) throw knowledgeErrors.INVALID_QUESTION();
      if (question.length > retrieval.questionMaxChars) {
        throw knowledgeErrors.QUESTION_TOO_LONG({
          detail: `${question.length} characters > ${retrieval.questionMaxChars} characters.`,
        });
      }
      const k = Math.max(1, Math.min(Math.trunc(input.topK ?? retrieval.topK), retrieval.topKMax));
      const signal = input.signal ? { signal: input.signal } : {};
      const vector = await timed(
        tracer,
        'knowledge.embed',
        {
          attributes: { 'knowledge.embedder': embedder.id, 'knowledge.texts': 1 },
          histogram: metrics.embeddingDuration,
          labels: { operation: 'query', embedder: embedder.id },
        },
        () => embedder.embedQuery(question, signal),
      );
      const matches = await retrieveContext(deps, input, vector, k);
      const citations = matches.map(toCitation);
      const mode = chatModel ? 'generative' : 'extractive';
      metrics.asks.inc({ mode, context: matches.length === 0 ? 'empty' : 'found' });
      if (!chatModel || matches.length === 0) {
        const answer = await timed(
          tracer,
          'knowledge.generate',
          generationStep(metrics, 'extractive'),
          async () =>
            matches.length === 0 && chatModel
              ? 'Your documents contain nothing that matches this question.'
              : extractiveAnswer(question, matches),
        );
        return {
          mode,
          answer,
          citations,
          model: null,
          promptVersion: null,
          usage: null,
          embedder: embedder.id,
        };
      }
      const reply = await generate(deps, chatModel, question, matches, signal);
      return {
        mode,
        answer: reply.text,
        citations,
        model: reply.model,
        promptVersion: ANSWER_PROMPT_VERSION,
        usage: reply.usage ?? null,
        embedder: embedder.id,
      };
    });
}

/** The top-k passages that share some direction with the question (a score <= 0 is not context). */
function retrieveContext(
  deps: AskDeps,
  input: AskInput,
  vector: number[],
  k: number,
): Promise<VectorMatch[]> {
  const mmr = Boolean(input.mmr);
  return timed(
    deps.tracer,
    'knowledge.retrieve',
    {
      attributes: { 'knowledge.k': k, 'knowledge.mmr': mmr },
      histogram: deps.metrics.retrievalDuration,
      labels: { mmr: String(mmr) },
    },
    async (span) => {
      const matches = await retrieve(deps.store, input, deps.embedder.id, vector, k);
      const context = matches.filter((match) => match.score > 0);
      span.setAttributes({
        'knowledge.hits': context.length,
        'knowledge.empty_context': context.length === 0,
      });
      return context;
    },
  );
}

function generate(
  deps: AskDeps,
  chatModel: ChatModel,
  question: string,
  matches: VectorMatch[],
  signal: { signal?: AbortSignal },
): Promise<ChatReply> {
  const step = generationStep(deps.metrics, 'generative', {
    'gen_ai.request.model': chatModel.model,
    'knowledge.prompt_version': ANSWER_PROMPT_VERSION,
  });
  return timed(deps.tracer, 'knowledge.generate', step, async (span) => {
    const messages = await (await answerPromptV1()).formatMessages({
      question,
      context: formatContext(matches.map((match) => ({ ...match.metadata, text: match.text }))),
    });
    const reply = await chatModel.complete(messages, signal);
    if (reply.usage) {
      span.setAttributes({
        'gen_ai.usage.input_tokens': reply.usage.inputTokens,
        'gen_ai.usage.output_tokens': reply.usage.outputTokens,
      });
      deps.metrics.tokens.inc({ kind: 'input', model: chatModel.model }, reply.usage.inputTokens);
      deps.metrics.tokens.inc({ kind: 'output', model: chatModel.model }, reply.usage.outputTokens);
    }
    return reply;
  });
}

function generationStep(
  metrics: KnowledgeMetrics,
  mode: AskResult['mode'],
  attributes: Attributes = {},
): Step<'mode'> {
  return {
    attributes: { 'knowledge.mode': mode, ...attributes },
    histogram: metrics.generationDuration,
    labels: { mode },
  };
}

async function retrieve(
  store: VectorStore,
  input: AskInput,
  embedderId: string,
  vector: number[],
  k: number,
): Promise<VectorMatch[]> {
  const filter = input.documentIds ? { documentIds: input.documentIds } : {};
  if (!input.mmr) return store.query(input.ownerId, { embedder: embedderId }, vector, k, filter);
  const candidates = await store.query(
    input.ownerId,
    { embedder: embedderId },
    vector,
    k * MMR_CANDIDATES_FACTOR,
    {
      ...filter,
      includeEmbeddings: true,
    },
  );
  const withEmbeddings = candidates.map((match) => ({
    score: match.score,
    embedding: match.embedding ?? [],
  }));
  return selectByMmr(withEmbeddings, k).map((index) => candidates[index] as VectorMatch);
}

function toCitation(match: VectorMatch): Citation {
  const text = match.text.replace(/\s+/g, ' ').trim();
  return {
    documentId: match.metadata.document_id,
    title: match.metadata.title,
    chunkIndex: match.metadata.chunk_index,
    ...(match.metadata.page > 0 ? { page: match.metadata.page } : {}),
    score: Math.round(match.score * 10_000) / 10_000,
    snippet: text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS - 1)}…` : text,
  };
}
