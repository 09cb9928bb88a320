import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadInfraConfig } from '../infra/config.js';
import { loadContext } from '../infra/context.js';
import { ensureDeployTool } from '../infra/install/deploy-tools.js';

// The compose files as Docker Compose v5 itself reads them (`config` needs no engine), for every
// combination of files and profiles; the Dockerfile's COPY sources and entry points; the images'
// secrets entry point; and the secret files `npm run compose:secrets` writes.

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

const BASE = 'docker-compose.yml';
const DEV = 'docker-compose.override.yml';
const PROD = 'docker-compose.prod.yml';
const OBSERVABILITY = 'docker-compose.observability.yml';
const LOGGING = 'infrastructure/observability/elk/docker-compose.elk.yml';
const ALL_FILES = [BASE, DEV, PROD, OBSERVABILITY, LOGGING];
const SERVICE_FOLDERS = readdirSync(join(repoRoot, 'services')).filter((f) =>
  existsSync(join(repoRoot, 'services', f, 'package.json')),
);
const DATA_STORES = ['postgres', 'mongo', 'redis', 'rabbitmq', 'chroma'];
// The bot is opt-in (profile `bot`): it needs a real Telegram token in ./secrets/bot_token.
const CORE = [...SERVICE_FOLDERS.filter((name) => name !== 'bot'), ...DATA_STORES, 'gateway'].sort();
const OBSERVABILITY_SERVICES = ['alertmanager', 'grafana', 'jaeger', 'prometheus'];
const LOGGING_SERVICES = ['elasticsearch', 'elasticsearch-setup', 'filebeat', 'kibana'];

interface Resolved {
  services: Record<
    string,
    {
      environment?: Record<string, string | null>;
      secrets?: Array<{ source: string; target: string }>;
      ports?: Array<{ published?: string; host_ip?: string }>;
      deploy?: { replicas?: number; resources?: { limits?: { cpus?: string; memory?: string } } };
      build?: { target?: string };
      volumes?: Array<{ type: string; source: string; target: string; read_only?: boolean }>;
      develop?: { watch?: unknown[] };
      restart?: string;
    }
  >;
  secrets?: Record<string, { file?: string }>;
}

let compose: string;
let envFile: string;
let scratch: string;

