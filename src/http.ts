/**
 * HTTP to the token server: bearer auth per request, a timeout per attempt, bounded retries with
 * backoff for failures that are safe to repeat, and one mapping from HTTP outcomes to
 * {@link ConsultError} codes.
 * @packageDocumentation
 */
import type { ApiErrorCode } from './contract.js';
import { ConsultError, isAbortError, type ConsultErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import type { Clock } from './platform.js';
import { backoffDelay, sleep } from './timers.js';

/**
 * The portal's bearer token: a string, or a function called before every request (so it can
 * refresh). Returning `undefined` sends no `Authorization` header.
 * @public
 */
export type AuthProvider = string | (() => string | undefined | Promise<string | undefined>);

/** Retry policy of token-server requests. @public */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First backoff delay in ms (doubled per retry, with jitter). Default 500. */
  baseDelayMs?: number;
  /** Cap of one backoff delay in ms. Default 8000. */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured, in ms; a longer one surfaces `rate-limited`. Default 30000. */
  maxRetryAfterMs?: number;
  /** Random source in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
}

/** @internal */
export interface HttpClientOptions {
  fetch: typeof fetch;
  clock: Clock;
  auth?: AuthProvider;
  logger: Logger;
  /** Per-attempt timeout in ms. Default 10000. */
  timeoutMs?: number;
  retry?: RetryOptions;
}

/** @internal */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Retry network errors, 429 and 502/503/504. Only for requests that are safe to repeat. */
  retry?: boolean;
  /** Code for a 404 answer. Default `consult-not-found`. */
  notFoundCode?: ConsultErrorCode;
  /** Read the body as JSON (default) or hand back the raw response after a 2xx status. */
  read?: 'json' | 'raw';
}

/** @internal */
export interface HttpResult {
  status: number;
  /** Parsed JSON body (`undefined` for an empty body or `read: 'raw'`). */
  data: unknown;
  response: Response;
}

const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Where each of the token server's error codes lands among the SDK's. `not-found` stands for the
 * request's own not-found code (`consult-not-found`, or `recording-failed` for recording calls). A
 * code added to `API_ERROR_CODES` does not compile until it is listed here; a code outside the
 * contract (another server's) is mapped from the HTTP status.
 */
const SERVER_CODES: Record<ApiErrorCode, ConsultErrorCode | 'not-found'> = {
  'invalid-request': 'unknown',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  'admission-denied': 'admission-denied',
  'consult-not-found': 'not-found',
  'consult-ended': 'consult-ended',
  'recording-not-found': 'not-found',
  'not-found': 'not-found',
  conflict: 'conflict',
  'payload-too-large': 'unknown',
  'consent-required': 'consent-required',
  'rate-limited': 'rate-limited',
  'openvidu-unavailable': 'server-error',
  'authorization-unavailable': 'server-error',
  'recording-failed': 'recording-failed',
  'invite-not-found': 'invite-invalid',
  'invite-used': 'invite-invalid',
  'invite-expired': 'invite-invalid',
  'invite-revoked': 'invite-invalid',
  internal: 'server-error',
};

/**
 * Maps a non-2xx status (and the server's error body) to a ConsultError.
 * @internal
 */
export function errorForStatus(
  status: number,
  body: unknown,
  notFoundCode: ConsultErrorCode = 'consult-not-found',
): ConsultError {
  const server = readErrorBody(body);
  const mapped =
    server && Object.hasOwn(SERVER_CODES, server.code)
      ? SERVER_CODES[server.code as ApiErrorCode]
      : codeForStatus(status, notFoundCode);
  const code = mapped === 'not-found' ? notFoundCode : mapped;
  const message = server?.message || `The token server answered HTTP ${status}.`;
  return new ConsultError(code, message, { status, details: server?.details });
}

/** The code of an answer whose body names no contract code. */
function codeForStatus(status: number, notFoundCode: ConsultErrorCode): ConsultErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return notFoundCode;
  if (status === 409) return 'conflict';
  if (status === 412) return 'consent-required';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server-error';
  return 'unknown';
}

