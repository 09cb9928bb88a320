import type { LogEvent, RootOperationNode } from 'kysely';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Query latency buckets in seconds: 0.25 ms to 5 s. */
const QUERY_DURATION_BUCKETS = [
  0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

interface NodeLike {
  kind?: string;
  table?: NodeLike;
  into?: NodeLike;
  from?: { froms?: readonly NodeLike[] };
  node?: NodeLike;
  identifier?: { name?: string };
  sqlFragments?: readonly string[];
}

function tableName(node: NodeLike | undefined): string {
  if (!node) return 'unknown';
  if (node.kind === 'AliasNode') return tableName(node.node);
  if (node.kind === 'TableNode') return node.table?.identifier?.name ?? 'unknown';
  return 'unknown';
}

function rawOperation(node: NodeLike): string {
  const text = (node.sqlFragments ?? []).join('?').trim().toLowerCase();
  if (text.startsWith('begin') || text.startsWith('start transaction')) return 'transaction.begin';
  if (text.startsWith('commit')) return 'transaction.commit';
  if (text.startsWith('rollback')) return 'transaction.rollback';
  if (text.startsWith('savepoint') || text.startsWith('release')) return 'transaction.savepoint';
  return 'raw';
}

/**
 * A bounded name for a query: `<table>.<select|insert|update|delete>`, `transaction.<step>`, or `raw`.
 * Built from the query's syntax tree, never from its SQL text or values.
 */
export function operationName(query: RootOperationNode): string {
  const node = query as NodeLike;
  switch (node.kind) {
    case 'SelectQueryNode':
      return `${tableName(node.from?.froms?.[0])}.select`;
    case 'InsertQueryNode':
      return `${tableName(node.into)}.insert`;
    case 'UpdateQueryNode':
      return `${tableName(node.table)}.update`;
    case 'DeleteQueryNode':
      return `${tableName(node.from?.froms?.[0])}.delete`;
    case 'RawNode':
      return rawOperation(node);
    default:
      return 'other';
  }
}

/**
 * Creates `db_query_duration_seconds` (by operation and outcome) and `db_query_errors_total`, and
 * returns the Kysely `log` hook that records every query into them.
 */
export function createQueryMetrics(registry: Registry): (event: LogEvent) => void {
  const duration = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'PostgreSQL query duration in seconds, by operation (table and statement kind) and outcome.',
    labelNames: ['operation', 'outcome'],
    buckets: QUERY_DURATION_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'db_query_errors_total',
    help: 'PostgreSQL queries that failed, by operation.',
    labelNames: ['operation'],
    registers: [registry],
  });
  return (event) => {
    const operation = operationName(event.query.query);
    const outcome = event.level === 'error' ? 'error' : 'ok';
    duration.observe({ operation, outcome }, event.queryDurationMillis / 1000);
    if (event.level === 'error') errors.inc({ operation });
  };
}
