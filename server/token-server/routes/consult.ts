/**
 * A consultation's administration (providers): its audit trail, removing a participant, and
 * ending it.
 */
import { createRoute } from '@hono/zod-openapi';
import * as S from '../schemas.js';
import type { App, RouteDeps } from './shared.js';
import { body, errorResponses, json, security } from './shared.js';

const audit = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/audit',
  summary: 'Audit trail (providers)',
  security,
  request: { params: S.ConsultParams, query: S.LimitQuery },
  responses: { 200: json(S.AuditListSchema, 'Entries, oldest first'), ...errorResponses },
});

const end = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/end',
  summary: 'End the consultation for everyone (providers)',
  security,
  request: { params: S.ConsultParams, body: body(S.EmptyRequestSchema, false) },
  responses: { 200: json(S.EndedSchema, 'Ended'), ...errorResponses },
});

const remove = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/participants/{userId}/remove',
  summary:
    'Remove a participant (providers): revokes admission, evicts their OpenVidu connections, no new token',
  security,
  request: { params: S.LobbyParams, body: body(S.EmptyRequestSchema, false) },
  responses: { 200: json(S.RemovedSchema, 'Removed'), ...errorResponses },
});

/** `GET …/audit`, `POST …/participants/{userId}/remove` and `POST …/end` (providers). */
export function registerConsultRoutes(app: App, deps: RouteDeps): void {
  app.openapi(audit, async (c) => {
    const { consultId } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    const s = deps.services();
    await s.access.check(c.req.raw, consultId, 'audit.read', {
      providerOnly: true,
      mustExist: true,
    });
    return c.json({ entries: await s.audit.entries(consultId, limit ?? 1000) }, 200);
  });

  app.openapi(remove, async (c) => {
    const { consultId, userId } = c.req.valid('param');
    const s = deps.services();
    const user = await s.access.check(c.req.raw, consultId, 'participant.remove', {
      providerOnly: true,
      mustExist: true,
    });
    await s.consults.requireOpen(consultId);
    await s.lobby.remove(consultId, userId, user, c.get('ip'));
    return c.json({ userId, status: 'removed' as const }, 200);
  });

  app.openapi(end, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = deps.services();
    const user = await s.access.check(c.req.raw, consultId, 'consult.end', {
      providerOnly: true,
      mustExist: true,
    });
    await s.consults.end(consultId, user, c.get('ip'));
    return c.json({ ended: true as const }, 200);
  });
}
