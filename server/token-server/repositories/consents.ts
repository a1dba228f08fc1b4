/**
 * Recording consent: one answer per participant and consultation.
 */
import type { ConsentEntry } from '../../../src/contract.js';
import type { Db } from '../db.js';
import type { UserRef } from './connections.js';
import { iso, role, str } from './rows.js';

export class ConsentRepository {
  constructor(private readonly db: Db) {}

  async consentEntries(consultId: string): Promise<ConsentEntry[]> {
    const { rows } = await this.db.query(
      'select * from consents where consult_id = $1 order by user_id',
      [consultId],
    );
    return rows.map((r) => {
      const answeredAt = iso(r['answered_at']);
      return {
        userId: str(r['user_id']),
        displayName: str(r['display_name']),
        role: role(r['role']),
        granted: typeof r['granted'] === 'boolean' ? r['granted'] : null,
        ...(answeredAt ? { answeredAt } : {}),
      };
    });
  }

  /** Records an answer; returns the previous answer (`undefined` if there was none). */
  async setConsent(
    consultId: string,
    user: UserRef,
    granted: boolean,
  ): Promise<boolean | null | undefined> {
    const before = await this.db.query<{ granted: boolean | null }>(
      'select granted from consents where consult_id = $1 and user_id = $2',
      [consultId, user.id],
    );
    await this.db.query(
      `insert into consents (consult_id, user_id, display_name, role, granted, answered_at) values ($1, $2, $3, $4, $5, now())
       on conflict (consult_id, user_id) do update set granted = excluded.granted, answered_at = excluded.answered_at,
         display_name = excluded.display_name, role = excluded.role`,
      [consultId, user.id, user.displayName, user.role, granted],
    );
    return before.rows[0]?.granted;
  }

  /** Forgets every answer (a recording ended; the next one asks again). */
  async clearConsents(consultId: string): Promise<void> {
    await this.db.query('delete from consents where consult_id = $1', [consultId]);
  }

  /** Adds unanswered entries for users not asked yet. */
  async addConsentEntries(consultId: string, users: UserRef[]): Promise<void> {
    for (const u of users) {
      await this.db.query(
        `insert into consents (consult_id, user_id, display_name, role, granted) values ($1, $2, $3, $4, null)
         on conflict (consult_id, user_id) do nothing`,
        [consultId, u.id, u.displayName, u.role],
      );
    }
  }
}
