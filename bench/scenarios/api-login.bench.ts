/**
 * Login throughput: `POST /api/v1/auth/login` (rate-limit check in Redis, credentials from data-postgres,
 * argon2id verification, refresh token stored in data-postgres, JWT signed) vs a bare node:http server
 * verifying the same argon2id hash (`bench/fixtures/bare-argon2-http.mjs`), both bounded to
 * PASSWORD_HASH_CONCURRENCY hashes at once and driven by wrk with the same connections (a different
 * account's body each request), in rotating rounds. Login is bounded by argon2 by design (19 MiB, t=2,
 * p=1).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { type Algorithm, hash } from '@node-rs/argon2';
import { type BenchProcess, benchFolder, buildWorkspace, startFixture } from '../lib/built-service.js';
import { startHttpStack } from '../lib/http-stack.js';
import { compare, type Measurement, medianOfRounds, type Scenario } from '../lib/measure.js';
import { rotateRounds, wrkMeasurement } from '../lib/rounds.js';
import type { WrkOptions } from '../lib/wrk.js';

const CONNECTIONS = 4;
const HASH_CONCURRENCY = 2;
const ACCOUNTS = 32;
const LOG_LEVEL = process.env.FLOTILLA_BENCH_LOG_LEVEL ?? 'info';

const scenario: Scenario = {
  name: 'api-login',
  description: `api POST /api/v1/auth/login vs a bare node:http server verifying the same argon2id hash (19 MiB, t=2, p=1), PASSWORD_HASH_CONCURRENCY=${HASH_CONCURRENCY} on both sides; wrk, ${CONNECTIONS} connections, ${ACCOUNTS} accounts in turn, rotating rounds, ratio of the medians.`,
  async run({ quick }) {
    buildWorkspace();
    const folder = await benchFolder();
    const stack = await startHttpStack({ logDir: folder.path, logLevel: LOG_LEVEL });
    let bare: BenchProcess | undefined;
    try {
      const password = `bench-password-${randomBytes(6).toString('hex')}`;
      const params = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
      const stored = await hash(password, params);
      const accounts = await stack.seedUsers(ACCOUNTS, stored);
      const api = await stack.startApi('api', {
        PASSWORD_HASH_CONCURRENCY: String(HASH_CONCURRENCY),
        LOGIN_MAX_PER_ACCOUNT: '10000',
        LOGIN_MAX_PER_IP: '1000000',
        TRUST_PROXY: 'true',
      });
      bare = await startFixture(
        'bare-argon2-http.mjs',
        { PATH: process.env.PATH, ARGON2_HASH: stored, HASH_CONCURRENCY: String(HASH_CONCURRENCY) },
        { logDir: folder.path, readyPath: '/ready' },
      );
      const body = (email: string) => JSON.stringify({ email, password });
      const sides: Array<{ label: string; options: Omit<WrkOptions, 'durationSeconds'> }> = [
        {
          label: 'api POST /auth/login',
          options: {
            url: api.url('/api/v1/auth/login'),
            method: 'POST',
            connections: CONNECTIONS,
            // A client address of this run's own: its login counters never touch a running system's.
            headers: {
              'content-type': 'application/json',
              'x-forwarded-for': `10.${randomBytes(3).join('.')}`,
            },
            rotate: accounts.map((account) => ({ path: '/api/v1/auth/login', body: body(account.email) })),
          },
        },
        {
          label: `bare argon2id verify over HTTP, ${HASH_CONCURRENCY} at once`,
          options: {
            url: bare.url('/verify'),
            method: 'POST',
            connections: CONNECTIONS,
            headers: { 'content-type': 'application/json' },
            rotate: accounts.map((account) => ({ path: '/verify', body: body(account.email) })),
          },
        },
      ];
      const round = (side: (typeof sides)[number], seconds: number): Promise<Measurement> =>
        wrkMeasurement(side.label, { ...side.options, durationSeconds: seconds });
      await rotateRounds(1, sides, (side) => round(side, 3));
      const loadBefore = loadavg();
      const [login = [], baseline = []] = await rotateRounds(quick ? 2 : 3, sides, (side) =>
        round(side, quick ? 5 : 10),
      );
      const loadAfter = loadavg();
      const perRound = (rounds: Measurement[]) => rounds.map((entry) => entry.throughput_per_s).join(', ');
      const system = medianOfRounds(login, `${sides[0]?.label} (wrk)`);
      system.rss_mb = api.rssMb();
      return [
        compare(
          'api-login/login',
          scenario.description,
          system,
          medianOfRounds(baseline, `${sides[1]?.label} (wrk)`),
          {
            concurrency: CONNECTIONS,
            notes: [
              'Login throughput is argon2-bound: the rest of the path (Redis, two data-postgres calls, JWT) shows as the gap to the baseline.',
              `Logins/s per round: api ${perRound(login)}; bare ${perRound(baseline)}. Non-200 answers or socket errors: ${login.reduce((sum, entry) => sum + entry.errors, 0)}, ${baseline.reduce((sum, entry) => sum + entry.errors, 0)}. Load average (1 min) ${loadBefore[0]?.toFixed(1)} before the rounds, ${loadAfter[0]?.toFixed(1)} after.`,
            ],
          },
        ),
      ];
    } finally {
      await bare?.stop();
      await stack.stop();
      await folder.remove();
    }
  },
};

export default scenario;
