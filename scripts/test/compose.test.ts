import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// Static checks of the container files (no Docker engine needed): each rule is a function that
// returns the problems it finds; every test runs it on the real files, then on a broken copy to
// prove the rule can fail.

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, unknown>;
  ports?: Array<string | number | { target?: number; published?: string | number; host_ip?: string }>;
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  init?: boolean;
  stop_grace_period?: string;
  command?: string | string[];
  logging?: { driver?: string; options?: Record<string, string> };
  volumes?: Array<string | { type?: string; source?: string }>;
  secrets?: Array<string | { source: string; target?: string }>;
}
interface Project {
  services: Record<string, Service>;
  networks?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

const repoRoot = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const loadYaml = <T>(path: string): T => parse(read(path), { merge: true }) as T;
const folders = (dir: string) =>
  readdirSync(join(repoRoot, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(repoRoot, dir, entry.name, 'package.json')))
    .map((entry) => entry.name)
    .sort();

const SERVICE_FOLDERS = folders('services');
const PACKAGE_FOLDERS = folders('packages');
const COMPOSE_FILES = [
  'docker-compose.yml',
  'docker-compose.observability.yml',
  'infrastructure/observability/elk/docker-compose.elk.yml',
];
const base = loadYaml<Project>('docker-compose.yml');
const full = COMPOSE_FILES.map((file) => loadYaml<Project>(file)).reduce(
  (a, b) => merge(a, b, '') as Project,
);
const STACKS: Array<[string, Project]> = [
  ['docker-compose.yml', base],
  ['all compose files', full],
];

/** Compose's merge of several files: maps merge by key, lists add up, commands are replaced. */
function merge(a: unknown, b: unknown, key: string): unknown {
  if (b === undefined) return a;
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(a) && Array.isArray(b) && !['command', 'entrypoint', 'test'].includes(key)) {
    return [...new Set([...a, ...b].map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v));
  }
  if (isMap(a) && isMap(b)) {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v, k);
    return out;
  }
  return b;
}

/** Every string value in a parsed YAML document (comments are not values). */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(stringsIn);
}

/** A deep copy with one deliberate mistake, to show that a rule reports it. */
function broken<T>(value: T, mutate: (copy: T) => void): T {
  const copy = structuredClone(value);
  mutate(copy);
  return copy;
}

function service(project: Project, name: string): Service {
  const found = project.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
}

const env = (svc: Service) => (svc.environment ?? {}) as Record<string, string | undefined>;
const networksOf = (svc: Service) =>
  Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? {});
const dependsOn = (svc: Service): Record<string, { condition?: string }> =>
  Array.isArray(svc.depends_on)
    ? Object.fromEntries(svc.depends_on.map((name) => [name, { condition: 'service_started' }]))
    : (svc.depends_on ?? {});
const buildArgs = (svc: Service) => (typeof svc.build === 'object' ? (svc.build.args ?? {}) : {});
const isOneShot = (project: Project, name: string) =>
  service(project, name).restart === 'no' &&
  Object.values(project.services).some(
    (other) => dependsOn(other)[name]?.condition === 'service_completed_successfully',
  );

