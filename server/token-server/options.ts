/**
 * Options of the token server, and how the environment fills them in.
 */
import type { ParticipantRole } from '../../src/contract.js';
import type { AuthenticatedUser, Authenticate, DemoUser, JwtAuthOptions } from './auth.js';
import type { Db } from './db.js';
import { parseDatabaseUrl } from './db-postgres.js';
import type { Logger } from './logger.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { RetentionOptions } from './services/retention.js';
import type { PrecheckOptions } from './routes/precheck.js';
import type { EventStreamLimits } from './services/event-streams.js';

/** What a user tries to do in a consultation (the `authorize` hook's `action`). */
export type ConsultAction =
  | 'token'
  | 'events'
  | 'lobby.read'
  | 'lobby.admit'
  | 'lobby.deny'
  | 'participant.remove'
  | 'consent'
  | 'recording.start'
  | 'recording.stop'
  | 'recording.read'
  | 'recording.download'
  | 'recording.delete'
  | 'messages.read'
  | 'audit.read'
  | 'consult.end'
  | 'consult.erase'
  | 'invite.create'
  | 'invite.read'
  | 'invite.revoke';

/**
 * Decides whether `user` may do `action` in `consultId`. Return false for 403 (throw an `ApiError`
 * for another answer). Runs after authentication and after the built-in role checks
 * (provider-only endpoints).
 */
export type Authorize = (
  user: AuthenticatedUser,
  consultId: string,
  action: ConsultAction,
) => boolean | Promise<boolean>;

export interface WebhookAuthOptions {
  /** The shared secret OpenVidu sends (configure `OPENVIDU_WEBHOOK_HEADERS` accordingly). */
  secret: string;
  /**
   * Header carrying it (default `authorization`, whose value must then be `Bearer <secret>`);
   * with another header name the value must equal the secret.
   */
  header?: string;
}

/** The portal's authorization callback (`authorizeUrl`, env `AUTHORIZE_URL`). */
export interface AuthorizeUrlOptions {
  /**
   * Where the token server POSTs `{ user: { id, subject, issuer, role, displayName }, consultId,
   * action }`. A 2xx answer allows; any other answer denies (403); a timeout or network error
   * denies with 503 `authorization-unavailable`.
   */
  url: string;
  /** Per-call timeout in ms (env `AUTHORIZE_TIMEOUT_MS`, default 2000). */
  timeoutMs?: number;
  /** How long an answer (2xx or 4xx) is reused for the same user, consult and action, in ms (env `AUTHORIZE_CACHE_MS`, default 10000; 0 = no cache). */
  cacheTtlMs?: number;
  /** Sent as `Authorization: Bearer <secret>` so the portal knows the caller (env `AUTHORIZE_SECRET`). */
  secret?: string;
}

export interface DemoOptions {
  /** HS256 secret for demo tokens (default: random per process, so tokens die with it). */
  secret?: string;
  /** Demo token lifetime in seconds (default 3600). */
  tokenTtlSec?: number;
  /** The users who may log in (default `DEMO_USERS`: doctor/doctor123 and patient/patient123). */
  users?: readonly DemoUser[];
}

