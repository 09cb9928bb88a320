import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureJaeger } from '../../scripts/infra/install/jaeger.js';
import { freePort } from '../e2e/helpers/service-process.js';
import { infraToolContext } from './infra-tools.js';

/** One span as Jaeger's query API returns it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  processID: string;
  tags: Array<{ key: string; value: unknown }>;
}

/** One trace as Jaeger's query API returns it. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** A Jaeger all-in-one of a test's own, on free loopback ports. */
export interface TestJaeger {
  /** OTLP/HTTP base URL for `TRACING_OTLP_URL`. */
  otlpUrl: string;
  /** Query API base URL. */
  queryUrl: string;
  /** Process id of the Jaeger process (for CPU accounting in benchmarks). */
  pid: number | undefined;
  /** The trace with this id, or undefined while Jaeger does not have it. */
  trace(traceId: string): Promise<JaegerTrace | undefined>;
  stop(): Promise<void>;
}

/**
 * Starts Jaeger from the tools cache with the project's configuration
 * (`infrastructure/observability/jaeger/jaeger.yaml`), building it first if it is missing (the
 * infrastructure script's own installer: minutes, once per machine).
 */
export async function startTestJaeger(): Promise<TestJaeger> {
  const ctx = infraToolContext();
  const { config } = ctx;
  const binary = await ensureJaeger(ctx);
  const [uiPort, grpcPort, otlpPort] = [await freePort(), await freePort(), await freePort()];
  const host = '127.0.0.1';
  const child: ChildProcess = spawn(
    binary,
    ['--config', join(config.repoRoot, 'infrastructure', 'observability', 'jaeger', 'jaeger.yaml')],
    {
      env: {
        PATH: process.env.PATH,
        JAEGER_QUERY_HTTP_ENDPOINT: `${host}:${uiPort}`,
        JAEGER_QUERY_GRPC_ENDPOINT: `${host}:${grpcPort}`,
        JAEGER_OTLP_HTTP_ENDPOINT: `${host}:${otlpPort}`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const queryUrl = `http://${host}:${uiPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jaeger exited: ${stderr.join('').slice(-2000)}`);
    const ok = await fetch(`${queryUrl}/api/services`, { signal: AbortSignal.timeout(1000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`jaeger did not answer: ${stderr.join('').slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    otlpUrl: `http://${host}:${otlpPort}`,
    queryUrl,
    pid: child.pid,
    async trace(traceId) {
      const response = await fetch(`${queryUrl}/api/traces/${traceId}`);
      if (response.status === 404) return undefined;
      const body = (await response.json()) as { data?: JaegerTrace[] };
      return body.data?.[0];
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
