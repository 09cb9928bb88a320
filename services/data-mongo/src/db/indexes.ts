import type {
  Collection,
  CreateIndexesOptions,
  Document,
  IndexDescription,
  IndexSpecification,
} from 'mongodb';
import { hasServerCode, SERVER_ERROR } from './server-errors.js';

/** An index to ensure: always named, so its presence is checked by name. */
export type NamedIndex = IndexDescription & { name: string };

/** The indexes of a collection by name; none when the collection does not exist yet. */
export async function listIndexesByName<T extends Document>(
  collection: Collection<T>,
): Promise<Map<string, Document>> {
  try {
    const indexes = await collection.listIndexes().toArray();
    return new Map(indexes.map((index) => [String(index.name), index]));
  } catch (error) {
    if (hasServerCode(error, SERVER_ERROR.NAMESPACE_NOT_FOUND)) return new Map();
    throw error;
  }
}

/**
 * Creates the indexes of `specs` that do not exist yet (by name), one `createIndexes` command per index,
 * and returns the names it created. Idempotent: run at every start-up.
 *
 * One index per command on purpose: FerretDB v1.24 drops the connection when one `createIndexes` lists
 * several indexes that all exist already, and silently skips new indexes listed after existing ones.
 * An existing index is never altered; change an index by giving it a new name.
 */
export async function ensureIndexes<T extends Document>(
  collection: Collection<T>,
  specs: NamedIndex[],
): Promise<string[]> {
  const existing = await listIndexesByName(collection);
  const created: string[] = [];
  for (const { key, ...options } of specs) {
    if (existing.has(options.name)) continue;
    await collection.createIndex(key as IndexSpecification, options as CreateIndexesOptions);
    created.push(options.name);
  }
  return created;
}
