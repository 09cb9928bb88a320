import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..');
const depcruise = join(repoRoot, 'node_modules', '.bin', 'depcruise');

/** A throw-away tree shaped like the monorepo, so the real rules can be tried on violations. */
let sandbox: string;

async function write(path: string, content: string) {
  await mkdir(dirname(join(sandbox, path)), { recursive: true });
  await writeFile(join(sandbox, path), content);
}

async function cruise(...paths: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(depcruise, ['--config', '.dependency-cruiser.cjs', ...paths], {
      cwd: sandbox,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  }
}

beforeAll(async () => {
  sandbox = await mkdtemp(join(tmpdir(), 'flotilla-deps-'));
  await cp(join(repoRoot, '.dependency-cruiser.cjs'), join(sandbox, '.dependency-cruiser.cjs'));
  await write(
    'tsconfig.tools.json',
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }),
  );
  await write('services/bot/src/notify.ts', 'export const notify = () => 1;\n');
  await write(
    'services/api/src/clean.ts',
    "import { readFile } from 'node:fs/promises';\nexport const f = readFile;\n",
  );
  await write(
    'services/api/src/imports-bot.ts',
    "import { notify } from '../../bot/src/notify.js';\nexport const n = notify;\n",
  );
  await write('services/worker/src/uses-pg.ts', "import pg from 'pg';\nexport const p = pg;\n");
  await write(
    'services/api/src/uses-mongo.ts',
    "import { MongoClient } from 'mongodb';\nexport const m = MongoClient;\n",
  );
  await write(
    'services/data-postgres/src/repo.ts',
    "import { Kysely } from 'kysely';\nexport const k = Kysely;\n",
  );
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

describe('dependency rules', () => {
  it('pass for a service that imports only its own code and Node built-ins', async () => {
    const result = await cruise('services/api/src/clean.ts');
    expect(result.code).toBe(0);
  });

  it('fail when a service imports another service', async () => {
    const result = await cruise('services/api/src/imports-bot.ts');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('no-service-to-service-imports');
  });

  it('fail when a business service imports a PostgreSQL or MongoDB driver', async () => {
    const worker = await cruise('services/worker/src/uses-pg.ts');
    expect(worker.code).not.toBe(0);
    expect(worker.output).toContain('no-database-driver-in-business-services');
    const api = await cruise('services/api/src/uses-mongo.ts');
    expect(api.code).not.toBe(0);
    expect(api.output).toContain('no-database-driver-in-business-services');
  });

  it('allow a data service to use its database library', async () => {
    const result = await cruise('services/data-postgres/src/repo.ts');
    expect(result.code).toBe(0);
  });

  it('hold for the real repository', async () => {
    const { stdout } = await run(depcruise, ['--config', '.dependency-cruiser.cjs', 'packages', 'services'], {
      cwd: repoRoot,
    });
    expect(stdout).toContain('no dependency violations found');
  });
});
