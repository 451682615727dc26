# ferry in a container: `ferry serve` runs the project's pipelines on their schedules.
#
#   docker build -t ferry .
#   docker run --rm -v "$PWD:/project" -p 9464:9464 --env-file .env ferry
#
# The project (ferry.yaml + pipelines/) is mounted at /project, the working directory. State lives on
# S3 (`state: {kind: s3}`) or, with local state, in a volume at /project/state that uid 1000 can write.
# Health: /healthz and /readyz on FERRY_HEALTH_PORT (default 9464). docs/container.md has the details.
#
# scripts/ci/docker-build-check.ts replays this file's install and build steps outside Docker in CI:
# keep RUN lines to npm/node/ln/mkdir with paths relative to WORKDIR.

ARG NODE_IMAGE=node:22-slim

# --- build: dependencies, TypeScript → dist/, then production dependencies only ----------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin/ bin/
COPY engine/ engine/
COPY schemas/ schemas/
RUN npm run build
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# `ferry` on PATH (ENTRYPOINT): package.json's bin, as `npm install -g` would link it.
RUN ln -s ../../bin/ferry.js node_modules/.bin/ferry

# --- runtime: the built CLI and production node_modules, as the unprivileged `node` user --------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH \
    FERRY_HEALTH_PORT=9464
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY --from=build /app/bin/ bin/
COPY --from=build /app/schemas/ schemas/
# The project is mounted here. state/ exists and belongs to `node`, so a named volume mounted on it
# for local state starts out writable (Docker copies the image's ownership into a new volume).
WORKDIR /project
COPY --chown=node:node state/README.md state/
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FERRY_HEALTH_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["ferry"]
CMD ["serve"]
