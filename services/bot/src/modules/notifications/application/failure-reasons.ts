/** Human reasons for the failure codes of the worker (the code is shown too, for support). */
const REASONS: Record<string, string> = {
  'MEDIA.UNSUPPORTED': 'this file is not a photo I can read',
  'MEDIA.CORRUPT': 'the photo seems to be damaged',
  'MEDIA.TOO_LARGE': 'the photo is too large',
  'MEDIA.TOO_MANY_PIXELS': 'the photo has too many pixels',
  'MEDIA.ORIGINAL_MISSING': 'the uploaded file was lost; please send it again',
  'MEDIA.RETRIES_EXHAUSTED': 'processing kept failing; please try again later',
  'KNOWLEDGE.NO_TEXT': 'I found no text in this document',
  'KNOWLEDGE.UNSUPPORTED_TYPE': 'I can read txt, md, pdf and docx documents only',
  'KNOWLEDGE.UNREADABLE': 'I could not read the text of this document',
  'KNOWLEDGE.TOO_LARGE': 'the document is too long',
  'DOCUMENT.BLOB_MISSING': 'the uploaded file was lost; please send it again',
  'DOCUMENT.RETRIES_EXHAUSTED': 'indexing kept failing; please try again later',
};

/** A sentence a person understands for a failure code, with the code for reference. */
export function humanReason(failure: { code: string; message: string }): string {
  const reason = REASONS[failure.code] ?? 'something went wrong while processing it';
  return `${reason} (${failure.code})`;
}

/** `1.2 MB`, `340 KB`, `900 B`. */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (Math.abs(bytes) >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}
