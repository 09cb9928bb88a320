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
import { translateDatabaseError } from './errors.js';

function translated(error: unknown): unknown {
  return translateDatabaseError(error) ?? error;
}

async function translating(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    throw translated(error);
  }
}

/** A connection whose failures reach the repositories as domain errors. */
class TranslatingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(compiledQuery);
    } catch (error) {
      throw translated(error);
    }
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize);
    } catch (error) {
      throw translated(error);
    }
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof TranslatingConnection ? connection.inner : connection;
}

class TranslatingDriver implements Driver {
  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    try {
      return new TranslatingConnection(await this.inner.acquireConnection());
    } catch (error) {
      throw translated(error);
    }
  }

  // Transaction control gets the driver's own connection (the pg driver marks a connection whose ROLLBACK
  // failed for discarding, through a method only its own connections have: a wrapped one made that a
  // TypeError, a 500, when the server went away mid-transaction), and its failures are translated too.
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return translating(() => this.inner.beginTransaction(unwrap(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return translating(() => this.inner.commitTransaction(unwrap(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return translating(() => this.inner.rollbackTransaction(unwrap(connection)));
  }

  savepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const { savepoint } = this.inner;
    if (!savepoint) throw new Error('savepoints are not supported');
    return translating(() => savepoint.call(this.inner, unwrap(connection), name, compileQuery));
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const { rollbackToSavepoint } = this.inner;
    if (!rollbackToSavepoint) throw new Error('savepoints are not supported');
    return translating(() => rollbackToSavepoint.call(this.inner, unwrap(connection), name, compileQuery));
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const { releaseSavepoint } = this.inner;
    if (!releaseSavepoint) throw new Error('savepoints are not supported');
    return translating(() => releaseSavepoint.call(this.inner, unwrap(connection), name, compileQuery));
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
  constructor(private readonly inner: Dialect) {}

  createDriver(): Driver {
    return new TranslatingDriver(this.inner.createDriver());
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
