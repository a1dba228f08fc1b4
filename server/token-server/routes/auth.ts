/**
 * `POST /api/auth/login`: the demo login (mounted in demo mode only).
 */
import { createRoute } from '@hono/zod-openapi';
import type { DemoAuth } from '../auth.js';
import { cleanDisplayName } from '../display-name.js';
import { unauthorized } from '../errors.js';
import type { RateLimiter } from '../rate-limit.js';
import * as S from '../schemas.js';
import type { App } from './shared.js';
import { body, errorResponses, json, throwIfLimited } from './shared.js';

const login = createRoute({
  method: 'post',
  path: '/api/auth/login',
  summary: 'Demo login (demo mode only)',
  request: { body: body(S.LoginRequestSchema, true) },
  responses: {
    200: json(S.LoginResponseSchema, 'Access token'),
    400: errorResponses[400],
    401: errorResponses[401],
    429: json(S.ErrorSchema, 'Too many attempts'),
  },
});

export function registerAuthRoutes(app: App, deps: { demo: DemoAuth; limiter: RateLimiter }) {
  const { demo, limiter } = deps;
  app.openapi(login, async (c) => {
    throwIfLimited(limiter.take(c.get('ip')), 'Too many attempts.');
    const { username, password } = c.req.valid('json');
    const user = demo.find(username, password);
    if (!user) throw unauthorized('Wrong user name or password.');
    const issued = await demo.issue(user);
    return c.json(
      {
        ...issued,
        user: {
          id: user.id,
          displayName: cleanDisplayName(user.displayName) ?? user.id,
          role: user.role,
        },
      },
      200,
    );
  });
}
