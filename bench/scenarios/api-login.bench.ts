/**
 * Login throughput: `POST /api/v1/auth/login` (rate-limit check in Redis, credentials from data-postgres,
 * argon2id verification, refresh token stored in data-postgres, JWT signed) vs the bare argon2id
 * verification with the same parameters and the same concurrency. Login is bounded by argon2 by design
 * (19 MiB, t=2, p=1, at most PASSWORD_HASH_CONCURRENCY at once).
 */
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { Agent, request } from 'undici';
import { rssMb, startApiSystem } from '../lib/api-system.js';
import { compare, runLoad, type Scenario } from '../lib/measure.js';

const CONCURRENCY = 4;
const HASH_CONCURRENCY = 2;

const scenario: Scenario = {
  name: 'api-login',
  description: `api POST /api/v1/auth/login vs a bare argon2id verify (19 MiB, t=2, p=1), ${CONCURRENCY} concurrent callers, PASSWORD_HASH_CONCURRENCY=${HASH_CONCURRENCY}.`,
  async run({ quick }) {
    const bounds = { maxOperations: quick ? 150 : 2_000, maxMs: quick ? 5_000 : 20_000, warmup: 4 };
    const system = await startApiSystem({
      PASSWORD_HASH_CONCURRENCY: String(HASH_CONCURRENCY),
      LOGIN_MAX_PER_ACCOUNT: '10000',
    });
    const agent = new Agent({ connections: CONCURRENCY });
    try {
      const users: Array<Awaited<ReturnType<typeof system.registerAndLogin>>> = [];
      for (let i = 0; i < 8; i += 1) users.push(await system.registerAndLogin());
      const pick = () => users[Math.floor(Math.random() * users.length)] as (typeof users)[number];
      const login = await runLoad(
        async () => {
          const user = pick();
          const response = await request(`${system.baseUrl}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-for': system.clientIp },
            body: JSON.stringify({ email: user.email, password: user.password }),
            dispatcher: agent,
          });
          await response.body.dump();
          if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
        },
        { label: 'api POST /auth/login', concurrency: CONCURRENCY, ...bounds },
      );
      login.rss_mb = rssMb();

      const params = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
      const stored = await hash('bench-password', params);
      let running = 0;
      const waiting: Array<() => void> = [];
      const baseline = await runLoad(
        async () => {
          // The same bound on concurrent hashes as the api's semaphore.
          if (running >= HASH_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
          else running += 1;
          try {
            if (!(await verify(stored, 'bench-password'))) throw new Error('mismatch');
          } finally {
            const next = waiting.shift();
            if (next) next();
            else running -= 1;
          }
        },
        { label: `argon2id verify, ${HASH_CONCURRENCY} at once`, concurrency: CONCURRENCY, ...bounds },
      );
      return [
        compare('api-login/login', scenario.description, login, baseline, {
          concurrency: CONCURRENCY,
          notes: [
            'Login throughput is argon2-bound: the rest of the path (Redis, two data-postgres calls, JWT) shows as the gap to the baseline.',
          ],
        }),
      ];
    } finally {
      await agent.close();
      await system.stop();
    }
  },
};

export default scenario;
