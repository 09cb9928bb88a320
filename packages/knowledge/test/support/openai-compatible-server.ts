import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { lexicalVector } from '../../src/embeddings/lexical.embedder.js';

/** One request the double received. */
export interface LoggedRequest {
  path: string;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

/** A scripted failure: answer `status` (with `Retry-After` when set) to the next `times` requests of `path`. */
export interface ScriptedFailure {
  path: '/v1/embeddings' | '/v1/chat/completions';
  status: number;
  times: number;
  retryAfterSeconds?: number;
}

/** A local OpenAI-compatible provider double: deterministic embeddings and answers, scriptable failures. */
export interface OpenAICompatibleServer {
  /** Base URL to use as `LLM_BASE_URL`, e.g. `http://127.0.0.1:43123/v1`. */
  baseUrl: string;
  /** Every request received, in order. */
  requests: LoggedRequest[];
  /** Dimension of the embeddings it answers. */
  dimension: number;
  /** Queues a failure. */
  fail(failure: ScriptedFailure): void;
  /** Answers every request with 500 until called with `false`. */
  setBroken(broken: boolean): void;
  /** Stops listening and drops connections: the provider is down (connection refused). */
  close(): Promise<void>;
}

/**
 * Starts the double on a free loopback port. Embeddings are the lexical feature-hashing vectors of
 * the inputs (deterministic, and meaningful enough to retrieve by shared words); a chat completion
 * quotes the first passage of the prompt and reports token usage.
 */
export async function startOpenAICompatibleServer(
  options: { dimension?: number } = {},
): Promise<OpenAICompatibleServer> {
  const dimension = options.dimension ?? 96;
  const requests: LoggedRequest[] = [];
  const failures: ScriptedFailure[] = [];
  let broken = false;
  const sockets = new Set<Socket>();

  const server: Server = createServer(async (request, response) => {
    const body = await readJson(request);
    const path = (request.url ?? '').split('?')[0] ?? '';
    requests.push({ path, body, authorization: request.headers.authorization });
    if (broken) return send(response, 500, { error: { message: 'provider broken', type: 'server_error' } });
    const failure = failures.find((entry) => entry.path === path && entry.times > 0);
    if (failure) {
      failure.times -= 1;
      const headers: Record<string, string> =
        failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) };
      return send(
        response,
        failure.status,
        { error: { message: `scripted ${failure.status}`, type: 'scripted' } },
        headers,
      );
    }
    if (request.method === 'POST' && path === '/v1/embeddings') return embeddings(body, response, dimension);
    if (request.method === 'POST' && path === '/v1/chat/completions') return chat(body, response);
    return send(response, 404, { error: { message: 'not found' } });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    dimension,
    fail: (failure) => failures.push({ ...failure }),
    setBroken: (value) => {
      broken = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function embeddings(body: Record<string, unknown>, response: ServerResponse, dimension: number) {
  const input = body.input;
  const texts = Array.isArray(input) ? (input as string[]) : [String(input)];
  const base64 = body.encoding_format === 'base64';
  const data = texts.map((text, index) => {
    const vector = lexicalVector(text, dimension);
    return {
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
    };
  });
  const tokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
  send(response, 200, {
    object: 'list',
    data,
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

function chat(body: Record<string, unknown>, response: ServerResponse) {
  const messages = (body.messages as { role: string; content: string }[]) ?? [];
  const prompt = messages.map((message) => message.content).join('\n');
  const system = messages.find((message) => message.role === 'system')?.content ?? '';
  const firstPassage = system.match(/\[1\] \([^)]*\)\n([\s\S]*?)(?:\n\n\[2\] |$)/)?.[1] ?? 'no passage';
  const content = `According to [1]: ${firstPassage.replace(/\s+/g, ' ').trim()}`;
  const promptTokens = countTokens(prompt);
  const completionTokens = countTokens(content);
  send(response, 200, {
    id: 'chatcmpl-double',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
}

function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
