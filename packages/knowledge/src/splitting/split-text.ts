import type { DocumentFormat } from '../extraction/document-format.js';
import type { TextSection } from '../extraction/extract-text.js';

/** One chunk of a document: its position, text, and page when the format has pages. */
export interface TextChunk {
  index: number;
  text: string;
  page?: number;
}

/** Chunk size and overlap, in characters. */
export interface ChunkingOptions {
  chunkSize: number;
  chunkOverlap: number;
}

/**
 * Splits a document's sections into overlapping chunks with LangChain's splitters: Markdown-aware for
 * `md` (headings and blocks first), recursive by paragraph, line and word otherwise. Chunks never cross
 * a page, so each knows its page. Indexes run from 0 over the whole document.
 */
export async function splitText(
  sections: readonly TextSection[],
  format: DocumentFormat,
  options: ChunkingOptions,
): Promise<TextChunk[]> {
  // Imported with the first document: LangChain's core is slow to load, and the api never splits.
  const { MarkdownTextSplitter, RecursiveCharacterTextSplitter } = await import('@langchain/textsplitters');
  const splitter =
    format === 'md'
      ? new MarkdownTextSplitter({ chunkSize: options.chunkSize, chunkOverlap: options.chunkOverlap })
      : new RecursiveCharacterTextSplitter({
          chunkSize: options.chunkSize,
          chunkOverlap: options.chunkOverlap,
        });
  const chunks: TextChunk[] = [];
  for (const section of sections) {
    for (const text of await splitter.splitText(section.text)) {
      const trimmed = text.trim();
      if (trimmed.length === 0) continue;
      chunks.push({
        index: chunks.length,
        text: trimmed,
        ...(section.page === undefined ? {} : { page: section.page }),
      });
    }
  }
  return chunks;
}
