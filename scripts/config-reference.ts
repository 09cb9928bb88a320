/**
 * Generates the configuration reference from the services' own environment schemas, so the
 * documentation cannot drift from the code:
 *   - the README section between `<!-- config-reference:start -->` and `<!-- config-reference:end -->`,
 *   - `.env.example`.
 * `npm run config:docs` rewrites both; `--check` exits 1 when either is out of date (run by the tests).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TObject, TSchema } from 'typebox';
import { ApiEnv } from '../services/api/src/config.js';
import { BotEnv } from '../services/bot/src/config.js';
import { DataMongoEnv } from '../services/data-mongo/src/config.js';
import { DataPostgresEnv } from '../services/data-postgres/src/config.js';
import { WorkerEnv } from '../services/worker/src/config.js';

const SERVICE_SCHEMAS: Array<[string, TObject]> = [
  ['api', ApiEnv],
  ['bot', BotEnv],
  ['worker', WorkerEnv],
  ['data-postgres', DataPostgresEnv],
  ['data-mongo', DataMongoEnv],
];

const START = '<!-- config-reference:start -->';
const END = '<!-- config-reference:end -->';

interface Variable {
  name: string;
  required: boolean;
  defaultValue: string | undefined;
  description: string;
  services: string[];
}

function describe(schema: TSchema): string {
  const options = (schema as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  const allowed = options?.every((option) => option.const !== undefined)
    ? ` One of: ${options.map((option) => `\`${String(option.const)}\``).join(', ')}.`
    : '';
  return `${(schema as { description?: string }).description ?? ''}${allowed}`.trim();
}

/** Collects every variable once, noting which services read it. */
function collectVariables(): Variable[] {
  const byName = new Map<string, Variable>();
  for (const [service, schema] of SERVICE_SCHEMAS) {
    const required = new Set(schema.required ?? []);
    for (const [name, property] of Object.entries(schema.properties) as Array<[string, TSchema]>) {
      const fallback = (property as { default?: unknown }).default;
      const existing = byName.get(name);
      if (existing) {
        existing.services.push(service);
        if (fallback !== undefined && existing.defaultValue !== String(fallback))
          existing.defaultValue = 'per service';
        continue;
      }
      byName.set(name, {
        name,
        required: required.has(name) && fallback === undefined,
        defaultValue: fallback === undefined ? undefined : String(fallback),
        description: describe(property),
        services: [service],
      });
    }
  }
  return [...byName.values()];
}

/** The README table. */
function renderMarkdown(variables: Variable[]): string {
  const rows = variables.map((variable) => {
    const services =
      variable.services.length === SERVICE_SCHEMAS.length ? 'all' : variable.services.join(', ');
    const value = variable.required ? '**required**' : `\`${variable.defaultValue}\``;
    return `| \`${variable.name}\` | ${services} | ${value} | ${variable.description} |`;
  });
  return [
    START,
    '| Variable | Services | Default | Meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    END,
  ].join('\n');
}

/**
 * `.env.example`: every variable, required ones left empty, defaults commented out; then the
 * Docker Compose variables, copied from `infrastructure/compose/env.example`.
 */
function renderEnvExample(variables: Variable[], composeExample: string): string {
  const lines = [
    '# Flotilla configuration. Copy to `.env` to override what `npm start` uses.',
    "# Generated from the services' schemas by `npm run config:docs`; do not edit by hand.",
    '# `npm start` fills the infrastructure URLs from .data/infra.env and generates the service tokens;',
    '# in production every **required** variable must be set. No secret has a default.',
    '',
  ];
  for (const variable of variables) {
    const services =
      variable.services.length === SERVICE_SCHEMAS.length ? 'all services' : variable.services.join(', ');
    lines.push(`# ${variable.description} (${services})`);
    lines.push(
      variable.required
        ? `${variable.name}=`
        : `# ${variable.name}=${variable.defaultValue === 'per service' ? '' : variable.defaultValue}`,
    );
  }
  lines.push(
    '',
    '# ════ Docker Compose ════ (copied from infrastructure/compose/env.example by `npm run config:docs`)',
    '',
    composeExample.trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const repoRoot = join(import.meta.dirname, '..');
  const variables = collectVariables();
  const readmePath = join(repoRoot, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
  const nextReadme = readme.slice(0, start) + renderMarkdown(variables) + readme.slice(end + END.length);
  const envPath = join(repoRoot, '.env.example');
  const composeExample = await readFile(join(repoRoot, 'infrastructure', 'compose', 'env.example'), 'utf8');
  const nextEnv = renderEnvExample(variables, composeExample);
  const currentEnv = await readFile(envPath, 'utf8').catch(() => '');
  if (values.check) {
    const stale = [
      nextReadme !== readme ? 'README.md' : '',
      nextEnv !== currentEnv ? '.env.example' : '',
    ].filter(Boolean);
    if (stale.length > 0) {
      console.error(`out of date: ${stale.join(', ')} (run npm run config:docs)`);
      process.exit(1);
    }
    console.log('configuration reference is up to date');
    return;
  }
  await writeFile(readmePath, nextReadme);
  await writeFile(envPath, nextEnv);
  console.log(`wrote ${variables.length} variables to README.md and .env.example`);
}

await main();
