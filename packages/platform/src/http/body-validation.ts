import AjvCompiler from '@fastify/ajv-compiler';

type BuildValidator = ReturnType<typeof AjvCompiler>;

/**
 * Fastify's validator factory with two Ajv instances: the query string, path parameters and headers are
 * text on the wire, so their values are coerced to the schema's types (`?limit=5` is the number 5); a JSON
 * body already carries its types, so it is taken as sent. With one coercing instance for everything, a
 * body's `0`, `false` or `""` became `null` wherever a schema allows null (`telegram_id: 0` was stored as
 * no Telegram id instead of being refused by `minimum: 1`).
 */
export function createValidatorFactory(): BuildValidator {
  const coercing = AjvCompiler();
  const exact = AjvCompiler();
  type Options = Parameters<BuildValidator>[1];
  type Route = Parameters<ReturnType<BuildValidator>>[0];
  const factory = (externalSchemas: Parameters<BuildValidator>[0], options: Options) => {
    const forText = coercing(externalSchemas, options);
    const forBody = exact(externalSchemas, {
      ...options,
      customOptions: { ...options?.customOptions, coerceTypes: false },
    } as Options);
    return (route: Route) =>
      (route as { httpPart?: string }).httpPart === 'body' ? forBody(route) : forText(route);
  };
  return factory as BuildValidator;
}
