/**
 * A consultation session: token (and waiting room), media connection, participants, local media,
 * chat, recording, lobby and quality, exposed as one immutable {@link SessionState} plus typed
 * events ({@link SessionEventMap}).
 * @packageDocumentation
 */
import { parseLobby, parseRecordingInfo, type ConsultApi } from './api.js';
import type {
  BackendEventMap,
  BackendStats,
  BackendStream,
  MediaBackend,
  MediaBackendFactory,
} from './backend.js';
import { ChatManager, CHAT_SIGNAL_TYPE, validateChatText, type ChatReadiness } from './chat.js';
import type { DeviceCheckReport, TokenResponse } from './contract.js';
import { Emitter } from './emitter.js';
import { ConsultError } from './errors.js';
import { LocalMedia } from './local-media.js';
import { acceptMuteRequest, MUTE_REQUEST_SIGNAL_TYPE, sendMuteRequest } from './mute-request.js';
import type { Logger } from './logger.js';
import { patchParticipant, remoteParticipant, withFields } from './participants.js';
import type { Platform } from './platform.js';
import type * as QualityModule from './quality.js';
import type { AudioOnlyAdvisor, QualityTracker } from './quality.js';
import { QUALITY_SAMPLE_INTERVAL_MS } from './quality-constants.js';
import { INITIAL_RECORDING, RecordingManager, type RecordingDownload } from './recording.js';
import type { ServerEvents } from './server-events.js';
import { transition, type ConnectionStatus } from './state-machine.js';
import { StateStore } from './store.js';
import { abortable } from './timers.js';
import type {
  ChatMessage,
  ConnectionReason,
  ConnectionState,
  ConnectOptions,
  ConsultSessionLike,
  DeviceInfo,
  Participant,
  SendMessageOptions,
  SessionEventMap,
  SessionState,
  Unsubscribe,
} from './types.js';

/** Options of a session (`client.join()` / `client.createSession()`). @public */
export interface SessionOptions {
  /** Name to show; the token server may prefer the authenticated user's. */
  displayName?: string;
  /** Start with the microphone on. Default true. */
  audio?: boolean;
  /** Start with the camera on. Default true. */
  video?: boolean;
  /** Initial devices. */
  devices?: { audioDeviceId?: string; videoDeviceId?: string; audioOutputId?: string };
  /** Video constraints besides the device (resolution, frame rate). */
  videoConstraints?: MediaTrackConstraints;
  /** Cancels `join()` (token fetch, waiting, connecting). */
  signal?: AbortSignal;
}

/** What a session is built from (the client supplies it). @internal */
export interface SessionDeps {
  api: ConsultApi;
  backendFactory: MediaBackendFactory;
  platform: Platform;
  logger: Logger;
  /** Backoff of the event stream (tests make it predictable). */
  random?: () => number;
}

type NonFinal = Exclude<ConnectionState, 'disconnected' | 'failed'>;

