/**
 * The chat history of a consultation (participants).
 */
import { createRoute } from '@hono/zod-openapi';
import * as S from '../schemas.js';
import type { App, RouteDeps } from './shared.js';
import { body, errorResponses, json, security } from './shared.js';

const messages = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/messages',
  summary: 'Chat history (participants)',
  security,
  request: { params: S.ConsultParams, query: S.LimitQuery },
  responses: { 200: json(S.MessageListSchema, 'Messages, oldest first'), ...errorResponses },
});

const relay = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/messages',
  summary: 'Relay a sent chat message to the history (SDK, media servers without data webhooks)',
  description:
    'With LiveKit the chat travels in data packets, which LiveKit webhooks do not carry: the SDK ' +
    'posts each message it sent here. The connection must be one of the caller’s in this ' +
    'consultation; the message id makes a repeated post harmless.',
  security,
  request: { params: S.ConsultParams, body: body(S.ChatRelaySchema, true) },
  responses: { 200: json(S.OkSchema, 'Stored (or already stored)'), ...errorResponses },
});

/** `GET …/messages` (the chat history) and `POST …/messages` (relay). */
export function registerChatRoutes(app: App, deps: RouteDeps): void {
  app.openapi(relay, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = deps.services();
    const user = await s.access.check(c.req.raw, consultId, 'messages.read', { mustExist: true });
    await s.chat.relay(consultId, user.id, c.req.valid('json'));
    return c.json({}, 200);
  });
  app.openapi(messages, async (c) => {
    const { consultId } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    const s = deps.services();
    const user = await s.access.check(c.req.raw, consultId, 'messages.read', { mustExist: true });
    return c.json({ messages: await s.chat.history(consultId, user.id, limit ?? 500) }, 200);
  });
}
