import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './database.js';

/** Stands for the argument while the query is compiled; never a value a caller can send. */
const ARGUMENT: unknown = Object.freeze({ reusableQueryArgument: true });

/**
 * A single-row query built and compiled once, then run with a new argument each time: a hot lookup
 * (a user by id, by email) skips building the query tree, the camelCase rewrite of it and its
 * compilation to SQL on every request, which cost about a tenth of data-postgres's CPU per read. The
 * SQL text and the other parameters are those Kysely compiled; the rows still go through the plugins
 * (snake_case to camelCase), the log hook (query metrics) and the error translation, as any query's.
 * `build` must use its argument exactly once, as a value.
 */
export function reusableQuery<A, R>(
  db: Db,
  build: (argument: A) => Compilable<R>,
): (argument: A) => Promise<R | undefined> {
  const template: CompiledQuery<R> = build(ARGUMENT as A).compile();
  const at = template.parameters.indexOf(ARGUMENT);
  if (at === -1 || template.parameters.lastIndexOf(ARGUMENT) !== at)
    throw new TypeError('a reusable query must use its argument exactly once');
  return async (argument) => {
    const parameters = [...template.parameters];
    parameters[at] = argument;
    const { rows } = await db.executeQuery<R>({ ...template, parameters });
    return rows[0];
  };
}