function seconds(duration: string | undefined): number {
  let total = 0;
  for (const [, amount, unit] of (duration ?? '').matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

/** Splits `127.0.0.1:${PORT:-80}:80/tcp` on the colons that are not inside `${...}` or `[...]`. */
function splitPort(spec: string): string[] {
  const parts = [''];
  let depth = 0;
  for (const char of spec.replace(/\/(tcp|udp)$/, '')) {
    if (char === '{' || char === '[') depth++;
    if (char === '}' || char === ']') depth--;
    if (char === ':' && depth === 0) parts.push('');
    else parts[parts.length - 1] += char;
  }
  return parts;
}

const isLoopback = (ip: string | undefined) =>
  !!ip && (/^127\.\d+\.\d+\.\d+$/.test(ip) || /^\[?::1\]?$/.test(ip));

// --- rules on compose projects ---------------------------------------------------------------

function checkBuilds(project: Project): string[] {
  const problems: string[] = [];
  const built = new Map<string, string>();
  for (const [name, svc] of Object.entries(project.services)) {
    if (svc.build === undefined) continue;
    const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
    const target = buildArgs(svc).SERVICE;
    if (build.context !== '.' || (build.dockerfile ?? 'Dockerfile') !== 'Dockerfile')
      problems.push(`${name}: builds from something other than ./Dockerfile`);
    if (!target || !SERVICE_FOLDERS.includes(target))
      problems.push(`${name}: build arg SERVICE=${target} is not a folder of services/`);
    else if (built.has(target)) problems.push(`${name}: builds ${target}, as ${built.get(target)} does`);
    else built.set(target, name);
  }
  for (const folder of SERVICE_FOLDERS) {
    if (!built.has(folder)) problems.push(`services/${folder} is not built by any compose service`);
  }
  return problems;
}

function checkHealthchecks(project: Project): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(project.services)) {
    const test = svc.healthcheck?.test;
    if (svc.healthcheck?.disable || test === undefined) {
      if (!isOneShot(project, name)) problems.push(`${name}: no health check`);
    } else if (Array.isArray(test) && !['CMD', 'CMD-SHELL'].includes(test[0] ?? '')) {
      problems.push(`${name}: health check test must start with CMD or CMD-SHELL`);
    }
  }
  return problems;
}

function checkDependsOn(project: Project): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(project.services)) {
    for (const [target, { condition }] of Object.entries(dependsOn(svc))) {
      const dependency = project.services[target];
      if (!dependency) problems.push(`${name}: depends on ${target}, which does not exist`);
      else if (condition === 'service_healthy' && !dependency.healthcheck?.test)
        problems.push(`${name}: waits for ${target} to be healthy, but it has no health check`);
    }
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, path: string[]) => {
    if (visiting.has(name)) problems.push(`dependency cycle: ${[...path, name].join(' -> ')}`);
    if (visiting.has(name) || done.has(name) || !project.services[name]) return;
    visiting.add(name);
    for (const target of Object.keys(dependsOn(service(project, name)))) visit(target, [...path, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of Object.keys(project.services)) visit(name, []);
  return problems;
}

function checkPublishedPorts(project: Project): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(project.services)) {
    if (svc.network_mode === 'host') problems.push(`${name}: host networking publishes every port`);
    for (const port of svc.ports ?? []) {
      const ip = typeof port === 'object' ? port.host_ip : (splitPort(String(port)).at(-3) ?? undefined);
      if (name !== 'gateway' && !isLoopback(ip))
        problems.push(`${name}: publishes ${JSON.stringify(port)} beyond 127.0.0.1`);
    }
  }
  return problems;
}

function checkNetworks(project: Project): string[] {
  const problems: string[] = [];
  const declared = Object.keys(project.networks ?? {});
  for (const [name, svc] of Object.entries(project.services)) {
    const networks = networksOf(svc);
    if (networks.length === 0) problems.push(`${name}: no explicit networks (it would join the default one)`);
    for (const network of networks) {
      if (!declared.includes(network)) problems.push(`${name}: network ${network} is not declared`);
    }
    if (networks.includes('edge') && !['gateway', 'api', 'bot'].includes(name))
      problems.push(`${name}: only the gateway, the api and the bot may join the edge network`);
    if (name === 'gateway' && networks.some((network) => network !== 'edge' && network !== 'telemetry'))
      problems.push('gateway: must join the edge network only (and telemetry, to Jaeger)');
    if (networks.includes('telemetry') && !['gateway', 'jaeger'].includes(name))
      problems.push(`${name}: only the gateway and Jaeger may join the telemetry network`);
  }
  return problems;
}

const SECRET_NAME = /(PASSWORD|PASS|TOKENS?|SECRET|_KEY|_AUTH)$/;
const REQUIRED_REF = /\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}/g;
const HAS_REQUIRED_REF = /\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}/;
const ANY_REF = /(?<!\$)\$\{([A-Z][A-Z0-9_]*)([^}]*)\}/g;

