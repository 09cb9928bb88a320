import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadInfraConfig } from '../infra/config.js';
import { loadContext } from '../infra/context.js';
import { ensureDeployTool } from '../infra/install/deploy-tools.js';

// The chart is rendered and linted by the real Helm v4 (built from the Go module proxy into the
// tools cache on first use), and the manifests it renders are checked as Kubernetes would read them.

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..');
const chart = join(repoRoot, 'deploy', 'helm', 'flotilla');
const production = join(chart, 'examples', 'production.yaml');

interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects of many kinds
  spec?: any;
  data?: Record<string, string>;
}

const random = () => randomBytes(24).toString('hex');
/** Every secret the default values need, each a fresh random value. */
const secrets: Record<string, string> = {
  'secrets.apiDataServiceToken': random(),
  'secrets.botDataServiceToken': random(),
  'secrets.workerDataServiceToken': random(),
  'secrets.jwtSigningKey': random(),
  'secrets.botToken': `123456:${random()}`,
  'postgresql.password': random(),
  'mongodb.password': random(),
  'redis.password': random(),
  'rabbitmq.password': random(),
};
const setFlags = (values: Record<string, string>) =>
  Object.entries(values).flatMap(([key, value]) => ['--set', `${key}=${value}`]);

let helm: string;

