import type { createUploadDocument } from '@flotilla/intake';
import { type HttpApp, platformErrors } from '@flotilla/platform';
import { Type } from 'typebox';
import { authenticate, bearerSecurity, currentUser } from '../../../http/auth.js';
import {
  IdempotencyKeySchema,
  multipartUploadBody,
  readMultipartFile,
  withUploadTarget,
} from '../../../http/multipart-upload.js';
import { authedProblemResponses } from '../../../http/problem-responses.js';
import type { UploadGate } from '../../../http/upload-gate.js';
import type { createAskQuestion } from '../application/ask.use-case.js';
import type { createDeleteDocument } from '../application/delete-document.use-case.js';
import type { createGetDocument } from '../application/get-document.use-case.js';
import type { createListDocuments } from '../application/list-documents.use-case.js';
import { toAskReply, toDocumentView } from './knowledge.mapper.js';
import {
  AskBodySchema,
  AskReplySchema,
  DocumentIdParamsSchema,
  DocumentPageSchema,
  DocumentViewSchema,
  ListDocumentsQuerySchema,
} from './knowledge.schemas.js';

/** Path of the document routes inside the `/api/v1` scope. */
export const DOCUMENTS_PATH = '/knowledge/documents';
/** Path of the question route inside the `/api/v1` scope. */
export const ASK_PATH = '/ask';

/** The knowledge use cases the routes call. */
export interface KnowledgeRoutesDeps {
  uploadDocument: ReturnType<typeof createUploadDocument>;
  listDocuments: ReturnType<typeof createListDocuments>;
  getDocument: ReturnType<typeof createGetDocument>;
  deleteDocument: ReturnType<typeof createDeleteDocument>;
  askQuestion: ReturnType<typeof createAskQuestion>;
  maxUploadBytes: number;
  uploadGate: UploadGate;
}

const tags = ['knowledge'];
const UPLOAD_TARGETS = { photo: '/api/v1/media', document: `/api/v1${DOCUMENTS_PATH}` };

function readTitle(fields: Record<string, string>): string | undefined {
  const raw = fields.title;
  if (raw === undefined) return undefined;
  const title = raw.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  const message = /[\u0000-\u001f\u007f]/.test(title)
    ? 'must not contain control characters'
    : title.length === 0 || title.length > 255
      ? 'must be 1-255 characters'
      : undefined;
  if (message) {
    const errors = [{ field: '/body/title', message }];
    throw platformErrors.VALIDATION({ detail: `/body/title ${message}`, data: { errors } });
  }
  return title;
}

/** Documents (`/knowledge/documents`) and questions (`/ask`): schema -> use case -> mapping. */
export function registerKnowledgeRoutes(app: HttpApp, deps: KnowledgeRoutesDeps): void {
  app.post(
    DOCUMENTS_PATH,
    {
      preHandler: authenticate,
      schema: {
        tags,
        summary: 'Upload a document to the knowledge base',
        description:
          'multipart/form-data: an optional `title` field, then one file part. txt, md, pdf or docx, decided ' +
          'by content (magic bytes; txt/md must be UTF-8 text without NUL bytes; docx is a zip with ' +
          '`word/document.xml`), streamed into storage. 413 `MEDIA.TOO_LARGE`, 415 `MEDIA.UNSUPPORTED_TYPE` ' +
          '(photos go to `/api/v1/media`). Answers 202 with the `pending` document; the worker indexes it. ' +
          'When every upload place of the server is taken, 503 `UPLOAD.BUSY` with `Retry-After` at once.',
        security: bearerSecurity,
        consumes: ['multipart/form-data'],
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKeySchema) }),
        body: multipartUploadBody({
          title: { type: 'string', description: 'Optional title (1-255 characters), sent before the file.' },
        }),
        response: { 202: DocumentViewSchema, ...authedProblemResponses(400, 409, 413, 415, 503) },
      },
    },
    async (request, reply) =>
      deps.uploadGate.run(async () => {
        const { id: ownerId } = currentUser(request);
        const { file, fields } = await readMultipartFile(request, deps.maxUploadBytes);
        const title = readTitle(fields);
        const key = request.headers['idempotency-key'];
        const { document, replayed } = await deps
          .uploadDocument({
            ownerId,
            file,
            origin: { source: 'api' },
            ...(title !== undefined && { title }),
            ...(key !== undefined && { idempotencyKey: key }),
          })
          .catch((error: unknown) => {
            throw withUploadTarget(error, UPLOAD_TARGETS);
          });
        reply.code(202).header('location', `/api/v1${DOCUMENTS_PATH}/${document.id}`);
        if (replayed) reply.header('idempotent-replayed', 'true');
        return toDocumentView(document);
      }),
  );

  app.get(
    DOCUMENTS_PATH,
    {
      preHandler: authenticate,
      schema: {
        tags,
        summary: "List one's own documents, newest first",
        security: bearerSecurity,
        querystring: ListDocumentsQuerySchema,
        response: { 200: DocumentPageSchema, ...authedProblemResponses() },
      },
    },
    async (request) => {
      const page = await deps.listDocuments({ ownerId: currentUser(request).id, ...request.query });
      return { items: page.items.map(toDocumentView), next_cursor: page.next_cursor };
    },
  );

  app.get(
    `${DOCUMENTS_PATH}/:id`,
    {
      preHandler: authenticate,
      schema: {
        tags,
        summary: 'A document: indexing status, chunk count, error',
        description: "404 `DOCUMENT.NOT_FOUND` for an unknown id and for someone else's document alike.",
        security: bearerSecurity,
        params: DocumentIdParamsSchema,
        response: { 200: DocumentViewSchema, ...authedProblemResponses(404) },
      },
    },
    async (request) =>
      toDocumentView(
        await deps.getDocument({ ownerId: currentUser(request).id, documentId: request.params.id }),
      ),
  );

  app.delete(
    `${DOCUMENTS_PATH}/:id`,
    {
      preHandler: authenticate,
      schema: {
        tags,
        summary: 'Delete a document, its vectors and its file',
        description: "204 when deleted; 404 `DOCUMENT.NOT_FOUND` (also for someone else's document).",
        security: bearerSecurity,
        params: DocumentIdParamsSchema,
        response: { 204: Type.Null(), ...authedProblemResponses(404) },
      },
    },
    async (request, reply) => {
      await deps.deleteDocument({ ownerId: currentUser(request).id, documentId: request.params.id });
      return reply.code(204).send(null);
    },
  );

  app.post(
    ASK_PATH,
    {
      preHandler: authenticate,
      schema: {
        tags,
        summary: 'Ask a question about your documents',
        description:
          'Retrieves passages from your own documents only and answers with citations. Without a language ' +
          'model configured the answer is extractive (`mode: "extractive"`: quoted passages). 422 ' +
          '`KNOWLEDGE.QUESTION_TOO_LONG` / `KNOWLEDGE.INVALID_QUESTION`; 503 when the vector store or the ' +
          'provider is unavailable.',
        security: bearerSecurity,
        body: AskBodySchema,
        response: { 200: AskReplySchema, ...authedProblemResponses(503) },
      },
    },
    async (request, reply) => {
      const abort = new AbortController();
      // The response's close before it finished means the client went away: stop retrieving for it.
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      const { question, top_k, document_ids } = request.body;
      const result = await deps.askQuestion({
        ownerId: currentUser(request).id,
        question,
        ...(top_k !== undefined && { topK: top_k }),
        ...(document_ids !== undefined && { documentIds: document_ids }),
        signal: abort.signal,
      });
      return toAskReply(result);
    },
  );
}
