/**
 * `GET /health` (liveness and OpenVidu reachability) and `GET /api/openapi.json` (this API).
 */
import { createRoute } from '@hono/zod-openapi';
import type { MediaServer } from '../services/media-server.js';
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

export function registerHealthRoutes(
  app: App,
  deps: { ov: MediaServer; openviduTimeoutMs: number },
): void {
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
