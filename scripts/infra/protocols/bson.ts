/** The JSON-like subset of BSON values these probes send and read. */
export type BsonValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Date
  | Uint8Array
  | BsonValue[]
  | BsonDocument;
export interface BsonDocument {
  [key: string]: BsonValue;
}

function cstring(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
}

function encodeElement(key: string, value: BsonValue): Buffer {
  const header = (type: number) => Buffer.concat([Buffer.from([type]), cstring(key)]);
  if (typeof value === 'string') {
    const bytes = cstring(value);
    const length = Buffer.alloc(4);
    length.writeInt32LE(bytes.length);
    return Buffer.concat([header(0x02), length, bytes]);
  }
  if (typeof value === 'boolean') return Buffer.concat([header(0x08), Buffer.from([value ? 1 : 0])]);
  if (value === null) return header(0x0a);
  if (typeof value === 'number') {
    const body = Buffer.alloc(Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 4 : 8);
    if (body.length === 4) body.writeInt32LE(value);
    else body.writeDoubleLE(value);
    return Buffer.concat([header(body.length === 4 ? 0x10 : 0x01), body]);
  }
  if (typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    const isArray = Array.isArray(value);
    const doc = isArray ? Object.fromEntries(value.map((item, i) => [String(i), item])) : value;
    return Buffer.concat([header(isArray ? 0x04 : 0x03), encodeBson(doc as BsonDocument)]);
  }
  throw new Error(`cannot encode ${key} as BSON`);
}

/** Encodes a document of strings, numbers, booleans, nulls, arrays and sub-documents. */
export function encodeBson(doc: BsonDocument): Buffer {
  const body = Buffer.concat([
    ...Object.entries(doc).map(([key, value]) => encodeElement(key, value)),
    Buffer.from([0]),
  ]);
  const length = Buffer.alloc(4);
  length.writeInt32LE(body.length + 4);
  return Buffer.concat([length, body]);
}

function readCString(buffer: Buffer, offset: number): [string, number] {
  const end = buffer.indexOf(0, offset);
  return [buffer.toString('utf8', offset, end), end + 1];
}

function decodeValue(type: number, buffer: Buffer, offset: number): [BsonValue, number] {
  switch (type) {
    case 0x01:
      return [buffer.readDoubleLE(offset), offset + 8];
    case 0x02:
    case 0x0d:
    case 0x0e: {
      const length = buffer.readInt32LE(offset);
      return [buffer.toString('utf8', offset + 4, offset + 4 + length - 1), offset + 4 + length];
    }
    case 0x03:
    case 0x04: {
      const length = buffer.readInt32LE(offset);
      const doc = decodeBson(buffer.subarray(offset, offset + length));
      return [type === 0x04 ? Object.values(doc) : doc, offset + length];
    }
    case 0x05: {
      const length = buffer.readInt32LE(offset);
      return [new Uint8Array(buffer.subarray(offset + 5, offset + 5 + length)), offset + 5 + length];
    }
    case 0x07:
      return [buffer.toString('hex', offset, offset + 12), offset + 12];
    case 0x08:
      return [buffer[offset] === 1, offset + 1];
    case 0x09:
      return [new Date(Number(buffer.readBigInt64LE(offset))), offset + 8];
    case 0x06:
    case 0x0a:
    case 0x7f:
    case 0xff:
      return [null, offset];
    case 0x0b: {
      const [pattern, afterPattern] = readCString(buffer, offset);
      const [flags, next] = readCString(buffer, afterPattern);
      return [`/${pattern}/${flags}`, next];
    }
    case 0x10:
      return [buffer.readInt32LE(offset), offset + 4];
    case 0x11:
    case 0x12:
      return [buffer.readBigInt64LE(offset), offset + 8];
    case 0x13:
      return [new Uint8Array(buffer.subarray(offset, offset + 16)), offset + 16];
    default:
      throw new Error(`unsupported BSON type 0x${type.toString(16)}`);
  }
}

/** Decodes one BSON document (the whole buffer). */
export function decodeBson(buffer: Buffer): BsonDocument {
  const doc: BsonDocument = {};
  const end = buffer.readInt32LE(0) - 1;
  let offset = 4;
  while (offset < end) {
    const type = buffer[offset] as number;
    const [key, valueOffset] = readCString(buffer, offset + 1);
    const [value, next] = decodeValue(type, buffer, valueOffset);
    doc[key] = value;
    offset = next;
  }
  return doc;
}
