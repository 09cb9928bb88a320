import { randomBytes } from 'node:crypto';

/** Passwords of the local servers, generated once and kept in `.data/infra.env`. */
export interface InfraSecrets {
  postgres: string;
  redis: string;
  rabbitmq: string;
}

const SECRET_KEYS: Record<keyof InfraSecrets, string> = {
  postgres: 'POSTGRES_PASSWORD',
  redis: 'REDIS_PASSWORD',
  rabbitmq: 'RABBITMQ_PASSWORD',
};

/** 32 random bytes as hex: safe in URLs, config files and SQL literals without escaping. */
export function generateSecret(): string {
  return randomBytes(32).toString('hex');
}

/** Takes the secrets already in the env file and generates the missing ones. */
export function resolveSecrets(envFile: Record<string, string>): InfraSecrets {
  const pick = (key: keyof InfraSecrets): string => {
    const existing = envFile[SECRET_KEYS[key]];
    return existing && /^[0-9a-f]{32,}$/.test(existing) ? existing : generateSecret();
  };
  return { postgres: pick('postgres'), redis: pick('redis'), rabbitmq: pick('rabbitmq') };
}

/** The env-file entries that keep the secrets. */
export function secretEntries(secrets: InfraSecrets): Record<string, string> {
  return {
    [SECRET_KEYS.postgres]: secrets.postgres,
    [SECRET_KEYS.redis]: secrets.redis,
    [SECRET_KEYS.rabbitmq]: secrets.rabbitmq,
  };
}
