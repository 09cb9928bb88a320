import type { LoadUser } from './media-system.js';

/** What one upload got: an HTTP answer, or a connection that failed (reset, closed) without one. */
export interface UploadAnswer {
  /** The HTTP status, or `connection-error` when no answer arrived. */
  status: number | 'connection-error';
  ms: number;
  retryAfter: string | null;
  code?: string;
  jobId?: string;
  ownerId: string;
  error?: string;
}

/** Options of {@link runUploadClients}. */
export interface UploadLoadOptions {
  apiUrl: string;
  /** One client per user, each uploading one photo after the other. */
  users: readonly LoadUser[];
  photos: readonly Buffer[];
  durationMs: number;
  /** Called at each answer (e.g. to stop the store at some point). */
  onAnswer?: (answer: UploadAnswer) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Clients uploading photos to `POST /api/v1/media` for `durationMs`, each waiting for its answer
 * before the next upload and honouring `Retry-After` (at most 5 s) after a 503. Bounded in time; only
 * the loopback api is targeted.
 */
export async function runUploadClients(options: UploadLoadOptions): Promise<UploadAnswer[]> {
  const answers: UploadAnswer[] = [];
  const deadline = Date.now() + options.durationMs;
  await Promise.all(
    options.users.map(async (user, index) => {
      for (let n = index; Date.now() < deadline; n += 1) {
        const photo = options.photos[n % options.photos.length] as Buffer;
        const form = new FormData();
        form.append('file', new Blob([photo], { type: 'image/jpeg' }), `phone-${n}.jpg`);
        const started = performance.now();
        let answer: UploadAnswer;
        try {
          const response = await fetch(`${options.apiUrl}/api/v1/media`, {
            method: 'POST',
            headers: { authorization: `Bearer ${user.token}` },
            body: form,
            signal: AbortSignal.timeout(120_000),
          });
          const body = (await response.json().catch(() => ({}))) as { id?: string; code?: string };
          answer = {
            status: response.status,
            ms: performance.now() - started,
            retryAfter: response.headers.get('retry-after'),
            ownerId: user.id,
            ...(body.code && { code: body.code }),
            ...(response.status === 202 && body.id && { jobId: body.id }),
          };
        } catch (error) {
          const cause = (error as { cause?: { code?: string; message?: string } }).cause;
          answer = {
            status: 'connection-error',
            ms: performance.now() - started,
            retryAfter: null,
            ownerId: user.id,
            error: cause?.code ?? cause?.message ?? String(error),
          };
        }
        answers.push(answer);
        options.onAnswer?.(answer);
        if (answer.status === 503) await sleep(Math.min(5, Number(answer.retryAfter) || 1) * 1000);
      }
    }),
  );
  return answers;
}

/** Count, p50 and p99 of the answers' latencies, by status. */
export function summarize(
  answers: readonly UploadAnswer[],
): Record<string, { count: number; p50: number; p99: number }> {
  const groups = new Map<string, number[]>();
  for (const answer of answers) {
    const key = String(answer.status);
    groups.set(key, [...(groups.get(key) ?? []), answer.ms]);
  }
  const summary: Record<string, { count: number; p50: number; p99: number }> = {};
  for (const [key, values] of groups) {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);
    summary[key] = { count: sorted.length, p50: at(0.5), p99: at(0.99) };
  }
  return summary;
}
