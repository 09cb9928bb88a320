/** Name used when the client sent none (or nothing usable). */
const FALLBACK_NAME = 'upload';

/** The longest name kept, in UTF-16 code units (so in characters too, whichever way they are counted). */
const MAX_NAME_LENGTH = 255;

// Control characters (C0, DEL and C1), the Unicode line and paragraph separators, and the bidirectional
// controls that make a name read as something else ("photo\u202Egpj.exe" shows as "photoexe.jpg").
const INVISIBLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

// A surrogate without its other half is no character: it cannot be encoded as UTF-8 or in a URL.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A client's file name made safe to store and show: the last path segment, without control characters
 * or lone surrogates, at most 255 characters (never cutting a character in two). Applying it twice
 * changes nothing.
 */
export function safeFilename(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const clean = base.replace(LONE_SURROGATE, '').replace(INVISIBLE, '').trim();
  if (clean === '' || clean === '.' || clean === '..') return FALLBACK_NAME;
  // A cut between the halves of a surrogate pair leaves a lone one, which goes too.
  const cut = clean.slice(0, MAX_NAME_LENGTH).replace(LONE_SURROGATE, '').trim();
  return cut === '.' || cut === '..' ? FALLBACK_NAME : cut;
}
