/**
 * Retention and erasure. A periodic purge deletes chat messages, events, audit entries and
 * recordings (through OpenVidu's API) older than their configured number of days; `erase` removes
 * everything a consultation holds about its participants at a provider's request, keeping the
 * consultation's id and its audit trail, ending with a `consult.erased` entry (the tombstone).
 */
import type { AuthenticatedUser } from '../auth.js';
import { conflict, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MediaServer } from './media-server.js';
import { OpenViduHttpError } from '../openvidu-client.js';
import type { RecordingRepository } from '../repositories/recordings.js';
import type { ErasedCounts, RetentionRepository } from '../repositories/retention.js';
import type { AuditLog } from './audit-log.js';
import { SYSTEM_ACTOR } from './audit-log.js';
import type { ConsultService } from './consults.js';

/** Days to keep each kind of data; 0 keeps it forever. */
export interface RetentionOptions {
  /** Chat messages (env `RETENTION_MESSAGES_DAYS`, default 0: kept; set your clinic's policy). */
  messagesDays?: number;
  /** Server-Sent Events, needed only to resume a stream (env `RETENTION_EVENTS_DAYS`, default 1). */
  eventsDays?: number;
  /** Audit entries (env `RETENTION_AUDIT_DAYS`, default 2190, six years). */
  auditDays?: number;
  /** Recording files and their download (env `RETENTION_RECORDINGS_DAYS`, default 0: kept). */
  recordingsDays?: number;
  /**
   * How often the purge runs, in ms (default one hour; the first run is 30 s after start). `0`
   * schedules nothing: call `purge()` yourself (e.g. from a scheduler outside the server).
   */
  intervalMs?: number;
}

export type ResolvedRetention = Required<RetentionOptions>;

export const DEFAULT_RETENTION: ResolvedRetention = {
  messagesDays: 0,
  eventsDays: 1,
  auditDays: 2190,
  recordingsDays: 0,
  intervalMs: 3_600_000,
};

const ENV: Record<Exclude<keyof RetentionOptions, 'intervalMs'>, string> = {
  messagesDays: 'RETENTION_MESSAGES_DAYS',
  eventsDays: 'RETENTION_EVENTS_DAYS',
  auditDays: 'RETENTION_AUDIT_DAYS',
  recordingsDays: 'RETENTION_RECORDINGS_DAYS',
};

/** Options win over the environment; a bad value fails at start with the variable's name. */
export function resolveRetention(
  options: RetentionOptions | undefined,
  env: Record<string, string | undefined>,
): ResolvedRetention {
  const out = { ...DEFAULT_RETENTION };
  for (const [key, name] of Object.entries(ENV) as [keyof typeof ENV, string][]) {
    const raw = options?.[key] ?? env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(
        `${name} (--retention-${key.replace('Days', '')}-days, retention.${key}) must be a number of days ≥ 0 (0 keeps forever), got ${String(raw)}`,
      );
    out[key] = n;
  }
  if (options?.intervalMs !== undefined) {
    if (!(options.intervalMs === 0 || options.intervalMs >= 1000))
      throw new Error('retention.intervalMs must be 0 (no schedule) or ≥ 1000');
    out.intervalMs = options.intervalMs;
  }
  return out;
}

/** What one purge deleted. */
export interface PurgeReport {
  messages: number;
  events: number;
  audit: number;
  recordings: number;
}

export interface RetentionServiceDeps {
  rows: RetentionRepository;
  recordings: RecordingRepository;
  ov: MediaServer;
  audit: AuditLog;
  consults: ConsultService;
  logger: Logger;
  retention: ResolvedRetention;
}

const DAY_MS = 86_400_000;

export class RetentionService {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<PurgeReport> | undefined;

  constructor(private readonly deps: RetentionServiceDeps) {}

  /** Runs the purge every `intervalMs` (unref'd: it never keeps the process alive). */
  start(firstDelayMs = 30_000): void {
    const { retention, logger } = this.deps;
    const any = [
      retention.messagesDays,
      retention.eventsDays,
      retention.auditDays,
      retention.recordingsDays,
    ];
    if (this.timer || retention.intervalMs === 0 || any.every((d) => d === 0)) return;
    const tick = (delay: number): void => {
      this.timer = setTimeout(() => {
        this.purge()
          .catch((e: unknown) => logger.warn('retention purge failed', { error: errorMessage(e) }))
          .finally(() => {
            if (this.timer) tick(retention.intervalMs);
          });
      }, delay);
      this.timer.unref?.();
    };
    tick(firstDelayMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Deletes what is past its retention (one run at a time). */
  purge(now = new Date()): Promise<PurgeReport> {
    this.running ??= this.purgeOnce(now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async purgeOnce(now: Date): Promise<PurgeReport> {
    const { rows, audit, retention, logger } = this.deps;
    const cutoff = (days: number): Date => new Date(now.getTime() - days * DAY_MS);
    const report: PurgeReport = { messages: 0, events: 0, audit: 0, recordings: 0 };
    if (retention.recordingsDays > 0)
      report.recordings = await this.purgeRecordings(cutoff(retention.recordingsDays));
    if (retention.messagesDays > 0)
      report.messages = await rows.purgeMessages(cutoff(retention.messagesDays));
    if (retention.eventsDays > 0)
      report.events = await rows.purgeEvents(cutoff(retention.eventsDays));
    if (retention.auditDays > 0)
      report.audit = await audit.purgeBefore(cutoff(retention.auditDays));
    if (Object.values(report).some((n) => n > 0)) logger.info('retention purge', { ...report });
    return report;
  }

  private async purgeRecordings(cutoff: Date): Promise<number> {
    const { rows, recordings, ov, audit, logger } = this.deps;
    let deleted = 0;
    for (const r of await rows.expiredRecordings(cutoff)) {
      try {
        await ov.deleteRecording(r.recordingId);
      } catch (e) {
        logger.warn('retention: could not delete recording', {
          recordingId: r.recordingId,
          error: errorMessage(e),
        });
        continue;
      }
      await recordings.upsertRecording({ ...r, status: 'deleted' });
      await audit.record(r.consultId, 'recording.deleted', SYSTEM_ACTOR, {
        details: { recordingId: r.recordingId, reason: 'retention' },
      });
      deleted++;
    }
    return deleted;
  }

  /**
   * Erases a consultation: ends it (stopping a recording, closing the OpenVidu session), deletes
   * its recordings in OpenVidu, then its chat, events, recordings' rows, waiting room, consents,
   * connections and participants; audits `consult.erased` with the counts. Repeatable: a failed
   * OpenVidu call answers 503/409 and a retry continues.
   */
  async erase(
    consultId: string,
    by: AuthenticatedUser,
    ip: string | undefined,
  ): Promise<ErasedCounts> {
    const { rows, ov, audit, consults } = this.deps;
    await consults.end(consultId, by, ip);
    for (const recordingId of await rows.recordingIds(consultId)) {
      try {
        await ov.deleteRecording(recordingId);
      } catch (e) {
        if (e instanceof OpenViduHttpError)
          throw conflict('A recording could not be deleted yet (still stopping); try again.', {
            recordingId,
          });
        throw e;
      }
    }
    const counts = await rows.erase(consultId);
    await audit.record(consultId, 'consult.erased', by, { details: { ...counts }, ip });
    return counts;
  }
}