async function composeConfig(files: string[], profiles: string[], env = envFile) {
  const args = [
    '--project-directory',
    repoRoot,
    '--env-file',
    env,
    ...files.flatMap((file) => ['-f', join(repoRoot, file)]),
    ...profiles.flatMap((profile) => ['--profile', profile]),
    'config',
    '--format',
    'json',
  ];
  try {
    const { stdout } = await run(compose, args, {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { ok: true, project: JSON.parse(stdout) as Resolved, stderr: '' };
  } catch (error) {
    return { ok: false, project: undefined, stderr: String((error as { stderr?: string }).stderr) };
  }
}

/** The combinations a person can run: base alone or with the dev or prod file, each with the overlays. */
const COMBINATIONS: Array<{ files: string[]; profiles: string[] }> = [];
for (const mode of [[], [DEV], [PROD]]) {
  COMBINATIONS.push({ files: [BASE, ...mode], profiles: ['core'] });
  COMBINATIONS.push({ files: [BASE, ...mode, OBSERVABILITY], profiles: ['core', 'observability'] });
  COMBINATIONS.push({ files: [BASE, ...mode, OBSERVABILITY, LOGGING], profiles: ['core', 'logging'] });
  COMBINATIONS.push({
    files: [BASE, ...mode, OBSERVABILITY, LOGGING],
    profiles: ['core', 'observability', 'logging'],
  });
}

beforeAll(async () => {
  const { ctx } = await loadContext(loadInfraConfig(), false);
  compose = await ensureDeployTool(ctx, 'compose');
  scratch = await mkdtemp(join(tmpdir(), 'flotilla-compose-'));
  envFile = join(scratch, 'env');
  const secret = () => randomBytes(24).toString('hex');
  await writeFile(
    envFile,
    `GRAFANA_ADMIN_PASSWORD=${secret()}\nELASTIC_PASSWORD=${secret()}\nKIBANA_SYSTEM_PASSWORD=${secret()}\n`,
  );
}, 1_800_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('Docker Compose v5 on the compose files', () => {
  it('accepts every combination of files and profiles, with the services of those profiles', async () => {
    for (const { files, profiles } of COMBINATIONS) {
      const label = `${files.join(' + ')} [${profiles.join(',')}]`;
      const result = await composeConfig(files, profiles);
      expect(result.stderr, label).toBe('');
      const expected = [
        ...CORE,
        ...(profiles.includes('observability') ? OBSERVABILITY_SERVICES : []),
        ...(profiles.includes('logging') ? LOGGING_SERVICES : []),
      ].sort();
      expect(Object.keys(result.project?.services ?? {}).sort(), label).toEqual(expected);
      for (const [name, svc] of Object.entries(result.project?.services ?? {})) {
        // Secrets reach the Node services and the stores only as files under ./secrets.
        for (const [key, value] of Object.entries(svc.environment ?? {})) {
          if (!key.endsWith('_FILE')) continue;
          const mounted = svc.secrets?.find((s) => s.target === value);
          expect(mounted, `${label} ${name}.${key}`).toBeDefined();
          const file = result.project?.secrets?.[mounted?.source ?? '']?.file ?? '';
          expect(file.startsWith(join(repoRoot, 'secrets', '/')), `${name}.${key}: ${file}`).toBe(true);
        }
      }
    }
  });

  it('refuses a profile whose secrets are missing, naming the variable', async () => {
    const empty = join(scratch, 'empty.env');
    await writeFile(empty, '');
    const result = await composeConfig([BASE, OBSERVABILITY], ['core', 'observability'], empty);
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain('GRAFANA_ADMIN_PASSWORD');
    // The core stack needs no variable at all: its secrets are files.
    expect((await composeConfig([BASE], ['core'], empty)).ok).toBe(true);
  });

  it('in production: replicas for api, worker and bot, limits everywhere, only the gateway published', async () => {
    const { project } = await composeConfig([BASE, PROD, OBSERVABILITY, LOGGING], ['core', 'bot']);
    const services = project?.services ?? {};
    expect(services.api?.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(services.worker?.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(services.bot?.deploy?.replicas).toBe(1);
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.deploy?.resources?.limits?.cpus, name).toBeTruthy();
      expect(svc.deploy?.resources?.limits?.memory, name).toBeTruthy();
      expect(svc.restart, name).toBe('always');
      if (name !== 'gateway') expect(svc.ports ?? [], name).toEqual([]);
    }
    // Development publishes the RabbitMQ UI on loopback; production does not.
    const dev = await composeConfig([BASE, DEV], ['core']);
    expect(dev.project?.services.rabbitmq?.ports?.[0]?.host_ip).toBe('127.0.0.1');
  });

  it('in development: services from the build stage with their sources mounted read-only, and watch', async () => {
    const { project } = await composeConfig([BASE, DEV], ['core', 'bot']);
    for (const name of SERVICE_FOLDERS) {
      const svc = project?.services[name];
      expect(svc?.build?.target, name).toBe('build');
      const source = svc?.volumes?.find((v) => v.target === `/app/services/${name}/src`);
      expect(source, name).toMatchObject({ type: 'bind', read_only: true });
      expect(existsSync(source?.source ?? ''), name).toBe(true);
      expect(svc?.develop?.watch?.length, name).toBeGreaterThan(0);
    }
  });

  it('documents every variable the compose files use in .env.example', () => {
    const example = read('.env.example');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map(([, name]) => name));
    const used = new Set(
      ALL_FILES.flatMap((file) =>
        [...read(file).matchAll(/(?<!\$)\$\{([A-Z][A-Z0-9_]*)/g)].map(([, name]) => name as string),
      ),
    );
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
    expect(documented.has('COMPOSE_PROFILES')).toBe(true);
  });
});

describe('npm run compose:secrets', () => {
  it('writes every secret file docker-compose.yml declares, consistent with each other, and --check finds a missing one', async () => {
    const dir = join(scratch, 'secrets');
    const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const script = join(repoRoot, 'scripts', 'compose-secrets.ts');
    await run(process.execPath, [tsx, script, '--dir', dir], { cwd: repoRoot });
    const declared = parse(read(BASE), { merge: true }).secrets as Record<string, { file: string }>;
    // Only the bot's Telegram token cannot be generated: the operator provides it (profile `bot`).
    for (const [name, { file }] of Object.entries(declared).filter(([secret]) => secret !== 'bot_token')) {
      const text = await readFile(join(dir, file.replace('./secrets/', '')), 'utf8');
      expect(text.trim().length, name).toBeGreaterThan(0);
    }
    const redisPassword = (await readFile(join(dir, 'redis_password'), 'utf8')).trim();
    expect(await readFile(join(dir, 'redis_url'), 'utf8')).toContain(`:${redisPassword}@redis:6379`);
    const apiToken = (await readFile(join(dir, 'api_data_service_token'), 'utf8')).trim();
    expect(await readFile(join(dir, 'data_service_tokens'), 'utf8')).toContain(`api:${apiToken}`);
    // A second run keeps what exists.
    await run(process.execPath, [tsx, script, '--dir', dir], { cwd: repoRoot });
    expect((await readFile(join(dir, 'redis_password'), 'utf8')).trim()).toBe(redisPassword);
    await run(process.execPath, [tsx, script, '--dir', dir, '--check'], { cwd: repoRoot });
    await unlink(join(dir, 'api_jwt_signing_key'));
    await expect(
      run(process.execPath, [tsx, script, '--dir', dir, '--check'], { cwd: repoRoot }),
    ).rejects.toThrow(/api_jwt_signing_key/);
  });
});

describe('the images', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => /^[A-Z]+\s/.test(line))
    .map((line) => {
      const [keyword = '', ...rest] = line.trim().split(/\s+/);
      return { keyword, args: rest };
    });

  it('copies only sources that exist, for every service', () => {
    const copies = instructions.filter(
      (i) => i.keyword === 'COPY' && !i.args.some((a) => a.startsWith('--from') || a.startsWith('<<')),
    );
    expect(copies.length).toBeGreaterThan(5);
    const missing: string[] = [];
    for (const service of SERVICE_FOLDERS) {
      for (const copy of copies) {
        for (const source of copy.args.filter((a) => !a.startsWith('--')).slice(0, -1)) {
          const path = source.replace(`\${SERVICE}`, service);
          if (!existsSync(join(repoRoot, path))) missing.push(`${service}: ${path}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("has each service's entry point in its final stage, started by tini and the secrets entry point", () => {
    // The final stage is service-<name> FROM runtime; runtime runs dist/main.js from services/<name>,
    // which the build stage compiles (tsc -b, rootDir src -> outDir dist) and collects into /out.
    const stages = new Map<string, string>();
    let stage = '';
    const workdirs: Record<string, string> = {};
    for (const i of instructions) {
      if (i.keyword === 'FROM') {
        stage = i.args[2] ?? i.args[0] ?? '';
        stages.set(stage, i.args[0] ?? '');
      }
      if (i.keyword === 'WORKDIR') workdirs[stage] = i.args[0] ?? '';
    }
    for (const service of SERVICE_FOLDERS) {
      expect(stages.get(`service-${service}`), service).toBe('runtime');
      const tsconfig = JSON.parse(read(`services/${service}/tsconfig.json`)) as {
        compilerOptions: { rootDir: string; outDir: string };
      };
      expect(tsconfig.compilerOptions, service).toMatchObject({ rootDir: 'src', outDir: 'dist' });
      expect(existsSync(join(repoRoot, 'services', service, 'src', 'main.ts')), service).toBe(true);
    }
    expect(workdirs.runtime).toBe(`/app/services/\${SERVICE}`);
    expect(dockerfile).toMatch(/RUN npx tsc -b "services\/\$\{SERVICE\}"/);
    expect(dockerfile).toMatch(
      /for dir in packages\/\* "services\/\$\{SERVICE\}"; do \\\n\s+for part in dist migrations/,
    );
    expect(dockerfile).toMatch(/^COPY --from=build \/out\/ \.\/$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "--enable-source-maps", "dist\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "docker-entrypoint"\]$/m);
    expect(dockerfile).toMatch(/apt-get install -y --no-install-recommends tini/);
    expect(dockerfile).toMatch(
      /^COPY --chmod=0755 infrastructure\/docker\/entrypoint\.sh \/usr\/local\/bin\/docker-entrypoint$/m,
    );
  });

  it('the secrets entry point turns NAME_FILE into NAME, and refuses to start without the file', async () => {
    const entrypoint = join(repoRoot, 'infrastructure', 'docker', 'entrypoint.sh');
    const file = join(scratch, 'token');
    await writeFile(file, 'tok3n-value\n');
    const env = { PATH: process.env.PATH, DATA_SERVICE_TOKEN_FILE: file };
    const { stdout } = await run(
      'sh',
      [entrypoint, 'sh', '-c', `echo "$DATA_SERVICE_TOKEN|\${DATA_SERVICE_TOKEN_FILE:-gone}"`],
      {
        env,
      },
    );
    expect(stdout.trim()).toBe('tok3n-value|gone');
    const missing = run('sh', [entrypoint, 'true'], {
      env: { ...env, DATA_SERVICE_TOKEN_FILE: join(scratch, 'none') },
    });
    await expect(missing).rejects.toMatchObject({
      code: 78,
      stderr: expect.stringContaining('DATA_SERVICE_TOKEN_FILE'),
    });
    await writeFile(file, '');
    await expect(run('sh', [entrypoint, 'true'], { env })).rejects.toMatchObject({ code: 78 });
  });
});
