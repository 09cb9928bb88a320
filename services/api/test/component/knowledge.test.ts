import type { DocumentUploadedData } from '@flotilla/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness, type TestUser } from '../support/api-harness.js';
import { COVERED_ROUTES } from '../support/covered-routes.js';
import { docxDocument, elfExecutable, pdfDocument, pngImage } from '../support/media-fixtures.js';
import { fileForm, multipartBody, storedBlobBytes } from '../support/media-multipart.js';
import { expectRoutesHit } from '../support/route-coverage.js';

const MAX_BYTES = 128 * 1024;

let harness: ApiHarness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  harness = await startApiHarness({
    label: 'knowledge',
    env: { KNOWLEDGE_DOCUMENT_MAX_BYTES: String(MAX_BYTES), KNOWLEDGE_QUESTION_MAX_CHARS: '200' },
  });
  [alice, bob] = await Promise.all([harness.registerAndLogin(), harness.registerAndLogin()]);
});
afterAll(async () => {
  if (harness) expectRoutesHit(harness.hits, COVERED_ROUTES['knowledge.test.ts']);
  await harness?.stop();
});

function uploadForm(
  user: TestUser,
  form: ReturnType<typeof multipartBody>,
  headers: Record<string, string> = {},
) {
  return harness.inject({
    method: 'POST',
    url: '/api/v1/knowledge/documents',
    payload: form.payload,
    headers: { ...user.headers, ...form.headers, ...headers },
  });
}

/** Plays the worker: reads the stored file and ingests it into the owner's collection. */
async function ingestAsWorker(event: DocumentUploadedData): Promise<void> {
  const download = await harness.deps.dataMongo.blobs.download(event.blob_id);
  await harness.deps.knowledge.knowledgeBase.ingest({
    documentId: event.document_id,
    ownerId: event.owner_id,
    title: event.title,
    contentType: event.content_type,
    content: download.body,
  });
  await harness.deps.dataPostgres.documents.patch(event.document_id, { status: 'indexed', chunk_count: 1 });
}

