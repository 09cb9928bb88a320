/**
 * Architecture rules, checked by `npm run deps:check` (part of `npm test`).
 * - A service never imports another service.
 * - Business services (api, bot, worker) hold no PostgreSQL or MongoDB driver or query builder:
 *   they reach data only over HTTP through data-postgres and data-mongo.
 * - Packages never import services; no deep imports into another package's internals.
 * - Layers: `domain/` and `application/` know no transport or driver (fastify, amqplib, ioredis, grammy)
 *   and no adapter; a feature module (`modules/<a>`) never imports another (`modules/<b>`).
 * @type {import('dependency-cruiser').IConfiguration}
 */
const DATABASE_DRIVERS =
  '^(pg|pg-pool|pg-native|postgres|kysely|knex|typeorm|sequelize|drizzle-orm|@prisma/client|prisma|mongodb|mongoose|@mikro-orm/.*)$';

module.exports = {
  forbidden: [
    {
      name: 'no-service-to-service-imports',
      severity: 'error',
      comment: 'Services talk through HTTP and events, never by importing each other.',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/([^/]+)/', pathNot: '^services/$1/' },
    },
    {
      name: 'no-database-driver-in-business-services',
      severity: 'error',
      comment: 'api, bot and worker reach PostgreSQL and MongoDB only through the data services.',
      from: { path: '^services/(api|bot|worker)/' },
      to: {
        dependencyTypesNot: ['type-only'],
        path: `(^|/)node_modules/(${DATABASE_DRIVERS.slice(2, -2)})(/|$)`,
      },
    },
    {
      name: 'no-database-driver-in-business-services-by-name',
      severity: 'error',
      comment: 'Same rule, matched on the module name (covers unresolved or type-only imports).',
      from: { path: '^services/(api|bot|worker)/' },
      to: { path: DATABASE_DRIVERS },
    },
    {
      name: 'packages-never-import-services',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^services/' },
    },
    {
      name: 'no-deep-imports-across-packages',
      severity: 'error',
      comment: 'Import a package through its index (its package.json exports), never its internals.',
      from: { path: '^(services|packages)/([^/]+)/' },
      to: { path: '^packages/([^/]+)/src/.+', pathNot: ['^packages/$2/', '^packages/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'no-transport-in-domain-or-application',
      severity: 'error',
      comment:
        'Use cases and domain code speak ports, not HTTP, AMQP, Redis or Telegram: those live in adapters.',
      from: { path: '/(domain|application)/' },
      to: { path: '(^|/)node_modules/(fastify|@fastify/[^/]+|amqplib|ioredis|grammy|@grammyjs/[^/]+)/' },
    },
    {
      name: 'no-adapters-in-domain-or-application',
      severity: 'error',
      comment: 'Dependencies point inwards: adapters use the application, never the other way round.',
      from: { path: '/(domain|application)/' },
      to: { path: '/adapters/' },
    },
    {
      name: 'no-cross-module-imports',
      severity: 'error',
      comment:
        'A feature module stays whole: what two modules share belongs in a package or the service edge.',
      from: { path: '^services/([^/]+)/src/modules/([^/]+)/' },
      to: { path: '^services/$1/src/modules/([^/]+)/', pathNot: '^services/$1/src/modules/$2/' },
    },
    {
      name: 'http-edge-knows-no-module-internals',
      severity: 'error',
      comment:
        "The api's shared HTTP edge (auth, uploads, idempotency) depends on its own types, not on a module's.",
      from: { path: '^services/api/src/http/' },
      to: { path: '^services/api/src/modules/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(packages|services)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.data|\\.cache|node_modules/\\.cache)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.tools.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['flotilla-source', 'import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
