import type { MediaJob } from '@flotilla/contracts';
import { formatBytes } from '../modules/notifications/application/failure-reasons.js';

/** Where a user gets a link code (the api, through the gateway). */
export const LINK_CODE_ROUTE = 'POST /api/v1/users/me/telegram/link-code';

/** Every sentence the bot says, in one place. */
export const TEXTS = {
  greeting: (name: string) =>
    `Hello ${name}! I am Flotilla's bot. Send me a photo and I return it compressed; send a document (txt, md, pdf, docx) and ask questions about it with /ask.`,
  help: [
    'What I can do:',
    '/start <code> — link this Telegram account to your Flotilla account',
    '/link <code> — the same; /unlink — remove the link',
    '/files — your photos and documents with their status',
    '/status <job id> — one job in detail',
    '/ask <question> — answer from your documents, with citations',
    '/stats — your activity and compression savings (30 days)',
    '/cancel — forget a pending question',
    'Send a photo to have it compressed, or a document to add it to your knowledge base.',
  ].join('\n'),
  notLinked: `This Telegram account is not linked yet. Get a one-time code from the Flotilla API (${LINK_CODE_ROUTE}) and send /start <code> here.`,
  askForCode: `Send me your one-time link code (from ${LINK_CODE_ROUTE}), or /cancel.`,
  linked: (username: string) => `Linked: this Telegram account now belongs to ${username}.`,
  alreadyLinked: (username: string) => `This Telegram account is already linked to ${username}.`,
  invalidCode: 'That code is unknown, expired or already used. Ask the API for a new one.',
  taken: 'This Telegram account is linked to another Flotilla user. Send /unlink from it first.',
  unlinked: 'Unlinked. I will not send you notifications any more.',
  notLinkedToUnlink: 'This Telegram account is not linked.',
  askForQuestion: 'What would you like to know? Send your question, or /cancel.',
  cancelled: 'Cancelled.',
  nothingToCancel: 'Nothing to cancel.',
  noFiles: 'You have no files yet. Send me a photo or a document.',
  statusUsage: 'Usage: /status <job id> (the id is in my reply to your upload and in /files).',
  jobNotFound: 'I know no job of yours with that id.',
  failure: (reference: string) =>
    `Sorry, something went wrong on my side. Please try again in a moment. (ref ${reference})`,
  photoTooLarge: (limit: number) =>
    `Sorry, this photo is too large: I accept photos up to ${formatBytes(limit)}.`,
  documentTooLarge: (limit: number) =>
    `Sorry, this file is too large: I accept documents up to ${formatBytes(limit)}.`,
  received: (kind: 'photo' | 'document', jobId: string) =>
    `📥 Got your ${kind}. Job ${jobId}\n${kind === 'photo' ? 'Queued for compression…' : 'Queued for indexing…'}`,
  uploadRefused: (reason: string) => `Sorry, I cannot take this file: ${reason}`,
};

const STATUS_ICONS: Record<MediaJob['status'], string> = {
  queued: '🕓',
  processing: '⏳',
  succeeded: '✅',
  failed: '❌',
};

/** One line (or two) about a job, for `/files`. */
export function describeJob(job: MediaJob): string {
  const icon = job.kind === 'photo' ? '🖼' : '📄';
  const saved =
    job.status === 'succeeded' && job.result?.bytes_saved !== undefined && job.original.size_bytes > 0
      ? `, saved ${Math.round((job.result.bytes_saved / job.original.size_bytes) * 100)} %`
      : '';
  return `${icon} ${job.original.filename} — ${STATUS_ICONS[job.status]} ${job.status}${saved}\n   ${job.id}`;
}

/** `/status` of one job. */
export function describeJobInDetail(job: MediaJob): string {
  const lines = [
    `${job.kind === 'photo' ? '🖼 Photo' : '📄 Document'} ${job.original.filename}`,
    `Status: ${STATUS_ICONS[job.status]} ${job.status} (${job.progress} %), attempts ${job.attempts}/${job.max_attempts}`,
    `Size: ${formatBytes(job.original.size_bytes)}`,
  ];
  if (job.result?.size_bytes !== undefined) lines.push(`Result: ${formatBytes(job.result.size_bytes)}`);
  if (job.error) lines.push(`Error: ${job.error.code}`);
  lines.push(`Job ${job.id}`);
  return lines.join('\n');
}
