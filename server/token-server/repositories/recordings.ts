/**
 * Recordings and their status, which only moves forward.
 */
import type { RecordingInfo } from '../../../src/contract.js';
import type { Db } from '../db.js';
import type { Row } from './rows.js';
import { iso, str } from './rows.js';

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

export class RecordingRepository {
  constructor(private readonly db: Db) {}

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
}
