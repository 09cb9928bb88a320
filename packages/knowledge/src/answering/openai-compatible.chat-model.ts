import type { ChatOpenAI } from '@langchain/openai';
import type { ProviderConfig } from '../config/knowledge-env.js';
import { toProviderError } from '../embeddings/provider-errors.js';
import type { ChatModel } from './chat-model.port.js';

/**
 * The chat model of an OpenAI-compatible provider (OpenAI, OpenRouter by base URL) through LangChain's
 * `ChatOpenAI`: temperature 0, bounded output, retried on 429 and 5xx.
 */
export function createOpenAICompatibleChatModel(provider: ProviderConfig): ChatModel {
  // Loaded on first use, like the embedder's client: importing LangChain's OpenAI module is slow.
  let client: Promise<ChatOpenAI> | undefined;
  const chat = () =>
    (client ??= import('@langchain/openai').then(
      ({ ChatOpenAI }) =>
        new ChatOpenAI({
          apiKey: provider.apiKey,
          model: provider.chatModel,
          temperature: 0,
          maxTokens: provider.chatMaxTokens,
          maxRetries: provider.maxRetries,
          timeout: provider.timeoutMs,
          configuration: { baseURL: provider.baseUrl },
        }),
    ));
  return {
    model: provider.chatModel,
    async complete(messages, options) {
      try {
        const reply = await (await chat()).invoke(
          messages,
          options?.signal ? { signal: options.signal } : {},
        );
        const usage = reply.usage_metadata;
        const model = (reply.response_metadata?.model_name as string | undefined) ?? provider.chatModel;
        return {
          text: typeof reply.content === 'string' ? reply.content : reply.text,
          model,
          usage: usage
            ? {
                inputTokens: usage.input_tokens,
                outputTokens: usage.output_tokens,
                totalTokens: usage.total_tokens,
              }
            : undefined,
        };
      } catch (error) {
        throw toProviderError(error, 'Answer generation');
      }
    },
  };
}
