import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { expect } from 'vitest';

/** What a user does with a running system, through the gateway only. */
export interface JourneyResult {
  userId: string;
  photoJobId: string;
  documentId: string;
}

interface Json {
  [key: string]: unknown;
}

async function json(response: Response): Promise<Json> {
  const text = await response.text();
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new Error(`not JSON (${response.status}): ${text.slice(0, 300)}`);
  }
}

async function poll<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/**
 * Registers, logs in, uploads a photo and waits for the worker's result and thumbnail, uploads a
 * document and asks a question answered from it, then reads the user's stats: every step through the
 * nginx gateway, as a client would.
 */
export async function runUserJourney(gateway: string): Promise<JourneyResult> {
  const api = (path: string) => `${gateway}/api/v1${path}`;
  const tag = randomBytes(4).toString('hex');
  const credentials = { email: `journey.${tag}@example.com`, password: `correct horse ${tag} battery` };

  const registered = await fetch(api('/auth/register'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...credentials, username: `journey_${tag}` }),
  });
  expect(registered.status, JSON.stringify(await registered.clone().json())).toBe(201);
  const user = await json(registered);

  const login = await fetch(api('/auth/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  expect(login.status, await login.clone().text()).toBe(200);
  const { access_token: accessToken } = (await json(login)) as { access_token: string };
  const auth = { authorization: `Bearer ${accessToken}` };

  const me = await json(await fetch(api('/users/me'), { headers: auth }));
  expect(me.id).toBe(user.id);

  // A 1600x1200 photo with EXIF orientation 6: the worker must return it upright (1200 wide) and smaller.
  const photo = await sharp(randomBytes(1600 * 1200 * 3), { raw: { width: 1600, height: 1200, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'holiday.jpg');
  const uploaded = await fetch(api('/media'), { method: 'POST', headers: auth, body: form });
  expect(uploaded.status, await uploaded.clone().text()).toBe(202);
  const job = await json(uploaded);
  expect(uploaded.headers.get('location')).toContain(String(job.id));

  const finished = await poll('the photo job to finish', async () => {
    const current = await json(await fetch(api(`/media/${job.id}`), { headers: auth }));
    return current.status === 'succeeded' || current.status === 'failed' ? current : undefined;
  });
  expect(finished.status, JSON.stringify(finished)).toBe('succeeded');

  const result = await fetch(api(`/media/${job.id}/result`), { headers: auth });
  expect(result.status).toBe(200);
  const resultBytes = Buffer.from(await result.arrayBuffer());
  const resultMeta = await sharp(resultBytes).metadata();
  expect(resultMeta.width).toBeLessThan(resultMeta.height ?? 0);
  expect(resultMeta.orientation ?? 1).toBe(1);
  expect(resultBytes.length).toBeLessThan(photo.length);
  const thumbnail = await fetch(api(`/media/${job.id}/thumbnail`), { headers: auth });
  expect(thumbnail.status).toBe(200);
  expect(thumbnail.headers.get('content-type')).toMatch(/^image\//);
  const etag = thumbnail.headers.get('etag');
  expect(etag).toBeTruthy();
  const again = await fetch(api(`/media/${job.id}/thumbnail`), {
    headers: { ...auth, 'if-none-match': etag as string },
  });
  expect(again.status).toBe(304);

  // A document with the answer in it, then a question.
  const document = new FormData();
  document.append('title', 'Lighthouse keeping');
  document.append(
    'file',
    new Blob(
      [
        [
          'The lighthouse on Skerry Point was first lit in 1854.',
          'Its lamp burned colza oil until the keepers switched to paraffin in 1871.',
          'The keepers climbed 142 steps to reach the lantern room every evening.',
        ].join('\n\n'),
      ],
      { type: 'text/plain' },
    ),
    'lighthouse.txt',
  );
  const documentUpload = await fetch(api('/knowledge/documents'), {
    method: 'POST',
    headers: auth,
    body: document,
  });
  expect(documentUpload.status, await documentUpload.clone().text()).toBe(202);
  const created = await json(documentUpload);
  const documentId = String((created.document as Json | undefined)?.id ?? created.id);

  const indexed = await poll('the document to be indexed', async () => {
    const page = await json(await fetch(api('/knowledge/documents'), { headers: auth }));
    const item = (page.items as Json[]).find((entry) => entry.id === documentId);
    return item && (item.status === 'indexed' || item.status === 'failed') ? item : undefined;
  });
  expect(indexed.status, JSON.stringify(indexed)).toBe('indexed');

  const asked = await fetch(api('/ask'), {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ question: 'How many steps did the keepers climb to the lantern room?' }),
  });
  expect(asked.status).toBe(200);
  const answer = await json(asked);
  expect(answer.mode).toBe('extractive');
  expect(String(answer.answer)).toContain('142 steps');
  const citations = answer.citations as Json[];
  expect(citations.length).toBeGreaterThan(0);
  expect(citations[0]?.document_id).toBe(documentId);

  const stats = await fetch(api('/stats/me'), { headers: auth });
  expect(stats.status).toBe(200);

  return { userId: String(user.id), photoJobId: String(job.id), documentId };
}
