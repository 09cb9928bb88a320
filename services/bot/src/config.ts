import {
  businessServiceEnv,
  commonEnv,
  loadConfig,
  toBusinessServiceConfig,
  toCommonConfig,
} from '@flotilla/platform';
import { Type } from 'typebox';

/** Every environment variable bot reads, with a default only where one is safe. */
export const BotEnv = Type.Object({
  ...commonEnv(8003),
  ...businessServiceEnv(),
});

/** The parsed configuration of bot. */
export type BotConfig = ReturnType<typeof loadBotConfig>;

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadBotConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(BotEnv, { service: 'bot', ...(source ? { env: source } : {}) });
  return { ...toCommonConfig(env), ...toBusinessServiceConfig(env) };
}
