/**
 * `npm run migrate -w @flotilla/data-postgres -- [up [--to N] | down [--to N] | status]`
 * (`node dist/migrate.js ...` from a build). Reads POSTGRES_URL. `up` is the default: the launcher runs
 * it before starting the services. `down` without `--to` rolls back the latest migration only;
 * `down --to 0` rolls back everything.
 */
import { parseArgs } from 'node:util';
import { boot } from '@flotilla/platform';
import { loadMigrateConfig } from './config.js';
import { label } from './db/migration-files.js';
import { createMigrator } from './db/migrator.js';

const USAGE = 'usage: migrate [up [--to N] | down [--to N] | status]';
const EX_USAGE = 64;

function fail(message: string): void {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exitCode = EX_USAGE;
}

boot(async () => {
  const { values, positionals } = parseArgs({
    options: { to: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = positionals[0] ?? 'up';
  if (positionals.length > 1 || !['up', 'down', 'status'].includes(command)) {
    return fail(`unknown arguments: ${positionals.join(' ')}`);
  }
  const to = values.to === undefined ? undefined : Number(values.to);
  if (to !== undefined && (!Number.isSafeInteger(to) || to < 0)) return fail('--to takes a version number');
  if (to !== undefined && command === 'status') return fail('status takes no --to');

  const config = loadMigrateConfig();
  const say = (line: string) => {
    if (config.logLevel !== 'silent') process.stdout.write(`${line}\n`);
  };
  const migrator = createMigrator({ connectionString: config.postgresUrl, log: say });

  if (command === 'status') {
    for (const state of await migrator.status()) {
      const where = state.appliedAt ? `applied ${state.appliedAt.toISOString()}` : 'pending';
      const flags = `${state.changed ? ' (file changed since)' : ''}${state.missing ? ' (no file in this build)' : ''}`;
      say(`${label(state.version, state.name)}  ${where}${flags}`);
    }
    return;
  }
  const run = command === 'up' ? await migrator.up(to) : await migrator.down(to);
  const count = run.applied.length + run.rolledBack.length;
  say(count === 0 ? 'migrations: nothing to do' : `migrations: ${command} done (${count})`);
});
