/**
 * OpenVidu sessions and connection tokens. A consultation's OpenVidu session is created on demand,
 * once per burst of callers (the first-session guard), and each token is a new OpenVidu connection
 * whose server data names the user; the connection is remembered so webhooks can be attributed.
 *
 * A token is good until its `expiresAt`: a connection still unused then (OpenVidu's status
 * `pending`) is removed from OpenVidu, so the token cannot be used later. One unref'd timer per
 * issued token, cleared when the connection joins (webhook) and on {@link TokenService.close};
 * timers live in this process, so a restart forgets them (the tokens themselves are never stored).
 */
import type {
  ConnectionServerData,
  ParticipantRole,
  TokenResponse,
} from '../../../src/contract.js';
import { errorMessage, openViduUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MediaServer } from './media-server.js';
import type { ConnectionRepository } from '../repositories/connections.js';
import type { UserRef } from '../store.js';
import type { AuditLog } from './audit-log.js';
import { SYSTEM_ACTOR } from './audit-log.js';

export interface TokenServiceDeps {
  ov: MediaServer;
  connections: ConnectionRepository;
  audit: AuditLog;
  logger: Logger;
  /** Advertised token lifetime in seconds (`expiresAt`). */
  tokenTtlSec: number;
  /** Told about every token handed out (metrics). */
  onIssued?: (role: ParticipantRole) => void;
}

/** Sessions remembered as existing (oldest forgotten first); a forgotten one costs one create (409). */
const MAX_KNOWN_SESSIONS = 10_000;

/** setTimeout's longest delay (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class TokenService {
  private readonly sessionCreations = new Map<string, Promise<void>>();
  /** Consults whose OpenVidu session this process created or connected to lately (insertion order = age). */
  private readonly knownSessions = new Set<string>();
  /** Expiry timers of issued tokens whose connection has not joined, by connection id. */
  private readonly expiries = new Map<string, ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(private readonly deps: TokenServiceDeps) {}

  /** Creates the session once per burst: simultaneous callers share one request; 409 is success. */
  ensureSession(consultId: string): Promise<void> {
    let p = this.sessionCreations.get(consultId);
    if (!p) {
      p = this.deps.ov
        .createSession(consultId)
        .then((r) => {
          if (r.created) this.deps.logger.info('openvidu session created', { consultId });
          this.rememberSession(consultId);
        })
        .finally(() => this.sessionCreations.delete(consultId));
      this.sessionCreations.set(consultId, p);
    }
    return p;
  }

  /**
   * A token for `who`, asked for by `actor` (themselves, or the provider admitting them); records
   * the participant and the connection and audits `token.issued`.
   */
  async mint(
    consultId: string,
    who: UserRef,
    actor: { id: string; role: ParticipantRole },
    ip: string | undefined,
  ): Promise<TokenResponse> {
    const { ov, connections, audit, tokenTtlSec } = this.deps;
    const data: ConnectionServerData = {
      userId: who.id,
      displayName: who.displayName,
      role: who.role,
    };
    const props = {
      role: who.role === 'provider' ? ('MODERATOR' as const) : ('PUBLISHER' as const),
      data: JSON.stringify(data),
    };
    // A session this process created or used lately is asked for a connection straight away; a
    // 404 (it closed when its last participant left, or OpenVidu restarted) creates it again.
    if (!this.knownSessions.has(consultId)) await this.ensureSession(consultId);
    let conn = await ov.createConnection(consultId, props);
    if (!conn) {
      this.knownSessions.delete(consultId);
      await this.ensureSession(consultId);
      conn = await ov.createConnection(consultId, props);
    }
    if (!conn || !conn.token) throw openViduUnavailable();
    this.rememberSession(consultId);
    // The participant, the connection and the audit entry commit together, in one statement,
    // before the answer leaves: no token is ever handed out without its audit row.
    await audit.record(consultId, 'token.issued', actor, {
      ...(actor.id !== who.id ? { subjectId: who.id } : {}),
      details: { connectionId: conn.connectionId },
      ip,
      alongside: connections.issuedWrites(consultId, conn.connectionId, who),
    });
    this.deps.onIssued?.(who.role);
    const expiresAt = Date.now() + tokenTtlSec * 1000;
    this.expireAt(consultId, conn.connectionId, expiresAt);
    return {
      token: conn.token,
      consultId,
      connectionId: conn.connectionId,
      ...ov.tokenFields(),
      role: who.role,
      expiresAt: new Date(expiresAt).toISOString(),
      userId: who.id,
      displayName: who.displayName,
    };
  }

  private rememberSession(consultId: string): void {
    this.knownSessions.delete(consultId);
    this.knownSessions.add(consultId);
    if (this.knownSessions.size > MAX_KNOWN_SESSIONS)
      this.knownSessions.delete(this.knownSessions.values().next().value as string);
  }

  /** The connection joined: its token was used, nothing to expire. */
  used(connectionId: string): void {
    const timer = this.expiries.get(connectionId);
    if (timer) clearTimeout(timer);
    this.expiries.delete(connectionId);
  }

  /** Clears every expiry timer (server closing). */
  close(): void {
    this.closed = true;
    for (const timer of this.expiries.values()) clearTimeout(timer);
    this.expiries.clear();
  }

  private expireAt(consultId: string, connectionId: string, at: number): void {
    if (this.closed) return;
    const delay = Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.expiries.delete(connectionId);
      if (at > Date.now()) return this.expireAt(consultId, connectionId, at);
      void this.expire(consultId, connectionId);
    }, delay);
    timer.unref?.();
    this.expiries.set(connectionId, timer);
  }

  /** Removes the connection from OpenVidu when it is still unused (`pending`). */
  private async expire(consultId: string, connectionId: string): Promise<void> {
    const { ov, audit, logger } = this.deps;
    try {
      const conn = await ov.getConnection(consultId, connectionId);
      if (this.closed || conn?.status !== 'pending') return;
      if (!(await ov.destroyConnection(consultId, connectionId))) return;
      await audit.record(consultId, 'token.expired', SYSTEM_ACTOR, { details: { connectionId } });
    } catch (e) {
      logger.warn('could not expire an unused token', { consultId, error: errorMessage(e) });
    }
  }
}
