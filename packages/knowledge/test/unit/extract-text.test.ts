import { isDomainError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { extractText } from '../../src/extraction/extract-text.js';
import { CONTENT_TYPES, makeDocx, makeEmptyPdf, makePdf } from '../support/fixtures.js';

const limits = { maxBytes: 5 * 1024 * 1024, maxPages: 10, maxChars: 100_000 };

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isDomainError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('text extraction', () => {
  it('reads plain text and Markdown as UTF-8, without a byte-order mark', async () => {
    const txt = await extractText(
      Buffer.from('\uFEFFCafé au lait.\r\nSecond line.'),
      { contentType: 'text/plain' },
      limits,
    );
    expect(txt.format).toBe('txt');
    expect(txt.sections).toEqual([{ text: 'Café au lait.\nSecond line.' }]);
    const md = await extractText(
      Buffer.from('# Title\n\nBody'),
      { contentType: 'text/markdown; charset=utf-8' },
      limits,
    );
    expect(md.format).toBe('md');
  });

  it('reads a PDF page by page', async () => {
    const pdf = await makePdf([
      ['The first page talks about apples.'],
      ['The second page talks about pears.'],
    ]);
    const result = await extractText(pdf, { contentType: CONTENT_TYPES.pdf }, limits);
    expect(result.format).toBe('pdf');
    expect(result.pages).toBe(2);
    expect(result.sections.map((section) => section.page)).toEqual([1, 2]);
    expect(result.sections[1]?.text).toContain('second page talks about pears');
  });

  it('reads a docx', async () => {
    const docx = await makeDocx(['Quarterly report.', 'Revenue grew by twelve percent.']);
    const result = await extractText(docx, { contentType: CONTENT_TYPES.docx }, limits);
    expect(result.format).toBe('docx');
    expect(result.sections[0]?.text).toContain('Revenue grew by twelve percent.');
  });

  it('recognises a generic content type by the file name or the PDF signature', async () => {
    const md = await extractText(
      Buffer.from('# Notes'),
      { contentType: 'application/octet-stream', filename: 'a.MD' },
      limits,
    );
    expect(md.format).toBe('md');
    const pdf = await extractText(
      await makePdf([['Signed.']]),
      { contentType: 'application/octet-stream' },
      limits,
    );
    expect(pdf.format).toBe('pdf');
  });

  it('fails with KNOWLEDGE.NO_TEXT when there is nothing to read', async () => {
    expect(
      await failure(extractText(await makeEmptyPdf(2), { contentType: CONTENT_TYPES.pdf }, limits)),
    ).toBe('KNOWLEDGE.NO_TEXT');
    expect(await failure(extractText(Buffer.from(' \n\t\n'), { contentType: 'text/plain' }, limits))).toBe(
      'KNOWLEDGE.NO_TEXT',
    );
  });

  it('refuses other types, binary text and corrupt files with stable codes', async () => {
    expect(await failure(extractText(Buffer.from('x'), { contentType: 'image/png' }, limits))).toBe(
      'KNOWLEDGE.UNSUPPORTED_TYPE',
    );
    expect(await failure(extractText(Buffer.from([65, 0, 66]), { contentType: 'text/plain' }, limits))).toBe(
      'KNOWLEDGE.UNREADABLE',
    );
    expect(
      await failure(extractText(Buffer.from('%PDF-1.7 garbage'), { contentType: CONTENT_TYPES.pdf }, limits)),
    ).toBe('KNOWLEDGE.UNREADABLE');
    expect(
      await failure(extractText(Buffer.from('not a zip'), { contentType: CONTENT_TYPES.docx }, limits)),
    ).toBe('KNOWLEDGE.UNREADABLE');
  });

  it('refuses documents past the byte, page and character limits with KNOWLEDGE.TOO_LARGE', async () => {
    const small = { maxBytes: 100, maxPages: 2, maxChars: 20 };
    expect(await failure(extractText(Buffer.alloc(101, 97), { contentType: 'text/plain' }, small))).toBe(
      'KNOWLEDGE.TOO_LARGE',
    );
    const threePages = await makePdf([['a'], ['b'], ['c']]);
    expect(
      await failure(extractText(threePages, { contentType: CONTENT_TYPES.pdf }, { ...small, maxBytes: 1e6 })),
    ).toBe('KNOWLEDGE.TOO_LARGE');
    expect(
      await failure(extractText(Buffer.from('a'.repeat(21)), { contentType: 'text/plain' }, small)),
    ).toBe('KNOWLEDGE.TOO_LARGE');
  });
});
