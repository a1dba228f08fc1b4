/**
 * Recording and consent. State comes from the token server (HTTP answers and `recording`/`consent`
 * events) and from the media backend (`recordingStarted`/`recordingStopped`).
 *
 * `idle → starting → recording → stopping → processing → ready`, or `awaiting-consent` when the
 * server answers 412 `consent-required` (it asks everyone and starts by itself once all consented),
 * and `failed` from any state.
 * @packageDocumentation
 */
import { parseConsentState, type ConsultApi } from './api.js';
import type { RecordingInfo } from './contract.js';
import { ConsultError } from './errors.js';
import type { StateStore } from './store.js';
import { abortable } from './timers.js';
import type { RecordingState, SessionEventMap, SessionState } from './types.js';

/** The initial recording slice. @internal */
export const INITIAL_RECORDING: RecordingState = {
  status: 'idle',
  consent: { requested: false, entries: [] },
  consentPending: false,
  downloadable: false,
};

/** What the recording manager needs from its session. @internal */
export interface RecordingContext {
  store: StateStore<SessionState>;
  emit<K extends keyof SessionEventMap>(event: K, detail: SessionEventMap[K]): void;
  api: ConsultApi;
  now(): number;
  /** The local user's token-server id (to find their consent entry). */
  localUserId(): string | undefined;
  /** Throws invalid-state unless connected. */
  requireConnected(action: string): void;
}

/** A downloadable recording. @public */
export interface RecordingDownload {
  /** An object URL (revoke it with `URL.revokeObjectURL` when done) or a server-provided URL. */
  url: string;
  fileName: string;
}

/** @internal */
export class RecordingManager {
  private readonly ctx: RecordingContext;

  constructor(ctx: RecordingContext) {
    this.ctx = ctx;
  }

  private get state(): RecordingState {
    return this.ctx.store.state.recording;
  }

