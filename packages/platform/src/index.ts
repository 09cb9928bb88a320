/**
 * @packageDocumentation
 * The Flotilla platform kit: everything a service attaches once — typed config, logging, request
 * context, errors, the Fastify bootstrap, health, metrics, graceful shutdown and ids.
 */

export {
  type BusinessServiceConfig,
  businessServiceEnv,
  toBusinessServiceConfig,
} from './config/business-env.js';
export {
  AmqpUrl,
  type CommonConfig,
  commonEnv,
  HttpUrl,
  LogLevel,
  Port,
  parseServiceTokens,
  RedisUrl,
  Secret,
  ServiceTokens,
  toCommonConfig,
} from './config/common.js';
export { ConfigError, type ConfigIssue, type LoadConfigOptions, loadConfig } from './config/load-config.js';
export {
  enterContext,
  getContext,
  getRequestId,
  REQUEST_ID_HEADER,
  type RequestContext,
  resolveRequestId,
  runWithContext,
} from './context/request-context.js';
export {
  DomainError,
  type DomainErrorOptions,
  defineErrors,
  type ErrorDefinition,
  type ErrorKind,
  isDomainError,
} from './errors/domain-error.js';
export { platformErrors } from './errors/platform-errors.js';
export {
  type FieldError,
  HTTP_STATUS_BY_KIND,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  problemType,
} from './errors/problem.js';
export {
  type CheckResult,
  createHealth,
  type Health,
  type HealthCheck,
  type ReadinessReport,
} from './health/health.js';
export {
  isUpstreamHttpError,
  serviceClientErrors,
  UpstreamHttpError,
  type UpstreamHttpErrorInit,
  type UpstreamProblem,
} from './http/client/client-errors.js';
export type {
  BreakerOptions,
  CircuitStateName,
  JsonRequestOptions,
  QueryValue,
  RetryOptions,
  ServiceClient,
  ServiceClientOptions,
  ServiceHttpMethod,
  ServiceRequest,
  ServiceResponse,
  ServiceStreamResponse,
} from './http/client/client-options.js';
export { createServiceClient } from './http/client/service-client.js';
export { type CreateHttpAppOptions, createHttpApp, type HttpApp } from './http/create-http-app.js';
export { installErrorHandling, sendProblem, toFieldErrors, toProblem } from './http/error-handler.js';
export { installServiceAuth, type ServiceAuthOptions } from './http/service-auth.js';
export { isUuid, newId } from './ids/uuid.js';
export { boot, EXIT_CONFIG } from './lifecycle/boot.js';
export {
  type CreateShutdownOptions,
  createShutdown,
  handleProcessSignals,
  type Shutdown,
  type ShutdownHook,
} from './lifecycle/shutdown.js';
export { type StartHttpServiceOptions, startHttpService } from './lifecycle/start-http-service.js';
export {
  type CreateLoggerOptions,
  createLogger,
  type Logger,
  maskSecrets,
  REDACTED_PATHS,
} from './logging/logger.js';
export { createMetrics, HTTP_DURATION_BUCKETS, type ServiceMetrics } from './metrics/registry.js';
export {
  createServiceRuntime,
  readPackageVersion,
  type ServiceRuntime,
  type ServiceRuntimeOptions,
} from './service/service-runtime.js';