export interface TokenServerOptions {
  /** OpenVidu base URL (env `OPENVIDU_URL`, default `http://localhost:4443`). */
  openviduUrl?: string;
  /** OpenVidu secret (env `OPENVIDU_SECRET`, default `MY_SECRET` outside production). */
  openviduSecret?: string;
  /** Timeout of every OpenVidu call in ms (env `OPENVIDU_TIMEOUT_MS`, default 5000). */
  openviduTimeoutMs?: number;
  /**
   * The media server (env `MEDIA_BACKEND`): `openvidu` (default, OpenVidu 2.32) or `livekit`
   * (LiveKit self-hosted or Cloud, OpenVidu 3), which then needs `livekit`.
   */
  mediaBackend?: 'openvidu' | 'livekit';
  /**
   * LiveKit (env `LIVEKIT_URL`, `LIVEKIT_API_KEY`, `LIVEKIT_API_SECRET`, `LIVEKIT_RECORDINGS_URL`):
   * the `wss://` URL browsers connect to, the API key pair (also what verifies LiveKit's webhooks)
   * and where the egress files can be read over HTTP for the proxy download.
   */
  livekit?: { url?: string; apiKey?: string; apiSecret?: string; recordingsUrl?: string };
  /** Origins allowed by CORS (env `CORS_ORIGINS`, comma-separated; `*` for any). Default: none. */
  corsOrigins?: string[];
  /** JWT verification of the portal's access tokens (env `AUTH_JWKS_URL`, `AUTH_JWT_SECRET`, `AUTH_ISSUER`, `AUTH_AUDIENCE`, `AUTH_ROLE_CLAIM`). */
  auth?: JwtAuthOptions;
  /** Custom authentication; replaces `auth`. */
  authenticate?: Authenticate;
  /**
   * Per-consult authorization in code. Outside demo mode the server needs at least one binding of
   * users to consults: this hook, `consultClaim` or `authorizeUrl` (several: all must allow).
   */
  authorize?: Authorize;
  /**
   * JWT claim listing the consults the user may act in (env `AUTH_CONSULT_CLAIM`, e.g.
   * `consult_id`): a string or an array of ids.
   */
  consultClaim?: string;
  /** The portal's authorization callback (env `AUTHORIZE_URL` and `AUTHORIZE_*`). */
  authorizeUrl?: string | AuthorizeUrlOptions;
  /**
   * Demo mode: `POST /api/auth/login` with `doctor`/`doctor123` and `patient`/`patient123`.
   * Off unless chosen (`demo: true`, env `CONSULT_KIT_DEMO=1`, CLI `--demo`); never with `auth`
   * or `authenticate` (start-up error).
   */
  demo?: boolean | DemoOptions;
  /** PGlite data folder (env `CONSULT_KIT_DATA_DIR`); default in memory. */
  dataDir?: string;
  /**
   * A real PostgreSQL instead of PGlite (env `DATABASE_URL`, CLI `--database-url`):
   * `postgres://user:password@host:5432/database`. Needs the optional peer `pg`. Several token
   * servers sharing one database form one deployment (events, sessions, webhooks).
   */
  databaseUrl?: string;
  /** PostgreSQL pool size per instance (env `DATABASE_POOL_SIZE`, default 10). */
  databasePoolSize?: number;
  /** PostgreSQL statement timeout in ms (env `DATABASE_STATEMENT_TIMEOUT_MS`, default 10000; 0 = none). */
  databaseStatementTimeoutMs?: number;
  /** A database to use instead of PGlite (not closed by `close()`). */
  db?: Db;
  /** Webhook receiver authentication (env `OPENVIDU_WEBHOOK_SECRET`, `OPENVIDU_WEBHOOK_HEADER`). Without it the receiver answers 401. */
  webhook?: WebhookAuthOptions;
  /** Waiting room per consult for patients and guests (default: on for every consult). */
  waitingRoom?: boolean | ((consultId: string) => boolean | Promise<boolean>);
  /** Recording needs consent from every connected participant (default true). */
  requireConsent?: boolean;
  /**
   * How long a participant who joins while a recording runs has to consent before the recording is
   * stopped (ms, default 30000). Their media is not published until then.
   */
  consentTimeoutMs?: number;
  /** Token endpoint limit per user + IP (default 10 burst, 1/s); `false` disables. */
  rateLimit?: RateLimitOptions | false;
  /**
   * `POST /api/precheck` (pre-call tests without a consultation): open to callers without an access
   * token by default, limited per IP; `{ anonymous: false }` requires signing in; `false` removes
   * the route. See docs/token-server.md.
   */
  precheck?: PrecheckOptions | false;
  /** Largest request body in bytes (default 16 KiB; the webhook receiver allows 256 KiB). */
  maxBodyBytes?: number;
  /** On `close()`, how long to wait for requests in flight before closing the database, in ms (default 10000). */
  drainTimeoutMs?: number;
  /** SSE heartbeat interval in ms (default 15000). */
  heartbeatMs?: number;
  /**
   * Token lifetime in seconds (`expiresAt`, default 3600): a connection nobody joined with by then
   * is removed from OpenVidu.
   */
  tokenTtlSec?: number;
  /**
   * Number of trusted proxies in front of the server (env `TRUST_PROXY`): the client IP is the
   * `X-Forwarded-For` entry that many hops from the right (`true` = 1). Default 0: the socket address.
   */
  trustProxy?: boolean | number;
  /** Days to keep messages, events, audit entries and recordings (env `RETENTION_*_DAYS`; docs/privacy.md). */
  retention?: RetentionOptions;
  /**
   * Open `GET …/events` streams allowed per user and consultation (default 5) and per user overall
   * (default 20), per instance; beyond them 429 `rate-limited`.
   */
  maxEventStreams?: EventStreamLimits;
  /**
   * Prometheus metrics at `GET /metrics` (env `METRICS_TOKEN`): off unless a token is given; the
   * scraper sends `Authorization: Bearer <token>` (at least 32 bytes). Needs the optional peer
   * `prom-client`. `false` keeps them off whatever the environment says.
   */
  metrics?: false | { token: string };
  /** Structured logger (default JSON lines on stdout at `info`; env `LOG_LEVEL`). */
  logger?: Logger;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /**
   * A `fetch` for the media server's calls (tests, custom networking). Default: OpenVidu's calls go
   * over `node:http`/`node:https` with a keep-alive agent, LiveKit's over the global `fetch`.
   */
  fetch?: typeof fetch;
}

