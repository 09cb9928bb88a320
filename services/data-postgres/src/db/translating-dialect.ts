import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { type DatabaseWaits, translateDatabaseError } from './errors.js';

function translated(error: unknown, waits: DatabaseWaits | undefined): unknown {
  return translateDatabaseError(error, waits) ?? error;
}

async function translating(step: () => Promise<void>, waits: DatabaseWaits | undefined): Promise<void> {
  try {
    await step();
  } catch (error) {
    throw translated(error, waits);
  }
}

/** A connection whose failures reach the repositories as domain errors. */
class TranslatingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly waits: DatabaseWaits | undefined,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(compiledQuery);
    } catch (error) {
      throw translated(error, this.waits);
    }
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize);
    } catch (error) {
      throw translated(error, this.waits);
    }
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof TranslatingConnection ? connection.inner : connection;
}

class TranslatingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly waits: DatabaseWaits | undefined,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    try {
      return new TranslatingConnection(await this.inner.acquireConnection(), this.waits);
    } catch (error) {
      throw translated(error, this.waits);
    }
  }

  // Transaction control gets the driver's own connection (the pg driver marks a connection whose ROLLBACK
  // failed for discarding, through a method only its own connections have: a wrapped one made that a
  // TypeError, a 500, when the server went away mid-transaction), and its failures are translated too.
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return translating(() => this.inner.beginTransaction(unwrap(connection), settings), this.waits);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return translating(() => this.inner.commitTransaction(unwrap(connection)), this.waits);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return translating(() => this.inner.rollbackTransaction(unwrap(connection)), this.waits);
  }

  savepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const { savepoint } = this.inner;
    if (!savepoint) throw new Error('savepoints are not supported');
    return translating(() => savepoint.call(this.inner, unwrap(connection), name, compileQuery), this.waits);
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const { rollbackToSavepoint } = this.inner;
    if (!rollbackToSavepoint) throw new Error('savepoints are not supported');
    return translating(
      () => rollbackToSavepoint.call(this.inner, unwrap(connection), name, compileQuery),
      this.waits,
    );
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const { releaseSavepoint } = this.inner;
    if (!releaseSavepoint) throw new Error('savepoints are not supported');
    return translating(
      () => releaseSavepoint.call(this.inner, unwrap(connection), name, compileQuery),
      this.waits,
    );
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/**
 * Wraps a dialect so that every database failure (a query, a transaction statement, acquiring a pooled
 * connection) is translated once, by {@link translateDatabaseError}: constraint violations become the
 * entity's domain error (409/422), timeouts and lost connections a 503. Repositories need no try/catch.
 */
export class TranslatingDialect implements Dialect {
  /** `waits`: the timeouts the pool and the server apply, named as `Retry-After` when they run out. */
  constructor(
    private readonly inner: Dialect,
    private readonly waits?: DatabaseWaits,
  ) {}

  createDriver(): Driver {
    return new TranslatingDriver(this.inner.createDriver(), this.waits);
  }

  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: the Dialect interface declares Kysely<any>.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}
