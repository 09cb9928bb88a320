import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Keys written to `.data/infra.env`, in the order they appear there. */
export const INFRA_ENV_KEYS = [
  'POSTGRES_URL',
  'MONGO_URL',
  'REDIS_URL',
  'RABBITMQ_URL',
  'RABBITMQ_MANAGEMENT_URL',
  'CHROMA_URL',
  'GATEWAY_URL',
  'POSTGRES_PASSWORD',
  'REDIS_PASSWORD',
  'RABBITMQ_PASSWORD',
] as const;

const HEADER = [
  '# Local infrastructure: connection URLs and generated secrets.',
  '# Written by `npm run infra -- up`; loaded by the launcher and the test runner. Do not commit.',
];

/** Path of the generated environment file of the repository at `repoRoot`. */
export function infraEnvPath(repoRoot: string): string {
  return join(repoRoot, '.data', 'infra.env');
}

/** Parses `KEY=value` lines; blank lines and `#` comments are skipped, values are taken verbatim. */
export function parseEnvText(text: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    entries[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return entries;
}

async function readEnvFile(path: string): Promise<Record<string, string>> {
  try {
    return parseEnvText(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/**
 * Reads `.data/infra.env` of the repository at `repoRoot`: the connection URLs of the local
 * infrastructure (`POSTGRES_URL`, `MONGO_URL`, `REDIS_URL`, `RABBITMQ_URL`,
 * `RABBITMQ_MANAGEMENT_URL`, `CHROMA_URL`, `GATEWAY_URL`) and the generated passwords.
 * Returns an empty record when `npm run infra -- up` has not run yet.
 */
export async function readInfraEnv(repoRoot: string): Promise<Record<string, string>> {
  return readEnvFile(infraEnvPath(repoRoot));
}

/** Writes the file atomically with mode 600; known keys first, in a stable order. */
export async function writeInfraEnv(repoRoot: string, entries: Record<string, string>): Promise<void> {
  const path = infraEnvPath(repoRoot);
  await mkdir(dirname(path), { recursive: true });
  const known: readonly string[] = INFRA_ENV_KEYS;
  const keys = [
    ...INFRA_ENV_KEYS.filter((key) => entries[key] !== undefined),
    ...Object.keys(entries)
      .filter((key) => !known.includes(key))
      .sort(),
  ];
  const body = [...HEADER, ...keys.map((key) => `${key}=${entries[key]}`), ''].join('\n');
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, body, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}
