/**
 * The chat history of a consultation (participants).
 */
import { createRoute } from '@hono/zod-openapi';
import * as S from '../schemas.js';
import type { App, RouteDeps } from './shared.js';
import { errorResponses, json, security } from './shared.js';

const messages = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/messages',
  summary: 'Chat history (participants)',
  security,
  request: { params: S.ConsultParams, query: S.LimitQuery },
  responses: { 200: json(S.MessageListSchema, 'Messages, oldest first'), ...errorResponses },
});

/** `GET …/messages` (the chat history). */
export function registerChatRoutes(app: App, deps: RouteDeps): void {
  app.openapi(messages, async (c) => {
    const { consultId } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    const s = deps.services();
    const user = await s.access.check(c.req.raw, consultId, 'messages.read', { mustExist: true });
    return c.json({ messages: await s.chat.history(consultId, user.id, limit ?? 500) }, 200);
  });
}
