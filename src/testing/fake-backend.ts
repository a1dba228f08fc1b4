/**
 * A {@link MediaBackend} without a media server: records every call and lets tests and stories
 * `simulate*` what the server would do.
 * @packageDocumentation
 */
import type {
  BackendEventMap,
  BackendStats,
  MediaBackend,
  MediaBackendFactory,
  PublishOptions,
} from '../backend.js';
import type { ChatSignalPayload, ConnectionServerData } from '../contract.js';
import { ConsultError } from '../errors.js';
import { Emitter } from '../emitter.js';
import type { Unsubscribe } from '../types.js';
import { deferred, type Deferred } from './fake-fetch.js';

/** One recorded backend call. @public */
export interface BackendCall {
  method: keyof MediaBackend;
  args: readonly unknown[];
}

/** What {@link FakeBackend.simulateParticipantJoined} takes. @public */
export interface FakeRemoteParticipant {
  connectionId: string;
  userId?: string;
  displayName?: string;
  role?: ConnectionServerData['role'];
  /** Raw server data, overriding the JSON built from the fields above (to test junk). */
  serverData?: string;
}

/**
 * A scriptable media backend.
 * @example
 * ```ts
 * const backend = new FakeBackend();
 * const client = createConsultClient({ tokenUrl: '/api', backend: () => Promise.resolve(backend) });
 * backend.simulateParticipantJoined({ connectionId: 'con_2', displayName: 'Dr. Who', role: 'provider' });
 * ```
 * @public
 */
export class FakeBackend implements MediaBackend {
  readonly calls: BackendCall[] = [];
  readonly sentSignals: { type: string; data: string; to?: readonly string[] }[] = [];
  /** Connection id `connect()` resolves with. */
  connectionId: string;
  connected = false;
  published: PublishOptions | undefined;
  audioEnabled = false;
  videoEnabled = false;
  receiveVideo = true;
  screenTrack: MediaStreamTrack | undefined;
  /** Make `connect()` fail with this error. */
  connectError: unknown;
  /** Number of next `sendSignal` calls that fail. */
  failSignals = 0;
  /** Deliver sent signals back to this client, like OpenVidu does. Default false. */
  echoSignals = false;
  /** Stats `getStats()` returns, by connection id. */
  readonly stats = new Map<string, BackendStats>();
  private readonly emitter = new Emitter<BackendEventMap>();
  private connectGate: Deferred<void> | undefined;

  constructor(options: { connectionId?: string } = {}) {
    this.connectionId = options.connectionId ?? 'con_local';
  }

  /** Makes `connect()` wait until `releaseConnect()` (to test aborts while connecting). */
  holdConnect(): void {
    this.connectGate = deferred<void>();
  }

  /** Lets a held `connect()` finish. */
  releaseConnect(): void {
    this.connectGate?.resolve();
    this.connectGate = undefined;
  }

  /** Calls of one method. */
  callsOf(method: keyof MediaBackend): BackendCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Listeners still attached (a disposed session leaves none). */
  listenerCount(event: keyof BackendEventMap): number {
    return this.emitter.listenerCount(event);
  }

