/**
 * Dead-letter tools for the RabbitMQ queues of Flotilla.
 *
 *   npm run dlq -- list <queue> [--limit N] [--json]   dead letters of <queue> (nothing is removed)
 *   npm run dlq -- show <queue> <id>                    one dead letter (by message id = event id), as JSON
 *   npm run dlq -- replay <queue> [id...] [--limit N]   publish them back to <queue> with the attempt count reset
 *   npm run dlq -- purge <queue> --yes                  delete every dead letter of <queue>
 *
 * <queue> is a work queue (`q.worker.media`) or its dead-letter queue (`q.worker.media.dlq`).
 * The broker is RABBITMQ_URL from the environment, else from `.data/infra.env`.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { maskSecrets } from '../packages/platform/src/logging/logger.js';
import {
  type DeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  showDeadLetter,
} from '../packages/platform/src/messaging/dead-letters.js';
import { readInfraEnv } from './infra/env-file.js';

const USAGE = [
  'usage: npm run dlq -- list <queue> [--limit N] [--json]',
  '       npm run dlq -- show <queue> <id>',
  '       npm run dlq -- replay <queue> [id...] [--limit N]',
  '       npm run dlq -- purge <queue> --yes',
].join('\n');

const repoRoot = join(import.meta.dirname, '..');

function oneLine(letter: DeadLetter): string {
  const reason = (letter.reason ?? '').replace(/\s+/g, ' ');
  return [
    letter.messageId ?? '(no id)',
    letter.eventType ?? '(no type)',
    `attempt=${letter.attempt ?? '?'}`,
    letter.reasonKind ?? '?',
    letter.deadLetteredAt ?? '',
    reason.length > 120 ? `${reason.slice(0, 120)}…` : reason,
  ].join('  ');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
    },
  });
  const [command, queue, ...ids] = positionals;
  if (!command || !queue) {
    console.error(USAGE);
    return 2;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    console.error(`--limit must be a positive integer\n${USAGE}`);
    return 2;
  }
  const url = process.env.RABBITMQ_URL ?? (await readInfraEnv(repoRoot)).RABBITMQ_URL;
  if (!url) {
    console.error('RABBITMQ_URL is not set and .data/infra.env has none (run `npm run infra -- up`)');
    return 78;
  }
  const connection = await connect(url, { clientProperties: { connection_name: 'dlq-cli' } });
  connection.on('error', () => undefined);
  try {
    switch (command) {
      case 'list': {
        const letters = await listDeadLetters(connection, queue, limit ?? 20);
        if (values.json) console.log(JSON.stringify(letters, null, 2));
        else if (letters.length === 0) console.log(`no dead letters in ${queue}`);
        else for (const letter of letters) console.log(oneLine(letter));
        return 0;
      }
      case 'show': {
        const [id] = ids;
        if (!id || ids.length > 1) {
          console.error(USAGE);
          return 2;
        }
        const letter = await showDeadLetter(connection, queue, id);
        if (!letter) {
          console.error(`no dead letter ${id} in ${queue}`);
          return 1;
        }
        console.log(JSON.stringify(letter, null, 2));
        return 0;
      }
      case 'replay': {
        const result = await replayDeadLetters(connection, queue, {
          ...(ids.length > 0 ? { ids } : {}),
          ...(limit === undefined ? {} : { limit }),
        });
        console.log(`replayed ${result.replayed} message(s) to ${queue.replace(/\.dlq$/, '')}`);
        if (result.missing.length > 0) {
          console.error(`not found: ${result.missing.join(', ')}`);
          return 1;
        }
        return 0;
      }
      case 'purge': {
        if (!values.yes) {
          console.error('purge deletes every dead letter of the queue for good; add --yes to confirm');
          return 2;
        }
        const count = await purgeDeadLetters(connection, queue);
        console.log(`purged ${count} message(s)`);
        return 0;
      }
      default:
        console.error(USAGE);
        return 2;
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(maskSecrets(error instanceof Error ? error.message : String(error)));
    process.exitCode = 1;
  },
);
