/**
 * `POST /api/precheck`: a throwaway media-server session for the pre-call test (no consultation).
 *
 * Patients test their setup days before a visit, often before they have an account or a link that
 * signs them in, so by default the route also answers callers without an access token. Those are
 * limited per client IP (a small burst, then one test every 30 s); signed-in callers per user and
 * IP. A request that carries an access token must carry a valid one (401 otherwise): an expired
 * session is reported, not silently treated as anonymous. `precheck: { anonymous: false }` requires
 * signing in; `precheck: false` removes the route.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { PrecheckTokenResponse } from '../../../src/contract.js';
import { unauthorized } from '../errors.js';
import { RateLimiter, type RateLimitOptions } from '../rate-limit.js';
import * as S from '../schemas.js';
import type { PrecheckService, PrecheckServiceOptions } from '../services/precheck.js';
import type { App, RouteDeps } from './shared.js';
import { body, json, throwIfLimited } from './shared.js';

/** Options of the pre-call test route (`TokenServerOptions.precheck`). */
export interface PrecheckOptions extends PrecheckServiceOptions {
  /** Callers without an access token may run a test (default true), limited per IP. */
  anonymous?: boolean;
  /** Limit per client IP for callers without an access token (default 3 burst, 1 per 30 s). */
  anonymousRateLimit?: RateLimitOptions;
  /** Limit per user + IP for signed-in callers (default 6 burst, 1 per 10 s). */
  rateLimit?: RateLimitOptions;
}

const PrecheckResponseSchema = z
  .object({
    precheckId: z.string(),
    publisherToken: z.string(),
    subscriberToken: z.string(),
    backend: S.TokenResponseSchema.shape.backend,
    serverUrl: S.TokenResponseSchema.shape.serverUrl,
    expiresAt: z.string(),
  })
  .openapi('PrecheckResponse');
true satisfies z.output<typeof PrecheckResponseSchema> extends PrecheckTokenResponse ? true : false;
true satisfies PrecheckTokenResponse extends z.output<typeof PrecheckResponseSchema> ? true : false;

const precheck = createRoute({
  method: 'post',
  path: '/api/precheck',
  summary: 'Start a pre-call test: two tokens of a short-lived session (no consultation needed)',
  description:
    'The access token is optional unless the server requires signing in for tests. The session has no chat and no recording and is closed at `expiresAt`.',
  security: [{ bearerAuth: [] }, {}],
  request: { body: body(S.EmptyRequestSchema, false) },
  responses: {
    200: json(PrecheckResponseSchema, 'Test session tokens'),
    400: json(S.ErrorSchema, 'Invalid request (`invalid-request`)'),
    401: json(S.ErrorSchema, 'Invalid access token, or signing in required (`unauthorized`)'),
    429: json(S.ErrorSchema, 'Rate limited (`rate-limited`, Retry-After)'),
    503: json(S.ErrorSchema, 'OpenVidu unavailable (`openvidu-unavailable`)'),
  },
});

export interface PrecheckRouteDeps extends RouteDeps {
  precheck: PrecheckService;
  options: PrecheckOptions;
}

export function registerPrecheckRoutes(app: App, deps: PrecheckRouteDeps): void {
  const { services, precheck: service, options } = deps;
  const anonymous = options.anonymous ?? true;
  const anonymousLimiter = new RateLimiter(
    options.anonymousRateLimit ?? { capacity: 3, refillPerSecond: 1 / 30 },
  );
  const userLimiter = new RateLimiter(options.rateLimit ?? { capacity: 6, refillPerSecond: 0.1 });

  app.openapi(precheck, async (c) => {
    const s = services();
    const ip = c.get('ip');
    const signedIn = c.req.header('authorization') !== undefined;
    if (!signedIn && !anonymous) throw unauthorized('Sign in to test your setup.');
    const user = signedIn ? await s.access.authenticate(c.req.raw) : undefined;
    const wait = user ? userLimiter.take(`${user.id}|${ip}`) : anonymousLimiter.take(ip);
    throwIfLimited(wait, 'Too many pre-call tests; retry shortly.');
    return c.json(await service.start(user, ip, s.audit), 200);
  });
}