  async connect(
    token: string,
    clientData: string,
    signal?: AbortSignal,
  ): Promise<{ connectionId: string }> {
    this.record('connect', token, clientData);
    if (this.connectGate) {
      const gate = this.connectGate.promise;
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(ConsultError.aborted(signal?.reason));
        signal?.addEventListener('abort', onAbort, { once: true });
        void gate.then(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    if (signal?.aborted) throw ConsultError.aborted(signal.reason);
    if (this.connectError !== undefined) throw this.connectError;
    this.connected = true;
    return { connectionId: this.connectionId };
  }

  async disconnect(): Promise<void> {
    this.record('disconnect');
    this.connected = false;
  }

  async publish(options: PublishOptions): Promise<void> {
    this.record('publish', options);
    this.published = options;
    this.audioEnabled = options.audioEnabled;
    this.videoEnabled = options.videoEnabled;
  }

  async unpublish(): Promise<void> {
    this.record('unpublish');
    this.published = undefined;
  }

  async setAudioEnabled(enabled: boolean): Promise<void> {
    this.record('setAudioEnabled', enabled);
    this.audioEnabled = enabled;
  }

  async setVideoEnabled(enabled: boolean): Promise<void> {
    this.record('setVideoEnabled', enabled);
    this.videoEnabled = enabled;
  }

  async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void> {
    this.record('replaceTrack', kind, track);
  }

  async publishScreen(track: MediaStreamTrack): Promise<void> {
    this.record('publishScreen', track);
    this.screenTrack = track;
  }

  async unpublishScreen(): Promise<void> {
    this.record('unpublishScreen');
    this.screenTrack = undefined;
  }

  async setReceiveVideo(enabled: boolean): Promise<void> {
    this.record('setReceiveVideo', enabled);
    this.receiveVideo = enabled;
  }

  async sendSignal(type: string, data: string, to?: readonly string[]): Promise<void> {
    this.record('sendSignal', type, data, to);
    if (this.failSignals > 0) {
      this.failSignals--;
      throw new Error('signal failed');
    }
    this.sentSignals.push({ type, data, ...(to ? { to } : {}) });
    if (this.echoSignals) this.emitter.emit('signal', { type, data, from: this.connectionId });
  }

  async getStats(connectionId: string): Promise<BackendStats | undefined> {
    return this.stats.get(connectionId);
  }

  on<K extends keyof BackendEventMap>(
    event: K,
    listener: (detail: BackendEventMap[K]) => void,
  ): Unsubscribe {
    return this.emitter.on(event, listener);
  }

  /** Emits any backend event. */
  emit<K extends keyof BackendEventMap>(event: K, detail: BackendEventMap[K]): void {
    this.emitter.emit(event, detail);
  }

  simulateParticipantJoined(p: FakeRemoteParticipant): void {
    const data: Partial<ConnectionServerData> = {
      ...(p.userId !== undefined ? { userId: p.userId } : {}),
      ...(p.displayName !== undefined ? { displayName: p.displayName } : {}),
      ...(p.role !== undefined ? { role: p.role } : {}),
    };
    this.emit('connectionCreated', {
      connectionId: p.connectionId,
      serverData: p.serverData ?? JSON.stringify(data),
      clientData: '',
      createdAt: Date.now(),
    });
  }

  simulateParticipantLeft(connectionId: string, reason = 'disconnect'): void {
    this.emit('connectionDestroyed', { connectionId, reason });
  }

  /** A remote stream is published and subscribed (`mediaStream` may be a fake). */
  simulateStream(options: {
    connectionId: string;
    streamId?: string;
    kind?: 'camera' | 'screen';
    audio?: boolean;
    video?: boolean;
    mediaStream?: MediaStream;
  }): string {
    const streamId = options.streamId ?? `str_${options.kind ?? 'camera'}_${options.connectionId}`;
    const audio = options.audio ?? true;
    const video = options.video ?? true;
    this.emit('streamCreated', {
      streamId,
      connectionId: options.connectionId,
      kind: options.kind ?? 'camera',
      hasAudio: audio,
      hasVideo: video,
      audioActive: audio,
      videoActive: video,
    });
    if (options.mediaStream) {
      this.emit('streamSubscribed', {
        streamId,
        connectionId: options.connectionId,
        mediaStream: options.mediaStream,
      });
    }
    return streamId;
  }

  simulateStreamDestroyed(connectionId: string, streamId: string, reason = 'unpublish'): void {
    this.emit('streamDestroyed', { streamId, connectionId, reason });
  }

  simulateMuted(
    connectionId: string,
    kind: 'audio' | 'video',
    muted: boolean,
    streamId?: string,
  ): void {
    this.emit('streamPropertyChanged', {
      streamId: streamId ?? `str_camera_${connectionId}`,
      connectionId,
      property: kind === 'audio' ? 'audioActive' : 'videoActive',
      value: !muted,
    });
  }

  simulateSpeaking(connectionId: string, speaking: boolean): void {
    this.emit('speakingChanged', { connectionId, speaking });
  }

  simulateSignal(type: string, data: string, from?: string): void {
    this.emit('signal', { type, data, ...(from !== undefined ? { from } : {}) });
  }

  /** A chat message from `from` (a connection id). */
  simulateMessage(from: string, message: { id: string; text: string; sentAt?: string }): void {
    const payload: ChatSignalPayload = {
      v: 1,
      id: message.id,
      text: message.text,
      sentAt: message.sentAt ?? new Date().toISOString(),
    };
    this.simulateSignal('chat', JSON.stringify(payload), from);
  }

  simulateReconnecting(reason = 'networkDisconnect'): void {
    this.emit('reconnecting', { reason });
  }

  simulateReconnected(): void {
    this.emit('reconnected', {});
  }

  simulateDisconnected(reason = 'networkDisconnect'): void {
    this.connected = false;
    this.emit('disconnected', { reason });
  }

  simulateRecordingStarted(recordingId: string): void {
    this.emit('recordingStarted', { recordingId });
  }

  simulateRecordingStopped(recordingId: string, reason = 'recordingStoppedByServer'): void {
    this.emit('recordingStopped', { recordingId, reason });
  }

  simulateException(name: string, message = name, connectionId?: string): void {
    this.emit('exception', {
      name,
      message,
      ...(connectionId !== undefined ? { connectionId } : {}),
    });
  }

  /** Sets the stats `getStats(connectionId)` returns from now on. */
  simulateStats(connectionId: string, stats: BackendStats): void {
    this.stats.set(connectionId, stats);
  }

  private record(method: keyof MediaBackend, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }
}

/** A factory handing out `backend` (for `createConsultClient({ backend })`). @public */
export function fakeBackendFactory(backend: FakeBackend): MediaBackendFactory {
  return () => Promise.resolve(backend);
}
