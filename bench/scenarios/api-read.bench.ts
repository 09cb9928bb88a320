/**
 * api read path, two comparisons in one run:
 * 1. `GET /api/v1/users/me` with an access JWT and a warm profile cache (JWT verification, a Redis GET,
 *    the route's schema and serialization) vs a bare Fastify route answering the same JSON.
 * 2. The same route with the cache dropped before each call (so: JWT, Redis miss, the data-service hop
 *    over HTTP with the service token, a Redis SET) vs calling data-postgres directly with the typed client.
 * Both servers run in this process and are called over loopback HTTP with keep-alive (undici).
 */
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { rssMb, startApiSystem } from '../lib/api-system.js';
import { compare, runLoad, type Scenario } from '../lib/measure.js';

const CONCURRENCY = 16;
const USERS = 20;

const scenario: Scenario = {
  name: 'api-read',
  description: `api GET /api/v1/users/me (JWT + Redis cache hit) vs a bare Fastify route returning the same JSON; and uncached (through data-postgres) vs data-postgres called directly. ${CONCURRENCY} concurrent callers over loopback HTTP keep-alive, ${USERS} users.`,
  async run({ quick }) {
    const bounds = { maxOperations: quick ? 4_000 : 50_000, maxMs: quick ? 5_000 : 20_000, warmup: 200 };
    const system = await startApiSystem();
    const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 });
    const bare = Fastify({ logger: false });
    try {
      const users: Array<Awaited<ReturnType<typeof system.registerAndLogin>>> = [];
      for (let i = 0; i < USERS; i += 1) users.push(await system.registerAndLogin());
      const pick = () => users[Math.floor(Math.random() * users.length)] as (typeof users)[number];
      const profile = await request(`${system.baseUrl}/api/v1/users/me`, {
        headers: { authorization: `Bearer ${users[0]?.accessToken}` },
        dispatcher: agent,
      }).then((response) => response.body.json());

      const getMe = async () => {
        const user = pick();
        const response = await request(`${system.baseUrl}/api/v1/users/me`, {
          headers: { authorization: `Bearer ${user.accessToken}` },
          dispatcher: agent,
        });
        await response.body.dump();
        if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
        return user;
      };

      const cached = await runLoad(getMe, {
        label: 'api GET /users/me (JWT + cache hit)',
        concurrency: CONCURRENCY,
        ...bounds,
      });
      cached.rss_mb = rssMb();

      bare.get('/me', async () => profile);
      const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
      const baseline = await runLoad(
        async () => {
          const response = await request(`${bareUrl}/me`, { dispatcher: agent });
          await response.body.dump();
          if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
        },
        { label: 'bare Fastify route, same JSON', concurrency: CONCURRENCY, ...bounds },
      );

      const redis = system.deps.redis.client;
      const uncached = await runLoad(
        async () => {
          const user = pick();
          await redis.del(`cache:user:${user.id}`);
          const response = await request(`${system.baseUrl}/api/v1/users/me`, {
            headers: { authorization: `Bearer ${user.accessToken}` },
            dispatcher: agent,
          });
          await response.body.dump();
          if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
        },
        {
          label: 'api GET /users/me (cache dropped: data-postgres hop)',
          concurrency: CONCURRENCY,
          ...bounds,
        },
      );
      const direct = await runLoad(
        async () => {
          if (!(await system.deps.dataPostgres.users.get(pick().id))) throw new Error('no user');
        },
        {
          label: 'data-postgres GET /users/:id directly (typed client)',
          concurrency: CONCURRENCY,
          ...bounds,
        },
      );

      return [
        compare('api-read/me-cached', scenario.description, cached, baseline, {
          concurrency: CONCURRENCY,
          notes: [
            'The api adds JWT verification (HS256), a Redis GET, hooks (request id, metrics, logs) and schema serialization.',
          ],
        }),
        compare('api-read/me-uncached', scenario.description, uncached, direct, {
          concurrency: CONCURRENCY,
          notes: [
            'Each uncached call also includes one Redis DEL (to drop the entry) and the Redis GET miss and SET; data-postgres runs as its own process on the same cores.',
          ],
        }),
      ];
    } finally {
      await bare.close();
      await agent.close();
      await system.stop();
    }
  },
};

export default scenario;
