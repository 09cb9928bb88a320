import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { amqpHandshake } from '../infra/server-probes.js';

// Runs against the RabbitMQ node `npm run infra -- up` already started.
const url = process.env.RABBITMQ_URL;
if (!url) throw new Error('RABBITMQ_URL is not set: run `npm run infra -- up`');

describe('AMQP handshake probe', () => {
  it('logs in with the URL and reports the server', async () => {
    await expect(amqpHandshake(url)).resolves.toMatchObject({ product: 'RabbitMQ', authenticated: true });
  });

  it('reports a refused login as a server that answered, not as a server that is down', async () => {
    const wrong = new URL(url);
    wrong.password = 'not-the-password';
    await expect(amqpHandshake(wrong.toString())).resolves.toMatchObject({ authenticated: false });
  });

  it('rejects when nothing speaks AMQP at the address', async () => {
    const silent = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      await expect(amqpHandshake(`amqp://u:p@127.0.0.1:${port}`, 1000)).rejects.toThrow();
    } finally {
      silent.close();
    }
  });
});
