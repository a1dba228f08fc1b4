/**
 * `FakeSession`: implements {@link ConsultSessionLike} directly, for element tests and stories.
 * No token server, media server or DOM: commands are recorded and applied to the state plausibly,
 * and `simulate*` methods drive what the server would do.
 * @packageDocumentation
 */
import { validateChatText } from '../chat.js';
import type { ConsentEntry, LobbyEntry } from '../contract.js';
import { Emitter } from '../emitter.js';
import { ConsultError, type ConsultErrorCode } from '../errors.js';
import { INITIAL_RECORDING } from '../recording.js';
import { StateStore } from '../store.js';
import type {
  ConnectOptions,
  ChatMessage,
  ConnectionQuality,
  ConnectionReason,
  ConnectionState,
  ConsultSessionLike,
  DeviceInfo,
  LocalMediaState,
  Participant,
  QualityLevel,
  RecordingState,
  SendMessageOptions,
  SessionEventMap,
  SessionState,
  Unsubscribe,
} from '../types.js';

/** What a fake stream is for. @public */
export type FakeStreamPurpose = 'local' | 'camera' | 'screen';

/**
 * Makes the MediaStreams a FakeSession hands out. In browsers pass one built on
 * `canvas.captureStream()` (the SDK never touches the DOM itself); in Node leave it out (no streams)
 * or use `createFakeMediaStream`.
 * @public
 */
export type CreateFakeStream = (
  purpose: FakeStreamPurpose,
  participantId: string,
) => MediaStream | undefined;

/** Options of {@link FakeSession}. @public */
export interface FakeSessionOptions {
  /** Stream factory; default none (participants have no `stream`). */
  createStream?: CreateFakeStream;
  /** Epoch ms source; default `Date.now`. */
  now?: () => number;
}

/** One recorded command. @public */
export interface FakeSessionCall {
  method: string;
  args: readonly unknown[];
}

const DEFAULT_LOCAL_MEDIA: LocalMediaState = {
  audioEnabled: true,
  videoEnabled: true,
  screenSharing: false,
  audioOnly: false,
  audioOnlySuggested: false,
  canScreenShare: true,
  canSelectAudioOutput: true,
};

/**
 * A complete {@link SessionState} from a partial one (tests, stories).
 * @public
 */
export function createSessionState(partial: Partial<SessionState> = {}): SessionState {
  return {
    consultId: 'fake-consult',
    connection: 'idle',
    connectionReason: 'initial',
    participants: [],
    localMedia: DEFAULT_LOCAL_MEDIA,
    devices: [],
    chat: { messages: [], unread: 0, historyLoaded: true },
    recording: INITIAL_RECORDING,
    lobby: [],
    ...partial,
  };
}

/**
 * A participant with defaults for every field not given.
 * @public
 */
export function createParticipant(partial: Partial<Participant> & { id: string }): Participant {
  return {
    displayName: 'Guest',
    role: 'guest',
    isLocal: false,
    audioEnabled: true,
    videoEnabled: true,
    screenSharing: false,
    speaking: false,
    quality: { level: 'unknown' },
    joinedAt: 0,
    ...partial,
  };
}

/**
 * A session for element tests and stories.
 * @example
 * ```ts
 * const session = new FakeSession({ connection: 'connected' });
 * session.simulateParticipantJoined({ id: 'p2', displayName: 'Dr. Chen', role: 'provider' });
 * element.session = session;
 * await element.updateComplete;
 * ```
 * @public
 */
export class FakeSession implements ConsultSessionLike {
  /** Every command call, in order. */
  readonly calls: FakeSessionCall[] = [];
  private readonly store: StateStore<SessionState>;
  private readonly emitter = new Emitter<SessionEventMap>();
  private readonly options: FakeSessionOptions;
  private readonly failures = new Map<string, ConsultError>();
  private ids = 0;
  /** The local participant's name once connected (`connect({ displayName })`). */
  private localDisplayName = 'You';

  constructor(initialState: Partial<SessionState> = {}, options: FakeSessionOptions = {}) {
    this.options = options;
    this.store = new StateStore(createSessionState(initialState));
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
  }

