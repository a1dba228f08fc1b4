/**
 * The audit trail: who did what in which consultation, from where. Every write goes through
 * {@link AuditLog.record}, so a tamper-evident chain or a retention policy has one place to live.
 */
import type { AuditEntry, ParticipantRole } from '../../../src/contract.js';
import type { AuditRepository } from '../repositories/audit.js';

/** Who acted: a user, or the server itself (`system`, e.g. a webhook). */
export interface Actor {
  id: string;
  role: ParticipantRole | 'system';
}

export interface AuditExtra {
  /** The user acted upon, when it is not the actor. */
  subjectId?: string;
  details?: Record<string, unknown>;
  /** The client IP (of the request, or as OpenVidu reported it). */
  ip?: string | undefined;
}

export const SYSTEM_ACTOR: Actor = { id: 'system', role: 'system' };

export class AuditLog {
  constructor(private readonly rows: AuditRepository) {}

  record(consultId: string, action: string, actor: Actor, extra: AuditExtra = {}): Promise<void> {
    return this.rows.audit({
      consultId,
      action,
      actorId: actor.id,
      actorRole: actor.role,
      ...(extra.subjectId !== undefined ? { subjectId: extra.subjectId } : {}),
      ...(extra.details ? { details: extra.details } : {}),
      ...(extra.ip ? { ip: extra.ip } : {}),
    });
  }

  /** The latest `limit` entries, oldest first. */
  entries(consultId: string, limit: number): Promise<AuditEntry[]> {
    return this.rows.auditEntries(consultId, limit);
  }
}
