import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import { freePort } from '../e2e/helpers/service-process.js';

/** A RabbitMQ node of a test's own, which the test may stop and start again (a broker restart). */
export interface RabbitmqInstance {
  /** `amqp://<user>:<password>@127.0.0.1:<port>/`. */
  url: string;
  /** Stops the node (SIGTERM to its process group) and waits for it to exit: the broker is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data, and waits until it accepts AMQP connections. */
  start(): Promise<void>;
  /** Stops it for good and removes its state directory. */
  close(): Promise<void>;
}

const SBIN = '/usr/lib/rabbitmq/bin';

/**
 * Runs a RabbitMQ node of its own (Debian's `rabbitmq-server`, installed by `npm run infra -- up`):
 * its own node name, AMQP and distribution ports, Erlang cookie, config, mnesia and log directories in
 * a temporary folder, no plugins. Stopping it never touches the shared broker; a restart keeps its
 * durable queues and persistent messages.
 */
export async function startRabbitmqInstance(): Promise<RabbitmqInstance> {
  const [port, distPort] = await Promise.all([freePort(), freePort()]);
  const base = await mkdtemp(join(tmpdir(), 'flotilla-rabbitmq-'));
  const home = join(base, 'home');
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(join(home, '.erlang.cookie'), randomBytes(20).toString('hex'), { mode: 0o400 });
  await chmod(join(home, '.erlang.cookie'), 0o400);
  const password = randomBytes(18).toString('base64url');
  await writeFile(
    join(base, 'rabbitmq.conf'),
    [
      `listeners.tcp.default = 127.0.0.1:${port}`,
      'default_vhost = /',
      'default_user = flotilla',
      `default_pass = ${password}`,
      'default_permissions.configure = .*',
      'default_permissions.read = .*',
      'default_permissions.write = .*',
      'log.console = true',
      'log.console.level = warning',
      'log.file = false',
      'disk_free_limit.absolute = 50MB',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  await writeFile(join(base, 'enabled_plugins'), '[].\n');
  const node = `flotilla-test-${randomBytes(4).toString('hex')}@localhost`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(base, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(base, 'rabbitmq-env.conf'),
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(base, 'log'),
    RABBITMQ_PID_FILE: join(base, 'node.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_CRASH_DUMP: join(base, 'erl_crash.dump'),
  };
  const url = `amqp://flotilla:${password}@127.0.0.1:${port}/`;
  let child: ChildProcess | undefined;
  let output = '';

  async function accepts(): Promise<boolean> {
    try {
      const connection = await connect(url, { timeout: 1000 });
      await connection.close();
      return true;
    } catch {
      return false;
    }
  }

  async function start(): Promise<void> {
    const started = spawn(join(SBIN, 'rabbitmq-server'), [], {
      env,
      cwd: base,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.stdout?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child = started;
    const deadline = Date.now() + 60_000;
    while (!(await accepts())) {
      if (started.exitCode !== null) throw new Error(`rabbitmq-server exited: ${output}`);
      if (Date.now() > deadline) throw new Error(`rabbitmq-server did not accept connections: ${output}`);
      await sleep(200);
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running?.pid || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    process.kill(-running.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (running.pid) process.kill(-running.pid, 'SIGKILL');
    }, 20_000);
    await exited;
    clearTimeout(timer);
    // The Erlang VM may outlive the shell wrapper for a moment; wait until the port is closed.
    for (let i = 0; i < 100 && (await accepts()); i += 1) await sleep(100);
  }

  await start();
  return {
    url,
    start,
    stop,
    async close() {
      await stop();
      await rm(base, { recursive: true, force: true });
    },
  };
}
