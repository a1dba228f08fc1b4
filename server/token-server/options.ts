/**
 * Options of the token server, and how the environment fills them in.
 */
import type { ParticipantRole } from '../../src/contract.js';
import type { AuthenticatedUser, Authenticate, DemoUser, JwtAuthOptions } from './auth.js';
import type { Db } from './db.js';
import type { Logger } from './logger.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { EventStreamLimits } from './services/event-streams.js';

/** What a user tries to do in a consultation (the `authorize` hook's `action`). */
export type ConsultAction =
  | 'token'
  | 'events'
  | 'lobby.read'
  | 'lobby.admit'
  | 'lobby.deny'
  | 'consent'
  | 'recording.start'
  | 'recording.stop'
  | 'recording.read'
  | 'recording.download'
  | 'recording.delete'
  | 'messages.read'
  | 'audit.read'
  | 'consult.end';

/**
 * Decides whether `user` may do `action` in `consultId`. Return false for 403. Runs after
 * authentication and after the built-in role checks (provider-only endpoints).
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
  /** Origins allowed by CORS (env `CORS_ORIGINS`, comma-separated; `*` for any). Default: none. */
  corsOrigins?: string[];
  /** JWT verification of the portal's access tokens (env `AUTH_JWKS_URL`, `AUTH_JWT_SECRET`, `AUTH_ISSUER`, `AUTH_AUDIENCE`, `AUTH_ROLE_CLAIM`). */
  auth?: JwtAuthOptions;
  /** Custom authentication; replaces `auth`. */
  authenticate?: Authenticate;
  /**
   * Per-consult authorization. The default admits any authenticated user to any consult: that is
   * for demos only; real portals must check the user's relation to the consultation here.
   */
  authorize?: Authorize;
  /**
   * Demo mode: `POST /api/auth/login` with `doctor`/`doctor123` and `patient`/`patient123`.
   * Default: on unless `NODE_ENV=production` (env `CONSULT_KIT_DEMO=1|0` overrides).
   */
  demo?: boolean | DemoOptions;
  /** PGlite data folder (env `CONSULT_KIT_DATA_DIR`); default in memory. */
  dataDir?: string;
  /** A database to use instead of PGlite (not closed by `close()`). */
  db?: Db;
  /** Webhook receiver authentication (env `OPENVIDU_WEBHOOK_SECRET`, `OPENVIDU_WEBHOOK_HEADER`). Without it the receiver answers 401. */
  webhook?: WebhookAuthOptions;
  /** Waiting room per consult for patients and guests (default: on for every consult). */
  waitingRoom?: boolean | ((consultId: string) => boolean | Promise<boolean>);
  /** Recording needs consent from every connected participant (default true). */
  requireConsent?: boolean;
  /** Token endpoint limit per user + IP (default 10 burst, 1/s); `false` disables. */
  rateLimit?: RateLimitOptions | false;
  /** Largest request body in bytes (default 16 KiB; the webhook receiver allows 256 KiB). */
  maxBodyBytes?: number;
  /** SSE heartbeat interval in ms (default 15000). */
  heartbeatMs?: number;
  /**
   * Token lifetime in seconds (`expiresAt`, default 3600): a connection nobody joined with by then
   * is removed from OpenVidu.
   */
  tokenTtlSec?: number;
  /**
   * Open `GET …/events` streams allowed per user and consultation (default 5) and per user overall
   * (default 20), per instance; beyond them 429 `rate-limited`.
   */
  maxEventStreams?: EventStreamLimits;
  /** Trust `X-Forwarded-For` for client IPs (behind a proxy). Default false. */
  trustProxy?: boolean;
  /** Structured logger (default JSON lines on stdout at `info`; env `LOG_LEVEL`). */
  logger?: Logger;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** fetch used to call OpenVidu (tests). */
  fetch?: typeof fetch;
}

export interface ResolvedOptions {
  openviduUrl: string;
  openviduSecret: string;
  openviduTimeoutMs: number;
  corsOrigins: string[];
  auth: JwtAuthOptions | undefined;
  demo: DemoOptions | undefined;
  dataDir: string | undefined;
  webhook: WebhookAuthOptions | undefined;
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

function isRole(v: string): v is ParticipantRole {
  return v === 'provider' || v === 'patient' || v === 'guest';
}

/** Options win over the environment. */
export function resolveOptions(options: TokenServerOptions): ResolvedOptions {
  const env = options.env ?? process.env;
  const production = env['NODE_ENV'] === 'production';
  const openviduSecret =
    options.openviduSecret ?? env['OPENVIDU_SECRET'] ?? (production ? undefined : 'MY_SECRET');
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
    };
  }

  const demoEnv = env['CONSULT_KIT_DEMO'];
  const demoOn =
    options.demo !== undefined
      ? options.demo !== false
      : demoEnv !== undefined
        ? demoEnv === '1' || demoEnv === 'true'
        : !production;
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

  const dataDir = options.dataDir ?? env['CONSULT_KIT_DATA_DIR'];
  return {
    openviduUrl: options.openviduUrl ?? env['OPENVIDU_URL'] ?? 'http://localhost:4443',
    openviduSecret,
    openviduTimeoutMs: options.openviduTimeoutMs ?? num(env['OPENVIDU_TIMEOUT_MS']) ?? 5000,
    corsOrigins: options.corsOrigins ?? list(env['CORS_ORIGINS']) ?? [],
    auth,
    demo,
    dataDir: dataDir || undefined,
    webhook,
    production,
  };
}
