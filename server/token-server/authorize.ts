/**
 * Binding users to consultations: the three ways a deployment says who may act in which consult
 * (a consult claim in the portal's JWT, the portal's HTTP callback, the `authorize` hook in code),
 * and `configureAuth`, which turns the options into the server's authenticator and authorizer and
 * refuses to start without a binding outside demo mode.
 */
import type { AuthenticatedUser, Authenticate } from './auth.js';
import { DemoAuth, jwtAuthenticator } from './auth.js';
import { ApiError } from './errors.js';
import type { Logger } from './logger.js';
import type {
  Authorize,
  AuthorizeUrlOptions,
  ConsultAction,
  ResolvedOptions,
  TokenServerOptions,
} from './options.js';

/** Allows a user in the consults their JWT lists under `claim` (a string, or an array of ids). */
export function consultClaimAuthorizer(claim: string): Authorize {
  const matches = (v: unknown, consultId: string): boolean =>
    typeof v === 'string' ? v === consultId : typeof v === 'number' && String(v) === consultId;
  return (user, consultId) => {
    const value = user.claims?.[claim];
    return Array.isArray(value)
      ? value.some((v) => matches(v, consultId))
      : matches(value, consultId);
  };
}

/** What the token server POSTs to the portal's authorization callback. */
export interface AuthorizeCallbackBody {
  user: {
    id: string;
    subject?: string;
    issuer?: string;
    role: AuthenticatedUser['role'];
    displayName: string;
  };
  consultId: string;
  action: ConsultAction;
}

export const DEFAULT_AUTHORIZE_TIMEOUT_MS = 2000;
export const DEFAULT_AUTHORIZE_CACHE_MS = 10_000;
const MAX_CACHE_ENTRIES = 10_000;

const authorizationUnavailable = (): ApiError =>
  new ApiError(
    503,
    'authorization-unavailable',
    "The portal's authorization service did not answer; try again shortly.",
    { headers: { 'Retry-After': '5' } },
  );

/**
 * Asks the portal: POST `{ user, consultId, action }` to `url`. 2xx allows; any other answer
 * denies; a timeout or network error throws 503 `authorization-unavailable` (fails closed).
 * Answers (2xx and 4xx) are cached for `cacheTtlMs`; concurrent identical questions share a call.
 */
export function httpAuthorizer(
  options: AuthorizeUrlOptions & { logger?: Logger; fetch?: typeof fetch },
): Authorize {
  const url = checkUrl(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_AUTHORIZE_TIMEOUT_MS;
  const cacheTtlMs = options.cacheTtlMs ?? DEFAULT_AUTHORIZE_CACHE_MS;
  const doFetch = options.fetch ?? fetch;
  const cache = new Map<string, { allowed: boolean; until: number }>();
  const inFlight = new Map<string, Promise<boolean>>();

  const ask = async (key: string, body: AuthorizeCallbackBody): Promise<boolean> => {
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(options.secret ? { Authorization: `Bearer ${options.secret}` } : {}),
        },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const timeout = e instanceof Error && e.name === 'TimeoutError';
      options.logger?.warn('authorization callback failed', {
        consultId: body.consultId,
        action: body.action,
        error: timeout ? `timeout after ${timeoutMs} ms` : 'network error',
      });
      throw authorizationUnavailable();
    }
    await res.body?.cancel().catch(() => undefined);
    const allowed = res.status >= 200 && res.status < 300;
    // 5xx is the portal's trouble, not an answer: deny now, ask again next time.
    if (cacheTtlMs > 0 && res.status < 500) {
      if (cache.size >= MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      cache.set(key, { allowed, until: Date.now() + cacheTtlMs });
    }
    if (res.status >= 500)
      options.logger?.warn('authorization callback answered an error', {
        consultId: body.consultId,
        action: body.action,
        status: res.status,
      });
    return allowed;
  };

  return async (user, consultId, action) => {
    const key = JSON.stringify([user.id, user.role, consultId, action]);
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.allowed;
    if (hit) cache.delete(key);
    let pending = inFlight.get(key);
    if (!pending) {
      const body: AuthorizeCallbackBody = {
        user: {
          id: user.id,
          ...(user.subject !== undefined ? { subject: user.subject } : {}),
          ...(user.issuer !== undefined ? { issuer: user.issuer } : {}),
          role: user.role,
          displayName: user.displayName,
        },
        consultId,
        action,
      };
      pending = ask(key, body).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`AUTHORIZE_URL (authorizeUrl) is not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new Error(`AUTHORIZE_URL (authorizeUrl) must be an http(s) URL: "${url}"`);
  return parsed.href;
}

/** Every authorizer must allow (in order; the first "no" wins). */
export function allOf(authorizers: readonly Authorize[]): Authorize {
  if (authorizers.length === 1) return authorizers[0] as Authorize;
  return async (user, consultId, action) => {
    for (const a of authorizers) if (!(await a(user, consultId, action))) return false;
    return true;
  };
}

export const NO_BINDING_MESSAGE =
  'No binding of users to consultations: without one, every signed-in user could join, record and ' +
  'download every consultation. Configure at least one of: ' +
  '(a) AUTH_CONSULT_CLAIM=<claim> (consultClaim), a claim in the portal JWT listing the consult ids; ' +
  '(b) AUTHORIZE_URL=<url> (authorizeUrl), the portal answers POST { user, consultId, action } with 2xx to allow; ' +
  '(c) an authorize(user, consultId, action) hook in code. See docs/auth.md.';

export interface ConfiguredAuth {
  /** Demo login (demo mode only). */
  demo: DemoAuth | undefined;
  /** The real authenticator (undefined in demo mode). */
  primary: Authenticate | undefined;
  /** The combined per-consult authorization. */
  authorize: Authorize;
}

/**
 * Builds authentication and authorization from the options. Throws (a start-up error saying how
 * to fix it) without any authentication, and outside demo mode without a binding of users to
 * consults. In demo mode without a binding, the demo users may act in every consult.
 */
export function configureAuth(
  options: TokenServerOptions,
  cfg: ResolvedOptions,
  logger: Logger,
): ConfiguredAuth {
  const demo = cfg.demo
    ? new DemoAuth(cfg.demo.secret, cfg.demo.tokenTtlSec, cfg.demo.users)
    : undefined;
  const primary: Authenticate | undefined =
    options.authenticate ?? (cfg.auth ? jwtAuthenticator(cfg.auth) : undefined);
  if (!primary && !demo)
    throw new Error(
      'No authentication configured: set AUTH_JWKS_URL or AUTH_JWT_SECRET (auth), an authenticate ' +
        'hook, or choose demo mode explicitly (--demo, CONSULT_KIT_DEMO=1, demo: true).',
    );
  const bindings: Authorize[] = [];
  if (cfg.consultClaim) bindings.push(consultClaimAuthorizer(cfg.consultClaim));
  if (options.authorize) bindings.push(options.authorize);
  if (cfg.authorizeUrl) bindings.push(httpAuthorizer({ ...cfg.authorizeUrl, logger }));
  if (bindings.length === 0) {
    if (!demo) throw new Error(NO_BINDING_MESSAGE);
    logger.warn('demo mode: every demo user may act in every consult');
    return { demo, primary, authorize: () => true };
  }
  if (cfg.auth && (cfg.auth.issuer === undefined || cfg.auth.audience === undefined))
    logger.warn('JWT auth without AUTH_ISSUER or AUTH_AUDIENCE: set both to pin the portal');
  return { demo, primary, authorize: allOf(bindings) };
}
