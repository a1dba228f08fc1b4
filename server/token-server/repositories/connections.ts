/**
 * Participants of a consultation (everyone who got a token) and their OpenVidu connections.
 */
import type { ParticipantRole } from '../../../src/contract.js';
import type { Db } from '../db.js';
import type { Alongside } from './audit.js';
import type { Row } from './rows.js';
import { iso, role, str } from './rows.js';

export interface UserRef {
  id: string;
  displayName: string;
  role: ParticipantRole;
}

export interface ConnectionRow {
  connectionId: string;
  consultId: string;
  userId: string;
  displayName: string;
  role: ParticipantRole;
  joinedAt: string | undefined;
  leftAt: string | undefined;
}

export class ConnectionRepository {
  constructor(private readonly db: Db) {}

  async upsertParticipant(consultId: string, user: UserRef): Promise<void> {
    await this.db.query(
      `insert into participants (consult_id, user_id, display_name, role) values ($1, $2, $3, $4)
       on conflict (consult_id, user_id) do update set display_name = excluded.display_name, role = excluded.role`,
      [consultId, user.id, user.displayName, user.role],
    );
  }

  async isParticipant(consultId: string, userId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      'select 1 from participants where consult_id = $1 and user_id = $2',
      [consultId, userId],
    );
    return rows.length > 0;
  }

  async getParticipant(consultId: string, userId: string): Promise<UserRef | undefined> {
    const { rows } = await this.db.query(
      'select user_id, display_name, role from participants where consult_id = $1 and user_id = $2',
      [consultId, userId],
    );
    const r = rows[0];
    return r
      ? { id: str(r['user_id']), displayName: str(r['display_name']), role: role(r['role']) }
      : undefined;
  }

  /** The user's connections in this consult that have not left. */
  async openConnections(consultId: string, userId: string): Promise<string[]> {
    const { rows } = await this.db.query(
      'select connection_id from connections where consult_id = $1 and user_id = $2 and left_at is null',
      [consultId, userId],
    );
    return rows.map((r) => str(r['connection_id']));
  }

  /**
   * The writes of an issued token (the participant, upserted, and the connection) as statements to
   * run in the same statement as its audit entry (`AuditRepository.audit`'s `alongside`).
   */
  issuedWrites(consultId: string, connectionId: string, user: UserRef): Alongside {
    return {
      ctes: [
        `insert into participants (consult_id, user_id, display_name, role) values ($1, $2, $3, $4)
         on conflict (consult_id, user_id) do update set display_name = excluded.display_name, role = excluded.role`,
        `insert into connections (connection_id, consult_id, user_id, display_name, role) values ($5, $1, $2, $3, $4)
         on conflict (connection_id) do nothing`,
      ],
      params: [consultId, user.id, user.displayName, user.role, connectionId],
    };
  }

  async insertConnection(connectionId: string, consultId: string, user: UserRef): Promise<void> {
    await this.db.query(
      `insert into connections (connection_id, consult_id, user_id, display_name, role) values ($1, $2, $3, $4, $5)
       on conflict (connection_id) do nothing`,
      [connectionId, consultId, user.id, user.displayName, user.role],
    );
  }

  async getConnection(connectionId: string): Promise<ConnectionRow | undefined> {
    const { rows } = await this.db.query('select * from connections where connection_id = $1', [
      connectionId,
    ]);
    const r = rows[0];
    return r ? this.rowOf(r) : undefined;
  }

  /** The user ids behind `connectionIds` in this consult (unknown ids are left out). */
  async usersOf(consultId: string, connectionIds: readonly string[]): Promise<Map<string, string>> {
    const { rows } = await this.db.query<{ connection_id: string; user_id: string }>(
      'select connection_id, user_id from connections where consult_id = $1 and connection_id = any($2::text[])',
      [consultId, [...connectionIds]],
    );
    return new Map(rows.map((r) => [r.connection_id, r.user_id]));
  }

  /** Connection ids in the session now (joined, not left), as the webhooks reported them. */
  async activeConnectionIds(consultId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ connection_id: string }>(
      'select connection_id from connections where consult_id = $1 and joined_at is not null and left_at is null',
      [consultId],
    );
    return rows.map((r) => r.connection_id);
  }

  /** Sets joined/left times; returns the row when this call changed it. */
  async markConnection(
    connectionId: string,
    what: 'joined' | 'left',
  ): Promise<ConnectionRow | undefined> {
    const col = what === 'joined' ? 'joined_at' : 'left_at';
    const { rows } = await this.db.query(
      `update connections set ${col} = now() where connection_id = $1 and ${col} is null returning *`,
      [connectionId],
    );
    const r = rows[0];
    return r ? this.rowOf(r) : undefined;
  }

  /** True when the user has a connection that joined after `since` (or ever, without it). */
  async hasJoinedSince(
    consultId: string,
    userId: string,
    since: string | undefined,
  ): Promise<boolean> {
    const { rows } = await this.db.query(
      'select 1 from connections where consult_id = $1 and user_id = $2 and joined_at is not null and ($3::timestamptz is null or joined_at >= $3::timestamptz) limit 1',
      [consultId, userId, since ?? null],
    );
    return rows.length > 0;
  }

  private rowOf(r: Row): ConnectionRow {
    return {
      connectionId: str(r['connection_id']),
      consultId: str(r['consult_id']),
      userId: str(r['user_id']),
      displayName: str(r['display_name']),
      role: role(r['role']),
      joinedAt: iso(r['joined_at']),
      leftAt: iso(r['left_at']),
    };
  }
}
