# acsync as an Airbyte source connector. Build and tag it, then add it in Airbyte as a custom connector
# (Settings → Sources → + New connector → Add a new Docker connector) under the same name and tag:
#
#   docker build -t acsync/source-activecampaign:0.1.0 .
#   docker run --rm acsync/source-activecampaign:0.1.0 spec
#
# Keep io.airbyte.version equal to the version in package.json.

# Build stage: the TypeScript build needs the devDependencies.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped: `prepare` would build before the sources are copied, and only esbuild (a dev tool, not
# used by the build) has an install script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

# Runtime stage: the compiled program and the production dependencies only.
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /airbyte/integration_code
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node

# Started through its #! line, which sets the memory settings Node reads at start (bin/acsync.js).
ENV AIRBYTE_ENTRYPOINT="/airbyte/integration_code/bin/acsync.js airbyte"
ENTRYPOINT ["/airbyte/integration_code/bin/acsync.js", "airbyte"]

LABEL io.airbyte.name=acsync/source-activecampaign
LABEL io.airbyte.version=0.1.0
