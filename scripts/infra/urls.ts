const DEFAULT_PORTS: Record<string, number> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'redis:': 6379,
  'mongodb:': 27017,
  'amqp:': 5672,
  'http:': 80,
  'https:': 443,
};

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function endpoint(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const host = LOOPBACK.has(parsed.hostname) ? 'loopback' : parsed.hostname;
    const port = parsed.port ? Number(parsed.port) : DEFAULT_PORTS[parsed.protocol];
    return `${host}:${port}`;
  } catch {
    return undefined;
  }
}

/** True when both URLs name the same host and port (loopback names count as one host). */
export function sameServer(a: string, b: string): boolean {
  const left = endpoint(a);
  return left !== undefined && left === endpoint(b);
}

/** Replaces the password of a URL with `****`. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '****';
    return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    return url;
  }
}
