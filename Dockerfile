# syntax=docker/dockerfile:1
#
# One image recipe for the five Flotilla services; the build argument SERVICE picks which one:
#
#   docker build --build-arg SERVICE=api -t flotilla-api .
#   docker run -e ... flotilla-api
#
# SERVICE is one of: api, bot, worker, data-postgres, data-mongo (a folder of services/). Without
# it, or with another name, the last line fails with "invalid reference format" or a failed pull
# of `service-<name>`.
#
# Stages:
#   manifests  root and workspace package.json files plus the lockfile (dependency layers are
#              rebuilt only when dependencies change, not on every source edit)
#   deps       every dependency (`npm ci`), shared by all five builds
#   build      `tsc -b services/$SERVICE` (also compiles the workspace packages it references)
#   prod-deps  production dependencies of SERVICE only (other services' drivers stay out), with the
#              patched dependencies (patches/) taken from deps
#   runtime    prod-deps + compiled output, as the unprivileged `node` user
#   service-*  per-service port; the last stage selects one
#
# PID 1 is tini (an init: it forwards SIGTERM to the service and reaps zombie processes); the
# service handles SIGTERM itself (readiness flips, intake stops, work drains). Before the service,
# infrastructure/docker/entrypoint.sh turns every NAME_FILE variable (Docker/Compose secrets) into
# NAME and refuses to start when such a file is missing or empty. The image holds no secret.

ARG NODE_IMAGE=node:24-bookworm-slim
ARG SERVICE

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# A new workspace package needs its package.json listed here (scripts/test/compose.test.ts checks it).
FROM base AS manifests
COPY package.json package-lock.json .npmrc ./
# Fixes to dependencies, applied by `npm ci` (the root postinstall runs patch-package); see patches/.
COPY patches/ patches/
COPY packages/platform/package.json packages/platform/
COPY packages/contracts/package.json packages/contracts/
COPY packages/knowledge/package.json packages/knowledge/
COPY packages/intake/package.json packages/intake/
COPY packages/identity/package.json packages/identity/
COPY packages/telegram-sandbox/package.json packages/telegram-sandbox/
COPY services/api/package.json services/api/
COPY services/bot/package.json services/bot/
COPY services/worker/package.json services/worker/
COPY services/data-postgres/package.json services/data-postgres/
COPY services/data-mongo/package.json services/data-mongo/

FROM manifests AS deps
RUN --mount=type=cache,target=/root/.npm \
    npm ci

FROM deps AS build
ARG SERVICE
COPY tsconfig.base.json ./
COPY packages/ packages/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN npx tsc -b "services/${SERVICE}"
# Collect what runs in one tree: dist/ of the service and of every workspace package, plus the
# service's migrations/ (SQL files read at run time) when it has some.
RUN mkdir -p /out \
 && for dir in packages/* "services/${SERVICE}"; do \
      for part in dist migrations; do \
        if [ -d "${dir}/${part}" ]; then mkdir -p "/out/${dir}" && cp -R "${dir}/${part}" "/out/${dir}/"; fi; \
      done; \
    done

FROM manifests AS prod-deps
ARG SERVICE
# patch-package (the root postinstall) is a build tool and not installed here, so install scripts are
# skipped (no production dependency needs one) and each patched dependency the service uses is taken,
# patched, from the deps stage (same lockfile, same version).
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=bind,from=deps,source=/app/node_modules,target=/patched \
    npm ci --omit=dev --ignore-scripts --workspace "services/${SERVICE}" \
 && for patch in patches/*.patch; do \
      name="$(basename "$patch" | sed -e 's/+[^+]*\.patch$//' -e 's/+/\//')"; \
      if [ -d "node_modules/$name" ]; then rm -rf "node_modules/$name" && cp -R "/patched/$name" "node_modules/$name"; fi; \
    done

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    SERVICE=${SERVICE}
WORKDIR /app
COPY --chmod=0755 infrastructure/docker/entrypoint.sh /usr/local/bin/docker-entrypoint
# Owned by root and read-only for the service: the process cannot rewrite its own code.
COPY --from=prod-deps /app/ ./
COPY --from=build /out/ ./
# Health probe without curl (slim images have none): exits 0 when GET <path> on this service's
# port answers 2xx within 4 s. `healthcheck /health/ready` checks readiness instead of liveness.
COPY --chmod=0755 <<'EOF' /usr/local/bin/healthcheck
#!/usr/bin/env node
const path = process.argv[2] ?? '/health/live';
fetch(`http://127.0.0.1:${process.env.PORT}${path}`, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
EOF
WORKDIR /app/services/${SERVICE}
USER node
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["healthcheck", "/health/live"]
ENTRYPOINT ["/usr/bin/tini", "--", "docker-entrypoint"]
CMD ["node", "--enable-source-maps", "dist/main.js"]

# Default ports of the services (their config.ts); PORT can still be overridden at run time.
FROM runtime AS service-api
ENV PORT=8000
EXPOSE 8000

FROM runtime AS service-data-postgres
ENV PORT=8001
EXPOSE 8001

FROM runtime AS service-data-mongo
ENV PORT=8002
EXPOSE 8002

FROM runtime AS service-bot
ENV PORT=8003
EXPOSE 8003

# glibc's malloc tuned for libvips (sharp), which allocates image memory from many threads: two arenas
# instead of eight per core, and blocks of 1 MiB or more always mapped on their own (glibc otherwise
# raises that threshold as they are freed and keeps them in the heap), so freed image memory goes back to
# the system instead of fragmenting (worker RSS under load about half).
FROM runtime AS service-worker
ENV PORT=8004
ENV MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=1048576
EXPOSE 8004

FROM service-${SERVICE}
