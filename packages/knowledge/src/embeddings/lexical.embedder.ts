import type { Embedder } from './embedder.port.js';

const STOP_WORDS = new Set(
  (
    'a an and are as at be but by can did do does for from had has have how i if in into is it its ' +
    'me my no not of on or our so than that the their them then there these they this to was we were ' +
    'what when where which who whom why will with you your'
  ).split(' '),
);

/** Lower-cased words without accents or stop words, with a light plural/verb suffix strip. */
export function lexicalTokens(text: string): string[] {
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu);
  if (!words) return [];
  const tokens: string[] = [];
  for (const word of words) {
    if (STOP_WORDS.has(word)) continue;
    tokens.push(stem(word));
  }
  return tokens;
}

function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** FNV-1a, 32 bits: a fast, stable string hash (the same on every machine and Node version). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Embeds a text by feature hashing: each word (unigram) and each pair of neighbouring words (bigram,
 * weighted half) is hashed into one of `dimension` buckets with a hashed sign; counts are dampened
 * (1 + ln tf) and the vector is L2-normalised, so cosine similarity measures shared vocabulary.
 */
export function lexicalVector(text: string, dimension: number): number[] {
  const counts = new Map<string, number>();
  const tokens = lexicalTokens(text);
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as string;
    counts.set(token, (counts.get(token) ?? 0) + 1);
    if (i + 1 < tokens.length) {
      const bigram = `${token} ${tokens[i + 1]}`;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 1);
    }
  }
  const vector = new Array<number>(dimension).fill(0);
  for (const [feature, count] of counts) {
    const hash = fnv1a(feature);
    const weight = (1 + Math.log(count)) * (feature.includes(' ') ? 0.5 : 1);
    const bucket = hash % dimension;
    vector[bucket] = (vector[bucket] as number) + (hash & 0x80000000 ? -weight : weight);
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  return norm === 0 ? vector : vector.map((value) => value / norm);
}

/**
 * The offline embedder, used when no provider is configured: deterministic, no network, no model.
 * It is LEXICAL, not semantic: a question finds passages that share its words (after light
 * normalisation), not passages that mean the same thing in other words.
 */
export function createLexicalEmbedder(options: { dimension: number }): Embedder {
  const { dimension } = options;
  return {
    id: `lexical-hash-v1:${dimension}`,
    semantic: false,
    async embedDocuments(texts, embedOptions) {
      const vectors = texts.map((text) => lexicalVector(text, dimension));
      await embedOptions?.onProgress?.(texts.length, texts.length);
      return vectors;
    },
    async embedQuery(text) {
      return lexicalVector(text, dimension);
    },
  };
}