export interface ResolvedLiveKit {
  url: string;
  apiKey: string;
  apiSecret: string;
  recordingsUrl: string | undefined;
}

export interface ResolvedOptions {
  mediaBackend: 'openvidu' | 'livekit';
  /** Set when `mediaBackend` is `livekit`. */
  livekit: ResolvedLiveKit | undefined;
  openviduUrl: string;
  openviduSecret: string;
  openviduTimeoutMs: number;
  corsOrigins: string[];
  auth: JwtAuthOptions | undefined;
  demo: DemoOptions | undefined;
  dataDir: string | undefined;
  /** PostgreSQL (`DATABASE_URL`); `undefined` = PGlite. */
  database: { url: string; poolSize: number; statementTimeoutMs: number } | undefined;
  webhook: WebhookAuthOptions | undefined;
  /** `AUTH_CONSULT_CLAIM` / `consultClaim`. */
  consultClaim: string | undefined;
  /** `AUTHORIZE_URL` / `authorizeUrl`. */
  authorizeUrl: AuthorizeUrlOptions | undefined;
  /** Trusted proxy hops (0 = use the socket address). */
  trustProxyHops: number;
  production: boolean;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `86400`, `86400s`, `90m`, `24h` or `1d` → seconds. */
export function parseDurationSec(v: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/i.exec(v);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m?.[2] ?? 's').toLowerCase() as 's'];
  const n = m ? Number(m[1]) * unit : NaN;
  if (!(n > 0))
    throw new Error(`${name} must be a duration such as 86400, 24h or 90m (got "${v}")`);
  return n;
}

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a whole number ≥ 0 (got "${v}")`);
  return n;
}

function trustProxyHops(option: boolean | number | undefined, env: string | undefined): number {
  if (option !== undefined) {
    if (option === true) return 1;
    if (option === false) return 0;
    if (Number.isInteger(option) && option >= 0) return option;
    throw new Error(`trustProxy must be true, false or a number of proxy hops (got ${option})`);
  }
  if (env === undefined || env.trim() === '') return 0;
  if (/^(true|yes)$/i.test(env.trim())) return 1;
  if (/^(false|no)$/i.test(env.trim())) return 0;
  const n = positiveInt(env, 'TRUST_PROXY');
  return n ?? 0;
}

function demoFromEnv(v: string | undefined): boolean {
  if (v === undefined || v.trim() === '') return false;
  if (/^(1|true|yes|on)$/i.test(v.trim())) return true;
  if (/^(0|false|no|off)$/i.test(v.trim())) return false;
  throw new Error(`CONSULT_KIT_DEMO must be 1 (demo mode) or 0 (got "${v}")`);
}

function isRole(v: string): v is ParticipantRole {
  return v === 'provider' || v === 'patient' || v === 'guest';
}

function resolveDatabase(
  options: TokenServerOptions,
  env: Record<string, string | undefined>,
): ResolvedOptions['database'] {
  const url = options.databaseUrl ?? (env['DATABASE_URL']?.trim() || undefined);
  if (url === undefined) return undefined;
  const poolSize =
    options.databasePoolSize ?? positiveInt(env['DATABASE_POOL_SIZE'], 'DATABASE_POOL_SIZE') ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1)
    throw new Error(`DATABASE_POOL_SIZE must be a whole number ≥ 1 (got ${poolSize})`);
  const statementTimeoutMs =
    options.databaseStatementTimeoutMs ??
    positiveInt(env['DATABASE_STATEMENT_TIMEOUT_MS'], 'DATABASE_STATEMENT_TIMEOUT_MS') ??
    10_000;
  if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 0)
    throw new Error(
      `DATABASE_STATEMENT_TIMEOUT_MS must be a whole number ≥ 0 (got ${statementTimeoutMs})`,
    );
  return { url: parseDatabaseUrl(url), poolSize, statementTimeoutMs };
}

/** Options win over the environment. */
export function resolveOptions(options: TokenServerOptions): ResolvedOptions {
  const env = options.env ?? process.env;
  const production = env['NODE_ENV'] === 'production';
  const mediaBackend = options.mediaBackend ?? (env['MEDIA_BACKEND']?.trim() || 'openvidu');
  if (mediaBackend !== 'openvidu' && mediaBackend !== 'livekit')
    throw new Error(`MEDIA_BACKEND must be openvidu or livekit (got "${String(mediaBackend)}")`);
  checkBackendSettings(options, env, mediaBackend);
  // Only the OpenVidu backend uses the OpenVidu secret; a LiveKit deployment does not need one.
  const openviduSecret =
    options.openviduSecret ??
    env['OPENVIDU_SECRET'] ??
    (production && mediaBackend === 'openvidu' ? undefined : 'MY_SECRET');
  if (!openviduSecret) throw new Error('OPENVIDU_SECRET is required in production');

  let auth = options.auth;
  if (!auth && (env['AUTH_JWKS_URL'] || env['AUTH_JWT_SECRET'])) {
    const issuer = list(env['AUTH_ISSUER']);
    const audience = list(env['AUTH_AUDIENCE']);
    const roleMap: Record<string, ParticipantRole> = {};
    for (const pair of list(env['AUTH_ROLE_MAP']) ?? []) {
      const [from, to] = pair.split(':');
      if (from && to && isRole(to)) roleMap[from] = to;
    }
    auth = {
      ...(env['AUTH_JWKS_URL'] ? { jwksUrl: env['AUTH_JWKS_URL'] } : {}),
      ...(env['AUTH_JWT_SECRET'] ? { secret: env['AUTH_JWT_SECRET'] } : {}),
      ...(issuer?.length ? { issuer: issuer.length === 1 ? (issuer[0] as string) : issuer } : {}),
      ...(audience?.length
        ? { audience: audience.length === 1 ? (audience[0] as string) : audience }
        : {}),
      ...(env['AUTH_ROLE_CLAIM'] ? { roleClaim: env['AUTH_ROLE_CLAIM'] } : {}),
      ...(Object.keys(roleMap).length ? { roleMap } : {}),
      ...(env['AUTH_MAX_TOKEN_AGE']
        ? { maxTokenAgeSec: parseDurationSec(env['AUTH_MAX_TOKEN_AGE'], 'AUTH_MAX_TOKEN_AGE') }
        : {}),
    };
  }

  // Demo mode is an explicit choice only (never implied by NODE_ENV), and never with real auth.
  const demoOn =
    options.demo !== undefined ? options.demo !== false : demoFromEnv(env['CONSULT_KIT_DEMO']);
  if (demoOn && (auth || options.authenticate))
    throw new Error(
      'Demo mode and real authentication are both configured. Demo logins (doctor/doctor123) must ' +
        'never reach a server that accepts real users: remove --demo / CONSULT_KIT_DEMO / demo, or ' +
        'remove AUTH_JWT_SECRET / AUTH_JWKS_URL / auth / authenticate.',
    );
  const demo: DemoOptions | undefined = demoOn
    ? {
        ...(typeof options.demo === 'object' ? options.demo : {}),
        ...(typeof options.demo !== 'object' && env['CONSULT_KIT_DEMO_SECRET']
          ? { secret: env['CONSULT_KIT_DEMO_SECRET'] }
          : {}),
      }
    : undefined;

  const webhookSecret = options.webhook?.secret ?? env['OPENVIDU_WEBHOOK_SECRET'];
  const webhookHeader = options.webhook?.header ?? env['OPENVIDU_WEBHOOK_HEADER'];
  const webhook = webhookSecret
    ? { secret: webhookSecret, ...(webhookHeader ? { header: webhookHeader } : {}) }
    : undefined;

  const consultClaim = options.consultClaim ?? (env['AUTH_CONSULT_CLAIM']?.trim() || undefined);
  const urlOption =
    typeof options.authorizeUrl === 'string' ? { url: options.authorizeUrl } : options.authorizeUrl;
  const envTimeout = positiveInt(env['AUTHORIZE_TIMEOUT_MS'], 'AUTHORIZE_TIMEOUT_MS');
  const envCache = positiveInt(env['AUTHORIZE_CACHE_MS'], 'AUTHORIZE_CACHE_MS');
  const authorizeUrl: AuthorizeUrlOptions | undefined =
    urlOption ??
    (env['AUTHORIZE_URL']?.trim()
      ? {
          url: env['AUTHORIZE_URL'].trim(),
          ...(envTimeout !== undefined ? { timeoutMs: envTimeout } : {}),
          ...(envCache !== undefined ? { cacheTtlMs: envCache } : {}),
          ...(env['AUTHORIZE_SECRET'] ? { secret: env['AUTHORIZE_SECRET'] } : {}),
        }
      : undefined);

  const dataDir = options.dataDir ?? env['CONSULT_KIT_DATA_DIR'];
  const database = options.db ? undefined : resolveDatabase(options, env);
  if (database && dataDir)
    throw new Error(
      'Both DATABASE_URL (PostgreSQL) and CONSULT_KIT_DATA_DIR (PGlite) are set: choose one database.',
    );
  return {
    mediaBackend,
    livekit: mediaBackend === 'livekit' ? resolveLiveKit(options, env, production) : undefined,
    openviduUrl: options.openviduUrl ?? env['OPENVIDU_URL'] ?? 'http://localhost:4443',
    openviduSecret,
    openviduTimeoutMs: options.openviduTimeoutMs ?? num(env['OPENVIDU_TIMEOUT_MS']) ?? 5000,
    corsOrigins: options.corsOrigins ?? list(env['CORS_ORIGINS']) ?? [],
    auth,
    demo,
    dataDir: dataDir || undefined,
    database,
    webhook,
    consultClaim,
    authorizeUrl,
    trustProxyHops: trustProxyHops(options.trustProxy, env['TRUST_PROXY']),
    production,
  };
}

const LIVEKIT_VARS = [
  'LIVEKIT_URL',
  'LIVEKIT_API_KEY',
  'LIVEKIT_API_SECRET',
  'LIVEKIT_RECORDINGS_URL',
];

/**
 * Settings of the other backend are a configuration mistake (most often a forgotten
 * `MEDIA_BACKEND=livekit`), not something to ignore: the server would quietly talk to a media
 * server nobody meant. The messages name the settings, never their values.
 */
function checkBackendSettings(
  options: TokenServerOptions,
  env: Record<string, string | undefined>,
  mediaBackend: 'openvidu' | 'livekit',
): void {
  if (mediaBackend === 'livekit') {
    if (options.openviduUrl !== undefined || env['OPENVIDU_URL']?.trim())
      throw new Error(
        'OPENVIDU_URL (--openvidu-url, openviduUrl) is set but MEDIA_BACKEND is livekit: ' +
          'set LIVEKIT_URL for LiveKit and unset OPENVIDU_URL, or use MEDIA_BACKEND=openvidu.',
      );
    return;
  }
  const set = LIVEKIT_VARS.filter((name) => env[name]?.trim());
  if (options.livekit !== undefined || set.length > 0)
    throw new Error(
      `${set.length > 0 ? set.join(', ') : 'The livekit option'} ${set.length > 1 ? 'are' : 'is'} ` +
        'set but MEDIA_BACKEND is openvidu ' +
        '(the default): set MEDIA_BACKEND=livekit (--media-backend livekit) to use LiveKit, ' +
        'or unset them.',
    );
}

/**
 * LiveKit's settings; outside production the key pair defaults to LiveKit's dev-mode pair
 * (`devkey` / `secret`, what `livekit-server --dev` accepts) and the URL to `ws://localhost:7880`.
 * The messages name the variables, never their values.
 */
