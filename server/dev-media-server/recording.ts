/**
 * Recording orchestration: ids, status lifecycle (starting → started → stopped → ready | failed),
 * participant notifications, webhooks and the on-disk metadata file, around
 * `MediaRouter.startRecording`. Files live in `recordingsDir/<recordingId>/`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EndReason, RecordingHooks, SessionManager } from './core.js';
import { HttpError } from './errors.js';
import { isValidFileName, isValidRecordingId } from './ids.js';
import type { Logger } from './logger.js';
import type {
  ActiveRecording,
  MediaRouter,
  RecordingResult,
  RecordingStreamMetadata,
} from './media/types.js';
import { activeConnections } from './model.js';
import type {
  ConnectionRecord,
  OutputMode,
  RecordingLayout,
  RecordingProperties,
  SessionRecord,
} from './model.js';
import type { TimerRegistry } from './timers.js';
import type { WebhookEventName } from './webhook.js';
import { errorMessage } from '../shared/errors.js';
import type { OpenViduRecordingStatus } from '../shared/openvidu.js';

export interface RecordingRecord {
  id: string;
  sessionId: string;
  uniqueSessionId: string;
  name: string;
  outputMode: OutputMode;
  hasAudio: boolean;
  hasVideo: boolean;
  recordingLayout: RecordingLayout;
  customLayout: string;
  resolution: string;
  frameRate: number;
  shmSize: number;
  ignoreFailedStreams: boolean;
  createdAt: number;
  size: number;
  duration: number;
  url: string | null;
  status: OpenViduRecordingStatus;
  /** File inside the recording folder once ready. */
  fileName?: string;
  /** Why it stopped (kept for the webhook and the metadata file). */
  reason?: string;
}

export interface RecordingConfig {
  manager: SessionManager;
  router: MediaRouter;
  dir: string;
  /** `http(s)://host:port` used in recording `url`s. */
  publicUrl: string;
  timers: TimerRegistry;
  logger: Logger;
  webhook: (event: WebhookEventName, body: object) => void;
  /** Router `startRecording` calls that take longer fail with 500. */
  startTimeoutMs: number;
}

const isComposed = (m: OutputMode): boolean => m === 'COMPOSED' || m === 'COMPOSED_QUICK_START';

export function recordingJson(r: RecordingRecord): object {
  const composedVideo = isComposed(r.outputMode) && r.hasVideo;
  return {
    id: r.id,
    object: 'recording',
    name: r.name,
    outputMode: r.outputMode,
    ...(composedVideo
      ? {
          resolution: r.resolution,
          frameRate: r.frameRate,
          recordingLayout: r.recordingLayout,
          shmSize: r.shmSize,
          ...(r.recordingLayout === 'CUSTOM' ? { customLayout: r.customLayout } : {}),
        }
      : {}),
    ...(r.outputMode === 'INDIVIDUAL' ? { ignoreFailedStreams: r.ignoreFailedStreams } : {}),
    sessionId: r.sessionId,
    createdAt: r.createdAt,
    size: r.size,
    duration: r.duration,
    url: r.url,
    hasAudio: r.hasAudio,
    hasVideo: r.hasVideo,
    status: r.status,
  };
}

function streamMetadataOf(c: ConnectionRecord): RecordingStreamMetadata {
  return {
    connectionId: c.id,
    clientData: c.clientData ?? '',
    serverData: c.serverData,
    ...(c.publisher?.typeOfVideo ? { typeOfVideo: c.publisher.typeOfVideo } : {}),
  };
}

export class RecordingOrchestrator implements RecordingHooks {
  private readonly recordings = new Map<string, RecordingRecord>();
  private readonly active = new Map<string, ActiveRecording>();
  /** Reason to stop with as soon as a `starting` recording has started. */
  private readonly stopWhenStarted = new Map<string, EndReason>();
  private readonly finishing = new Set<Promise<void>>();

  constructor(private readonly cfg: RecordingConfig) {}

  /** Loads `.recording.<id>` metadata files left by earlier runs. */
  async init(): Promise<void> {
    await mkdir(this.cfg.dir, { recursive: true });
    for (const entry of await readdir(this.cfg.dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !isValidRecordingId(entry.name)) continue;
      try {
        const text = await readFile(
          join(this.cfg.dir, entry.name, `.recording.${entry.name}`),
          'utf8',
        );
        const r = JSON.parse(text) as RecordingRecord;
        if (r.id !== entry.name || typeof r.sessionId !== 'string') continue;
        if (r.status === 'starting' || r.status === 'started' || r.status === 'stopped') {
          r.status = 'failed';
          r.reason = 'openviduServerStopped';
        }
        this.recordings.set(r.id, r);
      } catch {
        // Not one of ours (or unreadable): leave it alone.
      }
    }
  }

  get(id: string): RecordingRecord | undefined {
    return this.recordings.get(id);
  }

