/**
 * The providers' queue across consults: who waits where, and its event stream. Admitting and
 * denying stay on the consult's lobby endpoints.
 */
import { createRoute } from '@hono/zod-openapi';
import { forbidden } from '../errors.js';
import * as Q from '../schemas-queue-invites.js';
import * as S from '../schemas.js';
import type { App, RouteDeps } from './shared.js';
import { errorResponses, json, security } from './shared.js';

const list = createRoute({
  method: 'get',
  path: '/api/queue',
  summary: 'Everyone waiting in the consults the provider may act on (providers)',
  security,
  responses: { 200: json(Q.QueueSchema, 'Waiting people, oldest first'), ...errorResponses },
});

const events = createRoute({
  method: 'get',
  path: '/api/queue/events',
  summary:
    'Server-Sent Events of the queue (QueueServerEventMap: `queue`, then `queue-consult`); a resumed stream starts with `queue` (providers)',
  security,
  responses: {
    200: {
      content: { 'text/event-stream': { schema: { type: 'string' } } },
      description: 'Event stream',
    },
    ...errorResponses,
    429: json(S.ErrorSchema, 'Too many open streams (`rate-limited`)'),
  },
});

export function registerQueueRoutes(app: App, deps: RouteDeps): void {
  const { services } = deps;

  const provider = async (request: Request) => {
    const user = await services().access.authenticate(request);
    if (user.role !== 'provider') throw forbidden('Only providers may do this.');
    return user;
  };

  app.openapi(list, async (c) => {
    const user = await provider(c.req.raw);
    return c.json({ waiting: await services().queue.list(user, c.get('ip')) }, 200);
  });

  app.openapi(events, async (c) => {
    const user = await provider(c.req.raw);
    return services().queue.open(user, c.get('ip'), c.req.raw.signal);
  });
}
