import { connect } from 'node:net';

/** A decoded RESP2 reply. Error replies are returned as `RedisError`, not thrown. */
export type RedisReply = string | number | null | RedisError | RedisReply[];

export class RedisError {
  constructor(readonly message: string) {}
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/** Parses one reply at `offset`; returns undefined when the buffer does not hold all of it yet. */
function parseReply(buffer: Buffer, offset: number): { value: RedisReply; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new RedisError(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: RedisReply[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, position);
        if (!item) return undefined;
        items.push(item.value);
        position = item.next;
      }
      return { value: items, next: position };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(type)}`);
  }
}

/**
 * Sends commands over one connection to the server at `url` (`redis://[user]:[password]@host:port`),
 * authenticating first when the URL has a password, and returns one reply per command.
 */
export function redisCommands(url: string, commands: string[][], timeoutMs = 3000): Promise<RedisReply[]> {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  const user = decodeURIComponent(parsed.username);
  const auth = password ? [user ? ['AUTH', user, password] : ['AUTH', password]] : [];
  const all = [...auth, ...commands];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: parsed.hostname, port: Number(parsed.port || 6379) });
    let buffer = Buffer.alloc(0);
    const replies: RedisReply[] = [];
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer from redis at ${parsed.host}`)));
    socket.once('error', fail);
    socket.once('connect', () => socket.write(all.map(encode).join('')));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        for (;;) {
          const reply = parseReply(buffer, 0);
          if (!reply) break;
          replies.push(reply.value);
          buffer = buffer.subarray(reply.next);
        }
      } catch (error) {
        fail(error as Error);
        return;
      }
      if (replies.length >= all.length) {
        socket.destroy();
        const authReply = replies[0];
        if (auth.length > 0 && authReply instanceof RedisError) reject(new Error(authReply.message));
        else resolve(replies.slice(auth.length));
      }
    });
  });
}

/** Reads one field (e.g. `redis_version`) from an INFO reply. */
export function infoField(info: RedisReply | undefined, field: string): string | undefined {
  if (typeof info !== 'string') return undefined;
  const line = info.split('\r\n').find((entry) => entry.startsWith(`${field}:`));
  return line?.slice(field.length + 1);
}