async function helmRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(helm, args, { cwd: repoRoot, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function render(args: string[]): Promise<Manifest[]> {
  const result = await helmRun(['template', 'flotilla', chart, ...args]);
  expect(result.stderr, 'helm template').not.toMatch(/error/i);
  expect(result.code).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const ofKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const named = (manifests: Manifest[], kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const component = (m: Manifest) => m.metadata.labels?.['app.kubernetes.io/component'];
const SERVICES = ['api', 'bot', 'worker', 'data-postgres', 'data-mongo'];
const DATABASE_PORTS = [5432, 27017];

/** Problems of one Deployment: probes, resources, non-root security context. */
function deploymentProblems(deployment: Manifest): string[] {
  const problems: string[] = [];
  const pod = deployment.spec.template.spec;
  const name = deployment.metadata.name;
  if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${name}: pod not runAsNonRoot`);
  if ((pod.securityContext?.runAsUser ?? 0) === 0) problems.push(`${name}: pod runs as uid 0`);
  for (const container of pod.containers) {
    if (container.livenessProbe?.httpGet?.path !== '/health/live')
      problems.push(`${name}: no liveness probe`);
    if (container.readinessProbe?.httpGet?.path !== '/health/ready')
      problems.push(`${name}: no readiness probe`);
    for (const kind of ['requests', 'limits']) {
      if (!container.resources?.[kind]?.cpu || !container.resources?.[kind]?.memory)
        problems.push(`${name}: no cpu and memory ${kind}`);
    }
    const sc = container.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${name}: may escalate privileges`);
    if (sc.runAsUser === 0 || sc.privileged) problems.push(`${name}: container runs privileged or as root`);
    if (!sc.capabilities?.drop?.includes('ALL')) problems.push(`${name}: keeps Linux capabilities`);
  }
  return problems;
}

/** TCP ports a NetworkPolicy lets its pods reach. */
const egressPorts = (policy: Manifest): number[] =>
  (policy.spec.egress ?? []).flatMap((rule: { ports?: Array<{ port: number }> }) =>
    (rule.ports ?? []).map((p) => p.port),
  );

beforeAll(async () => {
  const { ctx } = await loadContext(loadInfraConfig(), false);
  helm = await ensureDeployTool(ctx, 'helm');
}, 1_800_000);

describe('Helm chart deploy/helm/flotilla', () => {
  it('passes helm lint with the default values (secrets given) and with the production example', async () => {
    const defaults = await helmRun(['lint', chart, '--strict', ...setFlags(secrets)]);
    expect(defaults.stdout + defaults.stderr).toContain('0 chart(s) failed');
    expect(defaults.code).toBe(0);
    const prod = await helmRun(['lint', chart, '--strict', '-f', production]);
    expect(prod.stdout + prod.stderr).toContain('0 chart(s) failed');
    expect(prod.code).toBe(0);
  });

  it('refuses to install without the secrets, naming each missing value, or with a token too short', async () => {
    const none = await helmRun(['template', 'flotilla', chart]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/secrets\.apiDataServiceToken is required/);
    for (const key of Object.keys(secrets)) {
      const { [key]: _missing, ...rest } = secrets;
      const result = await helmRun(['template', 'flotilla', chart, ...setFlags(rest)]);
      expect(result.code, key).not.toBe(0);
      expect(result.stderr, key).toContain(`${key} is required`);
    }
    // A token the data services would refuse fails the install, not a pod.
    const short = await helmRun([
      'template',
      'flotilla',
      chart,
      ...setFlags({ ...secrets, 'secrets.workerDataServiceToken': 'too-short' }),
    ]);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('secrets.workerDataServiceToken must be at least 32 characters');
  });

  it('ships no default password: every secret-like value in values.yaml is empty', () => {
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8'));
    const filled: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        const at = path ? `${path}.${key}` : key;
        if (
          /password|token|secret$|signingkey|apikey|dsn$/i.test(key) &&
          typeof value === 'string' &&
          value !== ''
        )
          filled.push(at);
        walk(value, at);
      }
    };
    walk(values, '');
    expect(filled).toEqual([]);
  });

  it('renders Deployments for the five services with probes, resources and a non-root security context', async () => {
    for (const args of [setFlags(secrets), ['-f', production]]) {
      const manifests = await render(args);
      const deployments = ofKind(manifests, 'Deployment');
      expect(deployments.map(component).sort()).toEqual([...SERVICES].sort());
      expect(deployments.flatMap(deploymentProblems)).toEqual([]);
      const job = named(manifests, 'Job', 'flotilla-migrations');
      expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'dist/migrate.js', 'up']);
      expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    }
    // The check itself catches a Deployment without probes.
    const [one] = ofKind(await render(setFlags(secrets)), 'Deployment');
    delete one?.spec.template.spec.containers[0].readinessProbe;
    expect(deploymentProblems(one as Manifest)).not.toEqual([]);
  });

  it('puts only the given secrets in Secrets, each service getting only what it needs', async () => {
    const manifests = await render(setFlags(secrets));
    const given = Object.values(secrets);
    const stored = ofKind(manifests, 'Secret').flatMap((secret) =>
      Object.entries(secret.data ?? {}).map(([key, value]) => [
        `${secret.metadata.name}.${key}`,
        Buffer.from(value, 'base64').toString('utf8'),
      ]),
    );
    expect(stored.length).toBeGreaterThan(10);
    for (const [where, value] of stored) {
      expect(
        given.some((secret) => value?.includes(secret)),
        where,
      ).toBe(true);
    }
    const keys = (name: string) =>
      Object.keys(named(manifests, 'Secret', `flotilla-${name}`).data ?? {}).sort();
    expect(keys('api')).toEqual(['DATA_SERVICE_TOKEN', 'JWT_SIGNING_KEY', 'RABBITMQ_URL', 'REDIS_URL']);
    expect(keys('worker')).toEqual(['DATA_SERVICE_TOKEN', 'RABBITMQ_URL', 'REDIS_URL']);
    expect(keys('data-postgres')).toEqual(['POSTGRES_URL', 'RABBITMQ_URL', 'SERVICE_TOKENS']);
    expect(keys('data-mongo')).toEqual(['MONGO_URL', 'SERVICE_TOKENS']);
    // With existing Secrets the chart writes none, and each Deployment reads its own.
    const prod = await render(['-f', production]);
    expect(ofKind(prod, 'Secret')).toEqual([]);
    for (const deployment of ofKind(prod, 'Deployment')) {
      const refs = deployment.spec.template.spec.containers[0].envFrom.map(
        (source: { secretRef?: { name: string } }) => source.secretRef?.name,
      );
      expect(refs).toContain(`flotilla-${component(deployment)}`);
    }
  });

  it('lets only business services reach the data services, and only data services reach the databases', async () => {
    for (const args of [setFlags(secrets), ['-f', production]]) {
      const policies = ofKind(await render(args), 'NetworkPolicy');
      expect(
        policies.map((p) => p.spec.podSelector.matchLabels['app.kubernetes.io/component']).sort(),
      ).toEqual([...SERVICES].sort());
      for (const policy of policies) {
        const name = policy.spec.podSelector.matchLabels['app.kubernetes.io/component'] as string;
        expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
        const ports = egressPorts(policy);
        if (name === 'data-postgres' || name === 'data-mongo') {
          const callers = policy.spec.ingress[0].from[0].podSelector.matchExpressions.find(
            (e: { key: string }) => e.key === 'app.kubernetes.io/component',
          );
          expect(callers.values.sort(), name).toEqual(['api', 'bot', 'worker']);
          expect(ports, name).toContain(name === 'data-postgres' ? 5432 : 27017);
          expect(ports, name).not.toContain(name === 'data-postgres' ? 27017 : 5432);
          expect(ports, name).not.toContain(6379);
        } else {
          expect(
            DATABASE_PORTS.filter((port) => ports.includes(port)),
            name,
          ).toEqual([]);
          expect(ports, name).toEqual(expect.arrayContaining([8001, 8002, 6379, 5672]));
        }
      }
    }
  });

  it('autoscales the api and the worker on CPU, or the worker on queue depth with KEDA', async () => {
    const defaults = await render(setFlags(secrets));
    const targets = ofKind(defaults, 'HorizontalPodAutoscaler').map((hpa) => hpa.spec.scaleTargetRef.name);
    expect(targets.sort()).toEqual(['flotilla-api', 'flotilla-worker']);
    for (const name of targets) expect(named(defaults, 'Deployment', name).spec.replicas).toBeUndefined();

    const prod = await render(['-f', production]);
    expect(ofKind(prod, 'HorizontalPodAutoscaler').map((hpa) => hpa.spec.scaleTargetRef.name)).toEqual([
      'flotilla-api',
    ]);
    const scaled = named(prod, 'ScaledObject', 'flotilla-worker');
    expect(scaled.spec.scaleTargetRef.name).toBe('flotilla-worker');
    expect(
      scaled.spec.triggers.map((t: { metadata: { queueName: string } }) => t.metadata.queueName),
    ).toEqual(['q.worker.media', 'q.worker.documents']);
    expect(named(prod, 'TriggerAuthentication', 'flotilla-worker-rabbitmq').spec.secretTargetRef[0]).toEqual({
      parameter: 'host',
      name: 'flotilla-worker',
      key: 'RABBITMQ_URL',
    });
  });

  it('runs one polling bot whatever replicaCount says, and N webhook bots behind the ingress', async () => {
    const polling = await render([...setFlags(secrets), '--set', 'bot.replicaCount=5']);
    const bot = named(polling, 'Deployment', 'flotilla-bot');
    expect(bot.spec.replicas).toBe(1);
    expect(bot.spec.strategy.type).toBe('Recreate');
    const pollingPaths = named(polling, 'Ingress', 'flotilla').spec.rules[0].http.paths;
    expect(pollingPaths.map((p: { path: string }) => p.path)).toEqual(['/api', '/docs']);

    const webhook = await render(['-f', production]);
    expect(named(webhook, 'Deployment', 'flotilla-bot').spec.replicas).toBe(3);
    const paths = named(webhook, 'Ingress', 'flotilla').spec.rules[0].http.paths;
    expect(paths.find((p: { path: string }) => p.path === '/telegram/webhook').backend.service.name).toBe(
      'flotilla-bot',
    );
    expect(named(webhook, 'ConfigMap', 'flotilla-bot').data?.BOT_MODE).toBe('webhook');
    // Nothing routes to a data service.
    const backends = paths.map((p: { backend: { service: { name: string } } }) => p.backend.service.name);
    expect(backends.filter((name: string) => name.includes('data-'))).toEqual([]);

    const missingSecret = await helmRun([
      'template',
      'flotilla',
      chart,
      ...setFlags(secrets),
      '--set',
      'bot.mode=webhook',
      '--set',
      'bot.webhookUrl=https://x.example/telegram/webhook',
    ]);
    expect(missingSecret.stderr).toContain('secrets.botWebhookSecret is required');
    // values.schema.json: a mode the bot does not know is refused before anything renders.
    const unknownMode = await helmRun([
      'template',
      'flotilla',
      chart,
      ...setFlags(secrets),
      '--set',
      'bot.mode=push',
    ]);
    expect(unknownMode.code).not.toBe(0);
    expect(unknownMode.stderr).toMatch(/bot\/mode.*polling.*webhook/);
  });

  it('gives every service a ConfigMap whose PORT is its container port, and the data services a PDB each', async () => {
    const manifests = await render(setFlags(secrets));
    for (const deployment of ofKind(manifests, 'Deployment')) {
      const name = component(deployment);
      const config = named(manifests, 'ConfigMap', `flotilla-${name}`);
      expect(Number(config.data?.PORT), name).toBe(
        deployment.spec.template.spec.containers[0].ports[0].containerPort,
      );
      expect(config.data?.HOST).toBe('0.0.0.0');
      expect(named(manifests, 'PodDisruptionBudget', `flotilla-${name}`).spec.selector.matchLabels).toEqual(
        deployment.spec.selector.matchLabels,
      );
    }
    expect(named(manifests, 'ConfigMap', 'flotilla-data-postgres').data?.MIGRATE_ON_START).toBe('false');
    expect(named(manifests, 'ConfigMap', 'flotilla-api').data?.DATA_POSTGRES_URL).toBe(
      'http://flotilla-data-postgres:8001',
    );
  });

  it('sets no telemetry by default; with an OTLP URL and a Sentry DSN every service loads the bootstrap, exports and reports', async () => {
    const telemetryVars = ['NODE_OPTIONS', 'TRACING_OTLP_URL', 'TRACING_SAMPLE_RATIO', 'SENTRY_DSN'];
    const plain = await render(setFlags(secrets));
    for (const config of ofKind(plain, 'ConfigMap'))
      expect(Object.keys(config.data ?? {}).filter((key) => telemetryVars.includes(key))).toEqual([]);
    for (const deployment of ofKind(plain, 'Deployment'))
      expect(deployment.spec.template.spec.containers[0].env).toBeUndefined();

    const dsn = `https://${random()}@o1.ingest.sentry.example/2`;
    const traced = await render(
      setFlags({
        ...secrets,
        'telemetry.tracing.otlpUrl': 'http://jaeger-collector.observability:4318',
        'telemetry.sentry.dsn': dsn,
      }).concat(['--set-json', 'telemetry.tracing.sampleRatio=0.25']),
    );
    const sentrySecret = named(traced, 'Secret', 'flotilla-sentry');
    expect(Buffer.from(sentrySecret.data?.SENTRY_DSN ?? '', 'base64').toString('utf8')).toBe(dsn);
    for (const deployment of ofKind(traced, 'Deployment')) {
      const name = component(deployment);
      expect(named(traced, 'ConfigMap', `flotilla-${name}`).data).toMatchObject({
        NODE_OPTIONS: '--import @flotilla/platform/telemetry',
        TRACING_OTLP_URL: 'http://jaeger-collector.observability:4318',
        TRACING_SAMPLE_RATIO: '0.25',
      });
      // The DSN never sits in a ConfigMap: it comes from the Secret.
      expect(deployment.spec.template.spec.containers[0].env).toEqual([
        { name: 'SENTRY_DSN', valueFrom: { secretKeyRef: { name: 'flotilla-sentry', key: 'SENTRY_DSN' } } },
      ]);
      // The network policy lets every service reach the receiver and Sentry.
      const egressPorts = named(traced, 'NetworkPolicy', `flotilla-${name}`).spec.egress.flatMap(
        (rule: { ports: Array<{ port: number }> }) => rule.ports.map((port) => port.port),
      );
      expect(egressPorts, name).toEqual(expect.arrayContaining([4318, 443]));
    }
    expect(JSON.stringify(ofKind(traced, 'ConfigMap'))).not.toContain(dsn);

    // Sentry alone, from a Secret of one's own: the bootstrap loads, no OTLP export, no chart Secret.
    const own = await render(
      setFlags({
        ...secrets,
        'telemetry.sentry.existingSecret': 'sentry',
        'telemetry.sentry.existingSecretKey': 'dsn',
      }),
    );
    expect(own.some((m) => m.kind === 'Secret' && m.metadata.name === 'flotilla-sentry')).toBe(false);
    const api = named(own, 'ConfigMap', 'flotilla-api').data ?? {};
    expect(api.NODE_OPTIONS).toBe('--import @flotilla/platform/telemetry');
    expect(api.TRACING_OTLP_URL).toBeUndefined();
    expect(
      named(own, 'Deployment', 'flotilla-api').spec.template.spec.containers[0].env[0].valueFrom,
    ).toEqual({
      secretKeyRef: { name: 'sentry', key: 'dsn' },
    });

    const lint = await helmRun([
      'lint',
      chart,
      ...setFlags({ ...secrets, 'telemetry.tracing.otlpUrl': 'http://otel:4318' }),
    ]);
    expect(lint.code, lint.stdout).toBe(0);
    const badRatio = await helmRun([
      'template',
      'flotilla',
      chart,
      ...setFlags({ ...secrets, 'telemetry.tracing.sampleRatio': '2' }),
    ]);
    expect(badRatio.code).not.toBe(0);
    expect(badRatio.stderr).toMatch(/sampleRatio/);
  });
});