/** Initial state of a session. @internal */
export function initialSessionState(consultId: string, media: LocalMedia): SessionState {
  return {
    consultId,
    connection: 'idle',
    connectionReason: 'initial',
    participants: [],
    localMedia: media.state,
    devices: media.devices,
    chat: { messages: [], unread: 0, historyLoaded: false },
    recording: INITIAL_RECORDING,
    lobby: [],
  };
}

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
  private readonly lifetime = new AbortController();
  private readonly cleanups: Unsubscribe[] = [];
  private backend: MediaBackend | undefined;
  private backendPromise: Promise<MediaBackend> | undefined;
  private events: ServerEvents | undefined;
  private eventsRequested = false;
  private connectPromise: Promise<void> | undefined;
  private token: TokenResponse | undefined;
  /** `SessionOptions.displayName`, or the one `connect()` was given. */
  private displayName: string | undefined;
  /** `connect()`'s device check, sent with every token request. */
  private deviceCheck: DeviceCheckReport | undefined;
  private localConnectionId = '';
  private admission:
    { resolve(token: TokenResponse): void; reject(error: ConsultError): void } | undefined;
  private readonly streams = new Map<string, BackendStream>();
  private qualityTimer: unknown;
  private qualityBusy = false;
  private readonly lastStats = new Map<string, BackendStats>();
  private readonly qualityTrackers = new Map<string, QualityTracker>();
  /** Stats sampling only exists in a call, so its module loads with the first sample. */
  private qualityModule: Promise<typeof QualityModule> | undefined;
  private advisor: AudioOnlyAdvisor | undefined;
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
      store: this.store,
      emit,
      logger: deps.logger,
      now: () => deps.platform.clock.now(),
      randomId: () => deps.platform.randomId(),
      readiness: () => this.chatReadiness(),
      sendSignal: async (type, data, to) => {
        if (!this.backend) throw ConsultError.invalidState('Not connected.');
        await this.backend.sendSignal(type, data, to);
        if (type === CHAT_SIGNAL_TYPE && this.token?.backend === 'livekit')
          this.relayChat(data, to);
      },
      local: () => this.localIdentity(),
    });
    this.recording = new RecordingManager({
      store: this.store,
      emit,
      api: deps.api,
      now: () => deps.platform.clock.now(),
      localUserId: () => this.token?.userId,
      requireConnected: (action) => this.requireConnected(action),
    });
    this.cleanups.push(
      this.media.on('change', () => this.syncLocalMedia()),
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
    if (this.isFinal()) return Promise.reject(ConsultError.invalidState('The session has ended.'));
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
    if (this.isFinal()) return Promise.reject(ConsultError.invalidState('The session has ended.'));
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
    if (this.isFinal()) {
      await this.teardown();
      return;
    }
    this.end('disconnected', 'left');
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
    await this.lobbyAction(userId, 'admit');
  }

  async deny(userId: string, reason?: string): Promise<void> {
    await this.lobbyAction(userId, 'deny', reason);
  }

  /**
   * Removes a participant from the consultation (providers): they are disconnected (their session
   * ends with reason `evicted`) and get no new token. Rejects with a ConsultError.
   */
  async removeParticipant(userId: string): Promise<void> {
    await this.lobbyAction(userId, 'remove');
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
      this.apply(transition(from, 'fetching-token', 'join-requested'));
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
        this.apply(transition(c, 'waiting', 'waiting-room'));
        const position = result.waiting.position;
        if (position !== undefined) this.store.update((s) => ({ ...s, waitingPosition: position }));
        if (result.waiting.recording) this.recording.announce(false);
        const token = await this.waitForAdmission(attempt.signal);
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
      this.apply(transition(c, 'connecting', reason));
      this.startServerEvents();
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
      this.store.update((s) => ({
        ...s,
        participants: [
          this.localParticipant(),
          ...s.participants.filter((p) => p.id !== connectionId),
        ],
        localParticipantId: connectionId,
      }));
      this.apply(transition(now, 'connected', 'media-connected'));
      this.updateCallStarted();
      this.chat.flush();
      this.startQuality();
      void this.loadHistory();
    } catch (error) {
      const aborted = attempt.signal.aborted;
      const e = aborted
        ? ConsultError.aborted(signal?.reason)
        : ConsultError.from(error, 'connection-failed');
      if (!this.isFinal()) {
        if (aborted) this.end('disconnected', 'aborted');
        else this.end('failed', e.code === 'admission-denied' ? 'denied' : 'error', e);
      }
      await this.teardown();
      throw e;
    } finally {
      signal?.removeEventListener('abort', abort);
      this.lifetime.signal.removeEventListener('abort', abort);
    }
  }

  private waitForAdmission(signal: AbortSignal): Promise<TokenResponse> {
    const waiting = new Promise<TokenResponse>((resolve, reject) => {
      this.admission = { resolve, reject };
    });
    if (!this.deps.api.eventsUrl()) {
      this.admission?.reject(
        ConsultError.invalidState(
          'The waiting room needs the token server event stream (tokenUrl or eventsUrl).',
        ),
      );
    }
    this.startServerEvents();
    return abortable(waiting, signal).finally(() => {
      this.admission = undefined;
    });
  }

  private startServerEvents(): void {
    if (this.eventsRequested) return;
    const url = this.deps.api.eventsUrl();
    if (!url) return;
    this.eventsRequested = true;
    const { platform, logger } = this.deps;
    // Loaded on demand (with @microsoft/fetch-event-source) so pages that only import the SDK do
    // not pay for it; see the size budgets in docs/architecture.md.
    import('./server-events.js').then(
      ({ ServerEvents }) => {
        if (this.lifetime.signal.aborted) return;
        this.events = new ServerEvents({
          url,
          fetch: platform.fetch,
          clock: platform.clock,
          logger,
          headers: () => this.deps.api.authHeaders(),
          onEvent: (name, data) => this.handleServerEvent(name, data),
          onOpen: () => this.handleEventsOpen(),
          onFatal: (error) => {
            if (this.admission) this.admission.reject(error);
            else if (error.code === 'consult-ended') this.handleServerEvent('ended', {});
            else this.reportError(error);
          },
          ...(this.deps.random ? { random: this.deps.random } : {}),
        });
        this.events.start();
      },
      (error: unknown) => {
        const failure = ConsultError.from(error, 'network-error');
        if (this.admission) this.admission.reject(failure);
        else this.reportError(failure);
      },
    );
  }

  /** While waiting, re-ask for the token once the stream is open: an admission that happened
   * before the stream connected would otherwise be missed. */
  private handleEventsOpen(): void {
    const admission = this.admission;
    if (!admission) return;
    this.deps.api.requestToken(this.displayName, this.lifetime.signal, this.deviceCheck).then(
      (result) => {
        if (result.status === 'token') admission.resolve(result.token);
      },
      (error: unknown) => this.deps.logger.debug('token re-check while waiting failed', { error }),
    );
  }

  private handleServerEvent(name: string, data: unknown): void {
    switch (name) {
      case 'admitted': {
        // The event carries no token (the server never stores one): ask for it again, which
        // answers 200 now that the caller is admitted.
        const admission = this.admission;
        if (!admission) return;
        this.deps.api.requestToken(this.displayName, this.lifetime.signal, this.deviceCheck).then(
          (result) => {
            if (result.status === 'token') admission.resolve(result.token);
            else this.deps.logger.debug('admitted, but the token server still says waiting');
          },
          (error: unknown) => admission.reject(ConsultError.from(error, 'network-error')),
        );
        return;
      }
      case 'denied': {
        const reason =
          typeof data === 'object' && data !== null
            ? (data as { reason?: unknown }).reason
            : undefined;
        const given = typeof reason === 'string' && reason ? reason : undefined;
        // The reason also goes in `details`, where <consult-room>'s denied screen reads it.
        this.admission?.reject(
          new ConsultError('admission-denied', given ?? 'Admission was denied.', {
            recoverable: false,
            ...(given !== undefined ? { details: { reason: given } } : {}),
          }),
        );
        return;
      }
      case 'lobby': {
        const lobby = parseLobby(data);
        this.store.update((s) => ({ ...s, lobby }));
        this.emitter.emit('lobbyChanged', { lobby });
        return;
      }
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
        if (!this.isFinal()) {
          this.store.update((s) => ({ ...s, endedAt: this.deps.platform.clock.now() }));
          this.end('disconnected', 'session-closed');
          void this.teardown();
        }
        return;
      default:
        this.deps.logger.debug('ignored a server event', { event: name });
    }
  }

  private attachBackend(backend: MediaBackend): void {
    this.backend = backend;
    const on = <K extends keyof BackendEventMap>(
      event: K,
      handler: (detail: BackendEventMap[K]) => void,
    ): void => {
      this.cleanups.push(backend.on(event, handler));
    };
    on('connectionCreated', (connection) => {
      if (connection.connectionId === this.localConnectionId) return;
      if (this.state.participants.some((p) => p.id === connection.connectionId)) return;
      const participant = remoteParticipant(connection, this.deps.platform.clock.now());
      this.store.update((s) => ({ ...s, participants: [...s.participants, participant] }));
      this.emitter.emit('participantJoined', { participant });
      this.updateCallStarted();
    });
    on('connectionDestroyed', ({ connectionId, reason }) => {
      const participant = this.state.participants.find((p) => p.id === connectionId && !p.isLocal);
      if (!participant) return;
      for (const [id, stream] of this.streams)
        if (stream.connectionId === connectionId) this.streams.delete(id);
      this.lastStats.delete(connectionId);
      this.qualityTrackers.delete(connectionId);
      this.store.update((s) => ({
        ...s,
        participants: s.participants.filter((p) => p.id !== connectionId),
      }));
      this.emitter.emit('participantLeft', { participant, reason });
    });
    on('streamCreated', (stream) => {
      this.streams.set(stream.streamId, stream);
      this.patch(stream.connectionId, (p) =>
        stream.kind === 'screen'
          ? withFields(p, { screenSharing: true })
          : withFields(p, {
              audioEnabled: stream.hasAudio && stream.audioActive,
              videoEnabled: stream.hasVideo && stream.videoActive,
            }),
      );
    });
    on('streamSubscribed', ({ streamId, connectionId, mediaStream }) => {
      const kind = this.streams.get(streamId)?.kind ?? 'camera';
      this.patch(connectionId, (p) =>
        withFields(p, kind === 'screen' ? { screenStream: mediaStream } : { stream: mediaStream }),
      );
    });
    on('streamDestroyed', ({ streamId, connectionId }) => {
      const kind = this.streams.get(streamId)?.kind ?? 'camera';
      this.streams.delete(streamId);
      this.patch(connectionId, (p) =>
        kind === 'screen'
          ? withFields(p, { screenSharing: false, screenStream: undefined })
          : withFields(p, { stream: undefined, audioEnabled: false, videoEnabled: false }),
      );
    });
    on('streamPropertyChanged', ({ connectionId, streamId, property, value }) => {
      if (this.streams.get(streamId)?.kind === 'screen') return;
      this.patch(connectionId, (p) =>
        withFields(
          p,
          property === 'audioActive' ? { audioEnabled: value } : { videoEnabled: value },
        ),
      );
    });
    on('speakingChanged', ({ connectionId, speaking }) => {
      this.patch(connectionId, (p) => withFields(p, { speaking }));
    });
    on('signal', ({ type, data, from }) => {
      if (type === CHAT_SIGNAL_TYPE) this.chat.receive(data, from);
      if (type === MUTE_REQUEST_SIGNAL_TYPE) {
        const seen = this.muteRequestsSeen;
        const by = acceptMuteRequest(this.state, data, from, seen, this.deps.logger);
        if (by) this.emitter.emit('muteRequested', { from: by });
      }
    });
    on('reconnecting', () => {
      const c = this.state.connection;
      if (c === 'connected') this.apply(transition(c, 'reconnecting', 'network-lost'));
    });
    on('reconnected', () => {
      const c = this.state.connection;
      if (c === 'reconnecting') {
        this.apply(transition(c, 'connected', 'network-recovered'));
        this.chat.flush();
      }
    });
    on('disconnected', ({ reason }) => this.handleBackendDisconnected(reason));
    on('recordingStarted', ({ recordingId }) => this.recording.onStarted(recordingId));
    on('recordingStopped', ({ recordingId }) => this.recording.onStopped(recordingId));
    on('exception', ({ name, message }) => {
      this.deps.logger.warn('media backend exception', { name });
      this.reportError(
        new ConsultError('connection-failed', message || name, { recoverable: true }),
      );
    });
  }

  private handleBackendDisconnected(reason: string): void {
    if (this.isFinal()) return;
    switch (reason) {
      case 'disconnect':
        // We asked for it (leave); leave() has already ended the session.
        return;
      case 'forceDisconnectByUser':
      case 'forceDisconnectByServer':
        this.end('disconnected', 'evicted');
        break;
      case 'sessionClosedByServer':
        this.store.update((s) => ({ ...s, endedAt: this.deps.platform.clock.now() }));
        this.end('disconnected', 'session-closed');
        break;
      default:
        this.end(
          'failed',
          'network-lost',
          new ConsultError(
            'connection-lost',
            'The connection was lost and could not be recovered.',
            {
              details: { reason },
            },
          ),
        );
    }
    void this.teardown();
  }

  /** Applies a transition computed by `transition()`. The only writer of `connection`. */
  private apply(status: ConnectionStatus): void {
    this.store.update((s) => ({
      ...s,
      connection: status.connection,
      connectionReason: status.reason,
    }));
  }

  /** Ends the session in a final state (no-op when already final). */
  private end(to: 'disconnected' | 'failed', reason: ConnectionReason, error?: ConsultError): void {
    const c = this.state.connection;
    if (c === 'disconnected' || c === 'failed') return;
    const from: NonFinal = c;
    const status = transition(from, to, reason);
    this.store.update((s) => ({
      ...s,
      connection: status.connection,
      connectionReason: status.reason,
      ...(error ? { error } : {}),
    }));
    if (error) this.emitter.emit('error', { error });
    this.lifetime.abort();
    this.chat.failAll();
  }

  private isFinal(): boolean {
    const c = this.state.connection;
    return c === 'disconnected' || c === 'failed';
  }

  private tornDown = false;

  /** Releases the backend, media, event stream and timers. Idempotent. */
  private async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    this.lifetime.abort();
    this.stopQuality();
    this.events?.stop();
    this.media.stop();
    this.admission?.reject(ConsultError.aborted());
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

  private async lobbyAction(
    userId: string,
    action: 'admit' | 'deny' | 'remove',
    reason?: string,
  ): Promise<void> {
    if (typeof userId !== 'string' || userId === '')
      throw new TypeError('userId must be a non-empty string');
    this.requireConnected(action);
    if (action === 'remove' && this.state.role !== 'provider')
      throw new ConsultError('forbidden', 'Only providers may remove participants.');
    try {
      await this.deps.api.lobby(userId, action, reason);
    } catch (error) {
      throw ConsultError.from(error);
    }
  }

  private chatReadiness(): ChatReadiness {
    const c = this.state.connection;
    if (c === 'connected') return this.backend ? 'send' : 'queue';
    if (c === 'disconnected' || c === 'failed') return 'closed';
    return 'queue';
  }

  private localIdentity(): {
    connectionId: string;
    userId?: string;
    displayName: string;
    role: Participant['role'];
  } {
    return {
      connectionId: this.localConnectionId,
      ...(this.token?.userId !== undefined ? { userId: this.token.userId } : {}),
      displayName: this.displayName ?? this.token?.displayName ?? 'Guest',
      role: this.token?.role ?? this.state.role ?? 'guest',
    };
  }

  private localParticipant(): Participant {
    const identity = this.localIdentity();
    const media = this.media.state;
    const stream = media.previewStream;
    const screenStream = this.media.screenStream;
    return {
      id: this.localConnectionId,
      ...(identity.userId !== undefined ? { userId: identity.userId } : {}),
      displayName: identity.displayName,
      role: identity.role,
      isLocal: true,
      audioEnabled: media.audioEnabled,
      videoEnabled: media.videoEnabled,
      screenSharing: media.screenSharing,
      speaking: false,
      ...(stream ? { stream } : {}),
      ...(screenStream ? { screenStream } : {}),
      quality: { level: 'unknown' },
      joinedAt: this.deps.platform.clock.now(),
    };
  }

  private syncLocalMedia(): void {
    const media = this.media.state;
    this.store.update((s) => {
      let participants = s.participants;
      if (s.localParticipantId !== undefined) {
        participants = patchParticipant(participants, s.localParticipantId, (p) =>
          withFields(p, {
            audioEnabled: media.audioEnabled,
            videoEnabled: media.videoEnabled,
            screenSharing: media.screenSharing,
            stream: media.previewStream,
            screenStream: this.media.screenStream,
          }),
        );
      }
      if (media === s.localMedia && participants === s.participants) return s;
      return { ...s, localMedia: media, participants };
    });
  }

  private patch(connectionId: string, update: (p: Participant) => Participant): void {
    this.store.update((s) => {
      const participants = patchParticipant(s.participants, connectionId, update);
      return participants === s.participants ? s : { ...s, participants };
    });
  }

  private updateCallStarted(): void {
    const s = this.state;
    if (s.callStartedAt !== undefined || s.localParticipantId === undefined) return;
    if (s.participants.some((p) => !p.isLocal)) {
      this.store.update((st) => ({ ...st, callStartedAt: this.deps.platform.clock.now() }));
    }
  }

  private async loadHistory(): Promise<void> {
    if (!this.deps.api.hasServer) {
      this.chat.mergeHistory(undefined);
      return;
    }
    try {
      const stored = await this.deps.api.messages(this.lifetime.signal);
      if (!this.lifetime.signal.aborted) this.chat.mergeHistory(stored);
    } catch (error) {
      if (this.lifetime.signal.aborted) return;
      this.deps.logger.warn('chat history could not be loaded', {
        code: error instanceof ConsultError ? error.code : 'unknown',
      });
      this.chat.mergeHistory(undefined);
    }
  }

  /**
   * LiveKit's webhooks carry no data packets, so the token server learns of a chat message from its
   * sender: one POST per message sent (the id makes a retry harmless). A failure costs the history
   * that message, not the conversation, so it is only logged.
   */
  private relayChat(data: string, to: readonly string[] | undefined): void {
    const connectionId = this.localConnectionId;
    this.deps.api
      .relayMessage(connectionId, data, to && to.length > 0 ? to : undefined)
      .catch((error: unknown) =>
        this.deps.logger.warn('chat message not relayed to the history', {
          code: ConsultError.from(error).code,
        }),
      );
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
    const { computeQuality, AudioOnlyAdvisor, QualityTracker } = await (this.qualityModule ??=
      import('./quality.js'));
    const advisor = (this.advisor ??= new AudioOnlyAdvisor());
    const audioOnly = this.media.state.audioOnly;
    const results = await Promise.all(
      this.state.participants.map(async (p) => {
        const stats = await backend.getStats(p.id).catch(() => undefined);
        if (!stats) return [p.id, undefined] as const;
        const previous = this.lastStats.get(p.id);
        this.lastStats.set(p.id, stats);
        let tracker = this.qualityTrackers.get(p.id);
        if (!tracker) this.qualityTrackers.set(p.id, (tracker = new QualityTracker()));
        const computed = computeQuality(previous, stats, !audioOnly && p.videoEnabled, tracker);
        // A media server that grades quality itself (LiveKit) is believed over the classifier.
        const quality = stats.level ? { ...computed, level: stats.level } : computed;
        return [p.id, quality] as const;
      }),
    );
    if (this.backend !== backend) return;
    let localLevel: Participant['quality']['level'] = 'unknown';
    const remoteLevels: Participant['quality']['level'][] = [];
    this.store.update((s) => {
      let participants = s.participants;
      for (const [id, quality] of results) {
        if (!quality) continue;
        const p = participants.find((x) => x.id === id);
        if (p?.isLocal) localLevel = quality.level;
        else if (p && quality.level !== 'unknown') remoteLevels.push(quality.level);
        participants = patchParticipant(participants, id, (x) => {
          const q = x.quality;
          const same =
            q.level === quality.level &&
            q.roundTripMs === quality.roundTripMs &&
            q.packetLoss === quality.packetLoss &&
            q.bitrateKbps === quality.bitrateKbps &&
            q.jitterMs === quality.jitterMs;
          return same ? x : { ...x, quality };
        });
      }
      return participants === s.participants ? s : { ...s, participants };
    });
    if (advisor.observe(localLevel, remoteLevels) && !audioOnly) {
      this.media.setAudioOnlySuggested(true);
      const local = this.state.participants.find((p) => p.isLocal);
      this.emitter.emit('audioOnlySuggested', { quality: local?.quality ?? { level: 'poor' } });
    }
  }
}

function assertBoolean(value: unknown, name: string): void {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
}
