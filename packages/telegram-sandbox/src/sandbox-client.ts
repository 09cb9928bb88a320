import type { CallRecord, SandboxUser, TranscriptEntry } from './bot-state.js';

/** A test's handle on one bot of a sandbox: plays its users and watches what the bot does. */
export interface SandboxClient {
  readonly token: string;
  /** Base URL of the Bot API for grammY's `client.apiRoot`. */
  readonly apiRoot: string;
  sendText(
    user: Partial<SandboxUser> & { id: number },
    text: string,
  ): Promise<{ update_id: number; message_id: number }>;
  sendPhoto(
    user: Partial<SandboxUser> & { id: number },
    bytes: Buffer,
    caption?: string,
  ): Promise<{ update_id: number }>;
  sendDocument(
    user: Partial<SandboxUser> & { id: number },
    document: { bytes: Buffer; fileName: string; mimeType: string; declaredSize?: number },
  ): Promise<{ update_id: number }>;
  pressButton(
    user: Partial<SandboxUser> & { id: number },
    messageId: number,
    data: string,
  ): Promise<{ update_id: number; callback_query_id: string }>;
  /** Whether the bot answered a callback query (and with what text). */
  callbackAnswer(id: string): Promise<{ answered: boolean; text?: string }>;
  transcript(chatId: number): Promise<TranscriptEntry[]>;
  /** Waits until the chat holds a bot message matching `predicate`; returns it. */
  waitForBotMessage(
    chatId: number,
    predicate: (message: TranscriptEntry) => boolean,
    timeoutMs?: number,
  ): Promise<TranscriptEntry>;
  calls(method?: string): Promise<CallRecord[]>;
  injectFault(fault: {
    method: string;
    error_code: number;
    retry_after?: number;
    description?: string;
    count?: number;
  }): Promise<void>;
  setBlocked(chatId: number, blocked: boolean): Promise<void>;
  /** Bytes of a file the sandbox holds (a photo the bot sent). */
  file(fileId: string): Promise<Buffer>;
}

/** Creates a client of the sandbox at `baseUrl` for the bot with `token`. */
export function createSandboxClient(baseUrl: string, token: string): SandboxClient {
  const control = `${baseUrl}/control/${encodeURIComponent(token)}`;

  async function call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${control}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(`sandbox ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  const client: SandboxClient = {
    token,
    apiRoot: baseUrl,
    sendText: (user, text) => call('POST', '/messages', { user, text }),
    sendPhoto: (user, bytes, caption) =>
      call('POST', '/photos', { user, data: bytes.toString('base64'), ...(caption && { caption }) }),
    sendDocument: (user, document) =>
      call('POST', '/documents', {
        user,
        data: document.bytes.toString('base64'),
        file_name: document.fileName,
        mime_type: document.mimeType,
        ...(document.declaredSize !== undefined && { declared_size: document.declaredSize }),
      }),
    pressButton: (user, messageId, data) => call('POST', '/callbacks', { user, message_id: messageId, data }),
    callbackAnswer: (id) => call('GET', `/callbacks/${encodeURIComponent(id)}`),
    async transcript(chatId) {
      return (await call<{ messages: TranscriptEntry[] }>('GET', `/chats/${chatId}`)).messages;
    },
    async waitForBotMessage(chatId, predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let version = -1;
      let last: TranscriptEntry[] = [];
      while (Date.now() < deadline) {
        const wait = Math.max(1, Math.min(5, Math.ceil((deadline - Date.now()) / 1000)));
        const body = await call<{ version: number; messages: TranscriptEntry[] }>(
          'GET',
          `/chats/${chatId}?after=${version}&wait=${wait}`,
        );
        version = body.version;
        last = body.messages;
        const found = last.find((message) => message.from === 'bot' && predicate(message));
        if (found) return found;
      }
      throw new Error(
        `no matching bot message in chat ${chatId} within ${timeoutMs} ms; bot said: ${JSON.stringify(
          last.filter((message) => message.from === 'bot').map((message) => message.text ?? message.caption),
        )}`,
      );
    },
    async calls(method) {
      const { calls } = await call<{ calls: CallRecord[] }>('GET', '/calls');
      return method ? calls.filter((entry) => entry.method === method) : calls;
    },
    async injectFault(fault) {
      await call('POST', '/faults', fault);
    },
    async setBlocked(chatId, blocked) {
      await call('PUT', `/chats/${chatId}/blocked`, { blocked });
    },
    async file(fileId) {
      const response = await fetch(`${control}/files/${encodeURIComponent(fileId)}`);
      if (!response.ok) throw new Error(`sandbox file ${fileId}: ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
  return client;
}
