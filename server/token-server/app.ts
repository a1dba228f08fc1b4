/**
 * The token server as a Hono application: `createTokenServer(options).fetch` mounts in any
 * web-standard host (Node via @hono/node-server, Deno, Bun, workers with a remote database).
 *
 * This file is wiring only: it resolves the options, opens the database, builds the services
 * (`services/`) and mounts the middleware and the route modules (`routes/`), in the order that
 * fixes the OpenAPI document's order.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { configureAuth } from './authorize.js';
import type { Db } from './db.js';
import { migrate, openPgliteDb } from './db.js';
import { openPostgresDb } from './db-postgres.js';
import { ApiError, errorMessage } from './errors.js';
import { EventHub } from './events.js';
import type { Logger } from './logger.js';
import { createJsonLogger } from './logger.js';
import { LiveKitMediaServer } from './livekit-server.js';
import type { MetricsEndpoint } from './metrics.js';
import { createMetrics, noMetrics, resolveMetricsToken } from './metrics.js';
import { OpenViduClient } from './openvidu-client.js';
import type { ResolvedOptions, TokenServerOptions } from './options.js';
import { resolveOptions } from './options.js';
import { registerRoutes } from './routes/index.js';
import { createApp, mountMiddleware } from './routes/middleware.js';
import type { Env } from './routes/shared.js';
import type { Services } from './services/index.js';
import { createServices } from './services/index.js';
import type { MediaServer } from './services/media-server.js';
import { webhookAuthorized } from './services/webhooks.js';
import { PrecheckService } from './services/precheck.js';
import type { PurgeReport } from './services/retention.js';
import { resolveRetention } from './services/retention.js';
import { Store } from './store.js';

export { mapRecordingStatus } from './services/recording-status.js';

export interface TokenServer {
  /** The Hono application (add routes or middleware before serving). */
  app: OpenAPIHono<Env>;
  /** Web-standard fetch handler; waits for the database on the first requests; counts requests in flight for {@link close}. */
  fetch: (request: Request, env?: unknown) => Promise<Response>;
  /** Resolves once the database is open and migrated. */
  ready(): Promise<void>;
  /**
   * Graceful shutdown: answers new requests 503, ends open event streams with a short `retry:`,
   * waits for requests in flight (`drainTimeoutMs`), then closes the database (when it opened it).
   */
  close(): Promise<void>;
  /** The store (tests, admin tooling). */
  store(): Store;
  /** Runs the retention purge now (it also runs every `retention.intervalMs`). */
  purge(): Promise<PurgeReport>;
}

/** The `retry:` (ms) sent to event streams when an instance shuts down. */
export const SHUTDOWN_RETRY_MS = 500;

const starting = (): ApiError => new ApiError(503, 'internal', 'Starting up.');

/** The media server behind the services; nothing else branches on which one it is. */
function createMediaServer(
  cfg: ResolvedOptions,
  tokenTtlSec: number,
  fetchImpl: typeof fetch | undefined,
): MediaServer {
  const common = {
    timeoutMs: cfg.openviduTimeoutMs,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  };
  if (cfg.livekit) return new LiveKitMediaServer({ ...cfg.livekit, tokenTtlSec, ...common });
  return new OpenViduClient({ url: cfg.openviduUrl, secret: cfg.openviduSecret, ...common });
}

/** PostgreSQL when `DATABASE_URL` is set, else PGlite (in `dataDir`, or in memory). */
function openDatabase(cfg: ReturnType<typeof resolveOptions>, logger: Logger): Promise<Db> {
  return cfg.database
    ? openPostgresDb({ ...cfg.database, logger })
    : openPgliteDb(cfg.dataDir !== undefined ? { dataDir: cfg.dataDir } : {});
}

