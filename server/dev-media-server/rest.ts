/**
 * The OpenVidu 2.32 REST API (`/openvidu/api/**`) and the recordings file handler, as a Hono app over
 * {@link SessionManager} and {@link RecordingOrchestrator}. Status codes and bodies follow OpenVidu CE,
 * including its empty-body errors and deprecated duplicate fields. This file is wiring: error
 * mapping, CORS and auth; the routes live in `rest/`, one module per area of the API.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { isAllowedOrigin } from './origins.js';
import { registerConnectionRoutes } from './rest/connections.js';
import { registerDevRoutes } from './rest/dev.js';
import type { RestConfig } from './rest/context.js';
import { createRestContext } from './rest/context.js';
import { registerConfigRoutes, registerPublicRoutes, registerSignalRoutes } from './rest/config.js';
import { registerOpenViduRecordingRoutes } from './rest/recordings.js';
import { registerSessionRoutes } from './rest/sessions.js';
import { HttpError } from './errors.js';
import { errorMessage } from '../shared/errors.js';

export type { RestConfig } from './rest/context.js';
export { parseRecordingProperties } from './rest/recordings.js';

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * CORS: with an allow-list only its origins get CORS headers; without one, a loopback server
 * reflects any origin with credentials (local development), and a server reachable from other
 * machines answers `*` without credentials (the API still needs the secret).
 */
function corsMiddleware(cfg: RestConfig): ReturnType<typeof cors> {
  const allowed = cfg.allowedOrigins;
  const shared = {
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Range'],
    exposeHeaders: ['Content-Range', 'Accept-Ranges', 'Content-Length'],
  };
  if (allowed !== undefined) {
    return cors({
      ...shared,
      origin: (origin) => (isAllowedOrigin(origin, allowed) ? origin : null),
    });
  }
  if (cfg.loopback ?? true) {
    return cors({ ...shared, origin: (origin) => origin || '*', credentials: true });
  }
  return cors({ ...shared, origin: '*' });
}

export function createRestApp(cfg: RestConfig): Hono {
  const app = new Hono();
  const ctx = createRestContext(cfg);
  const expectedAuth = `Basic ${Buffer.from(`OPENVIDUAPP:${cfg.secret}`).toString('base64')}`;

  app.onError((err, c) => {
    if (err instanceof HttpError) {
      if (err.body === 'empty') return c.body(null, err.status as 404);
      if (err.body === 'text') return c.text(err.message, err.status as 500);
      return c.json(
        {
          timestamp: Date.now(),
          status: err.status,
          error: REASON[err.status] ?? 'Error',
          message: err.message,
          path: c.req.path,
        },
        err.status as 400,
      );
    }
    cfg.logger.error('rest handler failed', {
      path: c.req.path,
      error: errorMessage(err),
    });
    return c.text('Internal server error', 500);
  });
  app.notFound((c) => c.body(null, 404));
  app.use('*', corsMiddleware(cfg));

  registerPublicRoutes(app, ctx);

  const auth = async (c: Context, next: () => Promise<void>): Promise<Response | void> => {
    if (c.req.method === 'OPTIONS') return next();
    const header = c.req.header('Authorization') ?? '';
    if (!safeEqual(header, expectedAuth)) {
      return c.body(null, 401, { 'WWW-Authenticate': 'Basic realm="OpenVidu"' });
    }
    return next();
  };
  app.use('/openvidu/api/*', auth);
  app.use('/openvidu/recordings/*', auth);

  registerSessionRoutes(app, ctx);
  registerConnectionRoutes(app, ctx);
  registerOpenViduRecordingRoutes(app, ctx);
  registerSignalRoutes(app, ctx);
  registerConfigRoutes(app, ctx);
  registerDevRoutes(app, ctx);
  return app;
}
