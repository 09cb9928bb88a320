import { newId } from '@flotilla/platform';
import { type Selectable, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { type KeysetPage, type Position, takePage } from '../../db/keyset.js';
import type { DocumentsTable } from '../../db/schema.js';
import { documentErrors } from './documents.errors.js';

/** A stored knowledge-base document. */
export type DocumentRecord = Selectable<DocumentsTable>;

/** What creating a document needs. */
export interface NewDocument {
  id?: string;
  ownerId: string;
  title: string;
  sourceJobId?: string | null;
  contentType: string;
}

/** Fields a patch may change; `error: null` clears it. */
export interface DocumentChanges {
  title?: string;
  status?: DocumentRecord['status'];
  chunkCount?: number;
  error?: { code: string; message: string } | null;
}

/** Filters of {@link DocumentsRepository.list}. */
export interface DocumentFilter {
  ownerId?: string;
  status?: DocumentRecord['status'];
  sourceJobId?: string;
  limit: number;
  after?: Position;
}

const now = () => sql<Date>`date_trunc('milliseconds', now())`;

/** Knowledge-base documents (their metadata; the text lives in ChromaDB), in PostgreSQL. */
export class DocumentsRepository {
  constructor(private readonly db: Db) {}

  /** The same repository over another handle (a transaction). */
  on(db: Db): DocumentsRepository {
    return new DocumentsRepository(db);
  }

  create(input: NewDocument): Promise<DocumentRecord> {
    return this.db
      .insertInto('documents')
      .values({
        id: input.id ?? newId(),
        ownerId: input.ownerId,
        title: input.title,
        sourceJobId: input.sourceJobId ?? null,
        contentType: input.contentType,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findById(id: string): Promise<DocumentRecord | undefined> {
    return this.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first, keyset-paginated on `(created_at, id)`. */
  async list(filter: DocumentFilter): Promise<KeysetPage<DocumentRecord>> {
    const { ownerId, status, sourceJobId, after } = filter;
    let query = this.db.selectFrom('documents').selectAll();
    if (ownerId) query = query.where('ownerId', '=', ownerId);
    if (status) query = query.where('status', '=', status);
    if (sourceJobId) query = query.where('sourceJobId', '=', sourceJobId);
    if (after) {
      query = query.where((eb) =>
        eb(eb.refTuple('createdAt', 'id'), '<', eb.tuple(after.createdAt, after.id)),
      );
    }
    const rows = await query
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit + 1)
      .execute();
    return takePage(rows, filter.limit);
  }

  /**
   * Applies `changes`. Becoming `indexed` stamps `indexed_at` and clears the error (unless one is
   * given); leaving `indexed` clears `indexed_at`.
   */
  async update(id: string, changes: DocumentChanges): Promise<DocumentRecord> {
    const { status, error } = changes;
    const clearsError = error === null || (status === 'indexed' && error === undefined);
    const row = await this.db
      .updateTable('documents')
      .set({
        ...(changes.title !== undefined && { title: changes.title }),
        ...(changes.chunkCount !== undefined && { chunkCount: changes.chunkCount }),
        ...(status !== undefined && { status, indexedAt: status === 'indexed' ? now() : null }),
        ...(error && { errorCode: error.code, errorMessage: error.message }),
        ...(clearsError && { errorCode: null, errorMessage: null }),
        updatedAt: now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw documentErrors.NOT_FOUND();
    return row;
  }

  async delete(id: string): Promise<void> {
    const result = await this.db.deleteFrom('documents').where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw documentErrors.NOT_FOUND();
  }
}
