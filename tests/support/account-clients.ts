import { randomBytes } from 'node:crypto';

/** How one request of a client ended. */
export type RequestEnd =
  /** An HTTP answer. */
  | { kind: string; status: number; body: unknown }
  /**
   * No answer: the connection failed after the request may have reached the api (reset, closed, timed
   * out). Whether it took effect is for the test to find out.
   */
  | { kind: string; status: 'cut'; error: string };

/** What the account clients did, for the test's checks. */
export interface ClientLedger {
  /** Every answer and every cut request, in the order they ended. */
  ends: RequestEnd[];
  /** Emails of every registration sent (answered or cut), with the id when it was answered 201. */
  registrations: Array<{ email: string; username: string; id?: string }>;
  /** Users that answered 201 and logged in: the ones the clients went on with. */
  users: Array<{ id: string; token: string }>;
  /** Profile changes answered 2xx: the user and its version right after (read from the store). */
  patches: Array<{ userId: string; version: number }>;
  /** Job ids of uploads answered 202. */
  jobs: Array<{ userId: string; jobId: string }>;
  /** Requests refused at connect time (the api was down): not sent, sent again. */
  refused: number;
  /** Requests in flight now, by kind. */
  inFlight: Map<string, number>;
}

/** Options of {@link runAccountClients}. */
export interface AccountClientsOptions {
  apiUrl: () => string;
  clients: number;
  /** Rounds per client; each round registers a user, logs it in, then changes its profile and uploads twice. */
  rounds: number;
  photos: readonly Buffer[];
  ledger: ClientLedger;
  /**
   * The stored version of a user, read after each answered profile change (each user is changed by its
   * own client only, one change at a time, so it is the version that change made).
   */
  versionOf: (userId: string) => Promise<number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An empty ledger. */
export function newLedger(): ClientLedger {
  return { ends: [], registrations: [], users: [], patches: [], jobs: [], refused: 0, inFlight: new Map() };
}

/** The socket-level reason of a failed fetch (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`, ...). */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as { name?: string }).name === 'TimeoutError') return 'timeout';
  return cause?.code ?? cause?.message ?? String(error);
}

/**
 * Sends one request of `kind`. A connection refused at connect time never reached the api: it is sent
 * again (after 200 ms) until the api answers or the connection fails later, which counts as cut.
 */
async function send(
  ledger: ClientLedger,
  kind: string,
  request: () => Promise<Response>,
): Promise<RequestEnd> {
  for (;;) {
    ledger.inFlight.set(kind, (ledger.inFlight.get(kind) ?? 0) + 1);
    try {
      const response = await request();
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: kept as text for the report
      }
      const end = { kind, status: response.status, body };
      ledger.ends.push(end);
      return end;
    } catch (error) {
      const reason = reasonOf(error);
      if (reason === 'ECONNREFUSED') {
        ledger.refused += 1;
        await sleep(200);
        continue;
      }
      const end = { kind, status: 'cut' as const, error: reason };
      ledger.ends.push(end);
      return end;
    } finally {
      ledger.inFlight.set(kind, (ledger.inFlight.get(kind) ?? 1) - 1);
    }
  }
}

const json = { 'content-type': 'application/json' };

/** One client: `rounds` times register, log in, then (change the profile, upload a photo) twice. */
async function runClient(options: AccountClientsOptions, client: number): Promise<void> {
  const { ledger } = options;
  const timeout = () => AbortSignal.timeout(30_000);
  for (let round = 0; round < options.rounds; round += 1) {
    const suffix = randomBytes(6).toString('hex');
    const credentials = { email: `kill-${suffix}@example.test`, password: `kill-password-${suffix}` };
    const registration: ClientLedger['registrations'][number] = {
      email: credentials.email,
      username: `kill_${suffix}`,
    };
    ledger.registrations.push(registration);
    const registered = await send(ledger, 'register', () =>
      fetch(`${options.apiUrl()}/api/v1/auth/register`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ ...credentials, username: registration.username }),
        signal: timeout(),
      }),
    );
    if (registered.status !== 201) continue;
    registration.id = (registered.body as { id: string }).id;
    // Logging in has no event: a cut login is simply sent again.
    let token: string | undefined;
    for (let attempt = 0; attempt < 5 && !token; attempt += 1) {
      const login = await send(ledger, 'login', () =>
        fetch(`${options.apiUrl()}/api/v1/auth/login`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify(credentials),
          signal: timeout(),
        }),
      );
      if (login.status === 200) token = (login.body as { access_token: string }).access_token;
    }
    if (!token) throw new Error(`client ${client}: ${credentials.email} could not log in`);
    const userId = registration.id;
    ledger.users.push({ id: userId, token });
    const authorization = `Bearer ${token}`;
    for (let change = 0; change < 2; change += 1) {
      const displayName = `Client ${client} round ${round} change ${change}`;
      const patched = await send(ledger, 'patch', () =>
        fetch(`${options.apiUrl()}/api/v1/users/me`, {
          method: 'PATCH',
          headers: { ...json, authorization },
          body: JSON.stringify({ display_name: displayName }),
          signal: timeout(),
        }),
      );
      if (patched.status === 200) ledger.patches.push({ userId, version: await options.versionOf(userId) });
      const form = new FormData();
      const photo = options.photos[(client + round + change) % options.photos.length] as Buffer;
      form.append('file', new Blob([photo], { type: 'image/jpeg' }), `photo-${round}-${change}.jpg`);
      const uploaded = await send(ledger, 'upload', () =>
        fetch(`${options.apiUrl()}/api/v1/media`, {
          method: 'POST',
          headers: { authorization },
          body: form,
          signal: timeout(),
        }),
      );
      if (uploaded.status === 202) ledger.jobs.push({ userId, jobId: (uploaded.body as { id: string }).id });
    }
  }
}

/**
 * Runs `clients` account clients at once against the api (loopback only, bounded by `rounds`): each
 * registers users, logs them in, changes their profiles and uploads photos, recording in `ledger`
 * what was answered and what was cut. Resolves when every client has done its rounds.
 */
export async function runAccountClients(options: AccountClientsOptions): Promise<void> {
  await Promise.all(Array.from({ length: options.clients }, (_, client) => runClient(options, client)));
}
