import fc from 'fast-check';

/** The JSON Schema keywords the event catalogue uses (TypeBox emits plain JSON Schema). */
interface JsonSchema {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

// RFC 3339 needs a four-digit year.
const FIRST_DAY = new Date('0001-01-01T00:00:00.000Z');
const LAST_DAY = new Date('9999-12-31T23:59:59.999Z');

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') {
    return fc.date({ min: FIRST_DAY, max: LAST_DAY, noInvalidDate: true }).map((date) => date.toISOString());
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? 64;
  if (schema.pattern) {
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((text) => text.length >= minLength && text.length <= maxLength);
  }
  return fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 64) });
}

/**
 * Values valid against `schema`, for the subset of JSON Schema the event catalogue is written in. Throws
 * on a keyword it does not know, so a new kind of schema is noticed rather than generated wrongly.
 */
export function arbitraryOf(schema: JsonSchema): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(arbitraryOf));
  switch (schema.type) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return fc.integer({
        min: Math.max(schema.minimum ?? -(2 ** 31), Number.MIN_SAFE_INTEGER),
        max: Math.min(schema.maximum ?? 2 ** 31 - 1, Number.MAX_SAFE_INTEGER),
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = arbitraryOf(schema.items ?? {});
      const constraints = { minLength: schema.minItems ?? 0, maxLength: schema.maxItems ?? 10 };
      return schema.uniqueItems
        ? fc.uniqueArray(items, { ...constraints, selector: (item) => JSON.stringify(item) })
        : fc.array(items, constraints);
    }
    case 'object': {
      const properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, value]) => [key, arbitraryOf(value)]),
      );
      return fc.record(properties, { requiredKeys: schema.required ?? [] });
    }
    default:
      if (Object.keys(schema).every((key) => key === 'description' || key === 'title')) return fc.jsonValue();
      throw new Error(`no arbitrary for schema ${JSON.stringify(schema)}`);
  }
}
