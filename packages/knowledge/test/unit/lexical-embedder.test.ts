import { describe, expect, it } from 'vitest';
import {
  createLexicalEmbedder,
  lexicalTokens,
  lexicalVector,
} from '../../src/embeddings/lexical.embedder.js';

function dot(a: number[], b: number[]): number {
  return a.reduce((sum, value, i) => sum + value * (b[i] as number), 0);
}

describe('lexical embedder', () => {
  it('normalises words: case, accents, stop words, plurals', () => {
    expect(lexicalTokens('The Cafés of Paris are OPEN')).toEqual(['cafe', 'pari', 'open']);
  });

  it('is deterministic and returns unit vectors of the configured dimension', async () => {
    const embedder = createLexicalEmbedder({ dimension: 256 });
    const [first] = await embedder.embedDocuments(['Invoices are due within thirty days.']);
    const second = await embedder.embedQuery('Invoices are due within thirty days.');
    expect(first).toEqual(second);
    expect(second).toHaveLength(256);
    expect(dot(second, second)).toBeCloseTo(1, 10);
    expect(embedder.id).toBe('lexical-hash-v1:256');
    expect(embedder.semantic).toBe(false);
  });

  it('scores texts sharing words above texts that do not', () => {
    const question = lexicalVector('When are invoices due?', 512);
    const related = lexicalVector('Invoices are due within thirty days of delivery.', 512);
    const unrelated = lexicalVector('The cat sleeps on the warm windowsill.', 512);
    expect(dot(question, related)).toBeGreaterThan(dot(question, unrelated) + 0.2);
  });

  it('is lexical, not semantic: a synonym does not match', () => {
    const question = lexicalVector('automobile', 512);
    expect(dot(question, lexicalVector('car', 512))).toBeLessThan(0.2);
  });

  it('gives the zero vector for a text without words', () => {
    expect(lexicalVector('?!', 64).every((value) => value === 0)).toBe(true);
  });
});
