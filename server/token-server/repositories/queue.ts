/**
 * The providers' queue: who waits in which open consult, across consults.
 */
import type { LobbyEntry, QueueEntry } from '../../../src/contract.js';
import type { Db } from '../db.js';
import { lobbyEntry } from './lobby.js';
import { str } from './rows.js';

export class QueueRepository {
  constructor(private readonly db: Db) {}

  /** Open consults anyone waits in, longest waiting first (at most `limit`). */
  async consultsWithWaiting(limit: number): Promise<string[]> {
    const { rows } = await this.db.query(
      `select l.consult_id from lobby l join consults c on c.id = l.consult_id
       where l.status = 'waiting' and c.ended_at is null
       group by l.consult_id order by min(l.since), l.consult_id limit $1`,
      [limit],
    );
    return rows.map((r) => str(r['consult_id']));
  }

  /** Everyone waiting in `consultIds`, first come first. */
  async waitingIn(consultIds: readonly string[]): Promise<QueueEntry[]> {
    if (consultIds.length === 0) return [];
    const { rows } = await this.db.query(
      `select l.consult_id, l.user_id, l.display_name, l.role, l.since, l.device_check from lobby l
       join consults c on c.id = l.consult_id
       where l.status = 'waiting' and c.ended_at is null and l.consult_id = any($1::text[])
       order by l.since, l.consult_id, l.user_id`,
      [consultIds],
    );
    return rows.map((r) => ({ consultId: str(r['consult_id']), ...lobbyEntry(r) }));
  }

  /**
   * One consult's waiting list now (empty once it has ended), and the id of the last event that
   * changed it (`lobby` or `ended`; 0 when none), to skip wake-ups by other events.
   */
  async consultQueue(consultId: string): Promise<{ version: number; waiting: LobbyEntry[] }> {
    const { rows } = await this.db.query(
      `select (select max(id) from events where consult_id = $1 and name in ('lobby', 'ended')) as version,
              (select ended_at from consults where id = $1) as ended_at`,
      [consultId],
    );
    const version = Number(rows[0]?.['version'] ?? 0);
    if (rows[0]?.['ended_at']) return { version, waiting: [] };
    const waiting = await this.waitingIn([consultId]);
    return { version, waiting: waiting.map(({ consultId: _c, ...entry }) => entry) };
  }

  /** The newest event id (the id a queue snapshot carries). */
  async maxEventId(): Promise<number> {
    const { rows } = await this.db.query('select coalesce(max(id), 0) as id from events');
    return Number(rows[0]?.['id'] ?? 0);
  }
}