/** Problems with one value that holds a secret: it must be made of `${NAME:?...}` references. */
function secretValueProblems(where: string, value: string): string[] {
  const problems: string[] = [];
  if (!HAS_REQUIRED_REF.test(value)) problems.push(`${where}: literal secret (use \${NAME:?message})`);
  for (const [ref, , rest] of value.matchAll(ANY_REF)) {
    if (!rest?.startsWith(':?')) problems.push(`${where}: ${ref} may fall back to a default`);
  }
  const literal = value.replace(REQUIRED_REF, '').split(/[:,]/);
  if (literal.some((part) => part.length > 16)) problems.push(`${where}: literal text next to the reference`);
  return problems;
}

function checkSecrets(project: Project): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(project.services)) {
    for (const [key, raw] of Object.entries(env(svc))) {
      const value = String(raw ?? '');
      if (SECRET_NAME.test(key)) problems.push(...secretValueProblems(`${name}.${key}`, value));
      for (const [, password] of value.matchAll(/:\/\/[^/\s:@]*:([^@]+)@/g)) {
        problems.push(...secretValueProblems(`${name}.${key} (URL password)`, password ?? ''));
      }
    }
    const command = Array.isArray(svc.command) ? svc.command : [];
    command.forEach((arg, index) => {
      if (/^--?\w*(pass|secret|token)/i.test(arg))
        problems.push(...secretValueProblems(`${name}.command ${arg}`, command[index + 1] ?? ''));
    });
  }
  return problems;
}

function checkNodeRuntime(project: Project): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(project.services)) {
    if (svc.build === undefined) continue;
    const timeoutMs = Number(env(svc).SHUTDOWN_TIMEOUT_MS ?? 10_000);
    if (seconds(svc.stop_grace_period ?? '10s') * 1000 <= timeoutMs)
      problems.push(`${name}: stop_grace_period must exceed SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms)`);
    if (svc.init !== true && !IMAGE_HAS_INIT)
      problems.push(`${name}: needs an init as PID 1 (init: true, or tini as the image's entry point)`);
    if (env(svc).HOST !== '0.0.0.0') problems.push(`${name}: must listen on HOST=0.0.0.0`);
  }
  return problems;
}

/** Every NAME_FILE variable names /run/secrets/<secret>, a secret the service mounts, read from a file. */
function checkSecretFiles(project: Project): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(project.services)) {
    const mounted = new Map(
      (svc.secrets ?? []).map((secret) =>
        typeof secret === 'string'
          ? [`/run/secrets/${secret}`, secret]
          : [
              secret.target?.startsWith('/')
                ? secret.target
                : `/run/secrets/${secret.target ?? secret.source}`,
              secret.source,
            ],
      ),
    );
    for (const [key, value] of Object.entries(env(svc))) {
      if (!key.endsWith('_FILE')) continue;
      const secret = mounted.get(String(value));
      if (!secret) problems.push(`${name}.${key}: ${value} is not a secret the service mounts`);
      else if (!project.secrets?.[secret]?.file?.startsWith('./secrets/'))
        problems.push(`${name}.${key}: secret ${secret} is not a file under ./secrets/`);
    }
  }
  return problems;
}

function checkLogging(project: Project): string[] {
  return Object.entries(project.services)
    .filter(([, svc]) => svc.logging?.driver !== 'json-file' || !svc.logging.options?.['max-size'])
    .map(([name]) => `${name}: logs must rotate (json-file with max-size)`);
}

function checkBindMounts(project: Project): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(project.services)) {
    for (const volume of svc.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
      if (source?.startsWith('./') && !existsSync(join(repoRoot, source)))
        problems.push(`${name}: mounts ${source}, which does not exist`);
    }
  }
  return problems;
}

// --- the Dockerfile ----------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
  /** Name of the stage it belongs to; undefined before the first FROM. */
  stage: string | undefined;
}