  get state(): SessionState {
    return this.store.state;
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

  /** Calls of one command. */
  callsOf(method: keyof ConsultSessionLike): FakeSessionCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Makes the next call of `method` reject with `error` (or a ConsultError of that code). */
  failNext(method: keyof ConsultSessionLike, error: ConsultError | ConsultErrorCode): void {
    this.failures.set(
      method,
      typeof error === 'string' ? new ConsultError(error, `Simulated ${error}`) : error,
    );
  }

  // ── commands ──────────────────────────────────────────────────────────────────────────────

  async startPreview(options?: { signal?: AbortSignal }): Promise<MediaStream | undefined> {
    this.record('startPreview', options);
    const previewStream = this.options.createStream?.(
      'local',
      this.state.localParticipantId ?? 'local',
    );
    if (previewStream) this.patchLocalMedia({ previewStream });
    return previewStream;
  }

  /** Records the call and connects at once. A non-empty `displayName` becomes the local
   * participant's name (default `You`). */
  async connect(options?: ConnectOptions): Promise<void> {
    this.record('connect', options);
    const name = options?.displayName?.trim();
    if (name) this.localDisplayName = name;
    this.simulateConnection('connected', 'media-connected');
  }

  async leave(): Promise<void> {
    this.record('leave');
    this.simulateConnection('disconnected', 'left');
  }

  async setMicrophoneEnabled(enabled: boolean): Promise<void> {
    this.record('setMicrophoneEnabled', enabled);
    this.patchLocalMedia({ audioEnabled: enabled });
  }

  async setCameraEnabled(enabled: boolean): Promise<void> {
    this.record('setCameraEnabled', enabled);
    this.patchLocalMedia({ videoEnabled: enabled, ...(enabled ? { audioOnly: false } : {}) });
  }

  async selectDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    this.record('selectDevice', kind, deviceId);
    this.patchLocalMedia(
      kind === 'audioinput' ? { audioDeviceId: deviceId } : { videoDeviceId: deviceId },
    );
  }

  async selectAudioOutput(deviceId: string): Promise<void> {
    this.record('selectAudioOutput', deviceId);
    this.patchLocalMedia({ audioOutputId: deviceId });
  }

  async refreshDevices(): Promise<readonly DeviceInfo[]> {
    this.record('refreshDevices');
    return this.state.devices;
  }

  async startScreenShare(): Promise<void> {
    this.record('startScreenShare');
    this.patchLocalMedia({ screenSharing: true });
  }

  async stopScreenShare(): Promise<void> {
    this.record('stopScreenShare');
    this.patchLocalMedia({ screenSharing: false });
  }

  async setAudioOnly(audioOnly: boolean): Promise<void> {
    this.record('setAudioOnly', audioOnly);
    this.patchLocalMedia({
      audioOnly,
      audioOnlySuggested: false,
      ...(audioOnly ? { videoEnabled: false } : {}),
    });
  }

  sendMessage(text: string, options?: SendMessageOptions): Promise<ChatMessage> {
    const tooLong = validateChatText(text);
    return this.command('sendMessage', [text, options], async () => {
      if (tooLong) throw tooLong;
      const local = this.state.participants.find((p) => p.isLocal);
      const message: ChatMessage = {
        id: `fake-msg-${++this.ids}`,
        senderId: local?.id ?? '',
        senderName: local?.displayName ?? 'You',
        senderRole: local?.role ?? this.state.role ?? 'guest',
        isLocal: true,
        text,
        timestamp: this.now(),
        delivery: 'sent',
      };
      this.patchChat((chat) => ({ ...chat, messages: [...chat.messages, message] }));
      return message;
    });
  }

  retryMessage(messageId: string): Promise<ChatMessage> {
    return this.command('retryMessage', [messageId], async () => {
      const found = this.state.chat.messages.find((m) => m.id === messageId);
      if (!found) throw ConsultError.invalidState(`No message ${messageId}`);
      return this.simulateDelivery(messageId, 'sent') ?? found;
    });
  }

  markRead(): void {
    this.record('markRead');
    if (this.state.chat.unread === 0) return;
    this.patchChat((chat) => ({ ...chat, unread: 0 }));
    this.emitter.emit('unreadChanged', { unread: 0 });
  }

  startRecording(): Promise<void> {
    return this.command('startRecording', [], async () => {
      this.simulateRecording({
        status: 'recording',
        recordingId: 'fake-rec-1',
        startedAt: this.now(),
      });
    });
  }

  stopRecording(): Promise<void> {
    return this.command('stopRecording', [], async () => {
      this.simulateRecording({ status: 'processing' });
    });
  }

  setRecordingConsent(granted: boolean): Promise<void> {
    return this.command('setRecordingConsent', [granted], async () => {
      this.simulateRecording({ consentPending: false });
    });
  }

  downloadRecording(): Promise<{ url: string; fileName: string }> {
    return this.command('downloadRecording', [], async () => ({
      url: 'about:blank',
      fileName: `consult-${this.state.consultId}.mp4`,
    }));
  }

  admit(userId: string): Promise<void> {
    return this.command('admit', [userId], async () => {
      this.simulateLobby(this.state.lobby.filter((e) => e.userId !== userId));
    });
  }

  deny(userId: string, reason?: string): Promise<void> {
    return this.command('deny', [userId, reason], async () => {
      this.simulateLobby(this.state.lobby.filter((e) => e.userId !== userId));
    });
  }

