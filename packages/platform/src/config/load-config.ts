import type { Static, TObject, TSchema } from 'typebox';
import Value from 'typebox/value';

/** One problem found in the environment: the variable's name and what is wrong with it. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/**
 * Thrown by {@link loadConfig} when one or more variables are missing or invalid.
 * The message lists every problem at once, so an operator fixes them in one pass.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly service: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `Invalid configuration for ${service} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  - ${issue.variable}: ${issue.message}`).join('\n'),
    );
  }
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Service name, used in the error message. */
  service: string;
  /** The environment to read; defaults to `process.env`. Tests pass their own object. */
  env?: Record<string, string | undefined>;
}

/**
 * Parses the environment once against a TypeBox object schema of environment variables.
 *
 * Strings are coerced to the schema's types (numbers, booleans), defaults are applied, unknown
 * variables are ignored, and every missing or invalid variable is reported in one {@link ConfigError}.
 * Empty strings count as unset, so `FOO=` falls back to the default (or is reported as missing).
 *
 * This is the only place in a service that reads `process.env`.
 */
export function loadConfig<S extends TObject>(schema: S, options: LoadConfigOptions): Static<S> {
  // biome-ignore lint/style/noProcessEnv: the config loader is the one reader of the environment.
  const source = options.env ?? process.env;
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = source[key];
    if (raw !== undefined && raw.trim() !== '') picked[key] = raw.trim();
  }
  const value = Value.Default(schema, Value.Convert(schema, picked)) as Record<string, unknown>;
  const required = new Set(schema.required ?? []);
  const issues: ConfigIssue[] = [];
  // Each variable is checked on its own, so every problem is reported once, whatever the others.
  for (const [variable, property] of Object.entries(schema.properties) as Array<[string, TSchema]>) {
    const current = value[variable];
    if (current === undefined) {
      if (required.has(variable)) issues.push({ variable, message: 'is required but not set' });
      continue;
    }
    if (Value.Check(property, current)) continue;
    issues.push({
      variable,
      message: `${describeExpectation(property, current)}${describeValue(variable, picked[variable])}`,
    });
  }
  if (issues.length > 0) throw new ConfigError(options.service, issues);
  return value as Static<S>;
}

const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|KEY|DSN|URL)/i;

function describeValue(variable: string, raw: unknown): string {
  if (raw === undefined) return '';
  if (SECRET_NAME.test(variable)) return ' (value hidden)';
  const text = String(raw);
  return ` (got "${text.length > 40 ? `${text.slice(0, 40)}…` : text}")`;
}

function describeExpectation(property: TSchema, current: unknown): string {
  const options = (property as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  if (options?.every((option) => option.const !== undefined)) {
    return `must be one of ${options.map((option) => String(option.const)).join(', ')}`;
  }
  const [first] = Value.Errors(property, current);
  return first?.message ?? 'is invalid';
}
