import type { BaseMessage } from '@langchain/core/messages';

/** Tokens used by one answer, as the provider reported them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** What the chat model wrote. */
export interface ChatReply {
  text: string;
  model: string;
  usage: TokenUsage | undefined;
}

/** The chat model port: messages in, text and usage out. */
export interface ChatModel {
  readonly model: string;
  complete(messages: BaseMessage[], options?: { signal?: AbortSignal }): Promise<ChatReply>;
}