  removeParticipant(userId: string): Promise<void> {
    return this.command('removeParticipant', [userId], async () => {
      const gone = this.state.participants.find((p) => !p.isLocal && p.userId === userId);
      if (gone) this.simulateParticipantLeft(gone.id, 'forceDisconnectByServer');
    });
  }

  requestMute(participantId: string): Promise<void> {
    return this.command('requestMute', [participantId], async () => {
      if (this.state.role !== 'provider')
        throw new ConsultError('forbidden', 'Only providers may ask a participant to mute.');
    });
  }

  // ── simulations ───────────────────────────────────────────────────────────────────────────

  /** Sets any part of the state directly. */
  simulateState(patch: Partial<SessionState>): void {
    this.store.update((s) => ({ ...s, ...patch }));
  }

  /** Moves the connection (any state; the fake does not enforce the state machine). Adds the
   * local participant on `connected` when there is none. */
  simulateConnection(
    connection: ConnectionState,
    reason: ConnectionReason = 'media-connected',
  ): void {
    this.store.update((s) => {
      let participants = s.participants;
      let localParticipantId = s.localParticipantId;
      if (connection === 'connected' && !participants.some((p) => p.isLocal)) {
        localParticipantId ??= 'local';
        const stream =
          s.localMedia.previewStream ?? this.options.createStream?.('local', localParticipantId);
        participants = [
          createParticipant({
            id: localParticipantId,
            displayName: this.localDisplayName,
            role: s.role ?? 'patient',
            isLocal: true,
            audioEnabled: s.localMedia.audioEnabled,
            videoEnabled: s.localMedia.videoEnabled,
            joinedAt: this.now(),
            ...(stream ? { stream } : {}),
          }),
          ...participants,
        ];
      }
      const next: SessionState = { ...s, connection, connectionReason: reason, participants };
      if (localParticipantId !== undefined) next.localParticipantId = localParticipantId;
      if (connection !== 'waiting') delete next.waitingPosition;
      return next;
    });
  }

  simulateReconnecting(): void {
    this.simulateConnection('reconnecting', 'network-lost');
  }

  /** Enters the waiting room. */
  simulateWaiting(position?: number): void {
    this.simulateConnection('waiting', 'waiting-room');
    if (position !== undefined) this.simulateState({ waitingPosition: position });
  }

  simulateParticipantJoined(partial: Partial<Participant> & { id?: string } = {}): Participant {
    const id = partial.id ?? `fake-p-${++this.ids}`;
    const stream = partial.stream ?? this.options.createStream?.('camera', id);
    const participant = createParticipant({
      joinedAt: this.now(),
      ...partial,
      id,
      ...(stream ? { stream } : {}),
    });
    this.store.update((s) => ({
      ...s,
      participants: [...s.participants.filter((p) => p.id !== id), participant],
    }));
    this.emitter.emit('participantJoined', { participant });
    return participant;
  }

  simulateParticipantLeft(id: string, reason = 'disconnect'): void {
    const participant = this.state.participants.find((p) => p.id === id);
    if (!participant) return;
    this.store.update((s) => ({ ...s, participants: s.participants.filter((p) => p.id !== id) }));
    this.emitter.emit('participantLeft', { participant, reason });
  }

  /** A chat message from someone (or yourself with `isLocal`). Counts as unread unless local. */
  simulateMessage(partial: Partial<ChatMessage> & { text: string }): ChatMessage {
    const sender = partial.senderId
      ? this.state.participants.find((p) => p.id === partial.senderId)
      : this.state.participants.find((p) => !p.isLocal);
    const message: ChatMessage = {
      id: `fake-msg-${++this.ids}`,
      senderId: sender?.id ?? '',
      senderName: sender?.displayName ?? 'Guest',
      senderRole: sender?.role ?? 'guest',
      isLocal: false,
      timestamp: this.now(),
      delivery: 'sent',
      ...partial,
    };
    this.patchChat((chat) => ({
      ...chat,
      messages: [...chat.messages, message],
      unread: message.isLocal || message.fromHistory ? chat.unread : chat.unread + 1,
    }));
    this.emitter.emit('messageReceived', { message });
    if (!message.isLocal && !message.fromHistory)
      this.emitter.emit('unreadChanged', { unread: this.state.chat.unread });
    return message;
  }

  /** Changes a message's delivery state. */
  simulateDelivery(messageId: string, delivery: ChatMessage['delivery']): ChatMessage | undefined {
    let updated: ChatMessage | undefined;
    this.patchChat((chat) => ({
      ...chat,
      messages: chat.messages.map((m) => (m.id === messageId ? (updated = { ...m, delivery }) : m)),
    }));
    if (updated) this.emitter.emit('messageStatusChanged', { message: updated });
    return updated;
  }