  list(): RecordingRecord[] {
    return [...this.recordings.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  activeCount(): number {
    return this.active.size;
  }

  /**
   * Starts recording `session` (preconditions 404/409/406 are checked by the caller).
   * Resolves with the recording in status `started`; rejects with HttpError 500 on router failure.
   */
  async start(session: SessionRecord, props: RecordingProperties): Promise<RecordingRecord> {
    const id = this.nextId(session.id);
    const dir = join(this.cfg.dir, id);
    const r: RecordingRecord = {
      id,
      sessionId: session.id,
      uniqueSessionId: `${session.id}_${session.createdAt}`,
      name: props.name || id,
      outputMode: props.outputMode,
      hasAudio: props.hasAudio,
      hasVideo: props.hasVideo,
      recordingLayout: props.recordingLayout,
      customLayout: props.customLayout,
      resolution: props.resolution,
      frameRate: props.frameRate,
      shmSize: props.shmSize,
      ignoreFailedStreams: props.ignoreFailedStreams,
      createdAt: Date.now(),
      size: 0,
      duration: 0,
      url: null,
      status: 'starting',
    };
    this.recordings.set(id, r);
    session.activeRecordingId = id;
    const streamIds = this.recordableStreams(session);
    const streamMetadata: Record<string, RecordingStreamMetadata> = {};
    for (const c of activeConnections(session)) {
      if (c.publisher && streamIds.includes(c.publisher.streamId)) {
        streamMetadata[c.publisher.streamId] = streamMetadataOf(c);
      }
    }
    let active: ActiveRecording;
    try {
      await mkdir(dir, { recursive: true });
      await this.persist(r);
      active = await this.withTimeout(
        this.cfg.router.startRecording({
          recordingId: id,
          dir,
          name: r.name,
          outputMode: isComposed(r.outputMode) ? 'COMPOSED' : 'INDIVIDUAL',
          hasAudio: r.hasAudio,
          hasVideo: r.hasVideo,
          resolution: r.resolution,
          frameRate: r.frameRate,
          streamIds,
          sessionId: session.id,
          streamMetadata,
        }),
      );
    } catch (err) {
      r.status = 'failed';
      r.reason = 'recordingStoppedByServer';
      if (session.activeRecordingId === id) session.activeRecordingId = undefined;
      this.stopWhenStarted.delete(id);
      await this.persist(r);
      const message = errorMessage(err);
      this.cfg.logger.warn('recording failed to start', { recordingId: id, error: message });
      throw new HttpError(500, `Error starting recording: ${message}`, 'text');
    }
    this.active.set(id, active);
    // Streams published while the router was starting.
    for (const s of this.recordableStreams(session))
      if (!streamIds.includes(s)) active.addStream(s);
    r.status = 'started';
    await this.persist(r);
    this.cfg.logger.info('recording started', { recordingId: id, sessionId: session.id });
    this.notify(session, 'recordingStarted', { id, name: r.name });
    this.statusWebhook(r, undefined);
    const pendingStop = this.stopWhenStarted.get(id);
    const sessionGone = this.cfg.manager.getSession(session.id) !== session;
    if (pendingStop || sessionGone) {
      this.stopWhenStarted.delete(id);
      this.stop(id, pendingStop ?? 'sessionClosedByServer');
    }
    return r;
  }

  /** Moves a started recording to `stopped` now, then to `ready`/`failed` in the background. */
  stop(id: string, reason: EndReason): RecordingRecord {
    const r = this.recordings.get(id);
    const active = this.active.get(id);
    if (!r) throw new HttpError(404);
    if (r.status === 'starting') throw new HttpError(406);
    if (r.status !== 'started' || !active) throw new HttpError(409);
    this.active.delete(id);
    r.status = 'stopped';
    r.reason = reason;
    r.duration = (Date.now() - r.createdAt) / 1000;
    const session = this.cfg.manager.getSession(r.sessionId);
    if (session?.activeRecordingId === id) session.activeRecordingId = undefined;
    if (session) this.notify(session, 'recordingStopped', { id, name: r.name, reason });
    this.cfg.logger.info('recording stopped', { recordingId: id, reason });
    this.statusWebhook(r, reason);
    // Capture ends now, not after the `stopped` state reached the disk: the file must cover the time
    // between start and stop only (writing first made mp4s ~0.6 s too long on a loaded machine).
    let result: Promise<RecordingResult>;
    try {
      result = active.stop();
    } catch (err) {
      result = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    result.catch(() => undefined); // handled in finish(), which awaits it after persisting
    const done = this.finish(r, result, reason);
    this.finishing.add(done);
    void done.finally(() => this.finishing.delete(done));
    return r;
  }

  private async finish(
    r: RecordingRecord,
    stopping: Promise<RecordingResult>,
    reason: EndReason,
  ): Promise<void> {
    await this.persist(r);
    try {
      const result = await stopping;
      if (!isValidFileName(result.fileName))
        throw new Error('router returned an invalid file name');
      r.size = result.size;
      r.duration = result.duration;
      r.fileName = result.fileName;
      r.url = `${this.cfg.publicUrl}/openvidu/recordings/${r.id}/${result.fileName}`;
      r.status = 'ready';
    } catch (err) {
      r.status = 'failed';
      this.cfg.logger.warn('recording failed', {
        recordingId: r.id,
        error: errorMessage(err),
      });
    }
    await this.persist(r);
    this.statusWebhook(r, reason);
  }

  async delete(id: string): Promise<void> {
    const r = this.recordings.get(id);
    if (!r) throw new HttpError(404);
    if (r.status === 'starting' || r.status === 'started' || r.status === 'stopped') {
      throw new HttpError(409);
    }
    this.recordings.delete(id);
    await rm(join(this.cfg.dir, id), { recursive: true, force: true });
  }

  /** Waits for recordings being finalized (bounded by `timeoutMs`). */
  async drain(timeoutMs: number): Promise<void> {
    if (this.finishing.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.finishing]),
      new Promise<void>((resolve) => {
        timer = this.cfg.timers.set(resolve, timeoutMs);
      }),
    ]);
    this.cfg.timers.clear(timer);
  }

