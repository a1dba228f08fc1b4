/**
 * `POST /api/openvidu/webhook`: OpenVidu's webhooks (the shared secret is checked by a middleware
 * before the body is parsed, see `app.ts`).
 */
import { createRoute } from '@hono/zod-openapi';
import type { Metrics } from '../metrics.js';
import * as S from '../schemas.js';
import type { App, RouteDeps } from './shared.js';
import { body, errorResponses, invalidRequest, json } from './shared.js';

const webhook = createRoute({
  method: 'post',
  path: '/api/openvidu/webhook',
  summary: 'OpenVidu webhook receiver (shared-secret header)',
  request: { body: body(S.WebhookSchema, true) },
  responses: {
    200: json(S.OkSchema, 'Accepted'),
    400: errorResponses[400],
    401: errorResponses[401],
  },
});

export interface WebhookRouteDeps extends RouteDeps {
  metrics(): Metrics;
}

export function registerWebhookRoutes(app: App, deps: WebhookRouteDeps): void {
  app.openapi(
    webhook,
    async (c) => {
      const ev = c.req.valid('json');
      // OpenVidu's `timestamp` is when the event happened (ms); the lag shows a slow or queued sender.
      if (typeof ev.timestamp === 'number')
        deps.metrics().webhookLag((Date.now() - ev.timestamp) / 1000);
      await deps.services().webhooks.handle(ev);
      return c.json({}, 200);
    },
    (result, c) => {
      if (!result.success)
        return c.json(invalidRequest('Invalid webhook body.', result.error.issues), 400);
      return undefined;
    },
  );
}
