/**
 * A consultation session: token (and waiting room), media connection, participants, local media,
 * chat, recording, lobby and quality, exposed as one immutable {@link SessionState} plus typed
 * events ({@link SessionEventMap}).
 *
 * This module owns the public class, the connect sequence and the teardown; each part of the state
 * has its own manager, built here with what it needs injected: `connection-lifecycle.ts`
 * (transitions, end, reconnection), `waiting-room.ts` (admission, lobby, the server event stream),
 * `participant-roster.ts` (participants), `chat.ts` (outbox, unread, history), `recording.ts`
 * (recording and consent), `local-media.ts` and `quality.ts` (loaded with the first sample).
 * @packageDocumentation
 */
import { parseRecordingInfo } from './api.js';
import type { BackendEventMap, MediaBackend } from './backend.js';
import { ConnectionLifecycle } from './connection-lifecycle.js';
import { ChatManager, CHAT_SIGNAL_TYPE, validateChatText, type ChatReadiness } from './chat.js';
import type { DeviceCheckReport, TokenResponse } from './contract.js';
import { Emitter } from './emitter.js';
import { ConsultError } from './errors.js';
import { LocalMedia } from './local-media.js';
import { acceptMuteRequest, MUTE_REQUEST_SIGNAL_TYPE, sendMuteRequest } from './mute-request.js';
import { ParticipantRoster, type LocalIdentity } from './participant-roster.js';
import { QUALITY_SAMPLE_INTERVAL_MS } from './quality-constants.js';
import type { QualitySampler } from './quality.js';
import { RecordingManager, type RecordingDownload } from './recording.js';
import { initialSessionState, type SessionDeps, type SessionOptions } from './session-options.js';
import { transition } from './state-machine.js';
import { StateStore } from './store.js';
import { abortable } from './timers.js';
import { WaitingRoom } from './waiting-room.js';
import type {
  ChatMessage,
  ConnectionReason,
  ConnectOptions,
  ConsultSessionLike,
  DeviceInfo,
  SendMessageOptions,
  SessionEventMap,
  SessionState,
  Unsubscribe,
} from './types.js';

/** Options of a session. @public */
export type { SessionOptions } from './session-options.js';

/**
 * One consultation. Create it with `client.createSession()` (preview first, then `connect()`) or
 * `client.join()` (connects at once).
 * @remarks The session owns its media backend, tracks, event stream and timers; `leave()` releases
 * all of them. Async methods reject only with {@link ConsultError}; background failures set
 * `state.error` and emit `error`. Misuse (wrong argument types, empty chat text) throws
 * `TypeError`/`RangeError` synchronously.
 * @public
 */
export class ConsultSession implements ConsultSessionLike {
  readonly consultId: string;
  private readonly deps: SessionDeps;
  private readonly options: SessionOptions;
  private readonly store: StateStore<SessionState>;
  private readonly emitter: Emitter<SessionEventMap>;
  private readonly media: LocalMedia;
  private readonly chat: ChatManager;
  private readonly recording: RecordingManager;
  private readonly roster: ParticipantRoster;
  private readonly waitingRoom: WaitingRoom;
  private readonly lifecycle: ConnectionLifecycle;
  private readonly lifetime = new AbortController();
  private readonly cleanups: Unsubscribe[] = [];
  private backend: MediaBackend | undefined;
  private backendPromise: Promise<MediaBackend> | undefined;
  private connectPromise: Promise<void> | undefined;
  private token: TokenResponse | undefined;
  /** `SessionOptions.displayName`, or the one `connect()` was given. */
  private displayName: string | undefined;
  /** `connect()`'s device check, sent with every token request. */
  private deviceCheck: DeviceCheckReport | undefined;
  private localConnectionId = '';
  private qualityTimer: unknown;
  private qualityBusy = false;
  /** Stats sampling only exists in a call, so its module loads with the first sample. */
  private samplerLoad: Promise<QualitySampler> | undefined;
  private sampler: QualitySampler | undefined;
  /** Ids of the mute requests received (each is shown once). */
  private readonly muteRequestsSeen = new Set<string>();