  async start(): Promise<void> {
    this.ctx.requireConnected('start recording');
    const { status } = this.state;
    if (status === 'starting' || status === 'recording' || status === 'awaiting-consent') return;
    const previous = this.state;
    this.set({ status: 'starting', error: undefined });
    try {
      const info = await this.ctx.api.startRecording();
      this.applyInfo(info);
    } catch (error) {
      const e = ConsultError.from(error, 'recording-failed');
      if (e.code === 'consent-required') {
        this.set({ status: 'awaiting-consent' });
        return;
      }
      this.set({ status: previous.status === 'starting' ? 'idle' : previous.status, error: e });
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.ctx.requireConnected('stop recording');
    const { status, recordingId } = this.state;
    if (status === 'awaiting-consent') {
      // Nothing runs yet; the request simply lapses on our side.
      this.set({ status: 'idle' });
      return;
    }
    if ((status !== 'recording' && status !== 'starting') || recordingId === undefined) {
      throw ConsultError.invalidState('No recording is running.');
    }
    this.set({ status: 'stopping' });
    try {
      this.applyInfo(await this.ctx.api.stopRecording(recordingId));
    } catch (error) {
      const e = ConsultError.from(error, 'recording-failed');
      this.set({ status, error: e });
      throw e;
    }
  }

  async setConsent(granted: boolean): Promise<void> {
    if (typeof granted !== 'boolean') throw new TypeError('granted must be a boolean');
    // A joiner answers while their media is held back (still connecting).
    if (!this.state.consentPending) this.ctx.requireConnected('answer the consent request');
    const consent = await this.ctx.api.setConsent(granted).catch((error: unknown) => {
      throw ConsultError.from(error, 'recording-failed');
    });
    this.set({ consentPending: false });
    if (consent) this.onConsent(consent);
  }

  /**
   * Fetches the ready recording with the bearer header. A JSON answer `{ url }` (a signed link) is
   * returned as is; a file answer is buffered into a Blob and returned as an object URL.
   */
  async download(signal?: AbortSignal): Promise<RecordingDownload> {
    const { status, recordingId } = this.state;
    if (status !== 'ready' || recordingId === undefined) {
      throw ConsultError.invalidState('No recording is ready to download.');
    }
    try {
      const response = await this.ctx.api.downloadRecording(recordingId, signal);
      const type = response.headers.get('content-type') ?? '';
      const fallbackName = `consult-${this.ctx.api.consultId}-${recordingId}.${extensionOf(type)}`;
      if (type.startsWith('application/json')) {
        const body = (await response.json()) as { url?: unknown; fileName?: unknown };
        if (typeof body.url !== 'string') {
          throw new ConsultError('invalid-response', 'The download answer has no url.');
        }
        return {
          url: body.url,
          fileName: typeof body.fileName === 'string' ? body.fileName : fallbackName,
        };
      }
      const blob = await response.blob();
      const fileName = fileNameOf(response.headers.get('content-disposition')) ?? fallbackName;
      const createObjectURL = globalThis.URL?.createObjectURL;
      if (typeof createObjectURL !== 'function') {
        return { url: response.url, fileName };
      }
      return { url: createObjectURL.call(globalThis.URL, blob), fileName };
    } catch (error) {
      if (signal?.aborted) throw ConsultError.aborted(signal.reason);
      throw ConsultError.from(error, 'recording-failed');
    }
  }

  /** `recording` server event or an HTTP answer. */
  applyInfo(info: RecordingInfo): void {
    if (info.status === 'deleted') {
      if (info.recordingId === this.state.recordingId) {
        this.set({ status: 'idle', recordingId: undefined, downloadable: false });
      }
      return;
    }
    const startedAt = info.startedAt ? Date.parse(info.startedAt) : undefined;
    this.set({
      status: info.status,
      recordingId: info.recordingId,
      ...(startedAt !== undefined && !Number.isNaN(startedAt) ? { startedAt } : {}),
      ...(info.duration !== undefined ? { duration: info.duration } : {}),
      reason: info.reason,
      ...(info.status === 'failed'
        ? { error: new ConsultError('recording-failed', info.reason ?? 'The recording failed.') }
        : {}),
    });
  }

  /** Backend `recordingStarted`. */
  onStarted(recordingId: string): void {
    this.set({
      status: 'recording',
      recordingId,
      startedAt: this.state.startedAt ?? this.ctx.now(),
      error: undefined,
    });
  }

  /** Backend `recordingStopped`: the file is processed next; the server announces `ready`. */
  onStopped(recordingId: string): void {
    const { status, startedAt } = this.state;
    if (status === 'ready' || status === 'failed') return;
    this.set({
      status: 'processing',
      recordingId,
      ...(startedAt !== undefined && this.state.duration === undefined
        ? { duration: Math.round((this.ctx.now() - startedAt) / 1000) }
        : {}),
    });
  }

  /**
   * A recording was running when the user waited or joined (the token server's notice): they see it
   * before their media is published, and are asked when `consentRequired`.
   */
  announce(consentRequired: boolean): void {
    const status = this.state.status;
    this.set({
      ...(status === 'idle' ? { status: 'recording' as const } : {}),
      ...(consentRequired ? { consentPending: true } : {}),
    });
    if (consentRequired) this.ctx.emit('consentRequested', { consent: this.state.consent });
  }

  /** Resolves once the local user consented or the recording is no longer running. */
  consentOrStopped(signal: AbortSignal): Promise<void> {
    let off: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      const check = (): void => {
        const r = this.state;
        if (
          (r.status !== 'recording' && r.status !== 'starting') ||
          (!r.consentPending &&
            r.consent.entries.some((e) => e.userId === this.ctx.localUserId() && e.granted))
        )
          resolve();
      };
      off = this.ctx.store.subscribe(check);
      check();
    });
    return abortable(done, signal).finally(() => off());
  }

  /** `consent` server event (or the consent answer). */
  onConsent(data: unknown): void {
    const consent = parseConsentState(data);
    if (!consent) return;
    const userId = this.ctx.localUserId();
    const mine =
      userId === undefined ? undefined : consent.entries.find((e) => e.userId === userId);
    const pending = consent.requested && mine !== undefined && mine.granted === null;
    const wasPending = this.state.consentPending;
    const patch: Partial<RecordingState> = { consent, consentPending: pending };
    if (!consent.requested && this.state.status === 'awaiting-consent') {
      // The request ended without a recording (someone declined).
      patch.status = consent.entries.some((e) => e.granted === false) ? 'idle' : this.state.status;
    }
    this.set(patch);
    if (pending && !wasPending) this.ctx.emit('consentRequested', { consent });
  }

  private set(patch: Partial<RecordingState> & { error?: ConsultError | undefined }): void {
    const previous = this.state;
    const next: RecordingState = { ...previous, ...patch };
    for (const key of ['error', 'recordingId', 'startedAt', 'duration', 'reason'] as const) {
      if (key in patch && patch[key] === undefined) delete next[key];
    }
    next.downloadable =
      next.status === 'ready' &&
      next.recordingId !== undefined &&
      this.ctx.store.state.role === 'provider';
    const keys = new Set([...Object.keys(previous), ...Object.keys(next)] as Array<
      keyof RecordingState
    >);
    if ([...keys].every((k) => previous[k] === next[k])) return;
    this.ctx.store.update((s) => ({ ...s, recording: next }));
    this.ctx.emit('recordingChanged', { recording: next });
  }
}

function extensionOf(type: string): string {
  if (type.includes('zip')) return 'zip';
  if (type.includes('webm')) return 'webm';
  return 'mp4';
}

/** Reads `filename*=UTF-8''…` or `filename="…"` from Content-Disposition. */
function fileNameOf(disposition: string | null): string | undefined {
  if (!disposition) return undefined;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* fall through to the plain parameter */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  return plain?.[1]?.trim() || undefined;
}
