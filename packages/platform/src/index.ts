/**
 * @packageDocumentation
 * The Flotilla platform kit: everything a service attaches once — typed config, logging, request
 * context, errors, the Fastify bootstrap, health, metrics, graceful shutdown and ids.
 */

export { createSemaphore, type Semaphore, type SemaphoreOptions } from './concurrency/semaphore.js';
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
export { type TelemetryConfig, telemetryEnv, toTelemetryConfig } from './config/telemetry-env.js';
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
  retryAfterWait,
} from './errors/domain-error.js';
export { isInfrastructureFailure } from './errors/infrastructure-failure.js';
export { platformErrors } from './errors/platform-errors.js';
export {
  type FieldError,
  HTTP_STATUS_BY_KIND,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  problemType,
} from './errors/problem.js';
export { fileErrors, idempotencyErrors, pageErrors } from './errors/shared-errors.js';
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
export { mayHaveReachedUpstream } from './http/client/transport-failures.js';
export { type CreateHttpAppOptions, createHttpApp, type HttpApp } from './http/create-http-app.js';
export { installErrorHandling, sendProblem, toFieldErrors, toProblem } from './http/error-handler.js';
export {
  type CommonResponses,
  commonStatusesOf,
  DEFAULT_COMMON_RESPONSES,
  exactOpenApiDocument,
  PROBLEM_SCHEMA_NAME,
} from './http/openapi-contract.js';
export { drainUnreadRequestBodies, type RequestDrainOptions } from './http/request-drain.js';
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
export type { ReconnectOptions } from './messaging/amqp-connection.js';
export {
  DEAD_LETTER_HEADERS,
  type DeliveryInfo,
  type EventHandler,
  type HandlerOutcome,
  type WithTraceContext,
} from './messaging/consumer.js';
export {
  type DeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  type ReplayResult,
  replayDeadLetters,
  showDeadLetter,
} from './messaging/dead-letters.js';
export {
  createEventValidator,
  type EnvelopeCheck,
  type EventEnvelope,
  type EventSchemas,
  type EventValidator,
} from './messaging/event-envelope.js';
export {
  type ConsumeOptions,
  type ConsumerHandle,
  createMessaging,
  type DeclaredQueue,
  type Messaging,
  type MessagingOptions,
} from './messaging/messaging.js';
export { messagingErrors } from './messaging/messaging-errors.js';
export {
  type ConsumeOutcome,
  type DeadLetterReasonKind,
  type MessagingMetrics,
  messagingMetrics,
} from './messaging/messaging-metrics.js';
export {
  ATTEMPT_HEADER,
  type InjectTraceHeaders,
  type PreparedEvent,
  type PublishOptions,
  type TraceHeaders,
} from './messaging/publisher.js';
export {
  type ConsumerTopology,
  deadLetterQueueName,
  type QueueType,
  retryQueueName,
  type TopologyNames,
  workQueueName,
  workQueueOf,
} from './messaging/topology.js';
export { createMetrics, HTTP_DURATION_BUCKETS, type ServiceMetrics } from './metrics/registry.js';
export { createIdempotencyMarkers, type IdempotencyMarkers } from './redis/idempotency-markers.js';
export { createNearCache, type NearCache, type NearCacheOptions } from './redis/near-cache.js';
export { type CreateRedisOptions, createRedis, type RedisConnection } from './redis/redis-client.js';
export { hashKeyPart, type KeyExpiry, redisKey, setExpiring } from './redis/redis-keys.js';
export { createLock, type LockLease, type Locks } from './redis/redis-lock.js';
export {
  type BusinessRuntime,
  type BusinessRuntimeOptions,
  type Closer,
  createBusinessRuntime,
} from './service/business-runtime.js';
export {
  createServiceRuntime,
  readPackageVersion,
  type ServiceRuntime,
  type ServiceRuntimeOptions,
} from './service/service-runtime.js';
export {
  currentTraceFields,
  currentTraceId,
  flushTraces,
  type SpanAttributes,
  withoutSpans,
  withRootSpan,
  withSpan,
} from './tracing/trace-context.js';
