/**
 * The audit trail rows.
 */
import type { AuditEntry } from '../../../src/contract.js';
import type { Db } from '../db.js';
import { iso, str } from './rows.js';

export class AuditRepository {
  constructor(private readonly db: Db) {}

  async audit(e: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    await this.db.query(
      `insert into audit (consult_id, action, actor_id, actor_role, subject_id, ip, details) values ($1, $2, $3, $4, $5, $6, $7)`,
      [
        e.consultId,
        e.action,
        e.actorId,
        e.actorRole ?? null,
        e.subjectId ?? null,
        e.ip ?? null,
        e.details ? JSON.stringify(e.details) : null,
      ],
    );
  }

  async auditEntries(consultId: string, limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.db.query(
      'select * from (select * from audit where consult_id = $1 order by id desc limit $2) a order by id',
      [consultId, limit],
    );
    return rows.map((r) => {
      const details = r['details'];
      return {
        id: str(r['id']),
        consultId: str(r['consult_id']),
        action: str(r['action']),
        actorId: str(r['actor_id']),
        ...(typeof r['actor_role'] === 'string'
          ? { actorRole: r['actor_role'] as AuditEntry['actorRole'] }
          : {}),
        ...(typeof r['subject_id'] === 'string' ? { subjectId: r['subject_id'] } : {}),
        ...(typeof r['ip'] === 'string' ? { ip: r['ip'] } : {}),
        at: iso(r['at']) ?? '',
        ...(details && typeof details === 'object'
          ? { details: details as Record<string, unknown> }
          : {}),
      };
    });
  }
}
