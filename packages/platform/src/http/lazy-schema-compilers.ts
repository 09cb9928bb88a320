import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;
type BuildValidator = NonNullable<CompilersFactory['buildValidator']>;
type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>;

/** A compiled validator as Fastify calls it: `false` with `.errors` set on invalid input. */
type Validate = ((data: unknown) => unknown) & { errors?: unknown };
/** What a compilers factory returns: a compiler of one route's schema (`{ schema, method, url, ... }`). */
type Factory = (externalSchemas: unknown, options: unknown) => (route: unknown) => unknown;

/**
 * Fastify's own schema compilers (Ajv for validation, fast-json-stringify for responses), made lazy: a
 * route's validators and serializers are compiled the first time the route needs them, instead of all of
 * them before the service listens. Compiling every route's schemas (request parts, and a serializer per
 * response status, problem responses included) was about a quarter of a data service's start-up CPU, and
 * most of those serializers never run in a process's life (error statuses of routes that rarely fail).
 * What is compiled, with which options, and what a compiled function does are unchanged: only when.
 * A schema that Ajv or fast-json-stringify refuses now fails its route's first use (a 500) rather than
 * the start; the services' tests call every route.
 * `validatorFactory` is the validator compiler to defer (Fastify's Ajv compiler when not given).
 */
export function lazySchemaCompilers(validatorFactory?: BuildValidator): {
  buildValidator: BuildValidator;
  buildSerializer: BuildSerializer;
} {
  const validators = (validatorFactory ?? AjvCompiler()) as unknown as Factory;
  const serializers = SerializerSelector() as unknown as Factory;
  const buildValidator: Factory = (externalSchemas, options) => {
    const compile = validators(externalSchemas, options);
    return (route) => {
      let validate: Validate | undefined;
      const lazy: Validate = (data) => {
        validate ??= compile(route) as unknown as Validate;
        const result = validate(data);
        lazy.errors = validate.errors;
        return result;
      };
      return lazy;
    };
  };
  const buildSerializer: Factory = (externalSchemas, options) => {
    const compile = serializers(externalSchemas, options);
    return (route) => {
      let serialize: ((data: unknown) => string) | undefined;
      return (data: unknown) => {
        serialize ??= compile(route) as (data: unknown) => string;
        return serialize(data);
      };
    };
  };
  return {
    buildValidator: buildValidator as unknown as BuildValidator,
    buildSerializer: buildSerializer as unknown as BuildSerializer,
  };
}
