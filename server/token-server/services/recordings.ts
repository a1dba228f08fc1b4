/**
 * Recordings of a consultation: start (behind the consent gate), stop, delete, list, read and
 * download through this server (OpenVidu's files never reach the browser directly), plus the
 * automatic start of a pending recording once everyone consented and the stop when consent is
 * revoked or the consultation ends.
 */
import type { ParticipantRole, RecordingInfo, RecordingNotice } from '../../../src/contract.js';
import type { AuthenticatedUser } from '../auth.js';
import {
  ApiError,
  conflict,
  errorMessage,
  openViduUnavailable,
  recordingNotFound,
} from '../errors.js';
import type { EventPublisher } from '../events.js';
import type { Logger } from '../logger.js';
import type { OpenViduRecording } from '../openvidu-client.js';
import type { MediaServer } from './media-server.js';
import { OpenViduHttpError, OpenViduUnavailableError } from '../openvidu-client.js';
import type { ConsultRepository } from '../repositories/consults.js';
import type { RecordingRepository } from '../repositories/recordings.js';
import type { RecordingUpsert, StoredRecording, UserRef } from '../store.js';
import { publicRecording } from '../store.js';
import type { Actor, AuditLog } from './audit-log.js';
import { SYSTEM_ACTOR } from './audit-log.js';
import type { ConsentService } from './consent.js';
import { fromOpenVidu } from './recording-status.js';

export interface RecordingServiceDeps {
  ov: MediaServer;
  recordings: RecordingRepository;
  consults: ConsultRepository;
  events: EventPublisher;
  audit: AuditLog;
  consent: ConsentService;
  logger: Logger;
  /** Recording needs consent from every connected participant. */
  requireConsent: boolean;
  /** How long a joiner has to consent to a running recording (ms). */
  consentTimeoutMs: number;
}

const ACTIVE = new Set<string>(['starting', 'recording']);

/** Which part of a file the client asked for (`Range`, `If-Range`), passed on to OpenVidu. */
export interface RangeRequest {
  range: string | undefined;
  ifRange: string | undefined;
}

export class RecordingService {
  /** Joiners' consent deadlines, by consult and user. */
  private readonly deadlines = new Map<string, ReturnType<typeof setTimeout>>();
  /** Why this server stopped a recording (kept over OpenVidu's reason, whichever lands first). */
  private readonly stopReasons = new Map<string, string>();

  constructor(private readonly deps: RecordingServiceDeps) {}

  /**
   * Stores a change. A reason this server gave (e.g. `consent-declined`) is not overwritten by
   * OpenVidu's; when the recording stops being active its consents are spent.
   */
  private async upsert(up: RecordingUpsert): Promise<StoredRecording | undefined> {
    const { recordings, consent } = this.deps;
    const before = await recordings.getRecording(up.recordingId);
    const mine = ACTIVE.has(up.status) ? undefined : this.stopReasons.get(up.recordingId);
    if (up.status === 'ready' || up.status === 'failed') this.stopReasons.delete(up.recordingId);
    const changed = await recordings.upsertRecording(
      mine
        ? { ...up, reason: mine }
        : before?.reason && up.reason
          ? { ...up, reason: undefined }
          : up,
    );
    if (changed && before && ACTIVE.has(before.status) && !ACTIVE.has(changed.status))
      await consent.endRound(up.consultId);
    return changed;
  }

  /**
   * What a user joining now must know: a running recording, and (with `requireConsent`, unless
   * they consented already) that they are asked, with a deadline after which it is stopped.
   */
  async noticeFor(consultId: string, who: UserRef): Promise<RecordingNotice | undefined> {
    const { recordings, consent, requireConsent, consentTimeoutMs, logger } = this.deps;
    const active = await recordings.activeRecording(consultId);
    if (!active) return undefined;
    if (!requireConsent || (await consent.hasGranted(consultId, who.id)))
      return { active: true, consentRequired: false };
    await consent.ask(consultId, who);
    const key = `${consultId}\u0000${who.id}`;
    clearTimeout(this.deadlines.get(key));
    const timer = setTimeout(() => {
      this.deadlines.delete(key);
      this.expireConsent(consultId, who, active.recordingId).catch((e: unknown) =>
        logger.warn('consent deadline check failed', { consultId, error: errorMessage(e) }),
      );
    }, consentTimeoutMs);
    timer.unref?.();
    this.deadlines.set(key, timer);
    return {
      active: true,
      consentRequired: true,
      consentDeadline: new Date(Date.now() + consentTimeoutMs).toISOString(),
    };
  }

  /** The joiner's deadline passed: stop that recording unless they consented. */
  private async expireConsent(consultId: string, who: UserRef, recordingId: string): Promise<void> {
    const active = await this.deps.recordings.activeRecording(consultId);
    if (active?.recordingId !== recordingId) return;
    if (await this.deps.consent.hasGranted(consultId, who.id)) return;
    await this.stopActive(consultId, SYSTEM_ACTOR, 'consent-timeout', undefined);
  }