describe('uploading a document', () => {
  it.each([
    ['notes.txt', Buffer.from('Ferries leave the harbour at nine.\n'), 'text/plain'],
    ['notes.md', Buffer.from('# Harbour\n\nFerries leave at *nine*.\n'), 'text/markdown'],
  ])('accepts %s as UTF-8 text and publishes document.uploaded', async (name, content, type) => {
    const events = await harness.watchEvents('document.uploaded');
    const response = await uploadForm(alice, fileForm(name, content, 'application/octet-stream'));
    expect(response.statusCode).toBe(202);
    const document = response.json();
    expect(response.headers.location).toBe(`/api/v1/knowledge/documents/${document.id}`);
    expect(document).toMatchObject({ title: 'notes', content_type: type, status: 'pending', chunk_count: 0 });
    const event = await events.next(
      (envelope) => (envelope.data as DocumentUploadedData).document_id === document.id,
    );
    expect(event.data).toMatchObject({
      owner_id: alice.user.id,
      job_id: document.job_id,
      content_type: type,
      size_bytes: content.length,
    });
    const job = await harness.deps.dataPostgres.mediaJobs.get(document.job_id);
    expect(job).toMatchObject({ kind: 'document', status: 'queued', owner_id: alice.user.id });
  });

  it("shows the document's job among my jobs, which cannot be deleted on its own", async () => {
    const uploaded = await uploadForm(alice, fileForm('tracked.txt', Buffer.from('tracked words')));
    const { job_id: jobId } = uploaded.json();
    const jobs = await harness.inject({
      url: '/api/v1/media?kind=document&limit=200',
      headers: alice.headers,
    });
    expect(jobs.json().items.map((job: { id: string }) => job.id)).toContain(jobId);
    const photosOnly = await harness.inject({
      url: '/api/v1/media?kind=photo&limit=200',
      headers: alice.headers,
    });
    expect(photosOnly.json().items.map((job: { id: string }) => job.id)).not.toContain(jobId);
    const refused = await harness.inject({
      method: 'DELETE',
      url: `/api/v1/media/${jobId}`,
      headers: alice.headers,
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('MEDIA.DOCUMENT_JOB');
  });

  it('accepts a PDF and a docx by their bytes, with the title field when given', async () => {
    const pdf = await uploadForm(
      alice,
      multipartBody([
        { name: 'title', value: 'Timetable' },
        { name: 'file', filename: 'scan.bin', content: await pdfDocument() },
      ]),
    );
    expect(pdf.statusCode).toBe(202);
    expect(pdf.json()).toMatchObject({ title: 'Timetable', content_type: 'application/pdf' });

    const docx = await uploadForm(alice, fileForm('letter.docx', await docxDocument(['Dear crew'])));
    expect(docx.statusCode).toBe(202);
    expect(docx.json().content_type).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
  });

  it.each([
    ['with a NUL or another control character', ['Time\u0000table'], 'must not contain control characters'],
    ['sent twice', ['One', 'Two'], 'must be sent once'],
  ])('refuses a title %s with 422 naming the field, storing nothing', async (_case, titles, message) => {
    const before = (
      await harness.inject({ url: '/api/v1/knowledge/documents', headers: alice.headers })
    ).json();
    const refused = await uploadForm(
      alice,
      multipartBody([
        ...titles.map((value) => ({ name: 'title', value })),
        { name: 'file', filename: 'notes.txt', content: Buffer.from('a note') },
      ]),
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().errors).toEqual([{ field: '/body/title', message }]);
    const after = (
      await harness.inject({ url: '/api/v1/knowledge/documents', headers: alice.headers })
    ).json();
    expect(after.items).toHaveLength(before.items.length);
  });

  it('answers 415 for a photo (pointing to /media), an executable named .txt, or text that is not UTF-8', async () => {
    const photo = await uploadForm(alice, fileForm('notes.txt', pngImage(), 'text/plain'));
    expect(photo.statusCode).toBe(415);
    expect(photo.json()).toMatchObject({ code: 'MEDIA.UNSUPPORTED_TYPE', upload_to: '/api/v1/media' });

    const program = await uploadForm(alice, fileForm('notes.txt', elfExecutable(), 'text/plain'));
    expect(program.statusCode).toBe(415);

    const latin1 = Buffer.concat([Buffer.from('a'.repeat(70_000)), Buffer.from([0xe9, 0x20, 0x61])]);
    const notUtf8 = await uploadForm(alice, fileForm('notes.txt', latin1, 'text/plain'));
    expect(notUtf8.statusCode).toBe(415);
  });

  it('answers 413 above the limit and keeps nothing', async () => {
    const before = await storedBlobBytes(harness.services);
    const response = await uploadForm(alice, fileForm('big.txt', Buffer.alloc(MAX_BYTES + 1, 'a')));
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('MEDIA.TOO_LARGE');
    expect(await storedBlobBytes(harness.services)).toBe(before);
  });

  it('answers 422 for an over-long title and replays a retried upload with the same Idempotency-Key', async () => {
    const badTitle = await uploadForm(
      alice,
      multipartBody([
        { name: 'title', value: 't'.repeat(300) },
        { name: 'file', filename: 'a.txt', content: Buffer.from('hello') },
      ]),
    );
    expect(badTitle.statusCode).toBe(422);

    const key = `doc-${Date.now()}`;
    const form = () => fileForm('retry.txt', Buffer.from('same words'));
    const first = await uploadForm(alice, form(), { 'idempotency-key': key });
    const retry = await uploadForm(alice, form(), { 'idempotency-key': key });
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(first.json().id);
  });
});

describe("listing, asking about and deleting one's documents", () => {
  it('lists only my documents, answers from them with citations, and forgets them once deleted', async () => {
    const events = await harness.watchEvents('document.uploaded');
    const text = 'The lighthouse keeper feeds the seagulls every morning at dawn.';
    const uploaded = await uploadForm(alice, fileForm('lighthouse.txt', Buffer.from(text)));
    const document = uploaded.json();
    const event = await events.next(
      (envelope) => (envelope.data as DocumentUploadedData).document_id === document.id,
    );
    await ingestAsWorker(event.data as DocumentUploadedData);

    const mine = await harness.inject({
      url: '/api/v1/knowledge/documents?limit=200',
      headers: alice.headers,
    });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().items.map((item: { id: string }) => item.id)).toContain(document.id);
    const theirs = await harness.inject({ url: '/api/v1/knowledge/documents', headers: bob.headers });
    expect(theirs.json().items).toEqual([]);
    const one = await harness.inject({ url: uploaded.headers.location as string, headers: alice.headers });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: document.id, status: 'indexed', chunk_count: 1 });
    const foreignRead = await harness.inject({
      url: uploaded.headers.location as string,
      headers: bob.headers,
    });
    expect(foreignRead.statusCode).toBe(404);
    expect(foreignRead.json().code).toBe('DOCUMENT.NOT_FOUND');

    const question = { question: 'Who feeds the seagulls?' };
    const answer = await harness.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: question,
      headers: alice.headers,
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ mode: 'extractive' });
    expect(answer.json().citations[0]).toMatchObject({ document_id: document.id, title: 'lighthouse' });
    const bobsAnswer = await harness.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: question,
      headers: bob.headers,
    });
    expect(bobsAnswer.json().citations).toEqual([]);

    const foreign = await harness.inject({
      method: 'DELETE',
      url: `/api/v1/knowledge/documents/${document.id}`,
      headers: bob.headers,
    });
    expect(foreign.statusCode).toBe(404);

    const deleted = await harness.inject({
      method: 'DELETE',
      url: `/api/v1/knowledge/documents/${document.id}`,
      headers: alice.headers,
    });
    expect(deleted.statusCode).toBe(204);
    expect(await harness.deps.dataPostgres.documents.get(document.id)).toBeNull();
    expect(await harness.deps.dataPostgres.mediaJobs.get(document.job_id)).toBeNull();
    expect(
      await harness.deps.dataMongo.blobs.get((event.data as DocumentUploadedData).blob_id),
    ).toBeUndefined();
    const after = await harness.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: question,
      headers: alice.headers,
    });
    expect(
      after.json().citations.map((citation: { document_id: string }) => citation.document_id),
    ).not.toContain(document.id);
  });

  it('bounds questions: 422 when empty or longer than the limit, 401 without a token', async () => {
    const empty = await harness.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: { question: '' },
      headers: alice.headers,
    });
    expect(empty.statusCode).toBe(422);
    const long = await harness.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: { question: 'why '.repeat(100) },
      headers: alice.headers,
    });
    expect(long.statusCode).toBe(422);
    expect(long.json().code).toBe('KNOWLEDGE.QUESTION_TOO_LONG');
    const anonymous = await harness.inject({
      method: 'POST',
      url: '/api/v1/ask',
      payload: { question: 'hi' },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
