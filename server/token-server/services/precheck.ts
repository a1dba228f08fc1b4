/**
 * Pre-call tests: a throwaway OpenVidu session with two connections (one publishes, one subscribes
 * to it), so a browser can measure its camera, microphone and network through the real media server
 * days before a consultation. No consultation row, no chat, no recording (`record: false`, and the
 * session's id is not a consultation id, so the webhook receiver ignores its events).
 *
 * Each session is closed after `ttlSec` by an unref'd timer (and on {@link PrecheckService.close});
 * at most `maxConcurrent` run at once per instance. Timers live in this process: a restart leaves a
 * test session to OpenVidu's own cleanup of empty sessions.
 *
 * Audited in one chain of its own, {@link PRECHECK_AUDIT_CHAIN}, as `precheck.started`: who (or
 * `anonymous`), from where, the test id. Nothing about health or a consultation.
 */
import { randomBytes } from 'node:crypto';
import type { PrecheckTokenResponse } from '../../../src/contract.js';
import type { AuthenticatedUser } from '../auth.js';
import { ApiError, errorMessage, openViduUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MediaServer } from './media-server.js';
import type { AuditLog } from './audit-log.js';

/**
 * The audit chain of pre-call tests. `~` is outside the consultation id pattern, so no
 * consultation's audit trail or export ever contains these entries.
 */
export const PRECHECK_AUDIT_CHAIN = '~precheck';

/** Prefix of a test session's id (the rest is 128 random bits). */
const SESSION_PREFIX = 'precheck_';

export interface PrecheckServiceOptions {
  /** Seconds until the test session is closed (default 60). */
  ttlSec?: number;
  /** Test sessions allowed at once on this instance (default 50); beyond it 429. */
  maxConcurrent?: number;
}

export interface PrecheckServiceDeps extends PrecheckServiceOptions {
  ov: MediaServer;
  logger: Logger;
}

export class PrecheckService {
  private readonly ttlSec: number;
  private readonly maxConcurrent: number;
  /** Close timers of open test sessions, by session id. */
  private readonly open = new Map<string, ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(private readonly deps: PrecheckServiceDeps) {
    this.ttlSec = deps.ttlSec ?? 60;
    this.maxConcurrent = deps.maxConcurrent ?? 50;
  }

  /** Number of test sessions this instance has open (tests, metrics). */
  get openCount(): number {
    return this.open.size;
  }

  /**
   * Creates a test session and its two tokens. `user` is undefined for a caller who is not signed
   * in (when the route allows it).
   */
  async start(
    user: AuthenticatedUser | undefined,
    ip: string | undefined,
    audit: AuditLog,
  ): Promise<PrecheckTokenResponse> {
    if (this.closed)
      throw new ApiError(503, 'internal', 'Shutting down; retry on another instance.');
    if (this.open.size >= this.maxConcurrent)
      throw new ApiError(429, 'rate-limited', 'Too many pre-call tests running; retry shortly.', {
        headers: { 'Retry-After': String(Math.min(this.ttlSec, 30)) },
      });
    const { ov, logger } = this.deps;
    const precheckId = SESSION_PREFIX + randomBytes(16).toString('hex');
    // Reserve the slot before the first await so simultaneous callers count against the limit.
    this.open.set(precheckId, this.scheduleClose(precheckId));
    try {
      await ov.createSession(precheckId);
      const data = JSON.stringify({ precheck: true });
      const connection = () =>
        ov.createConnection(precheckId, { role: 'PUBLISHER', data, record: false });
      const [publisher, subscriber] = [await connection(), await connection()];
      if (!publisher?.token || !subscriber?.token) throw openViduUnavailable();
      await audit.record(
        PRECHECK_AUDIT_CHAIN,
        'precheck.started',
        user ? { id: user.id, role: user.role } : { id: 'anonymous', role: 'guest' },
        { details: { precheckId, anonymous: user === undefined }, ip },
      );
      logger.info('precheck started', { precheckId, anonymous: user === undefined });
      return {
        precheckId,
        publisherToken: publisher.token,
        subscriberToken: subscriber.token,
        ...ov.tokenFields(),
        expiresAt: new Date(Date.now() + this.ttlSec * 1000).toISOString(),
      };
    } catch (e) {
      void this.end(precheckId);
      if (e instanceof ApiError) throw e;
      logger.warn('precheck failed to start', { precheckId, error: errorMessage(e) });
      throw openViduUnavailable();
    }
  }

  /** Closes every open test session (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.open.keys()].map((id) => this.end(id)));
  }

  private scheduleClose(precheckId: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => void this.end(precheckId), this.ttlSec * 1000);
    timer.unref?.();
    return timer;
  }

  /** Forgets the session and asks OpenVidu to close it (404 = already gone); never throws. */
  private async end(precheckId: string): Promise<void> {
    const timer = this.open.get(precheckId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.open.delete(precheckId);
    try {
      await this.deps.ov.closeSession(precheckId);
    } catch (e) {
      this.deps.logger.warn('precheck session not closed', {
        precheckId,
        error: errorMessage(e),
      });
    }
  }
}
