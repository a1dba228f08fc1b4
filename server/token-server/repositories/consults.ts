/**
 * Consultations: creation, end, the pending recording-consent request.
 */
import type { Db } from '../db.js';
import { iso, str } from './rows.js';

export interface ConsultRow {
  id: string;
  endedAt: string | undefined;
  endedReason: string | undefined;
  consentRequestedAt: string | undefined;
  consentRequestedBy: string | undefined;
}

export class ConsultRepository {
  constructor(private readonly db: Db) {}

  async ensureConsult(id: string): Promise<void> {
    await this.db.query('insert into consults (id) values ($1) on conflict (id) do nothing', [id]);
  }

  /**
   * Creates the consult if it is new, in one statement: whether this call created it, and when it
   * ended (`undefined` while open). The two halves of the union see the same snapshot, so exactly
   * one of them answers.
   */
  async openConsult(id: string): Promise<{ created: boolean; endedAt: string | undefined }> {
    const { rows } = await this.db.query(
      `with ins as (insert into consults (id) values ($1) on conflict (id) do nothing returning id)
       select true as created, null::timestamptz as ended_at from ins
       union all
       select false, ended_at from consults where id = $1`,
      [id],
    );
    const r = rows[0];
    return { created: r?.['created'] === true, endedAt: r ? iso(r['ended_at']) : undefined };
  }

  async getConsult(id: string): Promise<ConsultRow | undefined> {
    const { rows } = await this.db.query('select * from consults where id = $1', [id]);
    const r = rows[0];
    if (!r) return undefined;
    return {
      id: str(r['id']),
      endedAt: iso(r['ended_at']),
      endedReason: typeof r['ended_reason'] === 'string' ? r['ended_reason'] : undefined,
      consentRequestedAt: iso(r['consent_requested_at']),
      consentRequestedBy:
        typeof r['consent_requested_by'] === 'string' ? r['consent_requested_by'] : undefined,
    };
  }

  /** Marks the consult ended; false if it already was. */
  async endConsult(id: string, reason: string): Promise<boolean> {
    const { rows } = await this.db.query(
      'update consults set ended_at = now(), ended_reason = $2, consent_requested_at = null where id = $1 and ended_at is null returning id',
      [id, reason],
    );
    return rows.length > 0;
  }

  /** Sets (by = user id) or clears (by = null) the pending consent request; true if it changed. */
  async setConsentRequested(id: string, by: string | null): Promise<boolean> {
    const { rows } =
      by === null
        ? await this.db.query(
            'update consults set consent_requested_at = null, consent_requested_by = null where id = $1 and consent_requested_at is not null returning id',
            [id],
          )
        : await this.db.query(
            'update consults set consent_requested_at = now(), consent_requested_by = $2 where id = $1 and consent_requested_at is null returning id',
            [id, by],
          );
    return rows.length > 0;
  }
}