function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  let stage: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      const next = lines[++i] ?? '';
      line = `${line.slice(0, -1)} ${/^\s*#/.test(next) ? '' : next}`;
    }
    const [, keyword = '', args = ''] = /^\s*(\w+)\s*(.*)$/.exec(line) ?? [];
    const heredoc = /<<-?['"]?(\w+)['"]?/.exec(args)?.[1];
    if (heredoc) while (i + 1 < lines.length && lines[++i]?.trim() !== heredoc);
    if (keyword.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? args.trim();
    instructions.push({ keyword: keyword.toUpperCase(), args: args.trim(), stage });
  }
  return instructions;
}

/**
 * The telemetry bootstrap is imported by its file in the image (`/app/packages/platform/` plus the
 * package's `./telemetry` export), not by the package name: the development override runs the sources
 * under the `flotilla-source` condition, where the name resolves to a TypeScript file that Node cannot
 * load before tsx; the compiled file is in the build stage and in the runtime image alike.
 */
function checkTelemetryImport(project: Project): string[] {
  const exports = JSON.parse(read('packages/platform/package.json')).exports['./telemetry'];
  const expected = `/app/packages/platform/${String(exports.default).replace(/^\.\//, '')}`;
  const problems: string[] = [];
  if (!existsSync(join(repoRoot, 'packages/platform', String(exports['flotilla-source'])))) {
    problems.push('packages/platform has no telemetry bootstrap source');
  }
  for (const [name, svc] of Object.entries(project.services)) {
    const options = String(svc.environment?.NODE_OPTIONS ?? '');
    for (const [, specifier] of options.matchAll(/--import[= ](\S+)/g)) {
      if (specifier !== expected)
        problems.push(`${name}: NODE_OPTIONS imports ${specifier}, not ${expected}`);
    }
  }
  return problems;
}

function checkDockerfile(text: string, ports: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const all = parseDockerfile(text);
  const find = (keyword: string, stage?: string) =>
    all.filter((i) => i.keyword === keyword && (stage === undefined || i.stage === stage));
  if (!find('ARG').some((i) => i.stage === undefined && /^SERVICE\b/.test(i.args)))
    problems.push('no global ARG SERVICE');
  if (all.at(-1)?.keyword !== 'FROM' || all.at(-1)?.args !== `service-\${SERVICE}`)
    problems.push(`the last stage must be FROM service-\${SERVICE}`);
  const user = find('USER', 'runtime').at(-1)?.args;
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push('the runtime stage must end as a non-root USER');
  if (all.some((i) => i.keyword === 'USER' && i.stage?.startsWith('service-')))
    problems.push('service stages must not change USER');
  const healthcheck = find('HEALTHCHECK', 'runtime')[0]?.args ?? 'NONE';
  if (/^NONE\b/i.test(healthcheck)) problems.push('the runtime stage needs a HEALTHCHECK');
  const runs = find('RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev')))
    problems.push('no `npm ci` for the build');
  if (!runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)))
    problems.push('no `npm ci --omit=dev` for the runtime');
  if (runs.some((r) => /\bnpm (install|i)\b/.test(r))) problems.push('`npm install` ignores the lockfile');
  if (!/dist\/main\.js/.test(find('CMD', 'runtime')[0]?.args ?? ''))
    problems.push('CMD must run dist/main.js');
  const copies = find('COPY').map((i) => i.args);
  for (const manifest of [
    ...PACKAGE_FOLDERS.map((f) => `packages/${f}/package.json`),
    ...SERVICE_FOLDERS.map((f) => `services/${f}/package.json`),
  ]) {
    if (!copies.some((c) => c.split(/\s+/).includes(manifest)))
      problems.push(`${manifest} is not copied for npm ci`);
  }
  const collect = runs.find((r) => r.includes('/out')) ?? '';
  for (const folder of SERVICE_FOLDERS.filter((f) =>
    existsSync(join(repoRoot, 'services', f, 'migrations')),
  )) {
    if (!/\bmigrations\b/.test(collect))
      problems.push(`services/${folder}/migrations/ does not reach the image`);
  }
  for (const folder of SERVICE_FOLDERS) {
    const stage = `service-${folder}`;
    if (!all.some((i) => i.keyword === 'FROM' && i.args === `runtime AS ${stage}`))
      problems.push(`no stage ${stage} FROM runtime`);
    const port = ports[folder];
    if (
      !find('ENV', stage).some((i) => i.args === `PORT=${port}`) ||
      !find('EXPOSE', stage).some((i) => i.args === port)
    )
      problems.push(`${stage} must set ENV PORT=${port} and EXPOSE ${port} (its compose PORT)`);
  }
  return problems;
}

