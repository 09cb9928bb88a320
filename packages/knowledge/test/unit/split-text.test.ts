import { describe, expect, it } from 'vitest';
import { splitText } from '../../src/splitting/split-text.js';

describe('splitting', () => {
  const paragraph = (n: number) => `Paragraph ${n} ${'word '.repeat(40).trim()}.`;
  const text = Array.from({ length: 12 }, (_, i) => paragraph(i)).join('\n\n');

  it('cuts text into chunks no longer than the chunk size, numbered from 0', async () => {
    const chunks = await splitText([{ text }], 'txt', { chunkSize: 300, chunkOverlap: 60 });
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((chunk) => chunk.index)).toEqual(chunks.map((_, i) => i));
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(300);
  });

  it('lets neighbouring chunks overlap when a paragraph is split', async () => {
    const long = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const chunks = await splitText([{ text: long }], 'txt', { chunkSize: 200, chunkOverlap: 50 });
    for (let i = 1; i < chunks.length; i += 1) {
      const firstWordOfNext = chunks[i]?.text.split(' ')[0] as string;
      expect(chunks[i - 1]?.text.split(' ')).toContain(firstWordOfNext);
    }
    const words = new Set(chunks.flatMap((chunk) => chunk.text.split(' ')));
    expect(words.size).toBe(200);
  });

  it('keeps the page of each chunk and never crosses pages', async () => {
    const chunks = await splitText(
      [
        { text: 'Page one text.', page: 1 },
        { text: 'Page two text.', page: 2 },
      ],
      'txt',
      { chunkSize: 500, chunkOverlap: 0 },
    );
    expect(chunks).toEqual([
      { index: 0, text: 'Page one text.', page: 1 },
      { index: 1, text: 'Page two text.', page: 2 },
    ]);
  });
});
