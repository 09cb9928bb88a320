import { lexicalTokens } from '../embeddings/lexical.embedder.js';

const MAX_PASSAGES = 3;
const MAX_EXCERPT_CHARS = 600;

/**
 * The offline answer: no model writes anything. The best passages are quoted, each cut down to the
 * sentences that share the most words with the question, numbered like the citations.
 */
export function extractiveAnswer(question: string, passages: readonly { text: string }[]): string {
  if (passages.length === 0) return 'No passage of your documents matches this question.';
  const terms = new Set(lexicalTokens(question));
  const quoted = passages
    .slice(0, MAX_PASSAGES)
    .map((passage, i) => `[${i + 1}] ${excerpt(passage.text, terms)}`);
  return `Extractive answer (no language model configured): the most relevant passages of your documents.\n\n${quoted.join('\n\n')}`;
}

function excerpt(text: string, terms: ReadonlySet<string>): string {
  const sentences = text.split(/(?<=[.!?])\s+|\n+/).filter((sentence) => sentence.trim().length > 0);
  const scored = sentences.map((sentence, index) => ({
    index,
    sentence: sentence.trim(),
    hits: new Set(lexicalTokens(sentence).filter((token) => terms.has(token))).size,
  }));
  const best = scored.reduce(
    (top, entry) => (entry.hits > top.hits ? entry : top),
    scored[0] ?? { index: 0, sentence: text, hits: 0 },
  );
  // The best sentence, then its neighbours while they fit.
  let start = best.index;
  let end = best.index;
  let length = best.sentence.length;
  while (true) {
    const after = scored[end + 1];
    const before = scored[start - 1];
    if (after && length + after.sentence.length + 1 <= MAX_EXCERPT_CHARS) {
      end += 1;
      length += after.sentence.length + 1;
    } else if (before && length + before.sentence.length + 1 <= MAX_EXCERPT_CHARS) {
      start -= 1;
      length += before.sentence.length + 1;
    } else break;
  }
  const joined = scored
    .slice(start, end + 1)
    .map((entry) => entry.sentence)
    .join(' ');
  return joined.length > MAX_EXCERPT_CHARS ? `${joined.slice(0, MAX_EXCERPT_CHARS - 1)}…` : joined;
}