  /** @internal Use `client.createSession()`. */
  constructor(consultId: string, deps: SessionDeps, options: SessionOptions = {}) {
    if (typeof consultId !== 'string' || consultId === '')
      throw new TypeError('consultId must be a non-empty string');
    this.consultId = consultId;
    this.deps = deps;
    this.options = options;
    this.displayName = options.displayName;
    this.emitter = new Emitter(deps.logger);
    this.media = new LocalMedia({
      platform: deps.platform,
      logger: deps.logger,
      audio: options.audio ?? true,
      video: options.video ?? true,
      ...options.devices,
      ...(options.videoConstraints ? { videoConstraints: options.videoConstraints } : {}),
    });
    this.store = new StateStore(initialSessionState(consultId, this.media), deps.logger);
    const { store, media } = this;
    const now = (): number => deps.platform.clock.now();
    this.store.subscribe((state, previous) => {
      this.emitter.emit('stateChanged', { state, previous });
      if (state.connection !== previous.connection) {
        this.emitter.emit('connectionChanged', {
          connection: state.connection,
          previous: previous.connection,
          reason: state.connectionReason,
        });
      }
    });
    const emit = <K extends keyof SessionEventMap>(event: K, detail: SessionEventMap[K]): void =>
      this.emitter.emit(event, detail);
    this.chat = new ChatManager({
      store,
      emit,
      logger: deps.logger,
      now,
      randomId: () => deps.platform.randomId(),
      readiness: () => this.chatReadiness(),
      sendSignal: async (type, data, to) => {
        if (!this.backend) throw ConsultError.invalidState('Not connected.');
        await this.backend.sendSignal(type, data, to);
        if (type === CHAT_SIGNAL_TYPE && this.token?.backend === 'livekit')
          this.chat.relay(deps.api, data, to);
      },
      local: () => this.localIdentity(),
    });
    this.recording = new RecordingManager({
      store,
      emit,
      api: deps.api,
      now,
      localUserId: () => this.token?.userId,
      requireConnected: (action) => this.requireConnected(action),
    });
    this.lifecycle = new ConnectionLifecycle({
      store,
      emit,
      now,
      lifetime: this.lifetime,
      ended: () => this.chat.failAll(),
      recovered: () => this.chat.flush(),
      teardown: () => this.teardown(),
    });
    this.roster = new ParticipantRoster({
      store,
      emit,
      media,
      now,
      localConnectionId: () => this.localConnectionId,
      left: (connectionId) => this.sampler?.forget(connectionId),
    });
    this.waitingRoom = new WaitingRoom({
      ...deps,
      store,
      emit,
      lifetime: this.lifetime.signal,
      requestToken: (signal) => deps.api.requestToken(this.displayName, signal, this.deviceCheck),
      onEvent: (name, data) => this.handleServerEvent(name, data),
      reportError: (error) => this.reportError(error),
      requireConnected: (action) => this.requireConnected(action),
    });
    this.cleanups.push(
      this.media.on('change', () => this.roster.syncLocalMedia()),
      this.media.on('devicesChanged', ({ devices }) => {
        this.store.update((s) => ({ ...s, devices }));
        this.emitter.emit('devicesChanged', { devices });
      }),
      this.media.on('error', ({ error }) => this.reportError(error)),
    );
  }

  /** The current snapshot (a new object on every change). */
  get state(): SessionState {
    return this.store.state;
  }

  /** The local camera/microphone (tracks for custom UIs). */
  get localMedia(): LocalMedia {
    return this.media;
  }

  subscribe(listener: (state: SessionState) => void): Unsubscribe {
    return this.store.subscribe((state) => listener(state));
  }