/** Paths the build context lets through, judged by .dockerignore's `*` then `!allow` lines. */
function dockerignoreLetsThrough(ignore: string, path: string): boolean {
  const glob = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^$()|]/g, '\\$&')
        .replace(/\*\*/g, '\0')
        .replace(/\*/g, '[^/]*')
        .replace(/\0/g, '.*')}(/.*)?$`,
    );
  let allowed = true;
  for (const line of ignore.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/\/$/, '');
    if (glob(pattern).test(path) || glob(pattern.replace(/^\*\*\//, '')).test(path)) allowed = negated;
  }
  return allowed;
}

/** The images start under tini (an init as PID 1), so compose needs no `init: true`. */
const IMAGE_HAS_INIT = /^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m.test(read('Dockerfile'));

const composePorts = Object.fromEntries(
  SERVICE_FOLDERS.map((folder) => [folder, env(service(base, folder)).PORT]),
) as Record<string, string | undefined>;

describe('docker-compose.yml and its overlays', () => {
  const rules: Array<[string, (p: Project) => string[], (p: Project) => void]> = [
    [
      'every service folder is built once from ./Dockerfile',
      checkBuilds,
      (p) => {
        service(p, 'bot').build = { context: '.', args: { SERVICE: 'bots' } };
      },
    ],
    [
      'every container has a health check',
      checkHealthchecks,
      (p) => {
        delete service(p, 'redis').healthcheck;
      },
    ],
    [
      'every depends_on target exists, without cycles',
      checkDependsOn,
      (p) => {
        service(p, 'postgres').depends_on = { 'data-postgres': { condition: 'service_healthy' }, cache: {} };
      },
    ],
    [
      'only the gateway publishes a port beyond 127.0.0.1',
      checkPublishedPorts,
      (p) => {
        service(p, 'postgres').ports = [`\${POSTGRES_PORT:-5432}:5432`];
      },
    ],
    [
      'data services and stores stay off the edge network',
      checkNetworks,
      (p) => {
        service(p, 'data-postgres').networks = ['internal', 'edge'];
      },
    ],
    [
      'the gateway reaches nothing beyond edge but Jaeger',
      checkNetworks,
      (p) => {
        service(p, 'api').networks = ['edge', 'internal', 'telemetry'];
      },
    ],
    [
      `secrets are required \${NAME:?...} references, never literals or defaults`,
      checkSecrets,
      (p) => {
        env(service(p, 'postgres')).POSTGRES_PASSWORD = `\${POSTGRES_PASSWORD:-postgres}`;
        env(service(p, 'api')).REDIS_URL = 'redis://:changeme@redis:6379/0';
      },
    ],
    [
      'every *_FILE variable reads a secret file the service mounts',
      checkSecretFiles,
      (p) => {
        env(service(p, 'api')).JWT_SIGNING_KEY_FILE = '/run/secrets/jwt';
      },
    ],
    [
      'Node services run under an init and outlive their shutdown timeout',
      checkNodeRuntime,
      (p) => {
        service(p, 'worker').stop_grace_period = '10s';
      },
    ],
    [
      'every container rotates its logs',
      checkLogging,
      (p) => {
        delete service(p, 'mongo').logging;
      },
    ],
    [
      'every bind-mounted file exists',
      checkBindMounts,
      (p) => {
        service(p, 'gateway').volumes = [
          './infrastructure/nginx/gateway.conf.template:/etc/nginx/templates/x.template',
        ];
      },
    ],
    [
      'the telemetry bootstrap is imported by its compiled file, which every image stage has',
      checkTelemetryImport,
      (p) => {
        env(service(p, 'api')).NODE_OPTIONS = '--import @flotilla/platform/telemetry';
      },
    ],
  ];

  for (const [rule, check, mistake] of rules) {
    it(rule, () => {
      for (const [name, project] of STACKS) expect(check(project), name).toEqual([]);
      expect(check(broken(full, mistake))).not.toEqual([]);
    });
  }

  it('lists every required variable, without a value, in infrastructure/compose/env.example', () => {
    const example = read('infrastructure/compose/env.example');
    const listed = new Map([...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, k, v]) => [k, v]));
    const missing = (text: string) =>
      [...new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map(([, name]) => name))].filter(
        (name) => listed.get(name ?? '') !== '',
      );
    expect(missing(COMPOSE_FILES.flatMap((file) => stringsIn(loadYaml(file))).join('\n'))).toEqual([]);
    expect(missing(`\${SENTRY_DSN:?set it}`)).toEqual(['SENTRY_DSN']);
  });

  it('keeps secrets out of the observability configuration files', () => {
    const literalPasswords = (text: string) =>
      [...text.matchAll(/^\s*(password|admin_password|secureJsonData)\s*:\s*(.+)$/gim)].filter(
        ([, , value]) => !/^['"]?\$\{[A-Z_]+\}['"]?$/.test(value?.trim() ?? ''),
      );
    for (const file of [
      'infrastructure/observability/elk/filebeat.yml',
      'infrastructure/observability/prometheus/prometheus.yml',
      'infrastructure/observability/grafana/provisioning/datasources/datasources.yml',
    ]) {
      expect(literalPasswords(read(file)), file).toEqual([]);
    }
    expect(literalPasswords('  password: changeme')).toHaveLength(1);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds any service by ARG SERVICE, with npm ci, as a non-root user with a health check', () => {
    expect(checkDockerfile(dockerfile, composePorts)).toEqual([]);
    const mistakes = [
      (text: string) => text.replace(/^USER node$/m, 'USER root'),
      (text: string) => text.replace(/^HEALTHCHECK .*$/m, ''),
      (text: string) => text.replaceAll('npm ci --omit=dev', 'npm install --omit=dev'),
      (text: string) => text.replace(/^COPY services\/bot\/package\.json .*$/m, ''),
      (text: string) => text.replace(/^ENV PORT=8003$/m, 'ENV PORT=8030'),
      (text: string) => text.replace(/^ARG SERVICE$/m, 'ARG SERVICES'),
      (text: string) => text.replace('for part in dist migrations', 'for part in dist'),
    ];
    for (const mistake of mistakes)
      expect(checkDockerfile(mistake(dockerfile), composePorts)).not.toEqual([]);
  });

  it('sends only sources and manifests to the build: never .env, .data or node_modules', () => {
    const ignore = read('.dockerignore');
    // Files the Dockerfile copies from the context; a folder stands for its workspaces' sources.
    const copied = parseDockerfile(dockerfile)
      .filter((i) => i.keyword === 'COPY' && !/--from|<</.test(i.args))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((arg) => !arg.startsWith('--'))
          .slice(0, -1),
      )
      .flatMap((source) => SERVICE_FOLDERS.map((f) => source.replace(`\${SERVICE}`, f)))
      .flatMap((source) => (source === 'packages/' ? PACKAGE_FOLDERS.map((f) => `packages/${f}/`) : [source]))
      .flatMap((source) =>
        source.endsWith('/')
          ? ['package.json', 'tsconfig.json', 'src/main.ts'].map((f) => source + f)
          : [source],
      );
    expect(copied).toContain('services/api/src/main.ts');
    copied.push(
      ...SERVICE_FOLDERS.filter((f) => existsSync(join(repoRoot, 'services', f, 'migrations'))).map(
        (f) => `services/${f}/migrations/0001_init.up.sql`,
      ),
    );
    for (const path of copied) expect(dockerignoreLetsThrough(ignore, path), path).toBe(true);
    for (const path of [
      '.env',
      '.data/infra.env',
      'node_modules/x/index.js',
      'services/api/dist/main.js',
      '.git/HEAD',
    ]) {
      expect(dockerignoreLetsThrough(ignore, path), path).toBe(false);
    }
    expect(dockerignoreLetsThrough(`${ignore}\n!.env\n`, '.env')).toBe(true);
  });
});

describe('observability configuration', () => {
  it('has Prometheus scrape /metrics of each of the five services', () => {
    const config = loadYaml<{
      scrape_configs: Array<{
        job_name: string;
        metrics_path?: string;
        static_configs?: Array<{ targets: string[] }>;
      }>;
    }>('infrastructure/observability/prometheus/prometheus.yml');
    const missing = (c: typeof config) => {
      const targets = c.scrape_configs
        .filter((job) => (job.metrics_path ?? '/metrics') === '/metrics')
        .flatMap((job) => job.static_configs?.flatMap((s) => s.targets) ?? []);
      return SERVICE_FOLDERS.filter((folder) => !targets.includes(`${folder}:${composePorts[folder]}`));
    };
    expect(missing(config)).toEqual([]);
    expect(missing(broken(config, (c) => c.scrape_configs.splice(1, 1)))).toHaveLength(1);
  });

  it("traces the gateway with nginx's OpenTelemetry module under the overlay, exporting to its Jaeger", () => {
    const gateway = service(full, 'gateway');
    expect(gateway.image).toMatch(/^nginx:[\d.]+-alpine-otel$/);
    const mounts = new Map(
      (gateway.volumes ?? []).map((volume) => {
        const [source = '', target = ''] = String(volume).split(':');
        return [target, source.replace(/^\.\//, '')];
      }),
    );
    const main = read(mounts.get('/etc/nginx/nginx.conf') ?? 'missing');
    expect(main.split('\n').find((line) => !line.startsWith('#') && line.trim())).toBe(
      'load_module modules/ngx_otel_module.so;',
    );
    expect(main).toContain('include /etc/nginx/conf.d/*.conf;');
    const otel = read(mounts.get('/etc/nginx/templates/otel.conf.template') ?? 'missing');
    // Every placeholder is one the image's template step substitutes, and is set.
    const filter = new RegExp(env(gateway).NGINX_ENVSUBST_FILTER ?? '^$');
    const placeholders = [...otel.matchAll(/\$\{([A-Z_]+)\}/g)].map(([, name]) => name ?? '');
    expect(placeholders.length).toBeGreaterThan(0);
    for (const name of placeholders) {
      expect(name).toMatch(filter);
      expect(env(gateway)[name], name).toBeTruthy();
    }
    const [host, port] = (env(gateway).GATEWAY_OTLP_GRPC_ENDPOINT ?? '').split(':');
    expect(host && networksOf(service(full, host))).toContain('telemetry');
    expect(port).toBe('4317');
    for (const directive of [
      'otel_trace $flotilla_trace;',
      'otel_trace_context propagate;',
      'otel_service_name gateway;',
    ])
      expect(otel).toContain(directive);
  });

  it('points Grafana data sources at services of the overlay', () => {
    const { datasources } = loadYaml<{ datasources: Array<{ name: string; url: string }> }>(
      'infrastructure/observability/grafana/provisioning/datasources/datasources.yml',
    );
    const unknown = (project: Project) =>
      datasources.filter(({ url }) => !project.services[new URL(url).hostname]).map(({ name }) => name);
    expect(unknown(full)).toEqual([]);
    expect(unknown(broken(full, (p) => delete p.services.prometheus))).toEqual(['Prometheus']);
  });
});