export function createTokenServer(options: TokenServerOptions = {}): TokenServer {
  const cfg = resolveOptions(options);
  const env = options.env ?? process.env;
  const retention = resolveRetention(options.retention, env);
  const logger: Logger =
    options.logger ??
    createJsonLogger((env['LOG_LEVEL'] as Parameters<typeof createJsonLogger>[0]) ?? 'info');
  const tokenTtlSec = options.tokenTtlSec ?? 3600;
  const ov = createMediaServer(cfg, tokenTtlSec, options.fetch);
  // Authentication and the binding of users to consults (authorize.ts); throws on bad configuration.
  const { demo, primary, authorize } = configureAuth(options, cfg, logger);
  if (!cfg.webhook && !cfg.livekit)
    logger.warn('no webhook secret: the OpenVidu webhook receiver answers 401');
  // Off unless a token is set; a token too short fails here, a missing prom-client fails `ready()`.
  const metricsToken = resolveMetricsToken(options.metrics, env);
  let metrics: MetricsEndpoint | undefined;

  // Database: opened lazily so `createTokenServer` stays synchronous; the services follow it.
  let db: Db | undefined = options.db;
  let store: Store | undefined;
  let hub: EventHub | undefined;
  let services: Services | undefined;
  const ownsDb = options.db === undefined;
  let closing: Promise<void> | undefined;
  const init = (async () => {
    if (metricsToken)
      metrics = await createMetrics(metricsToken, {
        streams: () => services?.streams.openCount ?? 0,
        pool: () => db?.stats?.(),
      });
    db ??= await openDatabase(cfg, logger);
    if (!ownsDb) await migrate(db);
    store = new Store(db);
    hub = new EventHub(store, logger);
    await hub.start();
    services = createServices({
      store,
      hub,
      ov,
      logger,
      primary,
      demo,
      authorize,
      waitingRoom: options.waitingRoom ?? true,
      requireConsent: options.requireConsent ?? true,
      consentTimeoutMs: options.consentTimeoutMs ?? 30_000,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      tokenTtlSec,
      onTokenIssued: (role) => metrics?.tokenIssued(role),
      retention,
      eventStreamLimits: options.maxEventStreams,
    });
    await services.audit.sealLegacy();
    if (!closing) services.retention.start();
  })();
  init.catch((e: unknown) =>
    logger.error('database initialisation failed', { error: errorMessage(e) }),
  );
  const st = (): Store => {
    if (!store) throw starting();
    return store;
  };
  const deps = {
    services: (): Services => {
      if (!services) throw starting();
      return services;
    },
  };

  const app = createApp(logger);
  mountMiddleware(app, {
    logger,
    trustProxyHops: cfg.trustProxyHops,
    corsOrigins: cfg.corsOrigins,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024,
    ready: init,
    webhookAuthorized: (request) => webhookAuthorized(cfg.webhook, request),
    metrics: () => metrics ?? noMetrics,
  });
  // Pre-call tests: throwaway sessions, no consultation (routes/precheck.ts); `precheck: false` removes them.
  const precheckOptions = options.precheck === false ? undefined : (options.precheck ?? {});
  const precheck = precheckOptions && new PrecheckService({ ov, logger, ...precheckOptions });
  registerRoutes(app, {
    cfg,
    options,
    deps,
    ov,
    logger,
    demo,
    precheck,
    metrics: () => metrics,
    pingDatabase: async () => {
      await init;
      await st().db.query('select 1');
    },
  });

  // Graceful shutdown: refuse new requests, end the event streams with a short `retry:` so clients
  // reconnect (through the load balancer, to another instance) with their Last-Event-ID, wait for
  // the requests in flight, then close the database (`closing` is declared above the database init).
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  return {
    app,
    fetch: async (request, env) => {
      if (closing)
        return Response.json(
          new ApiError(503, 'internal', 'Shutting down; retry on another instance.').body(),
          { status: 503, headers: { Connection: 'close', 'Retry-After': '1' } },
        );
      inFlight++;
      try {
        return await app.fetch(request, env);
      } finally {
        if (--inFlight === 0) drained?.();
      }
    },
    ready: () => init,
    store: st,
    purge: async () => {
      await init;
      return deps.services().retention.purge();
    },
    close() {
      closing ??= (async () => {
        services?.streams.closeAll(SHUTDOWN_RETRY_MS);
        services?.queue.closeAll(SHUTDOWN_RETRY_MS);
        if (inFlight > 0) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((resolve) => {
            drained = resolve;
            timer = setTimeout(resolve, drainTimeoutMs);
          });
          clearTimeout(timer);
          if (inFlight > 0) logger.warn('shutdown: requests still running', { inFlight });
        }
        services?.retention.stop();
        services?.tokens.close();
        await precheck?.close();
        services?.recordings.close();
        ov.close?.();
        await init.catch(() => undefined);
        await hub?.stop();
        if (ownsDb) await db?.close();
      })();
      return closing;
    },
  };
}
