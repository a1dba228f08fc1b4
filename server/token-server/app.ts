/**
 * The token server as a Hono application: `createTokenServer(options).fetch` mounts in any
 * web-standard host (Node via @hono/node-server, Deno, Bun, workers with a remote database).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import type { z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { cors } from 'hono/cors';
import type {
  ConnectionServerData,
  ConsentState,
  ParticipantRole,
  RecordingInfo,
  TokenResponse,
} from '../../src/contract.js';
import type { AuthenticatedUser } from './auth.js';
import { DemoAuth } from './auth.js';
import { configureAuth } from './authorize.js';
import { limitBody } from './body-limit.js';
import { clientIp } from './client-ip.js';
import type { Db } from './db.js';
import { openPgliteDb } from './db.js';
import {
  ApiError,
  conflict,
  consultNotFound,
  forbidden,
  openViduUnavailable,
  recordingNotFound,
  unauthorized,
} from './errors.js';
import type { SseStream } from './events.js';
import { EventHub, openSseStream } from './events.js';
import type { Logger } from './logger.js';
import { createJsonLogger } from './logger.js';
import type { OpenViduRecording } from './openvidu-client.js';
import { OpenViduClient, OpenViduHttpError, OpenViduUnavailableError } from './openvidu-client.js';
import type { ConsultAction, TokenServerOptions } from './options.js';
import { resolveOptions } from './options.js';
import { RateLimiter } from './rate-limit.js';
import * as S from './schemas.js';
import type { EventRow, StoredRecording, UserRef } from './store.js';
import { Store, publicRecording } from './store.js';

type Env = { Variables: { ip: string } };
type Ctx = Context<Env>;

export interface TokenServer {
  /** The Hono application (add routes or middleware before serving). */
  app: OpenAPIHono<Env>;
  /** Web-standard fetch handler; waits for the database on the first requests. */
  fetch: (request: Request, env?: unknown) => Promise<Response>;
  /** Resolves once the database is open and migrated. */
  ready(): Promise<void>;
  /** Ends open event streams and closes the database (when the server opened it). */
  close(): Promise<void>;
  /** The store (tests, admin tooling). */
  store(): Store;
}

const VERSION = '0.1.0';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const errorResponses = {
  400: json(S.ErrorSchema, 'Invalid request (`invalid-request`, details.fields)'),
  401: json(S.ErrorSchema, 'Missing or invalid access token (`unauthorized`)'),
  403: json(S.ErrorSchema, 'Not allowed (`forbidden`)'),
  404: json(S.ErrorSchema, 'Unknown consultation or recording'),
  409: json(S.ErrorSchema, 'State conflict (`conflict`)'),
  503: json(S.ErrorSchema, 'OpenVidu unavailable (`openvidu-unavailable`)'),
};
const security = [{ bearerAuth: [] }];
const body = <T extends z.ZodType>(schema: T, required: boolean) => ({
  content: { 'application/json': { schema } },
  required,
});

// ───────────────────────────── routes ─────────────────────────────

