/**
 * Getting in: the token endpoint (or a place in the waiting room), the event stream, and the
 * providers' side of the waiting room.
 */
import { createRoute } from '@hono/zod-openapi';
import type { RateLimiter } from '../rate-limit.js';
import * as S from '../schemas.js';
import type { App, RouteDeps } from './shared.js';
import { body, errorResponses, json, security, throwIfLimited } from './shared.js';

const token = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/token',
  summary: 'Get an OpenVidu token, or a place in the waiting room',
  security,
  request: { params: S.ConsultParams, body: body(S.TokenRequestSchema, false) },
  responses: {
    200: json(S.TokenResponseSchema, 'Token'),
    202: json(S.WaitingResponseSchema, 'Waiting for admission'),
    ...errorResponses,
    429: json(S.ErrorSchema, 'Rate limited (`rate-limited`, Retry-After)'),
  },
});

const events = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/events',
  summary: 'Server-Sent Events (ConsultServerEventMap); `Last-Event-ID` resumes',
  security,
  request: { params: S.ConsultParams },
  responses: {
    200: {
      content: { 'text/event-stream': { schema: { type: 'string' } } },
      description: 'Event stream',
    },
    ...errorResponses,
    429: json(S.ErrorSchema, 'Too many open streams (`rate-limited`)'),
  },
});

const lobby = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/lobby',
  summary: 'Waiting room (providers)',
  security,
  request: { params: S.ConsultParams },
  responses: { 200: json(S.LobbySchema, 'Waiting participants'), ...errorResponses },
});

const admit = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/lobby/{userId}/admit',
  summary: 'Admit a waiting participant (providers)',
  security,
  request: { params: S.LobbyParams, body: body(S.EmptyRequestSchema, false) },
  responses: { 200: json(S.LobbyDecisionSchema, 'Admitted'), ...errorResponses },
});

const deny = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/lobby/{userId}/deny',
  summary: 'Deny a waiting participant (providers)',
  security,
  request: { params: S.LobbyParams, body: body(S.DenyRequestSchema, false) },
  responses: { 200: json(S.LobbyDecisionSchema, 'Denied'), ...errorResponses },
});

export interface LobbyRouteDeps extends RouteDeps {
  /** The token endpoint's limit per user + IP; undefined when disabled. */
  limiter: RateLimiter | undefined;
}

export function registerLobbyRoutes(app: App, deps: LobbyRouteDeps): void {
  const { services, limiter } = deps;

  app.openapi(token, async (c) => {
    const { consultId } = c.req.valid('param');
    const requested = c.req.valid('json');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'token');
    if (limiter)
      throwIfLimited(limiter.take(`${user.id}|${c.get('ip')}`), 'Too many token requests.');
    await s.consults.ensureOpen(consultId);
    const result = await s.lobby.join(
      consultId,
      user,
      requested?.displayName,
      c.get('ip'),
      requested?.deviceCheck,
    );
    if ('waiting' in result) return c.json(result.waiting, 202);
    return c.json(result.token, 200);
  });

  app.openapi(events, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = services();
    // Reading creates nothing: a provider may watch a consultation nobody has joined yet (the
    // waiting room), anyone else needs one that exists (404).
    const user = await s.access.check(c.req.raw, consultId, 'events');
    if (user.role !== 'provider') await s.access.requireConsult(consultId);
    // 410 once ended; reading creates no consult row.
    await s.consults.requireOpen(consultId);
    const header = c.req.header('last-event-id');
    const lastEventId =
      header && /^\d{1,15}$/.test(header.trim()) ? Number(header.trim()) : undefined;
    return await s.streams.open(consultId, user, lastEventId, c.req.raw.signal);
  });

  app.openapi(lobby, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = services();
    await s.access.check(c.req.raw, consultId, 'lobby.read', {
      providerOnly: true,
      mustExist: true,
    });
    return c.json({ waiting: await s.lobby.waiting(consultId) }, 200);
  });

  app.openapi(admit, async (c) => {
    const { consultId, userId } = c.req.valid('param');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'lobby.admit', {
      providerOnly: true,
      mustExist: true,
    });
    await s.lobby.admit(consultId, userId, user, c.get('ip'));
    return c.json({ userId, status: 'admitted' as const }, 200);
  });

  app.openapi(deny, async (c) => {
    const { consultId, userId } = c.req.valid('param');
    const reason = c.req.valid('json')?.reason;
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'lobby.deny', {
      providerOnly: true,
      mustExist: true,
    });
    await s.lobby.deny(consultId, userId, reason, user, c.get('ip'));
    return c.json({ userId, status: 'denied' as const }, 200);
  });
}
