import {
  ANALYTICS_EVENT_DATA_MAX_BYTES,
  ANALYTICS_EVENT_DATA_MAX_DEPTH,
  type AnalyticsEvent,
} from '@flotilla/contracts';
import type { FieldError } from '@flotilla/platform';

/**
 * Checks what a JSON schema cannot say about the `data` of each event: its encoded size, its nesting
 * depth, and its keys. Keys containing `.` or starting with `$` are refused because FerretDB rejects them
 * (MongoDB 5+ accepts them, but they cannot be queried by path there either), and so is an array directly
 * inside an array, which FerretDB v1 cannot store. Returns one field error per offending event, with a
 * JSON pointer such as `/body/3/data/a.b`.
 */
export function findEventDataErrors(events: readonly AnalyticsEvent[]): FieldError[] {
  const errors: FieldError[] = [];
  events.forEach((event, index) => {
    const base = `/body/${index}/data`;
    const bytes = Buffer.byteLength(JSON.stringify(event.data), 'utf8');
    if (bytes > ANALYTICS_EVENT_DATA_MAX_BYTES) {
      errors.push({ field: base, message: `is ${bytes} bytes, more than ${ANALYTICS_EVENT_DATA_MAX_BYTES}` });
      return;
    }
    const problem = findStructureProblem(event.data, base, 1);
    if (problem) errors.push(problem);
  });
  return errors;
}

function findStructureProblem(value: unknown, path: string, depth: number): FieldError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > ANALYTICS_EVENT_DATA_MAX_DEPTH) {
    return { field: path, message: `is nested deeper than ${ANALYTICS_EVENT_DATA_MAX_DEPTH} levels` };
  }
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), item] as const)
    : Object.entries(value);
  for (const [key, item] of entries) {
    const itemPath = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (!Array.isArray(value) && (key.includes('.') || key.startsWith('$') || key === '')) {
      return { field: itemPath, message: 'is not an allowed key (empty, contains "." or starts with "$")' };
    }
    if (Array.isArray(value) && Array.isArray(item)) {
      return {
        field: itemPath,
        message: 'is an array directly inside an array, which the store cannot keep',
      };
    }
    const problem = findStructureProblem(item, itemPath, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}
