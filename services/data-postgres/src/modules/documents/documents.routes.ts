import {
  CreateKnowledgeDocumentBodySchema,
  type KnowledgeDocument,
  KnowledgeDocumentIdParamsSchema,
  KnowledgeDocumentPageSchema,
  KnowledgeDocumentSchema,
  ListKnowledgeDocumentsQuerySchema,
  PatchKnowledgeDocumentBodySchema,
} from '@flotilla/contracts';
import type { HttpApp } from '@flotilla/platform';
import { Type } from 'typebox';
import { decodePosition } from '../../db/keyset.js';
import type { OutboxWriter } from '../../db/outbox-writer.js';
import { iso, isoOrNull, nextCursor, problemResponses, serviceTokenSecurity } from '../../http/wire.js';
import { documentErrors } from './documents.errors.js';
import type { DocumentRecord, DocumentsRepository } from './documents.repository.js';

const tags = ['documents'];

/** A stored document on the wire. */
export function toDocumentWire(document: DocumentRecord): KnowledgeDocument {
  return {
    id: document.id,
    owner_id: document.ownerId,
    title: document.title,
    source_job_id: document.sourceJobId,
    content_type: document.contentType,
    chunk_count: document.chunkCount,
    status: document.status,
    error:
      document.errorCode !== null && document.errorMessage !== null
        ? { code: document.errorCode, message: document.errorMessage }
        : null,
    created_at: iso(document.createdAt),
    updated_at: iso(document.updatedAt),
    indexed_at: isoOrNull(document.indexedAt),
  };
}

/** `/api/v1/documents`: knowledge-base documents: create, read, list by owner, patch status, delete. */
export function registerDocumentRoutes(
  app: HttpApp,
  documents: DocumentsRepository,
  outbox: OutboxWriter,
): void {
  app.post(
    '/api/v1/documents',
    {
      schema: {
        tags,
        summary: 'Create a document (pending)',
        security: serviceTokenSecurity,
        body: CreateKnowledgeDocumentBodySchema,
        response: { 201: KnowledgeDocumentSchema, ...problemResponses(409) },
      },
    },
    async (request, reply) => {
      const { id, owner_id, title, source_job_id, content_type, events } = request.body;
      const document = await outbox.write(events, (db) =>
        documents.on(db).create({
          ...(id !== undefined && { id }),
          ownerId: owner_id,
          title,
          ...(source_job_id !== undefined && { sourceJobId: source_job_id }),
          contentType: content_type,
        }),
      );
      reply.status(201);
      return toDocumentWire(document);
    },
  );

  app.get(
    '/api/v1/documents',
    {
      schema: {
        tags,
        summary: 'List documents, newest first, by owner, status and source job',
        security: serviceTokenSecurity,
        querystring: ListKnowledgeDocumentsQuerySchema,
        response: { 200: KnowledgeDocumentPageSchema, ...problemResponses() },
      },
    },
    async (request) => {
      const { limit = 50, cursor, owner_id, status, source_job_id } = request.query;
      const page = await documents.list({
        limit,
        ...(cursor !== undefined && { after: decodePosition(cursor) }),
        ...(owner_id !== undefined && { ownerId: owner_id }),
        ...(status !== undefined && { status }),
        ...(source_job_id !== undefined && { sourceJobId: source_job_id }),
      });
      return { items: page.items.map(toDocumentWire), next_cursor: nextCursor(page.next) };
    },
  );

  app.get(
    '/api/v1/documents/:id',
    {
      schema: {
        tags,
        summary: 'Get a document',
        security: serviceTokenSecurity,
        params: KnowledgeDocumentIdParamsSchema,
        response: { 200: KnowledgeDocumentSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const document = await documents.findById(request.params.id);
      if (!document) throw documentErrors.NOT_FOUND();
      return toDocumentWire(document);
    },
  );

  app.patch(
    '/api/v1/documents/:id',
    {
      schema: {
        tags,
        summary: 'Change a document: status, chunk count, error, title',
        security: serviceTokenSecurity,
        params: KnowledgeDocumentIdParamsSchema,
        body: PatchKnowledgeDocumentBodySchema,
        response: { 200: KnowledgeDocumentSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const { title, status, chunk_count, error } = request.body;
      const document = await documents.update(request.params.id, {
        ...(title !== undefined && { title }),
        ...(status !== undefined && { status }),
        ...(chunk_count !== undefined && { chunkCount: chunk_count }),
        ...(error !== undefined && { error }),
      });
      return toDocumentWire(document);
    },
  );

  app.delete(
    '/api/v1/documents/:id',
    {
      schema: {
        tags,
        summary: 'Delete a document',
        security: serviceTokenSecurity,
        params: KnowledgeDocumentIdParamsSchema,
        response: { 204: Type.Null(), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      await documents.delete(request.params.id);
      return reply.status(204).send(null);
    },
  );
}
