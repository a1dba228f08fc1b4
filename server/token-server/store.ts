/**
 * Every SQL statement of the token server, as typed functions over {@link Db}. Plain PostgreSQL.
 */
import type {
  AuditEntry,
  ConsentEntry,
  LobbyEntry,
  ParticipantRole,
  RecordingInfo,
  StoredChatMessage,
} from '../../src/contract.js';
import type { Db } from './db.js';

type Row = Record<string, unknown>;

export function iso(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));
const role = (v: unknown): ParticipantRole =>
  v === 'provider' || v === 'patient' || v === 'guest' ? v : 'guest';

export interface UserRef {
  id: string;
  displayName: string;
  role: ParticipantRole;
}

export interface ConsultRow {
  id: string;
  endedAt: string | undefined;
  endedReason: string | undefined;
  consentRequestedAt: string | undefined;
  consentRequestedBy: string | undefined;
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

export type LobbyStatus = 'waiting' | 'admitted' | 'denied';

/** Order of recording states; an update never moves a recording backwards. */
export const RECORDING_RANK: Record<RecordingInfo['status'], number> = {
  starting: 0,
  recording: 1,
  stopping: 2,
  processing: 3,
  ready: 4,
  failed: 4,
  deleted: 5,
};
const RANK_SQL = (col: string): string =>
  `(case ${col} when 'starting' then 0 when 'recording' then 1 when 'stopping' then 2 when 'processing' then 3 when 'ready' then 4 when 'failed' then 4 when 'deleted' then 5 else -1 end)`;

export interface RecordingUpsert {
  recordingId: string;
  consultId: string;
  status: RecordingInfo['status'];
  startedAt?: string | undefined;
  stoppedAt?: string | undefined;
  duration?: number | undefined;
  size?: number | undefined;
  reason?: string | undefined;
  name?: string | undefined;
  outputMode?: string | undefined;
  startedBy?: string | undefined;
}

export interface StoredRecording extends RecordingInfo {
  name: string | undefined;
  outputMode: string | undefined;
}

function recordingOf(r: Row): StoredRecording {
  const startedAt = iso(r['started_at']);
  const stoppedAt = iso(r['stopped_at']);
  return {
    recordingId: str(r['recording_id']),
    consultId: str(r['consult_id']),
    status: str(r['status']) as RecordingInfo['status'],
    ...(startedAt ? { startedAt } : {}),
    ...(stoppedAt ? { stoppedAt } : {}),
    ...(r['duration'] !== null && r['duration'] !== undefined
      ? { duration: Number(r['duration']) }
      : {}),
    ...(r['size'] !== null && r['size'] !== undefined ? { size: Number(r['size']) } : {}),
    ...(typeof r['reason'] === 'string' ? { reason: r['reason'] } : {}),
    name: typeof r['name'] === 'string' ? r['name'] : undefined,
    outputMode: typeof r['output_mode'] === 'string' ? r['output_mode'] : undefined,
  };
}

/** The public shape of a stored recording. */
export function publicRecording(r: StoredRecording): RecordingInfo {
  const { name: _name, outputMode: _outputMode, ...info } = r;
  return info;
}

export interface EventRow {
  id: number;
  name: string;
  data: unknown;
}

export class Store {
  constructor(readonly db: Db) {}

  // ─────────────── consults ───────────────

  async ensureConsult(id: string): Promise<void> {
    await this.db.query('insert into consults (id) values ($1) on conflict (id) do nothing', [id]);
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

  // ─────────────── participants and connections ───────────────

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
    return r ? this.connectionOf(r) : undefined;
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
    return r ? this.connectionOf(r) : undefined;
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

  private connectionOf(r: Row): ConnectionRow {
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

  // ─────────────── waiting room ───────────────

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

  // ─────────────── consent ───────────────

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

  // ─────────────── recordings ───────────────

  /** Inserts or moves the recording forward; returns it when something changed. */
  async upsertRecording(r: RecordingUpsert): Promise<StoredRecording | undefined> {
    const { rows } = await this.db.query(
      `insert into recordings (recording_id, consult_id, status, started_at, stopped_at, duration, size, reason, name, output_mode, started_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       on conflict (recording_id) do update set
         status = excluded.status,
         started_at = coalesce(recordings.started_at, excluded.started_at),
         stopped_at = coalesce(recordings.stopped_at, excluded.stopped_at),
         duration = coalesce(excluded.duration, recordings.duration),
         size = coalesce(excluded.size, recordings.size),
         reason = coalesce(excluded.reason, recordings.reason),
         name = coalesce(recordings.name, excluded.name),
         output_mode = coalesce(recordings.output_mode, excluded.output_mode),
         started_by = coalesce(recordings.started_by, excluded.started_by)
       where ${RANK_SQL('recordings.status')} < ${RANK_SQL('excluded.status')}
       returning *`,
      [
        r.recordingId,
        r.consultId,
        r.status,
        r.startedAt ?? null,
        r.stoppedAt ?? null,
        r.duration ?? null,
        r.size ?? null,
        r.reason ?? null,
        r.name ?? null,
        r.outputMode ?? null,
        r.startedBy ?? null,
      ],
    );
    const row = rows[0];
    return row ? recordingOf(row) : undefined;
  }

  async getRecording(recordingId: string): Promise<StoredRecording | undefined> {
    const { rows } = await this.db.query('select * from recordings where recording_id = $1', [
      recordingId,
    ]);
    const r = rows[0];
    return r ? recordingOf(r) : undefined;
  }

  async listRecordings(consultId: string): Promise<StoredRecording[]> {
    const { rows } = await this.db.query(
      'select * from recordings where consult_id = $1 order by started_at desc nulls last, recording_id',
      [consultId],
    );
    return rows.map(recordingOf);
  }

  async activeRecording(consultId: string): Promise<StoredRecording | undefined> {
    const { rows } = await this.db.query(
      `select * from recordings where consult_id = $1 and status in ('starting', 'recording') order by started_at desc nulls last limit 1`,
      [consultId],
    );
    const r = rows[0];
    return r ? recordingOf(r) : undefined;
  }

  // ─────────────── chat ───────────────

  async insertMessage(m: StoredChatMessage): Promise<boolean> {
    const { rows } = await this.db.query(
      `insert into messages (consult_id, id, connection_id, sender_id, sender_name, sender_role, text, sent_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (consult_id, id) do nothing returning id`,
      [m.consultId, m.id, m.connectionId, m.senderId, m.senderName, m.senderRole, m.text, m.sentAt],
    );
    return rows.length > 0;
  }

  async messages(consultId: string, limit: number): Promise<StoredChatMessage[]> {
    const { rows } = await this.db.query(
      `select * from (select * from messages where consult_id = $1 order by seq desc limit $2) m order by seq`,
      [consultId, limit],
    );
    return rows.map((r) => ({
      id: str(r['id']),
      consultId: str(r['consult_id']),
      senderId: str(r['sender_id']),
      senderName: str(r['sender_name']),
      senderRole: role(r['sender_role']),
      connectionId: str(r['connection_id']),
      text: str(r['text']),
      sentAt: str(r['sent_at']),
    }));
  }

  // ─────────────── audit ───────────────

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

  // ─────────────── events ───────────────

  async insertEvent(
    consultId: string,
    name: string,
    data: unknown,
    audience: { role?: ParticipantRole | undefined; userId?: string | undefined },
  ): Promise<number> {
    const { rows } = await this.db.query<{ id: number | string }>(
      'insert into events (consult_id, name, data, audience_role, audience_user) values ($1, $2, $3, $4, $5) returning id',
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