  /** Cancels pending consent deadlines (server shutdown). */
  close(): void {
    for (const t of this.deadlines.values()) clearTimeout(t);
    this.deadlines.clear();
    this.stopReasons.clear();
  }

  list(consultId: string): Promise<StoredRecording[]> {
    return this.deps.recordings.listRecordings(consultId);
  }

  /** Stores the change and, when something changed, publishes the `recording` event. */
  private async save(up: RecordingUpsert): Promise<StoredRecording> {
    const { recordings, events } = this.deps;
    const changed = await this.upsert(up);
    if (changed) await events.publish(up.consultId, 'recording', publicRecording(changed));
    const row = changed ?? (await recordings.getRecording(up.recordingId));
    if (!row) throw new ApiError(500, 'internal', 'Recording vanished.');
    return row;
  }

  /** The recording if it belongs to this consult (asks OpenVidu for ones this server missed). */
  async find(consultId: string, recordingId: string): Promise<StoredRecording> {
    const row = await this.deps.recordings.getRecording(recordingId);
    if (row) {
      if (row.consultId !== consultId) throw recordingNotFound();
      return row;
    }
    const r = await this.deps.ov.getRecording(recordingId);
    if (!r || r.sessionId !== consultId) throw recordingNotFound();
    return this.save(fromOpenVidu(r, consultId));
  }

  /** The recording, refreshed from OpenVidu while it is not final (stale when OpenVidu is down). */
  async get(consultId: string, recordingId: string): Promise<RecordingInfo> {
    let rec = await this.find(consultId, recordingId);
    if (!['ready', 'failed', 'deleted'].includes(rec.status)) {
      try {
        const r = await this.deps.ov.getRecording(recordingId);
        if (r) rec = await this.save(fromOpenVidu(r, consultId));
      } catch (e) {
        if (!(e instanceof OpenViduUnavailableError || e instanceof OpenViduHttpError)) throw e;
      }
    }
    return publicRecording(rec);
  }

  /** A provider's request: 409 when ended or already recording, 412 until everyone consented. */
  async request(
    consultId: string,
    user: AuthenticatedUser,
    ip: string | undefined,
  ): Promise<RecordingInfo> {
    const { recordings, consults, consent, requireConsent } = this.deps;
    const consult = await consults.getConsult(consultId);
    if (consult?.endedAt) throw conflict('The consultation has ended.', { reason: 'ended' });
    if (await recordings.activeRecording(consultId))
      throw conflict('The consultation is already being recorded.');
    if (requireConsent) await consent.gate(consultId, user, ip);
    return this.start(consultId, user, ip);
  }

  private async start(
    consultId: string,
    by: { id: string; role: ParticipantRole },
    ip: string | undefined,
    details: Record<string, unknown> = {},
  ): Promise<RecordingInfo> {
    let r: OpenViduRecording;
    try {
      r = await this.deps.ov.startRecording(consultId);
    } catch (e) {
      if (e instanceof OpenViduHttpError) {
        if (e.status === 409) throw conflict('The consultation is already being recorded.');
        if (e.status === 404 || e.status === 406)
          throw conflict('Nobody is connected to the consultation yet.');
        throw new ApiError(409, 'recording-failed', `The media server refused (${e.status}).`);
      }
      throw e;
    }
    const saved = await this.save(fromOpenVidu(r, consultId, by.id));
    await this.deps.audit.record(consultId, 'recording.started', by, {
      details: { recordingId: r.id, ...details },
      ip,
    });
    return publicRecording(saved);
  }

  /** A participant answers the consent request (a revocation stops a running recording). */
  async answerConsent(
    consultId: string,
    user: AuthenticatedUser,
    granted: boolean,
    ip: string | undefined,
  ): Promise<void> {
    const { consent, requireConsent } = this.deps;
    await consent.answer(consultId, user, granted, ip);
    if (!granted && requireConsent) await this.stopActive(consultId, user, 'consent-declined', ip);
    await consent.publish(consultId);
    if (granted) await this.startPending(consultId, ip);
  }

  /** Starts the pending recording once nobody connected is missing. */
  private async startPending(consultId: string, ip: string | undefined): Promise<void> {
    const by = await this.deps.consent.settlePending(consultId);
    if (!by) return;
    try {
      await this.start(consultId, by, ip, { automatic: true });
    } catch (e) {
      this.deps.logger.warn('pending recording start failed', {
        consultId,
        error: errorMessage(e),
      });
      await this.deps.events.publish(consultId, 'recording', {
        recordingId: '',
        consultId,
        status: 'failed',
        reason: e instanceof ApiError ? e.code : 'openvidu-unavailable',
      });
    }
  }

  async stop(
    consultId: string,
    recordingId: string,
    by: Actor,
    ip: string | undefined,
  ): Promise<RecordingInfo> {
    await this.find(consultId, recordingId);
    let r: OpenViduRecording;
    try {
      r = await this.deps.ov.stopRecording(recordingId);
    } catch (e) {
      if (e instanceof OpenViduHttpError) {
        if (e.status === 404) throw recordingNotFound();
        if (e.status === 406) throw conflict('The recording is still starting.');
        throw conflict('The recording is not running.');
      }
      throw e;
    }
    const saved = await this.save(fromOpenVidu(r, consultId));
    await this.deps.audit.record(consultId, 'recording.stopped', by, {
      details: { recordingId },
      ip,
    });
    return publicRecording(saved);
  }