  on<K extends keyof SessionEventMap>(
    event: K,
    listener: (detail: SessionEventMap[K]) => void,
  ): Unsubscribe {
    return this.emitter.on(event, listener);
  }

  /** Starts the camera/microphone preview before joining. Resolves with the preview stream. */
  startPreview(options: { signal?: AbortSignal } = {}): Promise<MediaStream | undefined> {
    if (this.lifecycle.isFinal())
      return Promise.reject(ConsultError.invalidState('The session has ended.'));
    return this.media.start(options);
  }

  /**
   * Connects: fetches a token (waiting in the waiting room if the server says so), connects the
   * media backend and publishes the local media. Resolves when connected. Calling it again while
   * connecting returns the same promise. A non-empty `displayName` replaces the session's
   * `displayName` option from this connection on (token request, what the others see).
   */
  connect(options: ConnectOptions = {}): Promise<void> {
    const name: unknown = options.displayName;
    if (name !== undefined && typeof name !== 'string')
      throw new TypeError('displayName must be a string');
    if (this.lifecycle.isFinal())
      return Promise.reject(ConsultError.invalidState('The session has ended.'));
    if (this.connectPromise) return this.connectPromise;
    const c = this.state.connection;
    if (c !== 'idle') return Promise.reject(ConsultError.invalidState(`Cannot connect when ${c}.`));
    if (name?.trim()) this.displayName = name.trim();
    if (options.deviceCheck) this.deviceCheck = options.deviceCheck;
    this.connectPromise = this.runConnect(c, options.signal ?? this.options.signal);
    return this.connectPromise;
  }

  /** Leaves the consultation and releases everything. Safe to call in any state. */
  async leave(): Promise<void> {
    if (this.lifecycle.isFinal()) {
      await this.teardown();
      return;
    }
    this.lifecycle.end('disconnected', 'left');
    await this.teardown();
  }

  setMicrophoneEnabled(enabled: boolean): Promise<void> {
    assertBoolean(enabled, 'enabled');
    return this.media.setMicrophoneEnabled(enabled);
  }

  setCameraEnabled(enabled: boolean): Promise<void> {
    assertBoolean(enabled, 'enabled');
    return this.media.setCameraEnabled(enabled);
  }

  selectDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    if (kind !== 'audioinput' && kind !== 'videoinput')
      throw new TypeError('kind must be audioinput or videoinput');
    return this.media.selectDevice(kind, deviceId);
  }

  selectAudioOutput(deviceId: string): Promise<void> {
    return this.media.selectAudioOutput(deviceId);
  }

  refreshDevices(): Promise<readonly DeviceInfo[]> {
    return this.media.refreshDevices();
  }

  startScreenShare(): Promise<void> {
    return this.media.startScreenShare();
  }

  stopScreenShare(): Promise<void> {
    return this.media.stopScreenShare();
  }

  setAudioOnly(audioOnly: boolean): Promise<void> {
    assertBoolean(audioOnly, 'audioOnly');
    return this.media.setAudioOnly(audioOnly);
  }

  /**
   * Sends a chat message. Resolves with the message once sent. Before the first connect completes
   * and while reconnecting, messages wait in an outbox and go out in order once connected.
   * @throws TypeError when `text` is not a string; RangeError when it is empty or whitespace only.
   * Rejects with `message-too-long` over `MAX_CHAT_MESSAGE_LENGTH`, `message-failed` when sending
   * failed (see `retryMessage`), `invalid-state` after the session ended.
   */
  sendMessage(text: string, options?: SendMessageOptions): Promise<ChatMessage> {
    const tooLong = validateChatText(text);
    if (tooLong) return Promise.reject(tooLong);
    return this.chat.send(text, options);
  }

  retryMessage(messageId: string): Promise<ChatMessage> {
    if (typeof messageId !== 'string') throw new TypeError('messageId must be a string');
    return this.chat.retry(messageId);
  }

  markRead(): void {
    this.chat.markRead();
  }

  startRecording(): Promise<void> {
    return this.recording.start();
  }

  stopRecording(): Promise<void> {
    return this.recording.stop();
  }

  setRecordingConsent(granted: boolean): Promise<void> {
    assertBoolean(granted, 'granted');
    return this.recording.setConsent(granted);
  }

  /**
   * Downloads the ready recording with the portal's bearer token.
   * @remarks A file answer is buffered in memory and handed out as an object URL (revoke it when
   * done); for very large files the server can answer `{ url }` (a signed link) instead, which is
   * returned without buffering.
   */
  downloadRecording(options: { signal?: AbortSignal } = {}): Promise<RecordingDownload> {
    return this.recording.download(options.signal);
  }

  async admit(userId: string): Promise<void> {
    await this.waitingRoom.act(userId, 'admit');
  }

  async deny(userId: string, reason?: string): Promise<void> {
    await this.waitingRoom.act(userId, 'deny', reason);
  }

  /**
   * Removes a participant from the consultation (providers): they are disconnected (their session
   * ends with reason `evicted`) and get no new token. Rejects with a ConsultError.
   */
  async removeParticipant(userId: string): Promise<void> {
    await this.waitingRoom.act(userId, 'remove');
  }

  /**
   * Asks the participant with connection id `participantId` to mute (providers): they get a
   * `muteRequested` event and mute themselves, or not; nothing is muted remotely.
   * @throws TypeError when `participantId` is not a non-empty string.
   * Rejects with `forbidden` for non-providers, `invalid-state` outside a call or for an unknown (or
   * the local) participant, `connection-failed` when the signal could not be sent.
   */
  requestMute(participantId: string): Promise<void> {
    if (typeof participantId !== 'string' || participantId === '')
      throw new TypeError('participantId must be a non-empty string');
    return sendMuteRequest(
      {
        state: () => this.state,
        requireConnected: (action) => this.requireConnected(action),
        sendSignal: (type, data, to) => {
          if (!this.backend) return Promise.reject(ConsultError.invalidState('Not connected.'));
          return this.backend.sendSignal(type, data, to);
        },
        now: () => this.deps.platform.clock.now(),
        randomId: () => this.deps.platform.randomId(),
      },
      participantId,
    );
  }

  // ── connection ──────────────────────────────────────────────────────────────────────────────

  private async runConnect(from: 'idle', signal: AbortSignal | undefined): Promise<void> {
    const attempt = new AbortController();
    const abort = (): void => attempt.abort();
    signal?.addEventListener('abort', abort, { once: true });
    this.lifetime.signal.addEventListener('abort', abort, { once: true });
    if (signal?.aborted) attempt.abort();
    try {
      this.lifecycle.apply(transition(from, 'fetching-token', 'join-requested'));
      this.deps.backendFactory.preload?.();
      let result = await this.deps.api.requestToken(
        this.displayName,
        attempt.signal,
        this.deviceCheck,
      );
      let reason: ConnectionReason = 'token-received';
      if (result.status === 'waiting') {
        const c = this.state.connection;
        if (c !== 'fetching-token') throw ConsultError.aborted();
        this.lifecycle.apply(transition(c, 'waiting', 'waiting-room'));
        const position = result.waiting.position;
        if (position !== undefined) this.store.update((s) => ({ ...s, waitingPosition: position }));
        if (result.waiting.recording) this.recording.announce(false);
        const token = await this.waitingRoom.waitForAdmission(attempt.signal);
        result = { status: 'token', token };
        reason = 'admitted';
      }
      this.token = result.token;
      this.localConnectionId = result.token.connectionId;
      const notice = result.token.recording;
      if (notice) this.recording.announce(notice.consentRequired);
      const c = this.state.connection;
      if (c !== 'fetching-token' && c !== 'waiting') throw ConsultError.aborted();
      this.store.update((s) => {
        const next: SessionState = {
          ...s,
          role: result.status === 'token' ? result.token.role : 'guest',
        };
        delete next.waitingPosition;
        return next;
      });
      this.lifecycle.apply(transition(c, 'connecting', reason));
      this.waitingRoom.startEvents();
      // The token says which media server it is for, so the backend is chosen only now.
      const serverUrl = result.token.serverUrl;
      this.backendPromise = this.deps.backendFactory({
        backend: result.token.backend ?? 'openvidu',
        ...(serverUrl ? { url: serverUrl } : {}),
      });
      const backend = await abortable(this.backendPromise, attempt.signal);
      this.attachBackend(backend);
      const wantsMedia = this.media.state.audioEnabled || this.media.state.videoEnabled;
      if (wantsMedia && this.deps.platform.mediaDevices) {
        // A capture failure must not keep the user out: they can still listen, watch and chat.
        await this.media.start({ signal: attempt.signal }).catch((error: unknown) => {
          if (attempt.signal.aborted) throw ConsultError.aborted();
          this.reportError(ConsultError.from(error));
        });
      }
      const clientData = JSON.stringify({
        displayName: this.displayName ?? result.token.displayName ?? '',
      });
      const { connectionId } = await abortable(
        backend.connect(result.token.token, clientData, attempt.signal),
        attempt.signal,
      );
      this.localConnectionId = connectionId;
      // A recording is running: nothing is published until the user consented or it stopped.
      if (notice?.consentRequired) await this.recording.consentOrStopped(attempt.signal);
      const audioTrack = this.media.audioTrack;
      const videoTrack = this.media.videoTrack;
      if (audioTrack || videoTrack) {
        try {
          await abortable(
            backend.publish({
              ...(audioTrack ? { audioTrack } : {}),
              ...(videoTrack ? { videoTrack } : {}),
              audioEnabled: this.media.state.audioEnabled,
              videoEnabled: this.media.state.videoEnabled,
            }),
            attempt.signal,
          );
        } catch (error) {
          if (attempt.signal.aborted) throw ConsultError.aborted();
          this.reportError(
            new ConsultError('connection-failed', 'Publishing local media failed.', {
              cause: error,
            }),
          );
        }
      }
      this.media.attach(backend);
      const now = this.state.connection;
      if (now !== 'connecting') throw ConsultError.aborted();
      this.roster.addLocal(this.localIdentity());
      this.lifecycle.apply(transition(now, 'connected', 'media-connected'));
      this.roster.updateCallStarted();
      this.chat.flush();
      this.startQuality();
      void this.chat.loadHistory(this.deps.api, this.lifetime.signal);
    } catch (error) {
      const aborted = attempt.signal.aborted;
      const e = aborted
        ? ConsultError.aborted(signal?.reason)
        : ConsultError.from(error, 'connection-failed');
      if (!this.lifecycle.isFinal()) {
        if (aborted) this.lifecycle.end('disconnected', 'aborted');
        else this.lifecycle.end('failed', e.code === 'admission-denied' ? 'denied' : 'error', e);
      }
      await this.teardown();
      throw e;
    } finally {
      signal?.removeEventListener('abort', abort);
      this.lifetime.signal.removeEventListener('abort', abort);
    }
  }

  /** The token server's events the waiting room leaves to the session. */
  private handleServerEvent(name: string, data: unknown): void {
    switch (name) {
      case 'recording': {
        try {
          this.recording.applyInfo(parseRecordingInfo(data, this.consultId));
        } catch (error) {
          this.deps.logger.warn('dropped an invalid recording event', { error });
        }
        return;
      }
      case 'consent':
        this.recording.onConsent(data);
        return;
      case 'ended':
        if (!this.lifecycle.isFinal()) {
          this.lifecycle.closedByServer();
          void this.teardown();
        }
        return;
      default:
        this.deps.logger.debug('ignored a server event', { event: name });
    }
  }

  private attachBackend(backend: MediaBackend): void {
    this.backend = backend;
    this.cleanups.push(...this.roster.attach(backend), ...this.lifecycle.attach(backend));
    const on = <K extends keyof BackendEventMap>(
      event: K,
      handler: (detail: BackendEventMap[K]) => void,
    ): void => {
      this.cleanups.push(backend.on(event, handler));
    };
    on('signal', ({ type, data, from }) => {
      if (type === CHAT_SIGNAL_TYPE) this.chat.receive(data, from);
      if (type === MUTE_REQUEST_SIGNAL_TYPE) {
        const seen = this.muteRequestsSeen;
        const by = acceptMuteRequest(this.state, data, from, seen, this.deps.logger);
        if (by) this.emitter.emit('muteRequested', { from: by });
      }
    });
    on('recordingStarted', ({ recordingId }) => this.recording.onStarted(recordingId));
    on('recordingStopped', ({ recordingId }) => this.recording.onStopped(recordingId));
    on('exception', ({ name, message }) => {
      this.deps.logger.warn('media backend exception', { name });
      this.reportError(
        new ConsultError('connection-failed', message || name, { recoverable: true }),
      );
    });
  }

  private tornDown = false;

  /** Releases the backend, media, event stream and timers. Idempotent. */
  private async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    this.lifetime.abort();
    this.stopQuality();
    this.waitingRoom.close();
    this.media.stop();
    const backend = this.backend;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.backend = undefined;
    this.chat.failAll();
    if (backend) {
      await backend.disconnect().catch((error: unknown) => {
        this.deps.logger.debug('backend disconnect failed', { error });
      });
    }
  }

  private reportError(error: ConsultError): void {
    this.store.update((s) => ({ ...s, error }));
    this.emitter.emit('error', { error });
  }

  private requireConnected(action: string): void {
    const c = this.state.connection;
    if (c !== 'connected' && c !== 'reconnecting')
      throw ConsultError.invalidState(`Cannot ${action} when ${c}.`);
  }

  private chatReadiness(): ChatReadiness {
    const c = this.state.connection;
    if (c === 'connected') return this.backend ? 'send' : 'queue';
    if (c === 'disconnected' || c === 'failed') return 'closed';
    return 'queue';
  }

  private localIdentity(): LocalIdentity {
    return {
      connectionId: this.localConnectionId,
      ...(this.token?.userId !== undefined ? { userId: this.token.userId } : {}),
      displayName: this.displayName ?? this.token?.displayName ?? 'Guest',
      role: this.token?.role ?? this.state.role ?? 'guest',
    };
  }

  // ── quality ────────────────────────────────────────────────────────────────────────────────

  private startQuality(): void {
    if (this.qualityTimer !== undefined) return;
    this.qualityTimer = this.deps.platform.clock.setInterval(() => {
      if (this.qualityBusy) return;
      this.qualityBusy = true;
      void this.sampleQuality().finally(() => {
        this.qualityBusy = false;
      });
    }, QUALITY_SAMPLE_INTERVAL_MS);
  }

  private stopQuality(): void {
    if (this.qualityTimer === undefined) return;
    this.deps.platform.clock.clearInterval(this.qualityTimer);
    this.qualityTimer = undefined;
  }

  private async sampleQuality(): Promise<void> {
    const backend = this.backend;
    if (!backend || this.state.connection !== 'connected') return;
    const sampler = await (this.samplerLoad ??= import('./quality.js').then(
      ({ QualitySampler }) =>
        (this.sampler = new QualitySampler({
          store: this.store,
          emit: (event, detail) => this.emitter.emit(event, detail),
          media: this.media,
          backend: () => this.backend,
        })),
    ));
    await sampler.sample(backend);
  }
}

function assertBoolean(value: unknown, name: string): void {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
}
