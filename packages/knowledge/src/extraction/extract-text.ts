import { knowledgeErrors } from '../errors/knowledge.errors.js';
import { type DocumentFormat, detectFormat } from './document-format.js';

/** A piece of extracted text, with its page number when the format has pages (PDF). */
export interface TextSection {
  text: string;
  page?: number;
}

/** What extraction produced: the format and the text, page by page where known. */
export interface ExtractedText {
  format: DocumentFormat;
  sections: TextSection[];
  characters: number;
  pages?: number;
}

/** Bounds on one document. */
export interface ExtractionLimits {
  maxBytes: number;
  maxPages: number;
  maxChars: number;
}

/**
 * Extracts the text of a txt, md, pdf or docx document. Raises `KNOWLEDGE.UNSUPPORTED_TYPE`,
 * `KNOWLEDGE.TOO_LARGE` (bytes, pages, characters), `KNOWLEDGE.UNREADABLE` (corrupt file) or
 * `KNOWLEDGE.NO_TEXT` (nothing but whitespace, e.g. a scanned PDF without a text layer).
 */
export async function extractText(
  bytes: Uint8Array,
  meta: { contentType: string; filename?: string },
  limits: ExtractionLimits,
): Promise<ExtractedText> {
  if (bytes.byteLength > limits.maxBytes) {
    throw knowledgeErrors.TOO_LARGE({ detail: `${bytes.byteLength} bytes > ${limits.maxBytes} bytes.` });
  }
  const format = detectFormat(meta.contentType, meta.filename, bytes.subarray(0, 8));
  const extracted = await extractByFormat(format, bytes, limits);
  const sections = extracted.sections
    .map((section) => ({ ...section, text: normalizeText(section.text) }))
    .filter((section) => section.text.length > 0);
  const characters = sections.reduce((sum, section) => sum + section.text.length, 0);
  if (characters === 0) {
    throw knowledgeErrors.NO_TEXT({ detail: `The ${format} document contains no extractable text.` });
  }
  if (characters > limits.maxChars) {
    throw knowledgeErrors.TOO_LARGE({ detail: `${characters} characters > ${limits.maxChars} characters.` });
  }
  return {
    format,
    sections,
    characters,
    ...(extracted.pages === undefined ? {} : { pages: extracted.pages }),
  };
}

async function extractByFormat(
  format: DocumentFormat,
  bytes: Uint8Array,
  limits: ExtractionLimits,
): Promise<{ sections: TextSection[]; pages?: number }> {
  switch (format) {
    case 'txt':
    case 'md':
      return { sections: [{ text: decodeUtf8(bytes) }] };
    case 'pdf':
      return extractPdf(bytes, limits);
    case 'docx':
      return extractDocx(bytes);
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
  // A NUL byte means a binary file under a text content type.
  if (text.includes('\u0000')) {
    throw knowledgeErrors.UNREADABLE({ detail: 'The text document contains binary data.' });
  }
  return text;
}

// The PDF and docx readers are imported with their first document: a process that never extracts
// (the api) does not load them, and one that does pays once.

async function extractPdf(bytes: Uint8Array, limits: ExtractionLimits) {
  const { PDFParse } = await import('pdf-parse');
  // pdf.js takes ownership of (detaches) the buffer it parses: give it a copy.
  const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 });
  try {
    const info = await parser.getInfo().catch((cause: unknown) => {
      throw knowledgeErrors.UNREADABLE({ detail: 'The PDF could not be parsed.', cause });
    });
    if (info.total > limits.maxPages) {
      throw knowledgeErrors.TOO_LARGE({ detail: `${info.total} pages > ${limits.maxPages} pages.` });
    }
    const result = await parser.getText();
    return {
      sections: result.pages.map((page) => ({ text: page.text, page: page.num })),
      pages: info.total,
    };
  } finally {
    await parser.destroy();
  }
}

async function extractDocx(bytes: Uint8Array) {
  const { default: mammoth } = await import('mammoth');
  try {
    const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
    return { sections: [{ text: result.value }] };
  } catch (cause) {
    throw knowledgeErrors.UNREADABLE({ detail: 'The docx file could not be read.', cause });
  }
}

/** Unifies line ends, drops control characters and trailing blanks, collapses runs of blank lines. */
function normalizeText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
      .replace(/[ \t]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}
