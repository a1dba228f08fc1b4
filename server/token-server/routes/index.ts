/**
 * Every route of the token server, registered in one place: `createTokenServer` (app.ts) builds the
 * services and the middleware, then hands this the pieces the routes need.
 */
import type { DemoAuth } from '../auth.js';
import type { Logger } from '../logger.js';
import type { MetricsEndpoint } from '../metrics.js';
import { noMetrics } from '../metrics.js';
import type { ResolvedOptions, TokenServerOptions } from '../options.js';
import { RateLimiter } from '../rate-limit.js';
import type { MediaServer } from '../services/media-server.js';
import type { PrecheckService } from '../services/precheck.js';
import { registerAuditExportRoutes } from './audit-export.js';
import { registerAuthRoutes } from './auth.js';
import { registerChatRoutes } from './chat.js';
import { registerConsultRoutes } from './consult.js';
import { registerHealthRoutes, registerOpenApiDoc } from './health.js';
import { registerInviteRoutes } from './invites.js';
import { registerLiveKitWebhookRoute } from './livekit-webhook.js';
import { registerLobbyRoutes } from './lobby.js';
import { registerPrecheckRoutes } from './precheck.js';
import { registerQueueRoutes } from './queue.js';
import { registerRecordingRoutes } from './recordings.js';
import type { App, RouteDeps } from './shared.js';
import { registerWebhookRoutes } from './webhooks.js';

export interface RouteWiring {
  cfg: ResolvedOptions;
  options: TokenServerOptions;
  deps: RouteDeps;
  ov: MediaServer;
  logger: Logger;
  /** Demo sign-in (`POST /api/auth/login`), only in demo mode. */
  demo: DemoAuth | undefined;
  /** The pre-call test service; undefined when `precheck: false`. */
  precheck: PrecheckService | undefined;
  /** The metrics endpoint, once loaded; undefined while off. */
  metrics(): MetricsEndpoint | undefined;
  /** Resolves when the database answers a trivial query (`GET /ready`). */
  pingDatabase(): Promise<void>;
}

export function registerRoutes(app: App, w: RouteWiring): void {
  const { cfg, options, deps } = w;
  const loginLimiter = (): RateLimiter => new RateLimiter({ capacity: 10, refillPerSecond: 0.2 });
  if (w.demo) registerAuthRoutes(app, { demo: w.demo, limiter: loginLimiter() });
  registerLobbyRoutes(app, {
    ...deps,
    limiter: options.rateLimit === false ? undefined : new RateLimiter(options.rateLimit),
  });
  // Pre-call tests: throwaway sessions, no consultation (precheck.ts); `precheck: false` removes them.
  if (w.precheck)
    registerPrecheckRoutes(app, {
      ...deps,
      precheck: w.precheck,
      options: options.precheck === false ? {} : (options.precheck ?? {}),
    });
  registerQueueRoutes(app, deps);
  registerInviteRoutes(app, {
    ...deps,
    limiter: options.rateLimit === false ? undefined : loginLimiter(),
  });
  registerRecordingRoutes(app, deps);
  registerChatRoutes(app, deps);
  registerConsultRoutes(app, deps);
  registerAuditExportRoutes(app, deps);
  registerWebhookRoutes(app, { ...deps, metrics: () => w.metrics() ?? noMetrics });
  if (cfg.livekit)
    registerLiveKitWebhookRoute(app, {
      ...deps,
      apiKey: cfg.livekit.apiKey,
      apiSecret: cfg.livekit.apiSecret,
      media: w.ov,
      logger: w.logger,
    });
  registerHealthRoutes(app, {
    ov: w.ov,
    openviduTimeoutMs: cfg.openviduTimeoutMs,
    logger: w.logger,
    pingDatabase: w.pingDatabase,
    metrics: w.metrics,
  });
  registerOpenApiDoc(app);
}