function readErrorBody(
  body: unknown,
): { code: string; message: string; details?: Record<string, unknown> } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, details } = error as {
    code?: unknown;
    message?: unknown;
    details?: unknown;
  };
  return {
    code: typeof code === 'string' ? code : '',
    message: typeof message === 'string' ? message : '',
    details:
      typeof details === 'object' && details !== null
        ? (details as Record<string, unknown>)
        : undefined,
  };
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`.
 * @internal
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves the bearer token of one request. @internal */
export async function resolveAuth(auth: AuthProvider | undefined): Promise<string | undefined> {
  if (auth === undefined) return undefined;
  if (typeof auth === 'string') return auth;
  try {
    return await auth();
  } catch (error) {
    throw ConsultError.from(error, 'unauthorized');
  }
}

/** @internal */
export class HttpClient {
  private readonly options: HttpClientOptions;

  constructor(options: HttpClientOptions) {
    this.options = options;
  }

  /** The headers every request carries (also used by the event stream). */
  async authHeaders(): Promise<Record<string, string>> {
    const token = await resolveAuth(this.options.auth);
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  /** Performs a request; resolves on 2xx, rejects with a ConsultError otherwise. */
  async request(url: string, options: RequestOptions = {}): Promise<HttpResult> {
    const { clock, logger } = this.options;
    const retry = this.options.retry ?? {};
    const retries = options.retry ? (retry.retries ?? 3) : 0;
    const baseDelayMs = retry.baseDelayMs ?? 500;
    const maxDelayMs = retry.maxDelayMs ?? 8000;
    const maxRetryAfterMs = retry.maxRetryAfterMs ?? 30_000;
    const random = retry.random ?? Math.random;
    for (let attempt = 0; ; attempt++) {
      let outcome: Attempt;
      try {
        outcome = await this.attempt(url, options);
      } catch (error) {
        throw ConsultError.from(error);
      }
      if (outcome.kind === 'ok') return outcome.result;
      const { error, retryAfterMs } = outcome;
      const retryable =
        outcome.kind === 'network' ||
        (error.status !== undefined && RETRYABLE_STATUS.has(error.status));
      if (!retryable || attempt >= retries) throw error;
      if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) throw error;
      const delay = Math.max(
        retryAfterMs ?? 0,
        backoffDelay(attempt, baseDelayMs, maxDelayMs, random),
      );
      logger.debug('retrying token-server request', {
        code: error.code,
        attempt: attempt + 1,
        delay,
      });
      await sleep(clock, delay, options.signal);
    }
  }

  private async attempt(url: string, options: RequestOptions): Promise<Attempt> {
    const { clock } = this.options;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const outer = options.signal;
    if (outer?.aborted) throw ConsultError.aborted(outer.reason);
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = (): void => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    const timer = clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    // A raw response keeps the caller's signal linked, so aborting still cancels the body read.
    let keepSignalLinked = false;
    const cleanup = (): void => {
      clock.clearTimeout(timer);
      if (!keepSignalLinked) outer?.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown): Attempt => {
      if (outer?.aborted) throw ConsultError.aborted(outer.reason);
      if (timedOut) {
        throw new ConsultError(
          'timeout',
          `The token server did not answer within ${timeoutMs} ms.`,
          {
            cause: error,
          },
        );
      }
      if (error instanceof ConsultError) throw error;
      if (isAbortError(error)) throw ConsultError.aborted(error);
      return {
        kind: 'network',
        error: new ConsultError('network-error', 'The token server could not be reached.', {
          cause: error,
        }),
      };
    };
    try {
      const headers: Record<string, string> = {
        accept: 'application/json',
        ...(await this.authHeaders()),
      };
      const init: RequestInit = {
        method: options.method ?? 'GET',
        headers,
        signal: controller.signal,
      };
      if (options.body !== undefined) {
        headers['content-type'] = 'application/json';
        init.body = JSON.stringify(options.body);
      }
      let response: Response;
      try {
        response = await this.options.fetch(url, init);
      } catch (error) {
        return fail(error);
      }
      if (response.ok && options.read === 'raw') {
        keepSignalLinked = true;
        return { kind: 'ok', result: { status: response.status, data: undefined, response } };
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        return fail(error);
      }
      let data: unknown = undefined;
      if (text.trim() !== '') {
        try {
          data = JSON.parse(text);
        } catch (error) {
          if (response.ok) {
            throw new ConsultError(
              'invalid-response',
              'The token server answered with invalid JSON.',
              {
                cause: error,
                status: response.status,
              },
            );
          }
        }
      }
      if (response.ok) return { kind: 'ok', result: { status: response.status, data, response } };
      return {
        kind: 'status',
        error: errorForStatus(response.status, data, options.notFoundCode),
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), clock.now()),
      };
    } finally {
      cleanup();
    }
  }
}

type Attempt =
  | { kind: 'ok'; result: HttpResult }
  | { kind: 'network'; error: ConsultError; retryAfterMs?: undefined }
  | { kind: 'status'; error: ConsultError; retryAfterMs: number | undefined };
