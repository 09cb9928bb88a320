import type { InfraConfig } from './config.js';
import type { PidRecord, ProcessSpec } from './processes.js';
import type { InfraSecrets } from './secrets.js';

/** What every component step gets: parsed config, secrets, and a way to report progress. */
export interface InfraContext {
  config: InfraConfig;
  secrets: InfraSecrets;
  /** Prints a progress line for a long step (installs, first start). */
  progress: (component: string, message: string) => void;
  /** `up --observability`: Jaeger and Prometheus run, and the gateway exports its spans to Jaeger. */
  observability?: boolean;
}

/**
 * One piece of local infrastructure (a server), described by what the generic `up`, `down` and
 * `status` steps need: how to check it, install it, start it, and stop it.
 */
export interface Component {
  /** Short name used in output, pid and log file names. */
  readonly name: string;
  /** Key of its URL in `.data/infra.env` (and the variable naming an existing server). */
  readonly urlVar: string;
  /** Whether `urlVar` in the environment may point at a server this script did not start. */
  readonly acceptsExternal: boolean;
  /** Components that must be provided before this one (e.g. FerretDB stores its data in PostgreSQL). */
  readonly after?: readonly string[];
  /** Variables choosing the local server's ports, named in error messages. */
  readonly portVars: readonly string[];
  /** How long a fresh start may take before giving up. */
  readonly startTimeoutMs: number;
  /** Ports the local server listens on. */
  ports(ctx: InfraContext): number[];
  /** URL of the local server, credentials included. */
  localUrl(ctx: InfraContext): string;
  /** Entries besides `urlVar` for `.data/infra.env` (e.g. the management URL), or none. */
  extraEnv?(ctx: InfraContext, external: boolean): Record<string, string | undefined>;
  /** A real protocol check against the server at `url` with its credentials. */
  isReady(ctx: InfraContext, url: string): Promise<boolean>;
  /** The version the server at `url` reports. */
  version(ctx: InfraContext, url: string): Promise<string>;
  /** Installs what is missing (packages, binaries, virtualenvs). */
  install(ctx: InfraContext): Promise<void>;
  /** Writes config files and data directories, and describes the process to start. */
  prepare(ctx: InfraContext): Promise<ProcessSpec>;
  /**
   * What the running server was started with (e.g. its storage backend), recorded with its pid: a
   * server of ours started with another signature is restarted instead of reused.
   */
  signature?(ctx: InfraContext): string;
  /** A check that a fresh process answers before its users exist (defaults to `isReady`). */
  isStarted?(ctx: InfraContext): Promise<boolean>;
  /** Creates users, databases and passwords once a fresh process answers. */
  initialize?(ctx: InfraContext): Promise<void>;
  /** Brings a reused local server up to date (e.g. reloads a regenerated config). */
  refresh?(ctx: InfraContext, record: PidRecord): Promise<void>;
  /** Stops the local server; the default sends `stopSignal` (SIGTERM) to its process group. */
  stop?(ctx: InfraContext, record: PidRecord): Promise<void>;
  /** Signal that makes the server shut down cleanly and quickly. */
  readonly stopSignal?: NodeJS.Signals;
  /** Runs after the server stopped (e.g. stops a helper daemon started for it). */
  afterStop?(ctx: InfraContext): Promise<void>;
}

/** A component that cannot be provided, with what to do about it. */
export class ComponentError extends Error {
  constructor(
    readonly component: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Hint naming the variables that point the system at an existing server or choose other ports. */
export function existingServerHint(component: Component): string {
  const ports = component.portVars.join(' / ');
  if (!component.acceptsExternal) return `set ${ports} to use other ports`;
  return `set ${component.urlVar} to use an existing server, or ${ports} to use other ports`;
}
