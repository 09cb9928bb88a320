/**
 * @packageDocumentation
 * Flotilla's contracts: the TypeBox (JSON Schema) definition of every HTTP endpoint and every
 * event, the single source of validation, TypeScript types, OpenAPI/AsyncAPI and typed clients.
 * Wire format is snake_case.
 */

export * from './http/common.v1.js';
