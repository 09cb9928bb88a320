import {
  businessServiceEnv,
  commonEnv,
  loadConfig,
  toBusinessServiceConfig,
  toCommonConfig,
} from '@flotilla/platform';
import { Type } from 'typebox';

/** Every environment variable api reads, with a default only where one is safe. */
export const ApiEnv = Type.Object({
  ...commonEnv(8000),
  ...businessServiceEnv(),
});

/** The parsed configuration of api. */
export type ApiConfig = ReturnType<typeof loadApiConfig>;

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadApiConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(ApiEnv, { service: 'api', ...(source ? { env: source } : {}) });
  return { ...toCommonConfig(env), ...toBusinessServiceConfig(env) };
}
