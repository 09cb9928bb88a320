import { ConfigError } from '../config/load-config.js';

/** Exit code for a configuration error (sysexits' EX_CONFIG): supervisors should not restart-loop on it. */
export const EXIT_CONFIG = 78;

/**
 * Runs a service's `main`. A configuration error is printed as one readable message listing every
 * problem and exits with {@link EXIT_CONFIG}; any other start-up failure is printed and exits 1.
 */
export function boot(main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`start-up failed: ${message}\n`);
    process.exit(1);
  });
}
