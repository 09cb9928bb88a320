import { BlobFilenameSchema } from '@flotilla/contracts';
import { readHead, uploadErrors } from '@flotilla/intake';
import { createHealth, createHttpApp, createLogger, createMetrics, type HttpApp } from '@flotilla/platform';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMultipartFile, registerMultipart } from '../../src/http/multipart-upload.js';

const MAX_BYTES = 4096;
const blobFilename = Compile(BlobFilenameSchema);
let app: HttpApp;

// The api's multipart edge (plugin, limits, readMultipartFile) in front of a sink that reads the file the
// way the upload use case does (its head, then the rest; a broken stream is the client's incomplete upload).
beforeAll(async () => {
  const service = { service: 'api', version: '0.0.0' };
  app = await createHttpApp({
    ...service,
    logger: createLogger({ ...service, level: 'silent' }),
    metrics: createMetrics(service),
    health: createHealth({ checkTimeoutMs: 200 }),
    bodyLimit: 1_048_576,
    openapi: { title: 'multipart' },
  });
  await app.register(async (scope: HttpApp) => {
    await registerMultipart(scope, MAX_BYTES);
    scope.post('/upload', async (request) => {
      const { file, fields } = await readMultipartFile(request, MAX_BYTES);
      let size = 0;
      try {
        const { whole } = await readHead(file.stream, 512);
        for await (const chunk of whole) size += (chunk as Buffer).length;
      } catch (error) {
        throw uploadErrors.UPLOAD_INCOMPLETE({ cause: error });
      }
      return { filename: file.filename, size, fields };
    });
  });
  await app.ready();
});
afterAll(() => app?.close());

const CRLF = '\r\n';
const token = fc.stringMatching(/^[A-Za-z0-9'()+_,.-]{1,30}$/);
/** What a client (or an attacker) may put in a file name: quotes, separators, controls, non-ASCII. */
const filename = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('a', '.', '/', '\\', '"', ';', ' ', '\u0000', '\u001b', 'é', '😀', '%'),
    maxLength: 300,
  }),
);
const disposition = fc.oneof(
  fc
    .record({ name: token, filename: fc.option(filename, { nil: undefined }) })
    .map(
      ({ name, filename }) =>
        `Content-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}`,
    ),
  filename.map(
    (name) => `Content-Disposition: form-data; name="file"; filename*=UTF-8''${encodeURIComponent(name)}`,
  ),
  fc.string({ maxLength: 80 }).map((text) => `Content-Disposition:${text}`),
  fc.string({ maxLength: 80 }),
);
const part = fc.record({
  headers: fc.array(
    fc.oneof(disposition, fc.constantFrom('Content-Type: image/png', 'Content-Type: text/plain', 'X: y')),
    { minLength: 0, maxLength: 3 },
  ),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.uint8Array({ minLength: MAX_BYTES - 2, maxLength: MAX_BYTES + 300 }),
  ),
});
/** A form as sent: its parts, whether it is closed, where it is cut, and the Content-Type it is sent as. */
interface Form {
  boundary: string;
  parts: Array<{ headers: string[]; body: Uint8Array }>;
  close: boolean;
  cutAt: number | undefined;
  contentType: string;
}

/** Forms of any shape: parts with any headers, a missing or wrong boundary, cut anywhere. */
const chaoticForm: fc.Arbitrary<Form> = fc.record({
  boundary: token,
  parts: fc.array(part, { maxLength: 8 }),
  close: fc.boolean(),
  cutAt: fc.option(fc.nat(), { nil: undefined }),
  contentType: fc.constantFrom(
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary="',
    'multipart/form-data',
    'multipart/mixed; boundary=',
    'text/plain; boundary=',
  ),
});
/** Well-formed forms: a few text fields, then one file under any name. */
const wellFormedForm: fc.Arbitrary<Form> = fc
  .record({
    boundary: token,
    fields: fc.array(fc.record({ name: token, value: fc.string({ maxLength: 50 }) }), { maxLength: 3 }),
    filename,
    body: fc.uint8Array({ minLength: 1, maxLength: 2000 }),
  })
  .map(({ boundary, fields, filename, body }) => ({
    boundary,
    parts: [
      ...fields.map(({ name, value }) => ({
        headers: [`Content-Disposition: form-data; name="${name}"`],
        body: Buffer.from(value),
      })),
      {
        headers: [
          `Content-Disposition: form-data; name="file"; filename="${filename}"`,
          'Content-Type: image/png',
        ],
        body,
      },
    ],
    close: true,
    cutAt: undefined,
    contentType: 'multipart/form-data; boundary=',
  }));

function encode(form: Form): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const { headers, body } of form.parts) {
    chunks.push(
      Buffer.from(`--${form.boundary}${CRLF}${headers.map((line) => `${line}${CRLF}`).join('')}${CRLF}`),
    );
    chunks.push(Buffer.from(body), Buffer.from(CRLF));
  }
  if (form.close) chunks.push(Buffer.from(`--${form.boundary}--${CRLF}`));
  const whole = Buffer.concat(chunks);
  const body = form.cutAt === undefined ? whole : whole.subarray(0, form.cutAt % (whole.length + 1));
  const { contentType, boundary } = form;
  if (contentType.endsWith('"')) return { body, contentType: `${contentType}${boundary}"` };
  return { body, contentType: contentType.endsWith('=') ? `${contentType}${boundary}` : contentType };
}

describe('multipart uploads at the api edge', () => {
  it('answer with a safe file name or a 4xx problem+json for any form, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(wellFormedForm, chaoticForm, chaoticForm), async (form) => {
        const { body, contentType } = encode(form);
        const response = await app.inject({
          method: 'POST',
          url: '/upload',
          headers: { 'content-type': contentType },
          payload: body,
        });
        expect(response.statusCode, response.body).toBeLessThan(500);
        if (response.statusCode === 200) {
          const { filename, size } = response.json() as { filename: string; size: number };
          expect(blobFilename.Check(filename), filename).toBe(true);
          expect(size).toBeLessThanOrEqual(MAX_BYTES + 1);
        } else {
          expect(response.statusCode).toBeGreaterThanOrEqual(400);
          expect(response.headers['content-type']).toContain('application/problem+json');
          expect(response.json()).toMatchObject({ status: response.statusCode });
        }
      }),
      { numRuns: 300 },
    );
  });
});
