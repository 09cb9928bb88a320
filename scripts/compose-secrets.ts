/**
 * `npm run compose:secrets`: the secret files Docker Compose reads (docker-compose.yml declares them
 * under `secrets:`), written into `secrets/` at the repository root (git-ignored, never in an image).
 *
 * Missing passwords and tokens are generated (32 random bytes, hex: safe inside URLs); files that
 * exist are kept, and the files derived from them (connection URLs, SERVICE_TOKENS, RabbitMQ's
 * credentials) are rewritten to match. The folder is readable by its owner only; the files inside
 * are world-readable because each container reads them under its own unprivileged user.
 *
 * Options: --dir <path> (another folder, e.g. on a production host), --check (exit 1 when a file
 * is missing or empty, write nothing).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** Every file docker-compose.yml expects, in the order they are derived. */
export const COMPOSE_SECRET_FILES = [
  'postgres_password',
  'mongo_password',
  'redis_password',
  'rabbitmq_password',
  'api_data_service_token',
  'bot_data_service_token',
  'worker_data_service_token',
  'api_jwt_signing_key',
  'bot_webhook_secret',
  'postgres_url',
  'mongo_url',
  'redis_url',
  'rabbitmq_url',
  'rabbitmq_credentials.conf',
  'data_service_tokens',
] as const;

const GENERATED = COMPOSE_SECRET_FILES.slice(0, 9);

/** The derived files' contents from the generated ones (host names are the compose services'). */
function derive(get: (name: string) => string): Record<string, string> {
  return {
    postgres_url: `postgres://flotilla:${get('postgres_password')}@postgres:5432/flotilla`,
    mongo_url: `mongodb://flotilla:${get('mongo_password')}@mongo:27017/?authSource=admin`,
    redis_url: `redis://:${get('redis_password')}@redis:6379/0`,
    rabbitmq_url: `amqp://flotilla:${get('rabbitmq_password')}@rabbitmq:5672`,
    'rabbitmq_credentials.conf': `default_user = flotilla\ndefault_pass = ${get('rabbitmq_password')}\n`,
    data_service_tokens: ['api', 'bot', 'worker']
      .map((caller) => `${caller}:${get(`${caller}_data_service_token`)}`)
      .join(','),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, check: { type: 'boolean', default: false } },
  });
  const dir = resolve(values.dir ?? join(import.meta.dirname, '..', 'secrets'));
  if (values.check) {
    const missing: string[] = [];
    for (const name of COMPOSE_SECRET_FILES) {
      const text = await readFile(join(dir, name), 'utf8').catch(() => '');
      if (text.trim() === '') missing.push(name);
    }
    if (missing.length > 0) {
      console.error(`missing or empty in ${dir}: ${missing.join(', ')} (run npm run compose:secrets)`);
      return 1;
    }
    console.log(`every compose secret is in ${dir}`);
    return 0;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const contents = new Map<string, string>();
  let created = 0;
  for (const name of GENERATED) {
    const path = join(dir, name);
    const existing = existsSync(path) ? (await readFile(path, 'utf8')).trim() : '';
    if (existing) {
      contents.set(name, existing);
      continue;
    }
    const value = randomBytes(32).toString('hex');
    await writeFile(path, `${value}\n`, { mode: 0o644 });
    contents.set(name, value);
    created += 1;
  }
  for (const [name, text] of Object.entries(derive((key) => contents.get(key) ?? ''))) {
    await writeFile(join(dir, name), text.endsWith('\n') ? text : `${text}\n`, { mode: 0o644 });
  }
  console.log(`${created} new secret(s); ${COMPOSE_SECRET_FILES.length} files in ${dir}`);
  return 0;
}

process.exitCode = await main();
