/**
 * Development-only routes under `/openvidu/api/dev/` — not part of OpenVidu's API, protected by the
 * secret like the rest of it. `PUT/GET/DELETE /openvidu/api/dev/impairment` set, list and clear
 * network impairment of the media path (see impairment.ts). Errors answer
 * `{ error: { code, message } }`.
 */
import type { Context, Hono } from 'hono';
import type { ImpairmentRules, LinkImpairment } from '../impairment.js';
import { checkImpairment, ImpairmentError } from '../impairment.js';
import { isValidId } from '../ids.js';
import type { RestContext } from './context.js';

const PATH = '/openvidu/api/dev/impairment';

/** REST body field → knob. */
const FIELDS: Record<string, keyof LinkImpairment> = {
  loss: 'lossPercent',
  delayMs: 'delayMs',
  jitterMs: 'jitterMs',
  rateKbps: 'rateKbps',
};

function bad(c: Context, message: string, status: 400 | 404 = 400): Response {
  return c.json({ error: { code: status === 404 ? 'not-found' : 'bad-request', message } }, status);
}

type Scope = { sessionId?: string; connectionId?: string };

function readScope(source: Record<string, unknown>): Scope | string {
  const scope: Scope = {};
  for (const key of ['sessionId', 'connectionId'] as const) {
    const v = source[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || !isValidId(v)) return `${key} must be a session/connection id`;
    scope[key] = v;
  }
  return scope;
}

async function readJson(c: Context): Promise<Record<string, unknown> | undefined> {
  try {
    const body: unknown = await c.req.json();
    return body && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function registerDevRoutes(app: Hono, ctx: RestContext): void {
  const rules = (): ImpairmentRules | undefined => ctx.cfg.impairments;
  app.get(PATH, (c) => {
    const r = rules();
    return r ? c.json({ rules: r.list() }) : bad(c, 'impairment is not available', 404);
  });
  app.put(PATH, async (c) => {
    const r = rules();
    if (!r) return bad(c, 'impairment is not available', 404);
    const body = await readJson(c);
    if (!body) return bad(c, 'expected a JSON object');
    const scope = readScope(body);
    if (typeof scope === 'string') return bad(c, scope);
    const unknown = Object.keys(body).filter(
      (k) => !(k in FIELDS) && k !== 'sessionId' && k !== 'connectionId',
    );
    if (unknown.length > 0) return bad(c, `unknown field ${unknown.join(', ')}`);
    const impairment: LinkImpairment = { lossPercent: 0, delayMs: 0, jitterMs: 0, rateKbps: 0 };
    for (const [field, knob] of Object.entries(FIELDS)) {
      const v = body[field];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number') return bad(c, `${field} must be a number`);
      impairment[knob] = v;
    }
    try {
      checkImpairment(impairment);
    } catch (error) {
      if (!(error instanceof ImpairmentError)) throw error;
      const knob = Object.entries(FIELDS).find(([, k]) => error.message.startsWith(k))?.[0];
      return bad(c, knob ? error.message.replace(/^\w+/, knob) : error.message);
    }
    if (scope.sessionId && !ctx.cfg.manager.getSession(scope.sessionId))
      return bad(c, `no session ${scope.sessionId}`, 404);
    r.set(scope, impairment);
    return c.json({ rules: r.list() });
  });
  app.delete(PATH, async (c) => {
    const r = rules();
    if (!r) return bad(c, 'impairment is not available', 404);
    const scope = readScope({
      sessionId: c.req.query('sessionId'),
      connectionId: c.req.query('connectionId'),
    });
    if (typeof scope === 'string') return bad(c, scope);
    r.clear(scope);
    return c.json({ rules: r.list() });
  });
}
