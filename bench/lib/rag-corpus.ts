/**
 * Synthetic text for the RAG benchmarks: deterministic (seeded) sentences over a vocabulary of a few
 * thousand made-up words, so vectors spread over the space like real text and runs are repeatable.
 */
import { createLogger } from '@flotilla/platform';

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'ze',
  'po',
  'qua',
  'der',
  'fin',
  'gal',
  'hor',
];

/** A vocabulary of `size` made-up words. */
export function vocabulary(size: number, random: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 2 + Math.floor(random() * 3);
    let word = '';
    for (let i = 0; i < syllables; i += 1) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

/** A paragraph of `sentences` sentences of 8 to 16 words (Zipf-like word choice). */
export function paragraph(words: readonly string[], sentences: number, random: () => number): string {
  const out: string[] = [];
  for (let s = 0; s < sentences; s += 1) {
    const length = 8 + Math.floor(random() * 9);
    const sentence: string[] = [];
    for (let w = 0; w < length; w += 1) {
      // Squaring skews choice towards the first words: a few common words, a long tail of rare ones.
      sentence.push(words[Math.floor(random() ** 2 * words.length)] as string);
    }
    out.push(`${sentence.join(' ')}.`);
  }
  return out.join(' ');
}

/** A logger that prints warnings only. */
export const benchLogger = createLogger({ service: 'bench', version: '0', level: 'warn' });

/** The ChromaDB server of the local infrastructure. */
export function chromaUrl(): string {
  const url = process.env.CHROMA_URL;
  if (!url) throw new Error('CHROMA_URL is not set (npm run infra -- up)');
  return url;
}
