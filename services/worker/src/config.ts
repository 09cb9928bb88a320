import {
  businessServiceEnv,
  commonEnv,
  loadConfig,
  toBusinessServiceConfig,
  toCommonConfig,
} from '@flotilla/platform';
import { Type } from 'typebox';

/** Every environment variable worker reads, with a default only where one is safe. */
export const WorkerEnv = Type.Object({
  ...commonEnv(8004),
  ...businessServiceEnv(),
});

/** The parsed configuration of worker. */
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadWorkerConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(WorkerEnv, { service: 'worker', ...(source ? { env: source } : {}) });
  return { ...toCommonConfig(env), ...toBusinessServiceConfig(env) };
}