const routes = {
  login: createRoute({
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
  }),
  token: createRoute({
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
  }),
  events: createRoute({
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
    },
  }),
  lobby: createRoute({
    method: 'get',
    path: '/api/consults/{consultId}/lobby',
    summary: 'Waiting room (providers)',
    security,
    request: { params: S.ConsultParams },
    responses: { 200: json(S.LobbySchema, 'Waiting participants'), ...errorResponses },
  }),
  admit: createRoute({
    method: 'post',
    path: '/api/consults/{consultId}/lobby/{userId}/admit',
    summary: 'Admit a waiting participant (providers)',
    security,
    request: { params: S.LobbyParams, body: body(S.EmptyRequestSchema, false) },
    responses: { 200: json(S.LobbyDecisionSchema, 'Admitted'), ...errorResponses },
  }),
  deny: createRoute({
    method: 'post',
    path: '/api/consults/{consultId}/lobby/{userId}/deny',
    summary: 'Deny a waiting participant (providers)',
    security,
    request: { params: S.LobbyParams, body: body(S.DenyRequestSchema, false) },
    responses: { 200: json(S.LobbyDecisionSchema, 'Denied'), ...errorResponses },
  }),
  consent: createRoute({
    method: 'post',
    path: '/api/consults/{consultId}/recording-consent',
    summary: 'Give or revoke recording consent',
    security,
    request: { params: S.ConsultParams, body: body(S.ConsentRequestSchema, true) },
    responses: { 200: json(S.ConsentStateSchema, 'Consent state'), ...errorResponses },
  }),
  startRecording: createRoute({
    method: 'post',
    path: '/api/consults/{consultId}/recordings',
    summary: 'Start recording (providers); 412 until everyone consented',
    security,
    request: { params: S.ConsultParams, body: body(S.EmptyRequestSchema, false) },
    responses: {
      201: json(S.RecordingInfoSchema, 'Recording started'),
      ...errorResponses,
      412: json(S.ErrorSchema, '`consent-required`, details.missing = user ids'),
    },
  }),
  listRecordings: createRoute({
    method: 'get',
    path: '/api/consults/{consultId}/recordings',
    summary: 'Recordings of the consultation',
    security,
    request: { params: S.ConsultParams },
    responses: { 200: json(S.RecordingListSchema, 'Recordings'), ...errorResponses },
  }),
  getRecording: createRoute({
    method: 'get',
    path: '/api/consults/{consultId}/recordings/{recordingId}',
    security,
    request: { params: S.RecordingParams },
    responses: { 200: json(S.RecordingInfoSchema, 'Recording'), ...errorResponses },
  }),
  stopRecording: createRoute({
    method: 'post',
    path: '/api/consults/{consultId}/recordings/{recordingId}/stop',
    security,
    request: { params: S.RecordingParams, body: body(S.EmptyRequestSchema, false) },
    responses: { 200: json(S.RecordingInfoSchema, 'Stopping'), ...errorResponses },
  }),
  deleteRecording: createRoute({
    method: 'delete',
    path: '/api/consults/{consultId}/recordings/{recordingId}',
    security,
    request: { params: S.RecordingParams },
    responses: { 200: json(S.RecordingInfoSchema, 'Deleted'), ...errorResponses },
  }),
  download: createRoute({
    method: 'get',
    path: '/api/consults/{consultId}/recordings/{recordingId}/download',
    summary: 'Download the recording file (Range supported)',
    security,
    request: { params: S.RecordingParams },
    responses: {
      200: {
        content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } },
        description: 'File',
      },
      206: { description: 'Partial content' },
      416: { description: 'Range not satisfiable' },
      ...errorResponses,
    },
  }),
  messages: createRoute({
    method: 'get',
    path: '/api/consults/{consultId}/messages',
    summary: 'Chat history (participants)',
    security,
    request: { params: S.ConsultParams, query: S.LimitQuery },
    responses: { 200: json(S.MessageListSchema, 'Messages, oldest first'), ...errorResponses },
  }),
  audit: createRoute({
    method: 'get',
    path: '/api/consults/{consultId}/audit',
    summary: 'Audit trail (providers)',
    security,
    request: { params: S.ConsultParams, query: S.LimitQuery },
    responses: { 200: json(S.AuditListSchema, 'Entries, oldest first'), ...errorResponses },
  }),
  end: createRoute({
    method: 'post',
    path: '/api/consults/{consultId}/end',
    summary: 'End the consultation for everyone (providers)',
    security,
    request: { params: S.ConsultParams, body: body(S.EmptyRequestSchema, false) },
    responses: { 200: json(S.EndedSchema, 'Ended'), ...errorResponses },
  }),
  webhook: createRoute({
    method: 'post',
    path: '/api/openvidu/webhook',
    summary: 'OpenVidu webhook receiver (shared-secret header)',
    request: { body: body(S.WebhookSchema, true) },
    responses: {
      200: json(S.OkSchema, 'Accepted'),
      400: errorResponses[400],
      401: errorResponses[401],
    },
  }),
  health: createRoute({
    method: 'get',
    path: '/health',
    summary: 'Liveness and OpenVidu reachability',
    responses: { 200: json(S.HealthSchema, 'Alive') },
  }),
};

// ───────────────────────────── helpers ─────────────────────────────

const STATUS_MAP: Record<OpenViduRecording['status'], RecordingInfo['status']> = {
  starting: 'starting',
  started: 'recording',
  stopped: 'processing',
  ready: 'ready',
  failed: 'failed',
};

/** OpenVidu recording status → ours (`started` → recording, `stopped` → processing). */
export function mapRecordingStatus(status: string): RecordingInfo['status'] | undefined {
  return Object.hasOwn(STATUS_MAP, status)
    ? STATUS_MAP[status as OpenViduRecording['status']]
    : undefined;
}

function fieldsOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
  const fields: Record<string, string> = {};
  for (const i of issues) {
    const key = i.path.map(String).join('.') || '(body)';
    fields[key] ??= i.message;
  }
  return fields;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ───────────────────────────── the server ─────────────────────────────

