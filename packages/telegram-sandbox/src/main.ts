import { parseArgs } from 'node:util';
import { generateBotToken } from './bot-state.js';
import { createSandbox } from './sandbox.js';

// `node dist/main.js --port 8081 --token <bot token>`: the launcher starts the sandbox like this when no
// BOT_TOKEN is configured, and gives the bot the same token.
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string' },
  },
});
const token = values.token ?? generateBotToken();
const sandbox = createSandbox({ pageToken: token });
const url = await sandbox.listen(Number(values.port), values.host);
console.log(JSON.stringify({ msg: 'telegram sandbox listening', url, chat_page: `${url}/` }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sandbox.close().then(() => process.exit(0));
  });
}
