/**
 * The event log behind Server-Sent Events (each row id is an SSE `id:`).
 */
import type { ParticipantRole } from '../../../src/contract.js';
import type { Db } from '../db.js';
import { str } from './rows.js';

export interface EventRow {
  id: number;
  name: string;
  data: unknown;
}

/** An event with its audience (for filtering in memory). */
export interface AddressedEventRow extends EventRow {
  audienceRole: ParticipantRole | undefined;
  audienceUser: string | undefined;
}

export class EventRepository {
  constructor(private readonly db: Db) {}

  async insertEvent(
    consultId: string,
    name: string,
    data: unknown,
    audience: { role?: ParticipantRole | undefined; userId?: string | undefined },
  ): Promise<number> {
    // Ids of one consult must become visible in id order, or a stream on another instance could
    // move its cursor past an id whose transaction commits later and lose that event: the
    // per-consult transaction lock is taken before the id is drawn and held until commit.
    const { rows } = await this.db.query<{ id: number | string }>(
      `with lock as (select pg_advisory_xact_lock(7413002, hashtext($1)))
       insert into events (consult_id, name, data, audience_role, audience_user)
       select $1, $2, $3::jsonb, $4::text, $5::text from lock returning id`,
      [consultId, name, JSON.stringify(data), audience.role ?? null, audience.userId ?? null],
    );
    return Number(rows[0]?.id);
  }

  /** Events after `afterId` that `user` may see, oldest first. */
  async eventsAfter(
    consultId: string,
    afterId: number,
    user: { id: string; role: ParticipantRole },
    limit = 500,
  ): Promise<EventRow[]> {
    const { rows } = await this.db.query(
      `select id, name, data from events where consult_id = $1 and id > $2
         and (audience_role is null or audience_role = $3) and (audience_user is null or audience_user = $4)
       order by id limit $5`,
      [consultId, afterId, user.role, user.id, limit],
    );
    return rows.map((r) => ({ id: Number(r['id']), name: str(r['name']), data: r['data'] }));
  }

  /** Every event of the consult after `afterId`, oldest first, with its audience (one read for all streams). */
  async allEventsAfter(
    consultId: string,
    afterId: number,
    limit = 500,
  ): Promise<AddressedEventRow[]> {
    const { rows } = await this.db.query(
      `select id, name, data, audience_role, audience_user from events where consult_id = $1 and id > $2
       order by id limit $3`,
      [consultId, afterId, limit],
    );
    return rows.map((r) => ({
      id: Number(r['id']),
      name: str(r['name']),
      data: r['data'],
      audienceRole: (r['audience_role'] ?? undefined) as ParticipantRole | undefined,
      audienceUser: (r['audience_user'] ?? undefined) as string | undefined,
    }));
  }

  /** The latest event addressed to this user with one of `names`. */
  async lastEventFor(
    consultId: string,
    userId: string,
    names: string[],
  ): Promise<EventRow | undefined> {
    const { rows } = await this.db.query(
      `select id, name, data from events where consult_id = $1 and audience_user = $2 and name = any($3::text[]) order by id desc limit 1`,
      [consultId, userId, names],
    );
    const r = rows[0];
    return r ? { id: Number(r['id']), name: str(r['name']), data: r['data'] } : undefined;
  }

  async maxEventId(consultId: string): Promise<number> {
    const { rows } = await this.db.query<{ id: number | string | null }>(
      'select max(id) as id from events where consult_id = $1',
      [consultId],
    );
    return Number(rows[0]?.id ?? 0);
  }
}
