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

function startOkFrame(user: string, password: string): Buffer {
  const payload = Buffer.concat([
    Buffer.from([0, 10, 0, 11]),
    longString(Buffer.alloc(0)),
    shortString('PLAIN'),
    longString(Buffer.from(`\0${user}\0${password}`, 'utf8')),
    shortString('en_US'),
  ]);
  const header = Buffer.alloc(7);
  header.writeUInt8(1, 0);
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([FRAME_END])]);
}

/**
 * Opens an AMQP 0-9-1 connection to `amqp://user:password@host:port`, reads Connection.Start and
 * logs in with PLAIN; `authenticated` is true when the server answers with Connection.Tune.
 * The connection is dropped right after.
 */
export function amqpHandshake(url: string, timeoutMs = 3000): Promise<AmqpHandshake> {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username) || 'guest';
  const password = decodeURIComponent(parsed.password) || 'guest';
  return new Promise((resolve, reject) => {
    const socket = connect({ host: parsed.hostname, port: Number(parsed.port || 5672) });
    let buffer = Buffer.alloc(0);
    let server: Omit<AmqpHandshake, 'authenticated'> | undefined;
    const finish = (error: Error | undefined, result?: AmqpHandshake) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(result as AmqpHandshake);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no AMQP answer from ${parsed.host}`)));
    socket.once('error', (error) => finish(error));
    socket.once('close', () => {
      if (server) finish(undefined, { ...server, authenticated: false });
      else finish(new Error(`${parsed.host} closed the connection before the AMQP handshake`));
    });
    socket.once('connect', () => socket.write(PROTOCOL_HEADER));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 7 && buffer.length >= 8 + buffer.readUInt32BE(3)) {
        const frame = buffer.subarray(7, 7 + buffer.readUInt32BE(3));
        buffer = buffer.subarray(8 + frame.length);
        if (frame.length < 4) return finish(new Error(`${parsed.host} sent a malformed AMQP frame`));
        const method = `${frame.readUInt16BE(0)}.${frame.readUInt16BE(2)}`;
        if (server) return finish(undefined, { ...server, authenticated: method === '10.30' });
        if (method !== '10.10') return finish(new Error(`${parsed.host} does not speak AMQP 0-9-1`));
        const tableLength = frame.readUInt32BE(6);
        const fields = readStringFields(frame, 10, 10 + tableLength);
        server = { product: fields.product ?? 'AMQP', version: fields.version ?? 'unknown' };
        socket.write(startOkFrame(user, password));
      }
    });
  });
}
