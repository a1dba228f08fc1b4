/**
 * `GET /health` (liveness and OpenVidu reachability), `GET /ready` (readiness: the database and
 * OpenVidu both answer), `GET /metrics` (Prometheus, when on) and `GET /api/openapi.json` (this API).
 */
import { createRoute } from '@hono/zod-openapi';
import type { MediaServer } from '../services/media-server.js';
import { ApiError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MetricsEndpoint } from '../metrics.js';
import * as S from '../schemas.js';
import type { App } from './shared.js';
import { json } from './shared.js';

const VERSION = '0.1.0';

const health = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Liveness and OpenVidu reachability',
  responses: { 200: json(S.HealthSchema, 'Alive') },
});

const ready = createRoute({
  method: 'get',
  path: '/ready',
  summary: 'Readiness: the database and OpenVidu both answer (503 otherwise)',
  responses: {
    200: json(S.ReadySchema, 'Ready to serve'),
    503: json(
      S.ErrorSchema,
      'Not ready: `internal` (database) or `openvidu-unavailable`, with `details.database` and `details.openvidu` (`up`/`down`)',
    ),
  },
});

export interface HealthDeps {
  ov: MediaServer;
  openviduTimeoutMs: number;
  logger: Logger;
  /** Resolves when the database (opened and migrated) answers a trivial query. */
  pingDatabase(): Promise<void>;
  /** The metrics endpoint, once loaded; `undefined` while off (404). */
  metrics(): MetricsEndpoint | undefined;
}

export function registerHealthRoutes(app: App, deps: HealthDeps): void {
  app.openapi(health, async (c) => {
    try {
      const latency = await deps.ov.ping(Math.min(2000, deps.openviduTimeoutMs));
      return c.json(
        { status: 'ok' as const, openvidu: 'up' as const, openviduLatencyMs: latency },
        200,
      );
    } catch {
      return c.json({ status: 'ok' as const, openvidu: 'down' as const }, 200);
    }
  });

  // A load balancer takes an instance out of rotation on 503 (database or OpenVidu unreachable,
  // starting up, shutting down) and puts it back once both answer again.
  app.openapi(ready, async (c) => {
    const timeout = Math.min(2000, deps.openviduTimeoutMs);
    const [database, openvidu] = await Promise.allSettled([
      withTimeout(deps.pingDatabase(), timeout),
      deps.ov.ping(timeout),
    ]);
    if (database.status === 'fulfilled' && openvidu.status === 'fulfilled')
      return c.json(
        {
          status: 'ready' as const,
          database: 'up' as const,
          openvidu: 'up' as const,
          openviduLatencyMs: openvidu.value,
        },
        200,
      );
    const details = {
      database: database.status === 'fulfilled' ? 'up' : 'down',
      openvidu: openvidu.status === 'fulfilled' ? 'up' : 'down',
    };
    if (database.status === 'rejected')
      deps.logger.warn('not ready: database', {
        error: errorMessage(database.reason),
        requestId: c.get('requestId'),
      });
    const err =
      database.status === 'rejected'
        ? new ApiError(503, 'internal', 'Not ready: the database does not answer.', { details })
        : new ApiError(503, 'openvidu-unavailable', 'Not ready: OpenVidu does not answer.', {
            details,
          });
    return c.json(err.body(), 503);
  });

  // Not part of the OpenAPI document: Prometheus' text format, for operators, and 404 unless on.
  app.get('/metrics', async (c) => {
    const m = deps.metrics();
    if (!m) return c.json(new ApiError(404, 'not-found', 'No such endpoint.').body(), 404);
    if (!m.authorized(c.req.raw))
      return c.json(
        new ApiError(401, 'unauthorized', 'Metrics need the metrics token.').body(),
        401,
        {
          'WWW-Authenticate': 'Bearer realm="metrics"',
        },
      );
    const { contentType, body } = await m.render();
    return c.body(body, 200, { 'Content-Type': contentType });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Serves the OpenAPI 3.1 document of every route registered on `app`. */
export function registerOpenApiDoc(app: App): void {
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'ConsultKit token server',
      version: VERSION,
      description:
        'Tokens, waiting room, events, consent, recordings, chat history and audit for ConsultKit consultations on OpenVidu 2.32. Errors are `{ error: { code, message, details? } }`.',
    },
  });
}