export function createTokenServer(options: TokenServerOptions = {}): TokenServer {
  const cfg = resolveOptions(options);
  const env = options.env ?? process.env;
  const logger: Logger =
    options.logger ??
    createJsonLogger((env['LOG_LEVEL'] as Parameters<typeof createJsonLogger>[0]) ?? 'info');
  const ov = new OpenViduClient({
    url: cfg.openviduUrl,
    secret: cfg.openviduSecret,
    timeoutMs: cfg.openviduTimeoutMs,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  // Authentication and the binding of users to consults (authorize.ts); throws on bad configuration.
  const { demo, primary, authorize } = configureAuth(options, cfg, logger);
  if (!cfg.webhook) logger.warn('no webhook secret: the OpenVidu webhook receiver answers 401');
  const requireConsent = options.requireConsent ?? true;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const tokenTtlSec = options.tokenTtlSec ?? 3600;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;
  const limiter = options.rateLimit === false ? undefined : new RateLimiter(options.rateLimit);
  const loginLimiter = new RateLimiter({ capacity: 10, refillPerSecond: 0.2 });

  // Database: opened lazily so `createTokenServer` stays synchronous.
  let db: Db | undefined = options.db;
  let store: Store | undefined;
  let hub: EventHub | undefined;
  const ownsDb = options.db === undefined;
  const init = (async () => {
    db ??= await openPgliteDb(cfg.dataDir !== undefined ? { dataDir: cfg.dataDir } : {});
    if (!ownsDb) {
      const { migrate } = await import('./db.js');
      await migrate(db);
    }
    store = new Store(db);
    hub = new EventHub(store, logger);
    await hub.start();
  })();
  init.catch((e: unknown) =>
    logger.error('database initialisation failed', { error: errorMessage(e) }),
  );
  const st = (): Store => {
    if (!store) throw new ApiError(503, 'internal', 'Starting up.');
    return store;
  };
  const events = (): EventHub => {
    if (!hub) throw new ApiError(503, 'internal', 'Starting up.');
    return hub;
  };
  const streams = new Set<SseStream>();

  // ─────────────── auth ───────────────

  async function authenticate(c: Ctx): Promise<AuthenticatedUser> {
    const request = c.req.raw;
    try {
      const user =
        demo && (!primary || DemoAuth.looksLikeDemo(request))
          ? await demo.authenticate(request)
          : primary
            ? await primary(request)
            : null;
      if (!user) throw unauthorized();
      return user;
    } catch (e) {
      if (e instanceof ApiError) throw e;
      const code = (e as { code?: unknown }).code;
      logger.debug('access token rejected', { code: typeof code === 'string' ? code : 'error' });
      throw unauthorized('Invalid or expired access token.');
    }
  }

  async function access(
    c: Ctx,
    consultId: string,
    action: ConsultAction,
    opts: { providerOnly?: boolean; mustExist?: boolean } = {},
  ): Promise<AuthenticatedUser> {
    const user = await authenticate(c);
    if (opts.providerOnly && user.role !== 'provider')
      throw forbidden('Only providers may do this.');
    if (!(await authorize(user, consultId, action)))
      throw forbidden('Not allowed in this consultation.');
    if (opts.mustExist && !(await st().getConsult(consultId))) throw consultNotFound();
    return user;
  }

  const audit = (
    c: Ctx | undefined,
    consultId: string,
    action: string,
    actor: { id: string; role: ParticipantRole | 'system' },
    extra: { subjectId?: string; details?: Record<string, unknown>; ip?: string } = {},
  ): Promise<void> =>
    st().audit({
      consultId,
      action,
      actorId: actor.id,
      actorRole: actor.role,
      ...(extra.subjectId !== undefined ? { subjectId: extra.subjectId } : {}),
      ...(extra.details ? { details: extra.details } : {}),
      ...((extra.ip ?? c?.get('ip')) ? { ip: extra.ip ?? c?.get('ip') } : {}),
    });

  // ─────────────── OpenVidu sessions and tokens ───────────────

  const sessionCreations = new Map<string, Promise<void>>();
  /** Creates the session once per burst: simultaneous callers share one request; 409 is success. */
  function ensureSession(consultId: string): Promise<void> {
    let p = sessionCreations.get(consultId);
    if (!p) {
      p = ov
        .createSession(consultId)
        .then((r) => {
          if (r.created) logger.info('openvidu session created', { consultId });
        })
        .finally(() => sessionCreations.delete(consultId));
      sessionCreations.set(consultId, p);
    }
    return p;
  }

  async function mintToken(
    c: Ctx,
    consultId: string,
    who: UserRef,
    actor: { id: string; role: ParticipantRole },
  ): Promise<TokenResponse> {
    const data: ConnectionServerData = {
      userId: who.id,
      displayName: who.displayName,
      role: who.role,
    };
    const props = {
      role: who.role === 'provider' ? ('MODERATOR' as const) : ('PUBLISHER' as const),
      data: JSON.stringify(data),
    };
    await ensureSession(consultId);
    let conn = await ov.createConnection(consultId, props);
    if (!conn) {
      // The session closed in between (last participant left, or OpenVidu restarted).
      await ensureSession(consultId);
      conn = await ov.createConnection(consultId, props);
    }
    if (!conn || !conn.token) throw openViduUnavailable();
    await st().upsertParticipant(consultId, who);
    await st().insertConnection(conn.connectionId, consultId, who);
    await audit(c, consultId, 'token.issued', actor, {
      ...(actor.id !== who.id ? { subjectId: who.id } : {}),
      details: { connectionId: conn.connectionId },
    });
    return {
      token: conn.token,
      consultId,
      connectionId: conn.connectionId,
      role: who.role,
      expiresAt: new Date(Date.now() + tokenTtlSec * 1000).toISOString(),
      userId: who.id,
      displayName: who.displayName,
    };
  }

  async function waitingRoomFor(consultId: string): Promise<boolean> {
    const w = options.waitingRoom ?? true;
    return typeof w === 'function' ? await w(consultId) : w;
  }

  async function publishLobby(consultId: string): Promise<void> {
    await events().publish(
      consultId,
      'lobby',
      { waiting: await st().waiting(consultId) },
      { role: 'provider' },
    );
  }

  // ─────────────── consent and recordings ───────────────

  /** Users connected to the OpenVidu session right now (from each connection's server data). */
  async function connectedUsers(consultId: string): Promise<UserRef[]> {
    const session = await ov.getSession(consultId);
    const out = new Map<string, UserRef>();
    for (const conn of session?.connections.content ?? []) {
      if (conn.status !== 'active') continue;
      try {
        const d = JSON.parse(conn.serverData) as Partial<ConnectionServerData>;
        if (typeof d.userId === 'string' && typeof d.displayName === 'string' && d.role)
          out.set(d.userId, { id: d.userId, displayName: d.displayName, role: d.role });
      } catch {
        // a connection not made by this server
      }
    }
    return [...out.values()];
  }

  async function consentState(consultId: string): Promise<ConsentState> {
    const consult = await st().getConsult(consultId);
    return {
      requested: consult?.consentRequestedAt !== undefined,
      entries: await st().consentEntries(consultId),
    };
  }

  async function missingConsents(consultId: string): Promise<UserRef[]> {
    const connected = await connectedUsers(consultId);
    const granted = new Set(
      (await st().consentEntries(consultId)).filter((e) => e.granted === true).map((e) => e.userId),
    );
    return connected.filter((u) => !granted.has(u.id));
  }

  function fromOpenVidu(r: OpenViduRecording, consultId: string, startedBy?: string) {
    const status = mapRecordingStatus(r.status) ?? 'failed';
    const ready = status === 'ready' || status === 'failed';
    return {
      recordingId: r.id,
      consultId,
      status,
      startedAt: typeof r.createdAt === 'number' ? new Date(r.createdAt).toISOString() : undefined,
      stoppedAt: status === 'processing' || ready ? new Date().toISOString() : undefined,
      duration: ready && typeof r.duration === 'number' ? r.duration : undefined,
      size: ready && typeof r.size === 'number' ? r.size : undefined,
      name: r.name,
      outputMode: r.outputMode,
      startedBy,
    };
  }

  async function saveRecording(
    up: Parameters<Store['upsertRecording']>[0],
  ): Promise<StoredRecording> {
    const changed = await st().upsertRecording(up);
    if (changed) await events().publish(up.consultId, 'recording', publicRecording(changed));
    const row = changed ?? (await st().getRecording(up.recordingId));
    if (!row) throw new ApiError(500, 'internal', 'Recording vanished.');
    return row;
  }

  async function startRecording(
    c: Ctx | undefined,
    consultId: string,
    by: { id: string; role: ParticipantRole },
    details: Record<string, unknown> = {},
  ): Promise<RecordingInfo> {
    let r: OpenViduRecording;
    try {
      r = await ov.startRecording(consultId);
    } catch (e) {
      if (e instanceof OpenViduHttpError) {
        if (e.status === 409) throw conflict('The consultation is already being recorded.');
        if (e.status === 404 || e.status === 406)
          throw conflict('Nobody is connected to the consultation yet.');
        throw new ApiError(409, 'recording-failed', `The media server refused (${e.status}).`);
      }
      throw e;
    }
    const saved = await saveRecording(fromOpenVidu(r, consultId, by.id));
    await audit(c, consultId, 'recording.started', by, {
      details: { recordingId: r.id, ...details },
    });
    return publicRecording(saved);
  }

  /** The recording if it belongs to this consult (asks OpenVidu for ones this server missed). */
  async function recordingIn(consultId: string, recordingId: string): Promise<StoredRecording> {
    const row = await st().getRecording(recordingId);
    if (row) {
      if (row.consultId !== consultId) throw recordingNotFound();
      return row;
    }
    const r = await ov.getRecording(recordingId);
    if (!r || r.sessionId !== consultId) throw recordingNotFound();
    return saveRecording(fromOpenVidu(r, consultId));
  }

  /** Starts the pending recording once nobody connected is missing. */
  async function tryPendingStart(c: Ctx, consultId: string): Promise<void> {
    const consult = await st().getConsult(consultId);
    if (!consult?.consentRequestedAt) return;
    if ((await missingConsents(consultId)).length > 0) return;
    // Only one caller wins the transition, on any instance.
    if (!(await st().setConsentRequested(consultId, null))) return;
    await events().publish(consultId, 'consent', await consentState(consultId));
    const by = { id: consult.consentRequestedBy ?? 'system', role: 'provider' as const };
    try {
      await startRecording(c, consultId, by, { automatic: true });
    } catch (e) {
      logger.warn('pending recording start failed', { consultId, error: errorMessage(e) });
      await events().publish(consultId, 'recording', {
        recordingId: '',
        consultId,
        status: 'failed',
        reason: e instanceof ApiError ? e.code : 'openvidu-unavailable',
      });
    }
  }

  async function stopActiveRecording(
    c: Ctx | undefined,
    consultId: string,
    by: { id: string; role: ParticipantRole | 'system' },
    reason: string,
  ): Promise<void> {
    const active = await st().activeRecording(consultId);
    if (!active) return;
    try {
      const r = await ov.stopRecording(active.recordingId);
      await saveRecording(fromOpenVidu(r, consultId));
      await audit(c, consultId, 'recording.stopped', by, {
        details: { recordingId: active.recordingId, reason },
      });
    } catch (e) {
      logger.warn('could not stop recording', { consultId, error: errorMessage(e) });
    }
  }

  // ─────────────── the app ───────────────

  const app = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json(
          new ApiError(400, 'invalid-request', 'The request is invalid.', {
            details: { fields: fieldsOf(result.error.issues) },
          }).body(),
          400,
        );
      }
      return undefined;
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return c.json(err.body(), err.status as 400);
    }
    if (err instanceof OpenViduUnavailableError) {
      logger.warn('openvidu unavailable', { error: err.message, route: c.req.routePath });
      return c.json(openViduUnavailable().body(), 503);
    }
    if (err instanceof HTTPException && err.status < 500) {
      const code = err.status === 413 ? 'payload-too-large' : 'invalid-request';
      const status = err.status === 413 ? 413 : 400;
      return c.json(new ApiError(status, code, err.message || 'Invalid request.').body(), status);
    }
    logger.error('unhandled error', { error: errorMessage(err), route: c.req.routePath });
    return c.json(new ApiError(500, 'internal', 'Internal error.').body(), 500);
  });
  app.notFound((c) => c.json(new ApiError(404, 'not-found', 'No such endpoint.').body(), 404));

  app.use('*', async (c, next) => {
    const started = Date.now();
    c.set('ip', clientIp(c, cfg.trustProxyHops));
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
    logger.info('request', {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Date.now() - started,
    });
  });
  if (cfg.corsOrigins.length > 0) {
    const any = cfg.corsOrigins.includes('*');
    app.use(
      '*',
      cors({
        origin: (origin) => (any || cfg.corsOrigins.includes(origin) ? origin : null),
        allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'Range', 'If-Range'],
        exposeHeaders: [
          'Content-Disposition',
          'Content-Range',
          'Accept-Ranges',
          'Content-Length',
          'Retry-After',
        ],
        maxAge: 600,
      }),
    );
  }
  // 413 after draining the rest of the body, so keep-alive connections stay usable (body-limit.ts).
  app.use('/api/openvidu/webhook', limitBody({ maxBytes: 256 * 1024 }));
  app.use('/api/consults/*', limitBody({ maxBytes: maxBodyBytes }));
  app.use('/api/auth/*', limitBody({ maxBytes: maxBodyBytes }));
  app.use('/api/*', async (_c, next) => {
    await init;
    await next();
  });
  // The webhook secret is checked before the body is even parsed.
  app.use('/api/openvidu/webhook', async (c, next) => {
    if (!webhookAuthorized(c.req.raw)) throw unauthorized('Bad webhook credentials.');
    await next();
  });

  if (demo) {
    app.openapi(routes.login, async (c) => {
      const wait = loginLimiter.take(c.get('ip'));
      if (wait > 0)
        throw new ApiError(429, 'rate-limited', 'Too many attempts.', {
          headers: { 'Retry-After': String(wait) },
        });
      const { username, password } = c.req.valid('json');
      const user = demo.find(username, password);
      if (!user) throw unauthorized('Wrong user name or password.');
      const issued = await demo.issue(user);
      return c.json(
        { ...issued, user: { id: user.id, displayName: user.displayName, role: user.role } },
        200,
      );
    });
  }

  app.openapi(routes.token, async (c) => {
    const { consultId } = c.req.valid('param');
    const requested = c.req.valid('json');
    const user = await access(c, consultId, 'token');
    if (limiter) {
      const wait = limiter.take(`${user.id}|${c.get('ip')}`);
      if (wait > 0)
        throw new ApiError(429, 'rate-limited', 'Too many token requests.', {
          headers: { 'Retry-After': String(wait) },
        });
    }
    await st().ensureConsult(consultId);
    const consult = await st().getConsult(consultId);
    if (consult?.endedAt) throw conflict('The consultation has ended.', { reason: 'ended' });
    const who: UserRef = {
      id: user.id,
      role: user.role,
      displayName:
        user.displayName === user.id && requested?.displayName
          ? requested.displayName
          : user.displayName,
    };
    if (user.role !== 'provider' && (await waitingRoomFor(consultId))) {
      const lobby = await st().lobbyStatus(consultId, user.id);
      if (lobby?.status === 'denied')
        throw new ApiError(403, 'admission-denied', 'The provider declined admission.');
      if (lobby?.status !== 'admitted') {
        if (await st().enterLobby(consultId, who)) {
          await audit(c, consultId, 'lobby.entered', user);
          await publishLobby(consultId);
        }
        const waiting = await st().waiting(consultId);
        const index = waiting.findIndex((w) => w.userId === user.id);
        return c.json(
          { status: 'waiting' as const, consultId, ...(index >= 0 ? { position: index + 1 } : {}) },
          202,
        );
      }
    }
    return c.json(await mintToken(c, consultId, who, user), 200);
  });

  app.openapi(routes.events, async (c) => {
    const { consultId } = c.req.valid('param');
    const user = await access(c, consultId, 'events');
    await st().ensureConsult(consultId);
    const header = c.req.header('last-event-id');
    const lastEventId =
      header && /^\d{1,15}$/.test(header.trim()) ? Number(header.trim()) : undefined;
    const snapshot = async (cursor: number): Promise<EventRow[]> => {
      const out: EventRow[] = [];
      if (user.role !== 'provider') {
        const lobby = await st().lobbyStatus(consultId, user.id);
        if (
          lobby &&
          lobby.status !== 'waiting' &&
          !(await st().hasJoinedSince(consultId, user.id, lobby.decidedAt))
        ) {
          const last = await st().lastEventFor(consultId, user.id, ['admitted', 'denied']);
          if (last) out.push(last);
        }
      } else {
        out.push({ id: cursor, name: 'lobby', data: { waiting: await st().waiting(consultId) } });
      }
      const consent = await consentState(consultId);
      if (consent.requested || consent.entries.length > 0)
        out.push({ id: cursor, name: 'consent', data: consent });
      const latest = (await st().listRecordings(consultId))[0];
      if (latest) out.push({ id: cursor, name: 'recording', data: publicRecording(latest) });
      const consult = await st().getConsult(consultId);
      if (consult?.endedAt)
        out.push({ id: cursor, name: 'ended', data: { reason: consult.endedReason ?? 'ended' } });
      return out;
    };
    const stream = openSseStream({
      hub: events(),
      store: st(),
      consultId,
      user,
      lastEventId,
      snapshot,
      heartbeatMs,
      logger,
      onClose: () => streams.delete(stream),
    });
    streams.add(stream);
    c.req.raw.signal.addEventListener('abort', () => stream.close(), { once: true });
    return stream.response;
  });

  app.openapi(routes.lobby, async (c) => {
    const { consultId } = c.req.valid('param');
    await access(c, consultId, 'lobby.read', { providerOnly: true, mustExist: true });
    return c.json({ waiting: await st().waiting(consultId) }, 200);
  });

  app.openapi(routes.admit, async (c) => {
    const { consultId, userId } = c.req.valid('param');
    const user = await access(c, consultId, 'lobby.admit', { providerOnly: true, mustExist: true });
    const entry = await st().decideLobby(consultId, userId, 'admitted');
    if (!entry) throw conflict('That person is not waiting.');
    let token: TokenResponse;
    try {
      token = await mintToken(c, consultId, entry, user);
    } catch (e) {
      await st().undoAdmission(consultId, userId);
      throw e;
    }
    await events().publish(consultId, 'admitted', token, { userId });
    await audit(c, consultId, 'lobby.admitted', user, { subjectId: userId });
    await publishLobby(consultId);
    return c.json({ userId, status: 'admitted' as const }, 200);
  });

  app.openapi(routes.deny, async (c) => {
    const { consultId, userId } = c.req.valid('param');
    const reason = c.req.valid('json')?.reason;
    const user = await access(c, consultId, 'lobby.deny', { providerOnly: true, mustExist: true });
    const entry = await st().decideLobby(consultId, userId, 'denied');
    if (!entry) throw conflict('That person is not waiting.');
    await events().publish(consultId, 'denied', reason ? { reason } : {}, { userId });
    await audit(c, consultId, 'lobby.denied', user, { subjectId: userId });
    await publishLobby(consultId);
    return c.json({ userId, status: 'denied' as const }, 200);
  });

  app.openapi(routes.consent, async (c) => {
    const { consultId } = c.req.valid('param');
    const { granted } = c.req.valid('json');
    const user = await access(c, consultId, 'consent', { mustExist: true });
    if (!(await st().isParticipant(consultId, user.id)))
      throw forbidden('Only participants of this consultation may answer.');
    await st().setConsent(consultId, user, granted);
    await audit(c, consultId, granted ? 'consent.given' : 'consent.revoked', user);
    if (!granted) {
      // A refusal cancels a pending start; a revocation stops a running recording.
      await st().setConsentRequested(consultId, null);
      if (requireConsent) await stopActiveRecording(c, consultId, user, 'consent-revoked');
    }
    await events().publish(consultId, 'consent', await consentState(consultId));
    if (granted) await tryPendingStart(c, consultId);
    return c.json(await consentState(consultId), 200);
  });

  app.openapi(routes.startRecording, async (c) => {
    const { consultId } = c.req.valid('param');
    const user = await access(c, consultId, 'recording.start', {
      providerOnly: true,
      mustExist: true,
    });
    const consult = await st().getConsult(consultId);
    if (consult?.endedAt) throw conflict('The consultation has ended.', { reason: 'ended' });
    if (await st().activeRecording(consultId))
      throw conflict('The consultation is already being recorded.');
    if (requireConsent) {
      // Asking for a recording is the provider's own consent.
      const entries = await st().consentEntries(consultId);
      if (entries.find((e) => e.userId === user.id)?.granted !== true) {
        await st().setConsent(consultId, user, true);
        await audit(c, consultId, 'consent.given', user, { details: { implicit: true } });
      }
      const missing = await missingConsents(consultId);
      if (missing.length > 0) {
        await st().addConsentEntries(consultId, missing);
        if (await st().setConsentRequested(consultId, user.id))
          await audit(c, consultId, 'consent.requested', user, {
            details: { missing: missing.map((m) => m.id) },
          });
        await events().publish(consultId, 'consent', await consentState(consultId));
        throw new ApiError(412, 'consent-required', 'Every participant must consent first.', {
          details: { missing: missing.map((m) => m.id) },
        });
      }
    }
    return c.json(await startRecording(c, consultId, user), 201);
  });

  app.openapi(routes.listRecordings, async (c) => {
    const { consultId } = c.req.valid('param');
    await access(c, consultId, 'recording.read', { mustExist: true });
    const list = await st().listRecordings(consultId);
    return c.json({ recordings: list.map(publicRecording) }, 200);
  });

  app.openapi(routes.getRecording, async (c) => {
    const { consultId, recordingId } = c.req.valid('param');
    await access(c, consultId, 'recording.read', { mustExist: true });
    let rec = await recordingIn(consultId, recordingId);
    if (!['ready', 'failed', 'deleted'].includes(rec.status)) {
      try {
        const r = await ov.getRecording(recordingId);
        if (r) rec = await saveRecording(fromOpenVidu(r, consultId));
      } catch (e) {
        if (!(e instanceof OpenViduUnavailableError || e instanceof OpenViduHttpError)) throw e;
      }
    }
    return c.json(publicRecording(rec), 200);
  });

  app.openapi(routes.stopRecording, async (c) => {
    const { consultId, recordingId } = c.req.valid('param');
    const user = await access(c, consultId, 'recording.stop', {
      providerOnly: true,
      mustExist: true,
    });
    await recordingIn(consultId, recordingId);
    let r: OpenViduRecording;
    try {
      r = await ov.stopRecording(recordingId);
    } catch (e) {
      if (e instanceof OpenViduHttpError) {
        if (e.status === 404) throw recordingNotFound();
        if (e.status === 406) throw conflict('The recording is still starting.');
        throw conflict('The recording is not running.');
      }
      throw e;
    }
    const saved = await saveRecording(fromOpenVidu(r, consultId));
    await audit(c, consultId, 'recording.stopped', user, { details: { recordingId } });
    return c.json(publicRecording(saved), 200);
  });

  app.openapi(routes.deleteRecording, async (c) => {
    const { consultId, recordingId } = c.req.valid('param');
    const user = await access(c, consultId, 'recording.delete', {
      providerOnly: true,
      mustExist: true,
    });
    await recordingIn(consultId, recordingId);
    try {
      await ov.deleteRecording(recordingId);
    } catch (e) {
      if (e instanceof OpenViduHttpError) throw conflict('The recording is still running.');
      throw e;
    }
    const saved = await saveRecording({ recordingId, consultId, status: 'deleted' });
    await audit(c, consultId, 'recording.deleted', user, { details: { recordingId } });
    return c.json(publicRecording(saved), 200);
  });

  app.openapi(routes.download, async (c) => {
    const { consultId, recordingId } = c.req.valid('param');
    const user = await access(c, consultId, 'recording.download', {
      providerOnly: true,
      mustExist: true,
    });
    await recordingIn(consultId, recordingId);
    const r = await ov.getRecording(recordingId);
    if (!r || r.sessionId !== consultId) throw recordingNotFound();
    if (r.status !== 'ready')
      throw conflict('The recording is not ready yet.', { status: r.status });
    const ext = r.outputMode === 'INDIVIDUAL' ? 'zip' : r.hasVideo === false ? 'webm' : 'mp4';
    const fromUrl = r.url ? decodeURIComponent(r.url.split('/').pop() ?? '') : '';
    const fileName = /^[A-Za-z0-9_.~-]{1,200}$/.test(fromUrl) ? fromUrl : `${r.name}.${ext}`;
    const forward: Record<string, string> = {};
    const range = c.req.header('range');
    const ifRange = c.req.header('if-range');
    if (range && range.length <= 200) forward['Range'] = range;
    if (ifRange && ifRange.length <= 200) forward['If-Range'] = ifRange;
    const res = await ov.openRecordingFile(recordingId, fileName, forward);
    if (res.status === 404) {
      await res.body?.cancel();
      throw recordingNotFound();
    }
    if (![200, 206, 416].includes(res.status)) {
      await res.body?.cancel();
      throw openViduUnavailable();
    }
    const headers = new Headers({
      'Content-Disposition': `attachment; filename="${consultId}-${fileName}"`,
      'Cache-Control': 'private, no-store',
      'Accept-Ranges': 'bytes',
    });
    for (const h of ['Content-Type', 'Content-Length', 'Content-Range', 'ETag', 'Last-Modified']) {
      const v = res.headers.get(h);
      if (v) headers.set(h, v);
    }
    if (!headers.has('Content-Type'))
      headers.set('Content-Type', ext === 'zip' ? 'application/zip' : `video/${ext}`);
    if (res.status === 200 || (res.status === 206 && /^bytes=0-/.test(range ?? ''))) {
      await audit(c, consultId, 'recording.downloaded', user, {
        details: { recordingId, ...(range ? { range } : {}) },
      });
    }
    return new Response(res.status === 416 ? null : res.body, { status: res.status, headers });
  });

  app.openapi(routes.messages, async (c) => {
    const { consultId } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    const user = await access(c, consultId, 'messages.read', { mustExist: true });
    if (!(await st().isParticipant(consultId, user.id)))
      throw forbidden('Only participants of this consultation may read its chat.');
    return c.json({ messages: await st().messages(consultId, limit ?? 500) }, 200);
  });

  app.openapi(routes.audit, async (c) => {
    const { consultId } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    await access(c, consultId, 'audit.read', { providerOnly: true, mustExist: true });
    return c.json({ entries: await st().auditEntries(consultId, limit ?? 1000) }, 200);
  });

  app.openapi(routes.end, async (c) => {
    const { consultId } = c.req.valid('param');
    const user = await access(c, consultId, 'consult.end', { providerOnly: true, mustExist: true });
    if (await st().endConsult(consultId, 'ended-by-provider')) {
      await stopActiveRecording(c, consultId, user, 'consult-ended');
      try {
        await ov.closeSession(consultId);
      } catch (e) {
        logger.warn('could not close openvidu session', { consultId, error: errorMessage(e) });
      }
      await events().publish(consultId, 'ended', { reason: 'ended-by-provider' });
      await audit(c, consultId, 'consult.ended', user);
    }
    return c.json({ ended: true as const }, 200);
  });

  app.openapi(
    routes.webhook,
    async (c) => {
      const ev = c.req.valid('json');
      const sessionId = ev.sessionId;
      if (!sessionId || !S.ID_PATTERN.test(sessionId)) return c.json({}, 200);
      if (!(await st().getConsult(sessionId))) return c.json({}, 200);
      const system = { id: 'system', role: 'system' as const };
      switch (ev.event) {
        case 'participantJoined':
        case 'participantLeft': {
          if (!ev.connectionId) break;
          const joined = ev.event === 'participantJoined';
          const conn = await st().markConnection(ev.connectionId, joined ? 'joined' : 'left');
          if (!conn || conn.consultId !== sessionId) break;
          await audit(
            undefined,
            sessionId,
            joined ? 'participant.joined' : 'participant.left',
            { id: conn.userId, role: conn.role },
            {
              ...(ev.ip ? { ip: ev.ip } : {}),
              details: {
                connectionId: conn.connectionId,
                ...(ev.reason ? { reason: ev.reason } : {}),
              },
            },
          );
          break;
        }
        case 'recordingStatusChanged': {
          const status = ev.status ? mapRecordingStatus(ev.status) : undefined;
          if (!ev.id || !status || !S.RECORDING_ID_PATTERN.test(ev.id)) break;
          const ready = status === 'ready' || status === 'failed';
          const changed = await st().upsertRecording({
            recordingId: ev.id,
            consultId: sessionId,
            status,
            startedAt: ev.startTime ? new Date(ev.startTime).toISOString() : undefined,
            stoppedAt:
              status === 'processing' || ready
                ? new Date(ev.timestamp ?? Date.now()).toISOString()
                : undefined,
            duration: ready ? ev.duration : undefined,
            size: ready ? ev.size : undefined,
            reason:
              status === 'failed' || status === 'processing' ? (ev.reason ?? undefined) : undefined,
            name: ev.name,
            outputMode: ev.outputMode,
          });
          if (changed) {
            await events().publish(sessionId, 'recording', publicRecording(changed));
            if (status === 'processing' && ev.reason && ev.reason !== 'recordingStoppedByServer')
              await audit(undefined, sessionId, 'recording.stopped', system, {
                details: { recordingId: ev.id, reason: ev.reason },
              });
            if (status === 'failed')
              await audit(undefined, sessionId, 'recording.failed', system, {
                details: { recordingId: ev.id },
              });
          }
          break;
        }
        case 'signalSent': {
          const type = ev.type ?? '';
          if ((type !== 'chat' && type !== 'signal:chat') || !ev.from || !ev.data) break;
          const conn = await st().getConnection(ev.from);
          if (!conn || conn.consultId !== sessionId) break;
          let payload: unknown;
          try {
            payload = JSON.parse(ev.data);
          } catch {
            break;
          }
          const parsed = S.ChatSignalPayloadSchema.safeParse(payload);
          if (!parsed.success) {
            logger.warn('dropped a malformed chat signal', { consultId: sessionId });
            break;
          }
          await st().insertMessage({
            id: parsed.data.id,
            consultId: sessionId,
            senderId: conn.userId,
            senderName: conn.displayName,
            senderRole: conn.role,
            connectionId: conn.connectionId,
            text: parsed.data.text,
            sentAt: parsed.data.sentAt,
          });
          break;
        }
        default:
          break;
      }
      return c.json({}, 200);
    },
    (result, c) => {
      if (!result.success)
        return c.json(
          new ApiError(400, 'invalid-request', 'Invalid webhook body.', {
            details: { fields: fieldsOf(result.error.issues) },
          }).body(),
          400,
        );
      return undefined;
    },
  );

  function webhookAuthorized(request: Request): boolean {
    const w = cfg.webhook;
    if (!w) return false;
    const header = (w.header ?? 'authorization').toLowerCase();
    const value = request.headers.get(header);
    if (value === null) return false;
    const expected = header === 'authorization' ? `Bearer ${w.secret}` : w.secret;
    return sameSecret(value.trim(), expected);
  }

  app.openapi(routes.health, async (c) => {
    try {
      const latency = await ov.ping(Math.min(2000, cfg.openviduTimeoutMs));
      return c.json(
        { status: 'ok' as const, openvidu: 'up' as const, openviduLatencyMs: latency },
        200,
      );
    } catch {
      return c.json({ status: 'ok' as const, openvidu: 'down' as const }, 200);
    }
  });

  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'ConsultKit token server',
      version: VERSION,
      description:
        'Tokens, waiting room, events, consent, recordings, chat history and audit for ConsultKit consultations on OpenVidu 2.32. Errors are `{ error: { code, message, details? } }`.',
    },
  });

  let closing: Promise<void> | undefined;
  return {
    app,
    fetch: async (request, env) => app.fetch(request, env),
    ready: () => init,
    store: st,
    close() {
      closing ??= (async () => {
        for (const s of [...streams]) s.close();
        await init.catch(() => undefined);
        await hub?.stop();
        if (ownsDb) await db?.close();
      })();
      return closing;
    },
  };
}
