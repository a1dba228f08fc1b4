# The reference token server as an image (docs/deploying.md, "Containers").
#
#   docker build -t consult-kit-token-server .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://… -e OPENVIDU_URL=… -e OPENVIDU_SECRET=… consult-kit-token-server
#
# The package's Node side declares its server libraries (hono, PGlite, pg, jose, prom-client, …) as
# optional peer dependencies, so `npm ci --omit=dev` on the package itself installs none of them.
# The image therefore installs them from deploy/token-server/package.json (pinned, with its own lock)
# and puts the packed package next to them.

# ── build: the package as npm would publish it ──
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm pack --pack-destination /tmp/pack && mv /tmp/pack/consult-kit-*.tgz /tmp/pack/consult-kit.tgz

# ── runtime: the server's dependencies, the package, a non-root user ──
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY deploy/token-server/package.json deploy/token-server/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /tmp/pack/consult-kit.tgz /tmp/consult-kit.tgz
RUN mkdir -p node_modules/consult-kit && tar -xzf /tmp/consult-kit.tgz -C node_modules/consult-kit --strip-components=1 && rm /tmp/consult-kit.tgz
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "node_modules/consult-kit/bin/consult-kit.mjs", "token-server"]
