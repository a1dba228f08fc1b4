/**
 * OpenVidu sessions and connection tokens. A consultation's OpenVidu session is created on demand,
 * once per burst of callers (the first-session guard), and each token is a new OpenVidu connection
 * whose server data names the user; the connection is remembered so webhooks can be attributed.
 */
import type {
  ConnectionServerData,
  ParticipantRole,
  TokenResponse,
} from '../../../src/contract.js';
import { openViduUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { OpenViduClient } from '../openvidu-client.js';
import type { ConnectionRepository } from '../repositories/connections.js';
import type { UserRef } from '../store.js';
import type { AuditLog } from './audit-log.js';

export interface TokenServiceDeps {
  ov: OpenViduClient;
  connections: ConnectionRepository;
  audit: AuditLog;
  logger: Logger;
  /** Advertised token lifetime in seconds (`expiresAt`). */
  tokenTtlSec: number;
}

export class TokenService {
  private readonly sessionCreations = new Map<string, Promise<void>>();

  constructor(private readonly deps: TokenServiceDeps) {}

  /** Creates the session once per burst: simultaneous callers share one request; 409 is success. */
  ensureSession(consultId: string): Promise<void> {
    let p = this.sessionCreations.get(consultId);
    if (!p) {
      p = this.deps.ov
        .createSession(consultId)
        .then((r) => {
          if (r.created) this.deps.logger.info('openvidu session created', { consultId });
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
    await this.ensureSession(consultId);
    let conn = await ov.createConnection(consultId, props);
    if (!conn) {
      // The session closed in between (last participant left, or OpenVidu restarted).
      await this.ensureSession(consultId);
      conn = await ov.createConnection(consultId, props);
    }
    if (!conn || !conn.token) throw openViduUnavailable();
    await connections.upsertParticipant(consultId, who);
    await connections.insertConnection(conn.connectionId, consultId, who);
    await audit.record(consultId, 'token.issued', actor, {
      ...(actor.id !== who.id ? { subjectId: who.id } : {}),
      details: { connectionId: conn.connectionId },
      ip,
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
}
