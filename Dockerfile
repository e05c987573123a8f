# tutorboard in a container: the JavaScript is built once in a build stage; the image runs it as
# the unprivileged `node` user with the SQLite database on a volume.
#
#   docker build -t tutorboard .
#   docker run -p 1234:1234 -v tutorboard-data:/data --env-file tutorboard.env --stop-timeout 15 tutorboard
#
# tutorboard.env holds JWT_SECRET=… (or JWT_PUBLIC_KEY): NODE_ENV=production refuses to start without one.
# test/ops/dockerfile.test.ts checks what it can of this file without a Docker engine.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY extensions ./extensions
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
# MALLOC_ARENA_MAX: glibc gives each of Node's threads a malloc arena of its own; two keep an idle
# server's memory at ~78 MiB instead of 76–87 MiB depending on how startup went (docs/benchmarks.md).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=1234 \
    DATABASE_PATH=/data/tutorboard.db \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 1234
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 1234) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/tutorboard", "serve"]
