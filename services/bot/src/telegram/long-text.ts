/** Telegram's limit on one message's text, in UTF-16 code units as Telegram counts them. */
export const TELEGRAM_TEXT_LIMIT = 4096;

/**
 * Splits a long text into messages of at most `limit` characters, at a paragraph break, else a line
 * break, else a space, else anywhere (never inside a surrogate pair).
 */
export function splitLongText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = Math.max(window.lastIndexOf('\n\n'), window.lastIndexOf('\n'), window.lastIndexOf(' '));
    if (cut < limit / 2) cut = limit;
    const code = rest.charCodeAt(cut - 1);
    if (cut === limit && code >= 0xd800 && code <= 0xdbff) cut -= 1;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts.filter((part) => part.length > 0);
}
