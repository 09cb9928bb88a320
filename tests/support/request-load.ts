/** What one request of a load loop got: an HTTP answer, or a connection that failed without one. */
export interface LoadAnswer {
  /** The loop's name (`read`, `login`, ...). */
  kind: string;
  /** The HTTP status, or `connection-error` when no answer arrived (reset, refused, timed out). */
  status: number | 'connection-error';
  contentType: string | null;
  /** The problem's `code` when the answer was problem+json. */
  code?: string;
  /** The `Retry-After` header, when the answer had one. */
  retryAfter?: string;
  /** `performance.now()` when the request was sent and when its answer (or failure) arrived. */
  sentAt: number;
  answeredAt: number;
  error?: string;
}

/** One client loop: sends `request()` again as soon as the previous answer is in. */
export interface LoadLoop {
  kind: string;
  request: (signal: AbortSignal) => Promise<Response>;
}

/** Options of {@link runRequestLoops}. */
export interface RequestLoadOptions {
  loops: readonly LoadLoop[];
  durationMs: number;
  /** Longest wait for one answer before it counts as a connection error (default 30 s). */
  requestTimeoutMs?: number;
  /** Pause between two requests of a loop (default 20 ms): load without saturating a 2-core machine. */
  pauseMs?: number;
  /** Stops the loops early once it returns true (checked before each request). */
  until?: () => boolean;
  /** Kept up to date while the loops run: how many requests are sent and not yet answered. */
  progress?: LoadProgress;
}

/** Live state of {@link runRequestLoops}, for a test that must act while requests are in flight. */
export interface LoadProgress {
  inFlight: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answerOf(kind: string, sentAt: number, response: Response): Promise<LoadAnswer> {
  const contentType = response.headers.get('content-type');
  let code: string | undefined;
  if (contentType?.startsWith('application/problem+json')) {
    code = ((await response.json().catch(() => ({}))) as { code?: string }).code;
  } else {
    await response.arrayBuffer();
  }
  const retryAfter = response.headers.get('retry-after');
  return {
    kind,
    status: response.status,
    contentType,
    ...(code && { code }),
    ...(retryAfter !== null && { retryAfter }),
    sentAt,
    answeredAt: performance.now(),
  };
}

async function send(loop: LoadLoop, sentAt: number, timeoutMs: number): Promise<LoadAnswer> {
  try {
    return await answerOf(loop.kind, sentAt, await loop.request(AbortSignal.timeout(timeoutMs)));
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      kind: loop.kind,
      status: 'connection-error',
      contentType: null,
      sentAt,
      answeredAt: performance.now(),
      error: cause?.code ?? cause?.message ?? String(error),
    };
  }
}

/**
 * Runs each loop for `durationMs` (bounded in time; only loopback services are targeted) and returns
 * every answer in the order they arrived.
 */
export async function runRequestLoops(options: RequestLoadOptions): Promise<LoadAnswer[]> {
  const answers: LoadAnswer[] = [];
  const deadline = Date.now() + options.durationMs;
  await Promise.all(
    options.loops.map(async (loop) => {
      while (Date.now() < deadline && !options.until?.()) {
        const sentAt = performance.now();
        if (options.progress) options.progress.inFlight += 1;
        const answer = await send(loop, sentAt, options.requestTimeoutMs ?? 30_000);
        if (options.progress) options.progress.inFlight -= 1;
        answers.push(answer);
        await sleep(options.pauseMs ?? 20);
      }
    }),
  );
  return answers;
}

/** Answers sent at or after `from` and answered by `to` (both `performance.now()` times). */
export function answersWithin(answers: readonly LoadAnswer[], from: number, to: number): LoadAnswer[] {
  return answers.filter((answer) => answer.sentAt >= from && answer.answeredAt <= to);
}

/** Count of answers by kind and status, e.g. `{ "read 200": 812, "login 503": 40 }`. */
export function tally(answers: readonly LoadAnswer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key = `${answer.kind} ${answer.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** The longest time an answer took, by kind, in ms. */
export function slowest(answers: readonly LoadAnswer[]): Record<string, number> {
  const max: Record<string, number> = {};
  for (const answer of answers) {
    max[answer.kind] = Math.max(max[answer.kind] ?? 0, Math.round(answer.answeredAt - answer.sentAt));
  }
  return max;
}

/** The `count` slowest answers: kind, status, ms, and when each was sent relative to `origin` (ms). */
export function slowestAnswers(answers: readonly LoadAnswer[], origin: number, count = 3): string[] {
  return [...answers]
    .sort((a, b) => b.answeredAt - b.sentAt - (a.answeredAt - a.sentAt))
    .slice(0, count)
    .map(
      (a) =>
        `${a.kind} ${a.status}${a.code ? ` ${a.code}` : ''} ${Math.round(a.answeredAt - a.sentAt)} ms, sent at ${Math.round(a.sentAt - origin)} ms`,
    );
}
