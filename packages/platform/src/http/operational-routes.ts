import { Type } from 'typebox';
import type { Health } from '../health/health.js';
import type { ServiceMetrics } from '../metrics/registry.js';
import type { HttpApp } from './types.js';

const CheckResultSchema = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latency_ms: Type.Number(),
  error: Type.Optional(Type.String()),
});

const ReadinessSchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready'), Type.Literal('shutting_down')]),
  service: Type.String(),
  checks: Type.Record(Type.String(), CheckResultSchema),
});

/** Registers `/health/live`, `/health/ready` and `/metrics` (hidden from the OpenAPI document). */
export function registerOperationalRoutes(
  app: HttpApp,
  options: { service: string; version: string; health: Health; metrics: ServiceMetrics },
): void {
  app.get(
    '/health/live',
    {
      schema: {
        hide: true,
        response: {
          200: Type.Object({ status: Type.Literal('alive'), service: Type.String(), version: Type.String() }),
        },
      },
    },
    async () => ({ status: 'alive' as const, service: options.service, version: options.version }),
  );

  app.get(
    '/health/ready',
    { schema: { hide: true, response: { 200: ReadinessSchema, 503: ReadinessSchema } } },
    async (_request, reply) => {
      const report = await options.health.readiness();
      reply.status(report.status === 'ready' ? 200 : 503);
      return { ...report, service: options.service };
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
}
