import type { BotState, SandboxUser, StoredFile, TranscriptEntry } from './bot-state.js';

/** Telegram's limits the sandbox enforces. */
export const LIMITS = {
  messageText: 4096,
  caption: 1024,
  /** Bots may download files up to 20 MB with getFile. */
  getFileBytes: 20 * 1024 * 1024,
} as const;

/** An error answered the way the Bot API does: `{ ok: false, error_code, description, parameters? }`. */
export class BotApiError extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }

  /** The JSON body of the answer. */
  toBody() {
    return {
      ok: false as const,
      error_code: this.errorCode,
      description: this.description,
      ...(this.retryAfter === undefined ? {} : { parameters: { retry_after: this.retryAfter } }),
    };
  }
}

/** `400 Bad Request: <what>`. */
export function badRequest(what: string): BotApiError {
  return new BotApiError(400, `Bad Request: ${what}`);
}

/** The `chat` of a private chat with `user` (its id is the user's id, as in Telegram). */
export function privateChat(user: SandboxUser) {
  return {
    id: user.id,
    type: 'private' as const,
    first_name: user.first_name,
    ...(user.username ? { username: user.username } : {}),
  };
}

/** Telegram's `PhotoSize` array of a stored photo (the sandbox keeps one size). */
export function photoSizes(file: StoredFile) {
  return [
    {
      file_id: file.fileId,
      file_unique_id: file.fileUniqueId,
      width: file.width ?? 0,
      height: file.height ?? 0,
      file_size: file.size,
    },
  ];
}

/** Telegram's `Document` of a stored file. */
export function documentOf(file: StoredFile) {
  return {
    file_id: file.fileId,
    file_unique_id: file.fileUniqueId,
    ...(file.fileName ? { file_name: file.fileName } : {}),
    mime_type: file.mimeType,
    file_size: file.size,
  };
}

/** The Bot API `Message` of a message the bot sent (or edited). */
export function botMessage(state: BotState, entry: TranscriptEntry) {
  const chat = { id: entry.chat_id, type: 'private' as const, first_name: 'User' };
  const photo = entry.photo ? state.files.get(entry.photo.file_id) : undefined;
  const document = entry.document ? state.files.get(entry.document.file_id) : undefined;
  return {
    message_id: entry.message_id,
    from: state.me,
    chat,
    date: entry.date,
    ...(entry.edits > 0 ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
    ...(entry.text !== undefined ? { text: entry.text } : {}),
    ...(entry.caption !== undefined ? { caption: entry.caption } : {}),
    ...(photo ? { photo: photoSizes(photo) } : {}),
    ...(document ? { document: documentOf(document) } : {}),
    ...(entry.reply_markup ? { reply_markup: entry.reply_markup } : {}),
  };
}

/** Width and height from a PNG, GIF, WebP (VP8X) or JPEG header; undefined for anything else. */
export function imageDimensions(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 10 && bytes.toString('latin1', 0, 3) === 'GIF') {
    return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (bytes.length >= 30 && bytes.toString('latin1', 8, 16) === 'WEBPVP8X') {
    return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
  }
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1] as number;
    const length = bytes.readUInt16BE(offset + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
    }
    offset += 2 + length;
  }
  return undefined;
}
