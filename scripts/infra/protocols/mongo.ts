import { connect } from 'node:net';
import { type BsonDocument, decodeBson, encodeBson } from './bson.js';

const OP_MSG = 2013;

/** Host and port of the first server in a `mongodb://` URL. */
export function mongoAddress(url: string): { host: string; port: number } {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^/?,]+)/.exec(url);
  if (!match?.[1]) throw new Error('only mongodb:// URLs can be checked');
  const hostPort = match[1];
  const bracket = hostPort.startsWith('[') ? hostPort.indexOf(']') : -1;
  const colon = hostPort.lastIndexOf(':');
  if (colon > bracket) {
    return {
      host: hostPort.slice(0, colon).replace(/^\[|\]$/g, ''),
      port: Number(hostPort.slice(colon + 1)),
    };
  }
  return { host: hostPort.replace(/^\[|\]$/g, ''), port: 27017 };
}

/**
 * Runs one command (e.g. `{ ping: 1 }`, `{ buildInfo: 1 }`) on the `admin` database over the
 * MongoDB wire protocol (OP_MSG) and returns the reply document. Commands that need no
 * authentication only.
 */
export function mongoCommand(url: string, command: BsonDocument, timeoutMs = 3000): Promise<BsonDocument> {
  const { host, port } = mongoAddress(url);
  const body = encodeBson({ ...command, $db: 'admin' });
  const header = Buffer.alloc(21);
  header.writeInt32LE(21 + body.length, 0);
  header.writeInt32LE(1, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16);
  header.writeUInt8(0, 20);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer from ${host}:${port}`)));
    socket.once('error', fail);
    socket.once('connect', () => socket.write(Buffer.concat([header, body])));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 4 || buffer.length < buffer.readInt32LE(0)) return;
      socket.destroy();
      try {
        if (buffer.readInt32LE(12) !== OP_MSG || buffer[20] !== 0) throw new Error('not an OP_MSG reply');
        resolve(decodeBson(buffer.subarray(21)));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}
