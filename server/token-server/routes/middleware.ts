/**
 * The Hono application shell: validation and error handling (every error leaves as the contract's
 * `{ error: { code, message, details? } }`), and the middleware every request goes through
 * (client IP, request log, security headers, CORS, body limits, waiting for the database, the
 * webhook secret).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { cors } from 'hono/cors';
import { ApiError, errorMessage, openViduUnavailable, unauthorized } from '../errors.js';
import { limitBody } from '../body-limit.js';
import { clientIp } from '../client-ip.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../request-id.js';
import { OpenViduUnavailableError } from '../openvidu-client.js';
import type { App, Env } from './shared.js';
import { invalidRequest } from './shared.js';

/** An empty application whose validation failures and errors answer in the contract's shape. */
export function createApp(logger: Logger): App {
  const app = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (!result.success)
        return c.json(invalidRequest('The request is invalid.', result.error.issues), 400);
      return undefined;
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return c.json(err.body(), err.status as 400);
    }
    if (err instanceof OpenViduUnavailableError) {
      logger.warn('openvidu unavailable', {
        error: err.message,
        route: c.req.routePath,
        requestId: c.get('requestId'),
      });
      return c.json(openViduUnavailable().body(), 503);
    }
    if (err instanceof HTTPException && err.status < 500) {
      const code = err.status === 413 ? 'payload-too-large' : 'invalid-request';
      const status = err.status === 413 ? 413 : 400;
      return c.json(new ApiError(status, code, err.message || 'Invalid request.').body(), status);
    }
    logger.error('unhandled error', {
      error: errorMessage(err),
      route: c.req.routePath,
      requestId: c.get('requestId'),
    });
    return c.json(new ApiError(500, 'internal', 'Internal error.').body(), 500);
  });
  app.notFound((c) => c.json(new ApiError(404, 'not-found', 'No such endpoint.').body(), 404));
  return app;
}

export interface MiddlewareOptions {
  logger: Logger;
  /** How many proxies in front of the server append to `X-Forwarded-For` (client-ip.ts). */
  trustProxyHops: number;
  corsOrigins: string[];
  /** Largest body of `/api/consults/*` and `/api/auth/*` requests. */
  maxBodyBytes: number;
  /** Resolves once the database is open (requests under `/api/` wait for it). */
  ready: Promise<void>;
  /** Whether a webhook request carries the shared secret. */
  webhookAuthorized(request: Request): boolean;
  /** Where answered requests are counted (the no-op until metrics are loaded, or when off). */
  metrics(): Metrics;
}

/** Mounts the middleware, in order; call before registering routes. */
export function mountMiddleware(app: App, options: MiddlewareOptions): void {
  const { logger, corsOrigins, maxBodyBytes } = options;
  app.use('*', async (c, next) => {
    const started = performance.now();
    const requestId = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', requestId);
    c.set('ip', clientIp(c, options.trustProxyHops));
    // Set before the handler runs, these go into every answer built with `c.json()` & co. as it is
    // built (a route's own `Cache-Control` replaces the default). Setting a header on a finished
    // answer makes Hono copy it into a new `Response` per header, and turns the node adapter's
    // lightweight answer into a full web `Response` (its body then goes through a web stream): a
    // few percent of the token server's CPU per request.
    c.header(REQUEST_ID_HEADER, requestId);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cache-Control', 'no-store');
    await next();
    // An answer a handler built itself (an event stream, a download) did not get them: add them
    // (reading the headers of an answer built by `c.json()` copies nothing).
    const headers = c.res.headers;
    if (headers.get(REQUEST_ID_HEADER) !== requestId) c.header(REQUEST_ID_HEADER, requestId);
    if (!headers.has('X-Content-Type-Options')) c.header('X-Content-Type-Options', 'nosniff');
    if (!headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
    // The route pattern, never the raw path: ids stay out of logs' route field and metric labels.
    const route = c.req.routePath;
    const ms = performance.now() - started;
    options.metrics().request(c.req.method, route, c.res.status, ms / 1000);
    logger.info('request', {
      requestId,
      method: c.req.method,
      route,
      status: c.res.status,
      ms: Math.round(ms),
    });
  });
  if (corsOrigins.length > 0) {
    const any = corsOrigins.includes('*');
    app.use(
      '*',
      cors({
        origin: (origin) => (any || corsOrigins.includes(origin) ? origin : null),
        allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
        allowHeaders: [
          'Authorization',
          'Content-Type',
          'Last-Event-ID',
          'Range',
          'If-Range',
          REQUEST_ID_HEADER,
        ],
        exposeHeaders: [
          'Content-Disposition',
          'Content-Range',
          'Accept-Ranges',
          'Content-Length',
          'Retry-After',
          REQUEST_ID_HEADER,
        ],
        maxAge: 600,
      }),
    );
  }
  // 413 after draining the rest of the body, so keep-alive connections stay usable (body-limit.ts).
  app.use('/api/openvidu/webhook', limitBody({ maxBytes: 256 * 1024 }));
  app.use('/api/livekit/webhook', limitBody({ maxBytes: 256 * 1024 }));
  app.use('/api/consults/*', limitBody({ maxBytes: maxBodyBytes }));
  app.use('/api/auth/*', limitBody({ maxBytes: maxBodyBytes }));
  app.use('/api/*', async (_c, next) => {
    await options.ready;
    await next();
  });
  // The webhook secret is checked before the body is even parsed.
  app.use('/api/openvidu/webhook', async (c, next) => {
    if (!options.webhookAuthorized(c.req.raw)) throw unauthorized('Bad webhook credentials.');
    await next();
  });
}