  /** A background failure: sets `state.error` and emits `error`. */
  simulateError(
    error: ConsultError | ConsultErrorCode,
    options: { fatal?: boolean } = {},
  ): ConsultError {
    const e = typeof error === 'string' ? new ConsultError(error, `Simulated ${error}`) : error;
    this.store.update((s) => ({ ...s, error: e }));
    if (options.fatal) this.simulateConnection('failed', 'error');
    this.emitter.emit('error', { error: e });
    return e;
  }

  /** Mutes/unmutes a participant (the local one updates `localMedia` too). */
  simulateMuted(participantId: string, kind: 'audio' | 'video', muted: boolean): void {
    const field = kind === 'audio' ? 'audioEnabled' : 'videoEnabled';
    const isLocal = this.state.participants.find((p) => p.id === participantId)?.isLocal;
    if (isLocal) this.patchLocalMedia({ [field]: !muted });
    else this.patchParticipant(participantId, { [field]: !muted });
  }

  simulateSpeaking(participantId: string, speaking: boolean): void {
    this.patchParticipant(participantId, { speaking });
  }

  /** Sets a participant's quality; `suggestAudioOnly` also raises the audio-only suggestion. */
  simulateQuality(
    participantId: string,
    quality: QualityLevel | ConnectionQuality,
    options: { suggestAudioOnly?: boolean } = {},
  ): void {
    const q = typeof quality === 'string' ? { level: quality } : quality;
    this.patchParticipant(participantId, { quality: q });
    if (options.suggestAudioOnly) {
      this.patchLocalMedia({ audioOnlySuggested: true });
      this.emitter.emit('audioOnlySuggested', { quality: q });
    }
  }

  /** Sets recording state (a status, or any fields). */
  simulateRecording(patch: RecordingState['status'] | Partial<RecordingState>): void {
    const p = typeof patch === 'string' ? { status: patch } : patch;
    const recording: RecordingState = { ...this.state.recording, ...p };
    recording.downloadable =
      p.downloadable ?? (recording.status === 'ready' && this.state.role === 'provider');
    this.store.update((s) => ({ ...s, recording }));
    this.emitter.emit('recordingChanged', { recording });
  }

  /** Asks the local user for recording consent. */
  simulateConsentRequest(entries?: ConsentEntry[]): void {
    const consent = {
      requested: true,
      entries: entries ?? [
        { userId: 'local', displayName: 'You', role: this.state.role ?? 'patient', granted: null },
      ],
    };
    this.simulateRecording({ consent, consentPending: true, status: 'awaiting-consent' });
    this.emitter.emit('consentRequested', { consent });
  }

  /** Replaces the waiting-room queue (providers see it). */
  simulateLobby(entries: readonly LobbyEntry[]): void {
    this.store.update((s) => ({ ...s, lobby: entries }));
    this.emitter.emit('lobbyChanged', { lobby: entries });
  }

  /** A provider (by connection id) asks the local user to mute: emits `muteRequested`. */
  simulateMuteRequest(fromId: string): void {
    const from = this.state.participants.find((p) => p.id === fromId);
    if (!from) throw new RangeError(`No participant ${fromId}`);
    this.emitter.emit('muteRequested', { from });
  }

  simulateDevices(devices: readonly DeviceInfo[]): void {
    this.store.update((s) => ({ ...s, devices }));
    this.emitter.emit('devicesChanged', { devices });
  }

  /** Emits any session event as is. */
  emit<K extends keyof SessionEventMap>(event: K, detail: SessionEventMap[K]): void {
    this.emitter.emit(event, detail);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Records a call; throws the failure queued by `failNext` (a rejection in async commands). */
  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure && method !== 'markRead') {
      this.failures.delete(method);
      throw failure;
    }
  }

  private async command<T>(method: string, args: unknown[], run: () => Promise<T>): Promise<T> {
    this.record(method, ...args);
    return run();
  }

  private patchLocalMedia(patch: Partial<LocalMediaState>): void {
    this.store.update((s) => {
      const localMedia = { ...s.localMedia, ...patch };
      const participants = s.participants.map((p) =>
        p.isLocal
          ? {
              ...p,
              audioEnabled: localMedia.audioEnabled,
              videoEnabled: localMedia.videoEnabled,
              screenSharing: localMedia.screenSharing,
            }
          : p,
      );
      return { ...s, localMedia, participants };
    });
  }

  private patchParticipant(id: string, patch: Partial<Participant>): void {
    this.store.update((s) => ({
      ...s,
      participants: s.participants.map((p) => (p.id === id ? { ...p, ...patch } : p)),
    }));
  }

  private patchChat(update: (chat: SessionState['chat']) => SessionState['chat']): void {
    this.store.update((s) => ({ ...s, chat: update(s.chat) }));
  }
}
