import { describe, expect, it } from 'vitest';
import { formatContext } from '../../src/answering/answer-prompt.v1.js';
import { extractiveAnswer } from '../../src/answering/extractive-answer.js';
import { selectByMmr } from '../../src/answering/mmr.js';

describe('maximal marginal relevance', () => {
  it('gives way to a different passage instead of a near duplicate', () => {
    const candidates = [
      { score: 0.9, embedding: [1, 0, 0] },
      { score: 0.89, embedding: [0.99, 0.1, 0] },
      { score: 0.7, embedding: [0, 1, 0] },
    ];
    expect(selectByMmr(candidates, 2)).toEqual([0, 2]);
    expect(selectByMmr(candidates, 2, 1)).toEqual([0, 1]);
  });

  it('returns at most the candidates there are', () => {
    expect(selectByMmr([{ score: 0.5, embedding: [1] }], 4)).toEqual([0]);
    expect(selectByMmr([], 4)).toEqual([]);
  });
});

describe('extractive answer', () => {
  it('quotes the sentence sharing the most words with the question, labelled as extractive', () => {
    const passage = {
      text: 'The office opens at 7:30. Annual leave is twenty-seven days per year. Parking is assigned by lottery.',
    };
    const answer = extractiveAnswer('How many days of annual leave per year?', [passage]);
    expect(answer).toMatch(/^Extractive answer \(no language model configured\)/);
    expect(answer).toContain('[1] ');
    expect(answer).toContain('Annual leave is twenty-seven days per year.');
  });

  it('cuts long passages around the best sentence', () => {
    const filler = 'Unrelated filler sentence about nothing in particular. '.repeat(30);
    const answer = extractiveAnswer('Where is the key?', [
      { text: `${filler}The key is under the mat. ${filler}` },
    ]);
    expect(answer).toContain('The key is under the mat.');
    expect(answer.length).toBeLessThan(800);
  });

  it('says so when no passage matches', () => {
    expect(extractiveAnswer('Anything?', [])).toBe('No passage of your documents matches this question.');
  });
});

describe('prompt context', () => {
  it('numbers the passages and names their title and page', () => {
    expect(
      formatContext([
        { title: 'Manual', page: 3, text: 'Descale monthly.' },
        { title: 'Notes', page: 0, text: 'Use citric acid.' },
      ]),
    ).toBe('[1] (Manual, page 3)\nDescale monthly.\n\n[2] (Notes)\nUse citric acid.');
  });
});
