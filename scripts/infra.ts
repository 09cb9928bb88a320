/**
 * Local infrastructure for development and tests, run natively on loopback:
 * PostgreSQL, Redis, RabbitMQ, a MongoDB-wire server (FerretDB), ChromaDB and the nginx gateway.
 *
 *   npm run infra -- up              start what is missing, reuse what runs; writes .data/infra.env
 *   npm run infra -- up --observability   ... and Jaeger + Prometheus (optional: not in CI)
 *   npm run infra -- status          one line per component: state, URL, version
 *   npm run infra -- down [--purge]  stop what `up` started; --purge also deletes .data/
 *   npm run infra -- down <name...>  stop only the named components (as the launcher does on Ctrl-C)
 *
 * Existing servers: POSTGRES_URL, REDIS_URL, MONGO_URL, RABBITMQ_URL (+ RABBITMQ_MANAGEMENT_URL),
 * CHROMA_URL. Ports: POSTGRES_PORT, REDIS_PORT, MONGO_PORT, RABBITMQ_PORT, RABBITMQ_MANAGEMENT_PORT,
 * RABBITMQ_DIST_PORT, CHROMA_PORT, GATEWAY_PORT, API_PORT (gateway upstream, with API_HOST), BOT_PORT
 * (the gateway's /telegram/webhook, with BOT_HOST, an IP address).
 * Tools cache: FLOTILLA_TOOLS_DIR (default ~/.cache/flotilla).
 */
import { infraDown } from './infra/commands/down.js';
import { infraStatus } from './infra/commands/status.js';
import { infraUp } from './infra/commands/up.js';
import { loadInfraConfig } from './infra/config.js';
import { withInfraLock } from './infra/lock.js';
import { ALL_COMPONENTS } from './infra/registry.js';

const USAGE = 'usage: npm run infra -- up [--observability] | status | down [--purge | <component>...]';

async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  const names = new Set(ALL_COMPONENTS.map((component) => component.name));
  const only = command === 'down' ? flags.filter((flag) => names.has(flag)) : [];
  const known = (flag: string) =>
    command === 'down'
      ? flag === '--purge' || names.has(flag)
      : command === 'up' && flag === '--observability';
  const unknown = flags.filter((flag) => !known(flag));
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  const config = loadInfraConfig();
  const locked = (work: () => Promise<number>) =>
    withInfraLock(
      config.runDir,
      (pid) => console.log(`waiting for another infra command (pid ${pid}) to finish`),
      work,
    );
  switch (command) {
    case 'up':
      return locked(() => infraUp(config, flags.includes('--observability')));
    case 'status':
      return infraStatus(config);
    case 'down':
      if (only.length > 0 && flags.includes('--purge')) {
        console.error(`--purge stops everything; it cannot be combined with component names\n${USAGE}`);
        return 2;
      }
      return locked(() => infraDown(config, flags.includes('--purge'), only));
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
