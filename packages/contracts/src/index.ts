/**
 * @packageDocumentation
 * Flotilla's contracts: the TypeBox (JSON Schema) definition of every HTTP endpoint and every
 * event, the single source of validation, TypeScript types, OpenAPI/AsyncAPI and typed clients.
 * Wire format is snake_case.
 */

export * from './clients/data-mongo.client.js';
export * from './clients/data-postgres.client.js';
export * from './events/asyncapi-document.js';
export * from './events/catalog.v1.js';
export * from './events/documents.v1.js';
export * from './events/envelope.v1.js';
export * from './events/media.v1.js';
export * from './events/queues.v1.js';
export * from './events/users.v1.js';
export * from './http/common.v1.js';
export * from './http/data-mongo/analytics.v1.js';
export * from './http/data-mongo/blobs.v1.js';
export * from './http/data-postgres/documents.v1.js';
export * from './http/data-postgres/media-jobs.v1.js';
export * from './http/data-postgres/outbox.v1.js';
export * from './http/data-postgres/refresh-tokens.v1.js';
export * from './http/data-postgres/users.v1.js';
