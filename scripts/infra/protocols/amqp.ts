import { connect } from 'node:net';

const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
const FRAME_END = 0xce;

/** What an AMQP 0-9-1 handshake tells: the server's product and version, and whether login worked. */
export interface AmqpHandshake {
  product: string;
  version: string;
  authenticated: boolean;
}

function shortString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function longString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** Reads the `S` (long string) entries of a field table; other entries are skipped. */
function readStringFields(buffer: Buffer, start: number, end: number): Record<string, string> {
  const fields: Record<string, string> = {};
  const sizes: Record<string, number> = {
    t: 1,
    b: 1,
    B: 1,
    s: 2,
    u: 2,
    I: 4,
    i: 4,
    f: 4,
    l: 8,
    d: 8,
    T: 8,
    D: 5,
    V: 0,
  };
  let offset = start;
  while (offset < end) {
    const nameLength = buffer[offset] as number;
    const name = buffer.toString('utf8', offset + 1, offset + 1 + nameLength);
    const type = String.fromCharCode(buffer[offset + 1 + nameLength] as number);
    offset += 2 + nameLength;
    if (type === 'S' || type === 'F' || type === 'A' || type === 'x') {
      const length = buffer.readUInt32BE(offset);
      if (type === 'S') fields[name] = buffer.toString('utf8', offset + 4, offset + 4 + length);
      offset += 4 + length;
    } else if (sizes[type] !== undefined) {
      offset += sizes[type];
    } else {
      break;
    }
  }
  return fields;
}

/** A method frame on channel 0: class and method ids, then the encoded arguments. */
function methodFrame(classId: number, methodId: number, ...args: Buffer[]): Buffer {
  const ids = Buffer.alloc(4);
  ids.writeUInt16BE(classId, 0);
  ids.writeUInt16BE(methodId, 2);
  const payload = Buffer.concat([ids, ...args]);
  const header = Buffer.alloc(7);
  header.writeUInt8(1, 0);
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([FRAME_END])]);
}

function uint(bytes: 2 | 4, value: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  if (bytes === 2) buffer.writeUInt16BE(value);
  else buffer.writeUInt32BE(value);
  return buffer;
}

/** The client's answer to each server method of the handshake, up to a clean Connection.Close. */
function reply(
  method: string,
  frame: Buffer,
  user: string,
  password: string,
  vhost: string,
): Buffer | undefined {
  switch (method) {
    case '10.10': // Start -> Start-Ok (PLAIN)
      return methodFrame(
        10,
        11,
        longString(Buffer.alloc(0)),
        shortString('PLAIN'),
        longString(Buffer.from(`\0${user}\0${password}`, 'utf8')),
        shortString('en_US'),
      );
    case '10.30': // Tune -> Tune-Ok (the server's limits, no heartbeat) + Open
      return Buffer.concat([
        methodFrame(10, 31, frame.subarray(4, 10), uint(2, 0)),
        methodFrame(10, 40, shortString(vhost), shortString(''), Buffer.from([0])),
      ]);
    case '10.41': // Open-Ok -> Close
      return methodFrame(10, 50, uint(2, 200), shortString('probe done'), uint(2, 0), uint(2, 0));
    default:
      return undefined;
  }
}

/**
 * Opens an AMQP 0-9-1 connection to `amqp://user:password@host:port/vhost`: reads the server's
 * product and version from Connection.Start, logs in with PLAIN, opens the virtual host and
 * closes the connection cleanly. `authenticated` is true when the virtual host was opened.
 */
export function amqpHandshake(url: string, timeoutMs = 3000): Promise<AmqpHandshake> {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username) || 'guest';
  const password = decodeURIComponent(parsed.password) || 'guest';
  const vhost = parsed.pathname.length > 1 ? decodeURIComponent(parsed.pathname.slice(1)) : '/';
  return new Promise((resolve, reject) => {
    const socket = connect({ host: parsed.hostname, port: Number(parsed.port || 5672) });
    let buffer = Buffer.alloc(0);
    let server: Omit<AmqpHandshake, 'authenticated'> | undefined;
    let opened = false;
    const finish = (error: Error | undefined) => {
      socket.destroy();
      if (error) reject(error);
      else if (server) resolve({ ...server, authenticated: opened });
      else reject(new Error(`${parsed.host} closed the connection before the AMQP handshake`));
    };
    // A refused login gets no answer at all: silence after Start-Ok means not authenticated.
    socket.setTimeout(timeoutMs, () =>
      finish(server ? undefined : new Error(`no AMQP answer from ${parsed.host}`)),
    );
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(undefined));
    socket.once('connect', () => socket.write(PROTOCOL_HEADER));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 7 && buffer.length >= 8 + buffer.readUInt32BE(3)) {
        const frame = buffer.subarray(7, 7 + buffer.readUInt32BE(3));
        buffer = buffer.subarray(8 + frame.length);
        if (frame.length < 4) return finish(new Error(`${parsed.host} sent a malformed AMQP frame`));
        const method = `${frame.readUInt16BE(0)}.${frame.readUInt16BE(2)}`;
        if (!server) {
          if (method !== '10.10') return finish(new Error(`${parsed.host} does not speak AMQP 0-9-1`));
          const fields = readStringFields(frame, 10, 10 + frame.readUInt32BE(6));
          server = { product: fields.product ?? 'AMQP', version: fields.version ?? 'unknown' };
        }
        if (method === '10.41') opened = true;
        if (method === '10.51' || method === '10.50') return finish(undefined);
        const answer = reply(method, frame, user, password, vhost);
        if (answer) socket.write(answer);
      }
    });
  });
}