  /** Stops the running recording, if any; failures are logged, not thrown. */
  async stopActive(
    consultId: string,
    by: Actor,
    reason: string,
    ip: string | undefined,
  ): Promise<void> {
    const active = await this.deps.recordings.activeRecording(consultId);
    if (!active) return;
    this.stopReasons.set(active.recordingId, reason);
    try {
      const r = await this.deps.ov.stopRecording(active.recordingId);
      await this.save(fromOpenVidu(r, consultId));
      await this.deps.audit.record(consultId, 'recording.stopped', by, {
        details: { recordingId: active.recordingId, reason },
        ip,
      });
    } catch (e) {
      this.deps.logger.warn('could not stop recording', { consultId, error: errorMessage(e) });
    }
  }

  async delete(
    consultId: string,
    recordingId: string,
    by: Actor,
    ip: string | undefined,
  ): Promise<RecordingInfo> {
    await this.find(consultId, recordingId);
    try {
      await this.deps.ov.deleteRecording(recordingId);
    } catch (e) {
      if (e instanceof OpenViduHttpError) throw conflict('The recording is still running.');
      throw e;
    }
    const saved = await this.save({ recordingId, consultId, status: 'deleted' });
    await this.deps.audit.record(consultId, 'recording.deleted', by, {
      details: { recordingId },
      ip,
    });
    return publicRecording(saved);
  }

  /** Streams the file from OpenVidu (Range passes through); every answer with bytes is audited. */
  async download(
    consultId: string,
    recordingId: string,
    by: Actor,
    request: RangeRequest,
    ip: string | undefined,
  ): Promise<Response> {
    const { ov } = this.deps;
    await this.find(consultId, recordingId);
    const r = await ov.getRecording(recordingId);
    if (!r || r.sessionId !== consultId) throw recordingNotFound();
    if (r.status !== 'ready')
      throw conflict('The recording is not ready yet.', { status: r.status });
    const ext = r.outputMode === 'INDIVIDUAL' ? 'zip' : r.hasVideo === false ? 'webm' : 'mp4';
    const fromUrl = r.url ? decodeURIComponent(r.url.split('/').pop() ?? '') : '';
    const fileName = /^[A-Za-z0-9_.~-]{1,200}$/.test(fromUrl) ? fromUrl : `${r.name}.${ext}`;
    const { range, ifRange } = request;
    const forward: Record<string, string> = {};
    if (range && range.length <= 200) forward['Range'] = range;
    if (ifRange && ifRange.length <= 200) forward['If-Range'] = ifRange;
    const res = await ov.openRecordingFile(recordingId, fileName, forward);
    if (res.status === 404) {
      await res.body?.cancel();
      throw recordingNotFound();
    }
    if (![200, 206, 416].includes(res.status)) {
      await res.body?.cancel();
      throw openViduUnavailable();
    }
    const headers = new Headers({
      'Content-Disposition': `attachment; filename="${consultId}-${fileName}"`,
      'Cache-Control': 'private, no-store',
      'Accept-Ranges': 'bytes',
    });
    for (const h of ['Content-Type', 'Content-Length', 'Content-Range', 'ETag', 'Last-Modified']) {
      const v = res.headers.get(h);
      if (v) headers.set(h, v);
    }
    if (!headers.has('Content-Type'))
      headers.set('Content-Type', ext === 'zip' ? 'application/zip' : `video/${ext}`);
    // Every answer that serves bytes is audited: a "whole file" can be asked for in many ways
    // (`bytes=00-`, `bytes=-100000`, several ranges), so no range is exempt.
    if (res.status === 200 || res.status === 206) {
      const contentRange = res.status === 206 ? res.headers.get('content-range') : null;
      await this.deps.audit.record(consultId, 'recording.downloaded', by, {
        details: {
          recordingId,
          status: res.status,
          ...(forward['Range'] ? { range: forward['Range'] } : {}),
          ...(contentRange ? { contentRange } : {}),
        },
        ip,
      });
    }
    return new Response(res.status === 416 ? null : res.body, { status: res.status, headers });
  }

  /** Applies a `recordingStatusChanged` webhook (the status only moves forward). */
  async applyWebhook(
    consultId: string,
    up: RecordingUpsert,
    reason: string | undefined,
  ): Promise<void> {
    const changed = await this.upsert(up);
    if (!changed) return;
    await this.deps.events.publish(consultId, 'recording', publicRecording(changed));
    if (up.status === 'processing' && reason && reason !== 'recordingStoppedByServer')
      await this.deps.audit.record(consultId, 'recording.stopped', SYSTEM_ACTOR, {
        details: { recordingId: up.recordingId, reason },
      });
    if (up.status === 'failed')
      await this.deps.audit.record(consultId, 'recording.failed', SYSTEM_ACTOR, {
        details: { recordingId: up.recordingId },
      });
  }
}
