import type { Static, TObject } from 'typebox';
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
  const value = Value.Default(schema, Value.Convert(schema, picked));
  const issues: ConfigIssue[] = [];
  for (const error of Value.Errors(schema, value)) {
    if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      for (const variable of missing) issues.push({ variable, message: 'is required but not set' });
      continue;
    }
    const variable = error.instancePath.replace(/^\//, '').split('/')[0] || '(root)';
    const shown = describeValue(variable, picked[variable]);
    issues.push({ variable, message: `${error.message}${shown}` });
  }
  if (issues.length > 0) throw new ConfigError(options.service, dedupe(issues));
  return value as Static<S>;
}

const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|KEY|DSN|URL)/i;

function describeValue(variable: string, raw: unknown): string {
  if (raw === undefined) return '';
  if (SECRET_NAME.test(variable)) return ' (value hidden)';
  const text = String(raw);
  return ` (got "${text.length > 40 ? `${text.slice(0, 40)}…` : text}")`;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.variable}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