function resolveLiveKit(
  options: TokenServerOptions,
  env: Record<string, string | undefined>,
  production: boolean,
): ResolvedLiveKit {
  const o = options.livekit ?? {};
  const pick = (value: string | undefined, name: string, dev: string): string => {
    const v = (value ?? env[name])?.trim() || (production ? undefined : dev);
    if (!v) throw new Error(`${name} is required with MEDIA_BACKEND=livekit in production`);
    return v;
  };
  const url = pick(o.url, 'LIVEKIT_URL', 'ws://localhost:7880');
  if (!/^(wss?|https?):\/\/[^/\s]+/.test(url))
    throw new Error('LIVEKIT_URL must be a ws://, wss://, http:// or https:// URL');
  const recordingsUrl = (o.recordingsUrl ?? env['LIVEKIT_RECORDINGS_URL'])?.trim() || undefined;
  if (recordingsUrl && !/^https?:\/\/[^/\s]+/.test(recordingsUrl))
    throw new Error('LIVEKIT_RECORDINGS_URL must be an http:// or https:// URL');
  return {
    url: url.replace(/^http(s?):/, 'ws$1:'),
    apiKey: pick(o.apiKey, 'LIVEKIT_API_KEY', 'devkey'),
    apiSecret: pick(o.apiSecret, 'LIVEKIT_API_SECRET', 'secret'),
    recordingsUrl,
  };
}
