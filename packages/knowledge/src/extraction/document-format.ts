import { knowledgeErrors } from '../errors/knowledge.errors.js';

/** The document formats the knowledge base reads. */
export type DocumentFormat = 'txt' | 'md' | 'pdf' | 'docx';

const BY_CONTENT_TYPE: Record<string, DocumentFormat> = {
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/x-markdown': 'md',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

const BY_EXTENSION: Record<string, DocumentFormat> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  pdf: 'pdf',
  docx: 'docx',
};

/** The content types accepted for upload (for the api's and the bot's checks). */
export const SUPPORTED_CONTENT_TYPES: readonly string[] = Object.keys(BY_CONTENT_TYPE);

/**
 * Decides the format from the content type, then (for a generic type such as
 * `application/octet-stream`) from the file name's extension, then from the leading bytes.
 */
export function detectFormat(
  contentType: string,
  filename: string | undefined,
  head: Uint8Array,
): DocumentFormat {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const byType = BY_CONTENT_TYPE[type];
  if (byType) return byType;
  const extension = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  const byExtension = extension ? BY_EXTENSION[extension] : undefined;
  const generic = type === '' || type === 'application/octet-stream' || type === 'binary/octet-stream';
  if (generic && byExtension) return byExtension;
  if (generic && startsWith(head, '%PDF-')) return 'pdf';
  throw knowledgeErrors.UNSUPPORTED_TYPE({
    detail: `Content type ${JSON.stringify(type)} is not one of txt, md, pdf or docx.`,
  });
}

function startsWith(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let i = 0; i < text.length; i += 1) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}
