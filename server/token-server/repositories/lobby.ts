/**
 * The waiting room: who waits, who was admitted or denied, and when.
 */
import type { LobbyEntry } from '../../../src/contract.js';
import type { Db } from '../db.js';
import type { UserRef } from './connections.js';
import { iso, role, str } from './rows.js';

export type LobbyStatus = 'waiting' | 'admitted' | 'denied';

export class LobbyRepository {
  constructor(private readonly db: Db) {}

  async lobbyStatus(
    consultId: string,
    userId: string,
  ): Promise<{ status: LobbyStatus; decidedAt: string | undefined } | undefined> {
    const { rows } = await this.db.query(
      'select status, decided_at from lobby where consult_id = $1 and user_id = $2',
      [consultId, userId],
    );
    const r = rows[0];
    return r
      ? { status: str(r['status']) as LobbyStatus, decidedAt: iso(r['decided_at']) }
      : undefined;
  }

  /** Puts the user in the waiting room; true when they were not waiting before. */
  async enterLobby(consultId: string, user: UserRef): Promise<boolean> {
    const { rows } = await this.db.query(
      `insert into lobby (consult_id, user_id, display_name, role, status) values ($1, $2, $3, $4, 'waiting')
       on conflict (consult_id, user_id) do nothing returning user_id`,
      [consultId, user.id, user.displayName, user.role],
    );
    return rows.length > 0;
  }

  /** Moves a waiting user to `status`; the entry when it was waiting. */
  async decideLobby(
    consultId: string,
    userId: string,
    status: 'admitted' | 'denied',
  ): Promise<UserRef | undefined> {
    const { rows } = await this.db.query(
      `update lobby set status = $3, decided_at = now() where consult_id = $1 and user_id = $2 and status = 'waiting'
       returning user_id, display_name, role`,
      [consultId, userId, status],
    );
    const r = rows[0];
    return r
      ? { id: str(r['user_id']), displayName: str(r['display_name']), role: role(r['role']) }
      : undefined;
  }

  /** Denies the user whatever their state (removal); true when they were not denied before. */
  async denyUser(consultId: string, user: UserRef): Promise<boolean> {
    const { rows } = await this.db.query(
      `insert into lobby (consult_id, user_id, display_name, role, status, decided_at) values ($1, $2, $3, $4, 'denied', now())
       on conflict (consult_id, user_id) do update set status = 'denied', decided_at = now()
       where lobby.status <> 'denied' returning user_id`,
      [consultId, user.id, user.displayName, user.role],
    );
    return rows.length > 0;
  }

  /** Puts an admitted user back to waiting (when minting their token failed). */
  async undoAdmission(consultId: string, userId: string): Promise<void> {
    await this.db.query(
      `update lobby set status = 'waiting', decided_at = null where consult_id = $1 and user_id = $2 and status = 'admitted'`,
      [consultId, userId],
    );
  }

  async waiting(consultId: string): Promise<LobbyEntry[]> {
    const { rows } = await this.db.query(
      `select user_id, display_name, role, since from lobby where consult_id = $1 and status = 'waiting' order by since, user_id`,
      [consultId],
    );
    return rows.map((r) => ({
      userId: str(r['user_id']),
      displayName: str(r['display_name']),
      role: role(r['role']),
      since: iso(r['since']) ?? '',
    }));
  }
}
