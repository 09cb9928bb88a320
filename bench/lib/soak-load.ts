/**
 * The soak's mixed load: users of the media system (api, worker and both data services as processes),
 * each with one indexed document, and four kinds of request over them, each driven by its own wrk
 * (reads, logins, photo uploads, questions), so each kind has its own rate, latency and statuses.
 * Also the samples the soak takes of each service: RSS from /proc and the event-loop delay p99 from
 * its /metrics (prom-client resets that histogram on every scrape, so each sample covers the time
 * since the one before).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { ServiceProcess } from '../../tests/e2e/helpers/service-process.js';
import type { MediaSystem } from '../../tests/support/media-system.js';
import type { WrkResult } from './wrk.js';
import { type RotatedRequest, runWrkRotation } from './wrk-rotation.js';

/** The four kinds of request of the mix. */
export const KINDS = ['reads', 'logins', 'uploads', 'questions'] as const;
/** One kind of request. */
export type Kind = (typeof KINDS)[number];

/** A user of the soak, with what a login needs. */
export interface SoakUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

const json = { 'content-type': 'application/json' };

async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return response;
}

/** One multipart body with a single file part. */
export async function multipartFile(
  bytes: Buffer,
  type: string,
  name: string,
): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type') ?? '',
  };
}

/** A small photo (640x480 noise JPEG, about 100 KB): the worker keeps up with a steady stream of them. */
export function smallPhoto(): Promise<Buffer> {
  return sharp({
    create: {
      width: 640,
      height: 480,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Registers a user, logs in, uploads one text document and waits until it is indexed. */
export async function prepareUser(apiUrl: string, text: string): Promise<SoakUser> {
  const suffix = randomBytes(6).toString('hex');
  const email = `soak-${suffix}@example.test`;
  const password = `soak-password-${suffix}`;
  const registered = await expectStatus(
    await fetch(`${apiUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password, username: `soak_${suffix}` }),
    }),
    201,
    'register',
  );
  const { id } = (await registered.json()) as { id: string };
  const login = await expectStatus(
    await fetch(`${apiUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password }),
    }),
    200,
    'login',
  );
  const { access_token: token } = (await login.json()) as { access_token: string };
  const document = await multipartFile(Buffer.from(text), 'text/plain', 'notes.txt');
  await expectStatus(
    await fetch(`${apiUrl}/api/v1/knowledge/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': document.contentType },
      body: document.body,
    }),
    202,
    'document upload',
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    const page = (await (
      await fetch(`${apiUrl}/api/v1/knowledge/documents`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { items: Array<{ status: string }> };
    if (page.items[0]?.status === 'indexed') break;
    if (page.items[0]?.status === 'failed') throw new Error('the soak document failed to index');
    if (Date.now() > deadline) throw new Error('the soak document was not indexed within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { id, email, password, token };
}

/** The prepared requests of each kind, one per user. */
export function mixRequests(
  users: readonly SoakUser[],
  photo: { body: Buffer; contentType: string },
  question: string,
): Record<Kind, RotatedRequest[]> {
  const bearer = (user: SoakUser) => ({ authorization: `Bearer ${user.token}` });
  return {
    reads: users.map((user) => ({ method: 'GET', path: '/api/v1/users/me', headers: bearer(user) })),
    logins: users.map((user) => ({
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: json,
      body: Buffer.from(JSON.stringify({ email: user.email, password: user.password })),
    })),
    uploads: users.map((user) => ({
      method: 'POST',
      path: '/api/v1/media',
      headers: { ...bearer(user), 'content-type': photo.contentType },
      body: photo.body,
    })),
    questions: users.map((user) => ({
      method: 'POST',
      path: '/api/v1/ask',
      headers: { ...bearer(user), ...json },
      body: Buffer.from(JSON.stringify({ question })),
    })),
  };
}

/** Connections and pause of one kind's wrk. */
export interface Pace {
  connections: number;
  delayMs: number;
}

/** Runs the four kinds at once for `seconds`. */
export async function runMix(
  apiUrl: string,
  requests: Record<Kind, RotatedRequest[]>,
  paces: Record<Kind, Pace>,
  seconds: number,
): Promise<Record<Kind, WrkResult>> {
  const results = await Promise.all(
    KINDS.map((kind) =>
      runWrkRotation({
        baseUrl: apiUrl,
        requests: requests[kind],
        connections: paces[kind].connections,
        delayMs: paces[kind].delayMs,
        durationSeconds: seconds,
      }),
    ),
  );
  return Object.fromEntries(KINDS.map((kind, index) => [kind, results[index]])) as Record<Kind, WrkResult>;
}

/** Answers that were not a success, including answers that never came. */
export function failures(result: WrkResult): number {
  const ok = Object.entries(result.statuses)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
  return result.requests - ok + result.socketErrors;
}

/** A service's RSS (MB) and event-loop delay p99 (ms) now. */
export async function sampleService(
  service: ServiceProcess,
): Promise<{ rss_mb: number; loop_p99_ms: number; heap_used_mb: number }> {
  const metrics = await (await fetch(service.url('/metrics'))).text();
  const gauge = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
  return {
    rss_mb: await rssMb(service),
    loop_p99_ms: Math.round(gauge('nodejs_eventloop_lag_p99_seconds') * 10_000) / 10,
    heap_used_mb: Math.round(gauge('nodejs_heap_size_used_bytes') / 104_857.6) / 10,
  };
}

/** A process's resident memory now, in MB (from `/proc`). */
export async function rssMb(service: ServiceProcess): Promise<number> {
  const status = await readFile(`/proc/${service.child.pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 102.4) / 10;
}

/** The four processes the soak watches. */
export function soakServices(system: MediaSystem): Record<string, ServiceProcess> {
  return {
    api: system.api,
    worker: system.worker,
    'data-postgres': system.services.processes.dataPostgres,
    'data-mongo': system.services.processes.dataMongo,
  };
}
