/**
 * The waiting room: who waits, who was admitted or denied, and when.
 */
import type { DeviceCheckReport, LobbyEntry } from '../../../src/contract.js';
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

  /**
   * Puts the user in the waiting room; true when they were not waiting before. A device check
   * sent again while waiting replaces the stored one.
   */
  async enterLobby(
    consultId: string,
    user: UserRef,
    deviceCheck?: DeviceCheckReport,
  ): Promise<boolean> {
    const check = deviceCheck ? JSON.stringify(deviceCheck) : null;
    const { rows } = await this.db.query(
      `insert into lobby (consult_id, user_id, display_name, role, status, device_check)
       values ($1, $2, $3, $4, 'waiting', $5::jsonb)
       on conflict (consult_id, user_id) do nothing returning user_id`,
      [consultId, user.id, user.displayName, user.role, check],
    );
    if (rows.length === 0 && check !== null)
      await this.db.query(
        `update lobby set device_check = $3::jsonb where consult_id = $1 and user_id = $2 and status = 'waiting'`,
        [consultId, user.id, check],
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
      `select user_id, display_name, role, since, device_check from lobby where consult_id = $1 and status = 'waiting' order by since, user_id`,
      [consultId],
    );
    return rows.map(lobbyEntry);
  }
}

/** A waiting row as the contract's entry. */
export function lobbyEntry(r: Record<string, unknown>): LobbyEntry {
  const check = deviceCheckOf(r['device_check']);
  return {
    userId: str(r['user_id']),
    displayName: str(r['display_name']),
    role: role(r['role']),
    since: iso(r['since']) ?? '',
    ...(check ? { deviceCheck: check } : {}),
  };
}

function deviceCheckOf(v: unknown): DeviceCheckReport | undefined {
  const o: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  if (typeof o !== 'object' || o === null) return undefined;
  const { camera, microphone } = o as Record<string, unknown>;
  return typeof camera === 'string' && typeof microphone === 'string'
    ? ({ camera, microphone } as DeviceCheckReport)
    : undefined;
}
