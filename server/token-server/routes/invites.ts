/**
 * Invited guests: providers create, list and revoke a consult's invites; the guest's page
 * redeems one (no portal account) for a guest session credential bound to that consult.
 */
import { createRoute } from '@hono/zod-openapi';
import type { RateLimiter } from '../rate-limit.js';
import * as Q from '../schemas-queue-invites.js';
import * as S from '../schemas.js';
import type { App, RouteDeps } from './shared.js';
import { body, errorResponses, json, security, throwIfLimited } from './shared.js';

const PROVIDERS = { providerOnly: true } as const;

const create = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/invites',
  summary: 'Invite a guest (providers); the secret is in this answer only',
  security,
  request: { params: S.ConsultParams, body: body(Q.CreateInviteRequestSchema, true) },
  responses: {
    201: json(Q.CreateInviteResponseSchema, 'Invite and its single-use secret'),
    ...errorResponses,
  },
});

const list = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/invites',
  summary: "A consult's invites (providers)",
  security,
  request: { params: S.ConsultParams },
  responses: { 200: json(Q.InviteListSchema, 'Invites, oldest first'), ...errorResponses },
});

const revoke = createRoute({
  method: 'delete',
  path: '/api/consults/{consultId}/invites/{inviteId}',
  summary: 'Revoke an invite and end its guest session (providers)',
  security,
  request: { params: Q.InviteParams },
  responses: {
    200: json(Q.InviteSchema, 'The revoked invite'),
    ...errorResponses,
    404: json(S.ErrorSchema, 'No such invite (`invite-not-found`)'),
  },
});

const redeem = createRoute({
  method: 'post',
  path: '/api/invites/redeem',
  summary: 'Exchange an invite secret for a guest session credential (once; no account)',
  request: { body: body(Q.RedeemInviteRequestSchema, true) },
  responses: {
    200: json(Q.InviteRedemptionSchema, 'Guest credential for the invite’s consult'),
    400: errorResponses[400],
    404: json(S.ErrorSchema, 'Unknown invite (`invite-not-found`)'),
    410: json(
      S.ErrorSchema,
      'Used, expired or revoked (`invite-used`, `invite-expired`, `invite-revoked`)',
    ),
    429: json(S.ErrorSchema, 'Too many attempts (`rate-limited`, Retry-After)'),
  },
});

export interface InviteRouteDeps extends RouteDeps {
  /** Redemption attempts per IP; undefined when disabled. */
  limiter: RateLimiter | undefined;
}

export function registerInviteRoutes(app: App, deps: InviteRouteDeps): void {
  const { services, limiter } = deps;

  app.openapi(create, async (c) => {
    const { consultId } = c.req.valid('param');
    const { displayName, expiresInSec } = c.req.valid('json');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'invite.create', PROVIDERS);
    await s.consults.ensureOpen(consultId);
    const created = await s.invites.create(consultId, displayName, expiresInSec, user, c.get('ip'));
    return c.json(created, 201);
  });

  app.openapi(list, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = services();
    await s.access.check(c.req.raw, consultId, 'invite.read', PROVIDERS);
    return c.json({ invites: await s.invites.list(consultId) }, 200);
  });

  app.openapi(revoke, async (c) => {
    const { consultId, inviteId } = c.req.valid('param');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'invite.revoke', PROVIDERS);
    return c.json(await s.invites.revoke(consultId, inviteId, user, c.get('ip')), 200);
  });

  app.openapi(redeem, async (c) => {
    const { secret } = c.req.valid('json');
    if (limiter) throwIfLimited(limiter.take(c.get('ip')), 'Too many invite attempts.');
    return c.json(await services().invites.redeem(secret, c.get('ip')), 200);
  });
}