  /** Stops every running recording (server shutdown). */
  stopAll(reason: EndReason): void {
    for (const id of [...this.active.keys()]) this.stop(id, reason);
  }

  // ── RecordingHooks ──

  onStreamPublished(session: SessionRecord, c: ConnectionRecord): void {
    const id = session.activeRecordingId;
    const active = id ? this.active.get(id) : undefined;
    if (active && c.record && c.publisher)
      active.addStream(c.publisher.streamId, streamMetadataOf(c));
    if (session.recordingMode === 'ALWAYS' && session.activeRecordingId === undefined) {
      this.start(session, session.defaultRecordingProperties).catch((err: unknown) => {
        this.cfg.logger.warn('automatic recording failed to start', {
          sessionId: session.id,
          error: errorMessage(err),
        });
      });
    }
  }

  onStreamUnpublished(session: SessionRecord, streamId: string): void {
    const id = session.activeRecordingId;
    const active = id ? this.active.get(id) : undefined;
    active?.removeStream(streamId);
  }

  stopForSessionClose(session: SessionRecord, reason: EndReason): void {
    const id = session.activeRecordingId;
    if (!id) return;
    const r = this.recordings.get(id);
    if (r?.status === 'starting') this.stopWhenStarted.set(id, reason);
    else if (r?.status === 'started') this.stop(id, reason);
  }

  announced(session: SessionRecord): { id: string; name: string } | undefined {
    const r = session.activeRecordingId
      ? this.recordings.get(session.activeRecordingId)
      : undefined;
    return r?.status === 'started' ? { id: r.id, name: r.name } : undefined;
  }

  // ── helpers ──

  private recordableStreams(session: SessionRecord): string[] {
    return activeConnections(session)
      .filter((c) => c.record && c.publisher?.ready)
      .map((c) => (c.publisher as NonNullable<ConnectionRecord['publisher']>).streamId);
  }

  private nextId(sessionId: string): string {
    let id = sessionId;
    for (let n = 1; this.recordings.has(id) || existsSync(join(this.cfg.dir, id)); n++) {
      id = `${sessionId}~${n}`;
    }
    return id;
  }

  private notify(session: SessionRecord, method: string, params: object): void {
    for (const c of activeConnections(session)) {
      if (c.role !== 'SUBSCRIBER') c.transport?.notify(method, params);
    }
  }

  private statusWebhook(r: RecordingRecord, reason: string | undefined): void {
    const composedVideo = isComposed(r.outputMode) && r.hasVideo;
    this.cfg.webhook('recordingStatusChanged', {
      sessionId: r.sessionId,
      uniqueSessionId: r.uniqueSessionId,
      timestamp: Date.now(),
      startTime: r.createdAt,
      id: r.id,
      name: r.name,
      outputMode: r.outputMode,
      ...(composedVideo
        ? {
            resolution: r.resolution,
            frameRate: r.frameRate,
            recordingLayout: r.recordingLayout,
            ...(r.recordingLayout === 'CUSTOM' ? { customLayout: r.customLayout } : {}),
          }
        : {}),
      hasAudio: r.hasAudio,
      hasVideo: r.hasVideo,
      size: r.size,
      duration: r.duration,
      status: r.status,
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  private async persist(r: RecordingRecord): Promise<void> {
    try {
      await writeFile(join(this.cfg.dir, r.id, `.recording.${r.id}`), JSON.stringify(r));
    } catch (err) {
      this.cfg.logger.warn('could not write recording metadata', {
        recordingId: r.id,
        error: errorMessage(err),
      });
    }
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.cfg.timers.set(
        () =>
          reject(
            new Error(`media router did not start the recording in ${this.cfg.startTimeoutMs} ms`),
          ),
        this.cfg.startTimeoutMs,
      );
      p.then(
        (v) => {
          this.cfg.timers.clear(t);
          resolve(v);
        },
        (e: unknown) => {
          this.cfg.timers.clear(t);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }
}
