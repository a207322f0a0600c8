# One image for every Brine program: master, minion and CLI, built from this repository.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/* \
 && npm install -g pnpm@10
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile && pnpm exec tsc -b && node scripts/bundle.mjs && node scripts/build-console.mjs && pnpm prune --prod --config.ignore-scripts=true

FROM node:20-bookworm-slim
WORKDIR /opt/brine
COPY --from=build /src /opt/brine
RUN ln -s /opt/brine/packages/master/dist/bin/brine-master.js /usr/local/bin/brine-master \
 && ln -s /opt/brine/packages/minion/dist/brine-minion.mjs /usr/local/bin/brine-minion \
 && for b in brine brine-key brine-run brine-call brine-token; do ln -s /opt/brine/packages/cli/dist/bundle/$b.mjs /usr/local/bin/$b; done \
 && chmod +x packages/*/dist/bin/*.js packages/minion/dist/brine-minion.mjs packages/cli/dist/bundle/*.mjs
ENV BRINE_LOG_FORMAT=json
