/**
 * The deletions of retention and erasure: old chat messages and events, and everything a
 * consultation holds about its participants (the audit trail has its own, chained deletions in
 * `audit.ts`).
 */
import type { Db } from '../db.js';
import { str } from './rows.js';

/** What an erasure removed. */
export interface ErasedCounts {
  messages: number;
  events: number;
  recordings: number;
  participants: number;
}

export class RetentionRepository {
  constructor(private readonly db: Db) {}

  private async count(sql: string, params: unknown[]): Promise<number> {
    const { rows } = await this.db.query(sql, params);
    return rows.length;
  }

  /** Deletes chat messages stored before `cutoff`. */
  purgeMessages(cutoff: Date): Promise<number> {
    return this.count('delete from messages where stored_at < $1 returning id', [
      cutoff.toISOString(),
    ]);
  }

  /** Deletes events created before `cutoff`. */
  purgeEvents(cutoff: Date): Promise<number> {
    return this.count('delete from events where created_at < $1 returning id', [
      cutoff.toISOString(),
    ]);
  }

  /** Recordings (any consultation) with a file, stopped before `cutoff`. */
  async expiredRecordings(cutoff: Date): Promise<{ recordingId: string; consultId: string }[]> {
    const { rows } = await this.db.query(
      `select recording_id, consult_id from recordings
        where status in ('ready', 'failed') and coalesce(stopped_at, started_at) < $1 order by recording_id`,
      [cutoff.toISOString()],
    );
    return rows.map((r) => ({
      recordingId: str(r['recording_id']),
      consultId: str(r['consult_id']),
    }));
  }

  /** The recordings of a consultation whose file may still exist in OpenVidu. */
  async recordingIds(consultId: string): Promise<string[]> {
    const { rows } = await this.db.query(
      `select recording_id from recordings where consult_id = $1 and status <> 'deleted' order by recording_id`,
      [consultId],
    );
    return rows.map((r) => str(r['recording_id']));
  }

  /**
   * Deletes what a consultation holds about its participants (chat, events, recordings' rows,
   * waiting room, consents, connections, guest invites, participants) and marks it erased. Keeps the `consults`
   * row (its id, times and end) and the audit trail.
   */
  async erase(consultId: string): Promise<ErasedCounts> {
    const messages = await this.count('delete from messages where consult_id = $1 returning id', [
      consultId,
    ]);
    const events = await this.count('delete from events where consult_id = $1 returning id', [
      consultId,
    ]);
    const recordings = await this.count(
      'delete from recordings where consult_id = $1 returning recording_id',
      [consultId],
    );
    await this.db.query('delete from lobby where consult_id = $1', [consultId]);
    await this.db.query('delete from consents where consult_id = $1', [consultId]);
    await this.db.query('delete from connections where consult_id = $1', [consultId]);
    // Guest invites carry the guest's name; their sessions end with them.
    await this.db.query('delete from guest_sessions where consult_id = $1', [consultId]);
    await this.db.query('delete from invites where consult_id = $1', [consultId]);
    const participants = await this.count(
      'delete from participants where consult_id = $1 returning user_id',
      [consultId],
    );
    await this.db.query(
      `update consults set erased_at = coalesce(erased_at, now()), consent_requested_at = null,
         consent_requested_by = null where id = $1`,
      [consultId],
    );
    return { messages, events, recordings, participants };
  }
}
