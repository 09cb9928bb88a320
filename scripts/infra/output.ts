const useColor = process.stdout.isTTY === true;
const paint = (code: string, text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);

export const symbols = {
  ok: paint('32', '✔'),
  fail: paint('31', '✖'),
  stopped: paint('90', '○'),
  progress: paint('36', '…'),
};

/** Formats one component line: aligned name and state, then URL, version and timing. */
export function componentLine(symbol: string, name: string, state: string, ...rest: string[]): string {
  return [`${symbol} ${name.padEnd(9)}`, state.padEnd(18), ...rest.filter(Boolean)].join(' ').trimEnd();
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Prints progress lines, and a "still working" line every 30 s while a long step runs. */
export async function withHeartbeat<T>(
  progress: (message: string) => void,
  what: string,
  work: Promise<T>,
  details = '',
): Promise<T> {
  const started = Date.now();
  progress(`${what}${details}`);
  const timer = setInterval(() => progress(`still ${what} (${seconds(Date.now() - started)})`), 30_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
