/**
 * The OpenVidu 2.32 media backend: adapts `openvidu-browser` to {@link MediaBackend}.
 *
 * `openvidu-browser` is loaded with a dynamic `import()` the first time {@link MediaBackend.connect}
 * runs, so bundlers put it (≈70 KB gzip) in its own chunk; this module imports only its types.
 *
 * Behaviour worth knowing:
 * - Tracks belong to the caller. OpenVidu stops the tracks of a publisher when it is unpublished,
 *   disconnected or when a track is replaced; the adapter detaches the caller's tracks first, so
 *   OpenVidu only ever stops its own objects (or clones).
 * - One token is one connection, and OpenVidu 2 allows one publisher per connection. Screen sharing
 *   therefore swaps the video track of the camera publisher for the screen track
 *   (`RTCRtpSender.replaceTrack`, no renegotiation, the microphone keeps flowing) and tells the other
 *   participants through a reserved signal; their adapters present that video as a separate `screen`
 *   stream and mark the camera video inactive. Participants joining later get the signal when they
 *   arrive.
 * - Remote streams are subscribed automatically, without any DOM element; `streamSubscribed` carries
 *   the subscriber's `MediaStream` (again after a media reconnection replaced it).
 * - `setReceiveVideo(false)` disables received video tracks (`subscribeToVideo(false)`); OpenVidu 2
 *   has no way to stop the server from sending them, so it saves decoding, not bandwidth.
 * - Events about participants already in the session arrive before `connect()` resolves, in
 *   OpenVidu's order: `connectionCreated` for each, then `streamCreated` for each stream.
 * @packageDocumentation
 */
import type {
  OpenViduAdvancedConfiguration,
  PublisherProperties,
  SubscriberProperties,
} from 'openvidu-browser';
import type {
  BackendConnection,
  BackendEventMap,
  BackendStats,
  BackendStream,
  MediaBackend,
  PublishOptions,
} from '../backend.js';
import { Emitter } from '../emitter.js';
import { summarizeStats } from './stats.js';
import { ConsultError, isAbortError, throwIfAborted, type ConsultErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Unsubscribe } from '../types.js';

// ── The part of openvidu-browser the adapter uses ─────────────────────────────────────────────────
// Narrow structural types: the real classes satisfy them (checked where the default factory builds
// an `OpenVidu`), and tests can hand in small fakes through `openViduFactory`.

/** A participant's connection, as openvidu-browser exposes it. @internal */
export interface OvConnection {
  readonly connectionId: string;
  /** Client data and server data joined with `%/%` (either may be absent). */
  readonly data: string;
  readonly creationTime: number;
}

/** A published stream, local or remote. @internal */
export interface OvStream {
  readonly streamId: string;
  readonly connection: OvConnection;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  readonly audioActive: boolean;
  readonly videoActive: boolean;
  /** `CAMERA`, `SCREEN`, `CUSTOM` (a track given by the app) or `IPCAM`. */
  readonly typeOfVideo?: string;
  /** Undefined at runtime before the media is ready. */
  getMediaStream(): MediaStream;
  getRTCPeerConnection(): RTCPeerConnection;
  /** openvidu-browser's internal emitter; `mediastream-updated` fires when the media is (re)built. */
  readonly ee?: { on(event: string, listener: () => void): unknown };
}

/** The `streamDestroyed` event of a publisher. @internal */
export interface OvStreamEvent {
  readonly stream: OvStream;
  readonly reason: string;
}

/** A local publisher. @internal */
export interface OvPublisher {
  readonly stream: OvStream;
  publishAudio(enabled: boolean): void;
  publishVideo(enabled: boolean, resource?: boolean | MediaStreamTrack): Promise<void>;
  replaceTrack(track: MediaStreamTrack): Promise<void>;
  on(type: 'streamDestroyed', handler: (event: OvStreamEvent) => void): unknown;
}

/** A subscription to a remote stream. @internal */
export interface OvSubscriber {
  readonly stream: OvStream;
  subscribeToVideo(value: boolean): unknown;
}

/** The Session events the adapter listens to (payload fields it reads). @internal */
export interface OvSessionEvents {
  connectionCreated: { readonly connection: OvConnection };
  connectionDestroyed: { readonly connection: OvConnection; readonly reason: string };
  streamCreated: { readonly stream: OvStream };
  streamDestroyed: { readonly stream: OvStream; readonly reason: string };
  streamPropertyChanged: {
    readonly stream: OvStream;
    readonly changedProperty: string;
    readonly newValue: unknown;
  };
  publisherStartSpeaking: { readonly connection: OvConnection };
  publisherStopSpeaking: { readonly connection: OvConnection };
  signal: { readonly type: string; readonly data?: string; readonly from?: OvConnection };
  sessionDisconnected: { readonly reason: string };
  reconnecting: unknown;
  reconnected: unknown;
  recordingStarted: { readonly id: string };
  recordingStopped: { readonly id: string; readonly reason?: string };
  exception: { readonly name: string; readonly message: string; readonly origin: unknown };
}

/** An OpenVidu Session. @internal */
export interface OvSession {
  /** Undefined until `connect` succeeds. */
  readonly connection: OvConnection | undefined;
  readonly remoteConnections: ReadonlyMap<string, OvConnection>;
  connect(token: string, metadata: string): Promise<unknown>;
  disconnect(): void;
  publish(publisher: OvPublisher): Promise<void>;
  unpublish(publisher: OvPublisher): Promise<void>;
  subscribe(
    stream: OvStream,
    targetElement: undefined,
    properties: SubscriberProperties,
    completionHandler: (error: Error | undefined) => void,
  ): OvSubscriber;
  signal(options: { type?: string; data?: string; to?: OvConnection[] }): Promise<void>;
  /** The adapter narrows `event` per type with {@link OvSessionEvents}. */
  on(type: keyof OvSessionEvents, handler: (event: unknown) => void): unknown;
  off(type: keyof OvSessionEvents, handler: (event: unknown) => void): unknown;
}

/** What the adapter needs from `new OpenVidu()`. @internal */
export interface OpenViduLike {
  initSession(): OvSession;
  initPublisherAsync(
    targetElement: undefined,
    properties: PublisherProperties,
  ): Promise<OvPublisher>;
  enableProdMode(): void;
  setAdvancedConfiguration(configuration: OpenViduAdvancedConfiguration): void;
  /** Closes the signalling WebSocket (hidden API; used after a failed connect). */
  closeWs?(): void;
}

/** Options of {@link createOpenViduBackend}. @public */
export interface OpenViduBackendOptions {
  logger?: Logger;
  /** Creates the OpenVidu object; the default imports `openvidu-browser` lazily. Called per connect. */
  openViduFactory?: () => Promise<OpenViduLike>;
  /** How long `connect()` may take before it fails with `connection-failed`. Default 20 000 ms. */
  connectTimeoutMs?: number;
  /** ICE servers that override the ones the media server announces. */
  iceServers?: RTCIceServer[];
  /**
   * Opens (and closes) a plain WebSocket to the media server before handing the token to
   * openvidu-browser. openvidu-browser retries a WebSocket that never opened every 3 s for up to
   * 100 minutes and offers no way to stop it; the probe makes an unreachable server fail fast
   * without starting that loop. Default true.
   */
  probeServer?: boolean;
}

/** Signal type the adapters use among themselves for screen-share state. @internal */
export const SCREEN_SIGNAL = 'consultkit.screen';
/** Suffix of the stream id under which a remote screen share is presented. @internal */
export const SCREEN_STREAM_SUFFIX = '#screen';
/** Separator OpenVidu puts between client data and server data. */
const DATA_SEPARATOR = '%/%';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function defaultOpenViduFactory(): Promise<OpenViduLike> {
  const { OpenVidu } = await import('openvidu-browser');
  const openVidu: OpenViduLike = new OpenVidu();
  return openVidu;
}

/**
 * Creates the OpenVidu media backend.
 * @public
 */
export function createOpenViduBackend(options: OpenViduBackendOptions = {}): MediaBackend {
  return new OpenViduBackend(options);
}

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

/** Splits OpenVidu's `data` (`client%/%server`). A single part is taken as server data. */
export function splitConnectionData(data: string): { clientData: string; serverData: string } {
  const at = data.lastIndexOf(DATA_SEPARATOR);
  if (at < 0) return { clientData: '', serverData: data };
  return { clientData: data.slice(0, at), serverData: data.slice(at + DATA_SEPARATOR.length) };
}

function toBackendConnection(c: OvConnection): BackendConnection {
  return {
    connectionId: c.connectionId,
    ...splitConnectionData(c.data ?? ''),
    createdAt: c.creationTime,
  };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** The message of an Error, a JSON-RPC error object or a rejected string. */
function messageOf(error: unknown): string {
  const message = field(error, 'message');
  if (typeof message === 'string' && message) return message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * Translates what openvidu-browser rejects with (an `OpenViduError` with a `name`, a JSON-RPC error
 * `{code, message}`, an `Error` or a string) into a {@link ConsultError}.
 * @internal
 */
export function translateOpenViduError(error: unknown, fallback: ConsultErrorCode): ConsultError {
  if (error instanceof ConsultError) return error;
  if (isAbortError(error)) return ConsultError.aborted(error);
  const name = field(error, 'name');
  const rpcCode = field(error, 'code');
  const message = messageOf(error);
  const make = (code: ConsultErrorCode): ConsultError =>
    new ConsultError(code, message || code, {
      cause: error,
      details: {
        ...(typeof name === 'string' ? { openViduError: name } : {}),
        ...(typeof rpcCode === 'number' ? { rpcCode } : {}),
      },
    });
  switch (name) {
    case 'BROWSER_NOT_SUPPORTED':
    case 'SCREEN_SHARING_NOT_SUPPORTED':
      return make('unsupported-browser');
    case 'DEVICE_ACCESS_DENIED':
    case 'SCREEN_CAPTURE_DENIED':
      return make('permission-denied');
    case 'DEVICE_ALREADY_IN_USE':
      return make('device-in-use');
    case 'INPUT_VIDEO_DEVICE_NOT_FOUND':
    case 'INPUT_AUDIO_DEVICE_NOT_FOUND':
      return make('device-not-found');
    case 'OPENVIDU_PERMISSION_DENIED':
      return make('forbidden');
    case 'OPENVIDU_NOT_CONNECTED':
      return make('invalid-state');
    default:
      break;
  }
  if (typeof rpcCode === 'number') {
    // OpenVidu JSON-RPC error codes (docs/openvidu-protocol.md#error-codes).
    if (rpcCode === 401)
      return make(fallback === 'connection-failed' ? 'connection-failed' : 'forbidden');
    if (rpcCode === 601 || rpcCode === 600) return make('message-failed');
  }
  if (/timed out/i.test(message))
    return make(fallback === 'connection-failed' ? fallback : 'timeout');
  return make(fallback);
}

function isLive(track: MediaStreamTrack | undefined): track is MediaStreamTrack {
  return !!track && track.readyState !== 'ended';
}

/** The WebSocket URL openvidu-browser derives from a token, or undefined if the token is not one. */
export function signallingUrl(token: string): string | undefined {
  const match = /^(wss?):\/\/([^/?#]+)[^?#]*(\?[^#]*)?/.exec(token);
  if (!match) return undefined;
  const sessionId = /[?&]sessionId=([^&#]*)/.exec(match[3] ?? '')?.[1] ?? '';
  return `${match[1]}://${match[2]}/openvidu?sessionId=${sessionId}`;
}

function probe(url: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const WS = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (!WS) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const ws = new WS(url);
    const done = (error?: unknown): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ws.onopen = ws.onerror = ws.onclose = null;
      try {
        ws.close(1000);
      } catch {
        // already closed
      }
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = (): void => done(ConsultError.aborted(signal?.reason));
    const timer = setTimeout(
      () =>
        done(
          new ConsultError(
            'connection-failed',
            `The media server did not answer within ${timeoutMs} ms.`,
          ),
        ),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.onopen = () => done();
    ws.onerror = ws.onclose = () =>
      done(new ConsultError('connection-failed', 'The media server could not be reached.'));
  });
}

/** Moved to `stats.ts` (shared with the LiveKit backend); re-exported for existing importers. */
export { summarizeStats };

// ── The backend ─────────────────────────────────────────────────────────────────────────────────

interface RemoteEntry {
  readonly stream: OvStream;
  /** What was last reported (OpenVidu's own flags change when we disable received video). */
  info: BackendStream;
  subscriber?: OvSubscriber;
  /** The MediaStream last reported in `streamSubscribed`. */
  media?: MediaStream;
  /** A `screen` stream derived from this one is currently presented. */
  screenShown: boolean;
  /** Muted element that keeps the received audio flowing into Web Audio (see {@link attachAudioSink}). */
  audioSink?: HTMLMediaElement;
}

/**
 * Chromium feeds a received WebRTC audio track into Web Audio (`createMediaStreamSource`) only while
 * a media element plays that track; otherwise the analyser reads silence. openvidu-browser's speaking
 * detection (hark) analyses the subscriber's MediaStream that way, and the adapter subscribes
 * without an element, so `publisherStartSpeaking` never fired unless the app happened to play the
 * audio itself. A muted, detached `<audio>` is enough of a sink (measured in Chromium 156: analyser
 * peak 0 without it, ~1.0 with it, whether attached before or after the analyser). It plays nothing.
 */
function attachAudioSink(entry: RemoteEntry, media: MediaStream): void {
  releaseAudioSink(entry);
  const AudioElement = (globalThis as { Audio?: new () => HTMLAudioElement }).Audio;
  if (!AudioElement || media.getAudioTracks().length === 0) return;
  const sink = new AudioElement();
  sink.muted = true;
  sink.srcObject = media;
  // Muted playback is always allowed by autoplay policies; a rejection only costs speaking events.
  sink.play().catch(() => undefined);
  entry.audioSink = sink;
}

function releaseAudioSink(entry: RemoteEntry): void {
  const sink = entry.audioSink;
  if (!sink) return;
  entry.audioSink = undefined;
  sink.pause();
  sink.srcObject = null;
}

class OpenViduBackend implements MediaBackend {
  private readonly logger: Logger;
  private readonly factory: () => Promise<OpenViduLike>;
  private readonly connectTimeoutMs: number;
  private readonly iceServers: RTCIceServer[] | undefined;
  private readonly probeServer: boolean;
  private readonly events: Emitter<BackendEventMap>;

  private openVidu: OpenViduLike | undefined;
  private session: OvSession | undefined;
  private localId: string | undefined;
  private detachSession: (() => void) | undefined;
  private disconnectedEmitted = false;

  private publisher: OvPublisher | undefined;
  /** The tracks the session wants published (the camera track, even while the screen is shared). */
  private tracks: { audio?: MediaStreamTrack; video?: MediaStreamTrack } = {};
  private audioEnabled = true;
  private videoEnabled = true;
  /** Publishing was requested (even with no track yet). */
  private publishRequested = false;
  private screenTrack: MediaStreamTrack | undefined;
  /** Serialises publisher operations (publish, replace, screen) so they never interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  private receiveVideo = true;
  private readonly remotes = new Map<string, RemoteEntry>();
  /** Screen-share state announced by remote connections: connectionId → streamId. */
  private readonly remoteScreens = new Map<string, string>();
  /** Rejecters of signals awaiting the server's answer (see {@link abandonSignals}). */
  private readonly pendingSignals = new Set<(error: ConsultError) => void>();

  constructor(options: OpenViduBackendOptions) {
    this.logger = options.logger ?? silent;
    this.events = new Emitter(this.logger);
    this.factory = options.openViduFactory ?? defaultOpenViduFactory;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.iceServers = options.iceServers;
    this.probeServer = options.probeServer ?? true;
  }

  on<K extends keyof BackendEventMap>(
    event: K,
    listener: (detail: BackendEventMap[K]) => void,
  ): Unsubscribe {
    return this.events.on(event, listener);
  }

  private emit<K extends keyof BackendEventMap>(event: K, detail: BackendEventMap[K]): void {
    this.events.emit(event, detail);
  }

  // ── Connection ──────────────────────────────────────────────────────────────────────────────

  async connect(
    token: string,
    clientData: string,
    signal?: AbortSignal,
  ): Promise<{ connectionId: string }> {
    throwIfAborted(signal);
    if (this.session) throw ConsultError.invalidState('The media backend is already connected.');
    const deadline = Date.now() + this.connectTimeoutMs;

    const url = signallingUrl(token);
    if (this.probeServer && url) await probe(url, this.connectTimeoutMs, signal);
    throwIfAborted(signal);

    let openVidu: OpenViduLike;
    try {
      openVidu = await this.factory();
    } catch (error) {
      throw new ConsultError('connection-failed', 'The media library could not be loaded.', {
        cause: error,
      });
    }
    throwIfAborted(signal);
    openVidu.enableProdMode();
    openVidu.setAdvancedConfiguration({
      publisherSpeakingEventsOptions: { interval: 100, threshold: -50 },
      ...(this.iceServers ? { iceServers: this.iceServers } : {}),
    });
    const session = openVidu.initSession();
    this.openVidu = openVidu;
    this.session = session;
    this.disconnectedEmitted = false;

    let failConnect: ((error: ConsultError) => void) | undefined;
    const detach = this.attach(session, (reason) =>
      failConnect?.(new ConsultError('connection-failed', reason)),
    );
    this.detachSession = detach;

    try {
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const finish = (error?: ConsultError): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          failConnect = undefined;
          if (error) reject(error);
          else resolve();
        };
        failConnect = finish;
        const onAbort = (): void => finish(ConsultError.aborted(signal?.reason));
        signal?.addEventListener('abort', onAbort, { once: true });
        const timer = setTimeout(
          () =>
            finish(
              new ConsultError(
                'connection-failed',
                `Connecting to the media server took longer than ${this.connectTimeoutMs} ms.`,
              ),
            ),
          Math.max(0, deadline - Date.now()),
        );
        session.connect(token, clientData).then(
          () => finish(),
          (error: unknown) => finish(translateOpenViduError(error, 'connection-failed')),
        );
      });
    } catch (error) {
      this.teardown();
      try {
        openVidu.closeWs?.();
      } catch {
        // the WebSocket was never created
      }
      throw error;
    }

    const local = session.connection;
    if (!local) {
      this.teardown();
      throw new ConsultError('connection-failed', 'The media server did not assign a connection.');
    }
    this.localId = local.connectionId;
    this.logger.debug('media connected', { connectionId: local.connectionId });
    return { connectionId: local.connectionId };
  }

  async disconnect(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.detachLocalTracks();
    try {
      session.disconnect();
    } catch (error) {
      this.logger.warn('disconnect failed', { error: messageOf(error) });
    }
    this.emitDisconnected('disconnect');
    this.teardown();
  }

  private emitDisconnected(reason: string): void {
    if (this.disconnectedEmitted) return;
    this.disconnectedEmitted = true;
    this.emit('disconnected', { reason });
  }

  /**
   * Rejects the signals still waiting for the server's answer. When its WebSocket drops,
   * openvidu-browser cancels every pending JSON-RPC request without calling its callback, so
   * `Session.signal()` never settles; a sender awaiting it (the chat outbox) would wait forever and
   * never resend. Measured through the dev media server: 3 chat messages sent around a socket cut
   * stayed `sending` after `reconnected`. The signal may or may not have reached the server, so a
   * resend can duplicate it; receivers drop duplicates (chat messages carry ids).
   */
  private abandonSignals(): void {
    if (this.pendingSignals.size === 0) return;
    const error = new ConsultError(
      'network-error',
      'The connection dropped before the media server confirmed the signal.',
      { recoverable: true },
    );
    const rejecters = [...this.pendingSignals];
    this.pendingSignals.clear();
    for (const reject of rejecters) reject(error);
  }

  /** Forgets the session and everything tied to it. */
  private teardown(): void {
    this.abandonSignals();
    this.detachSession?.();
    this.detachSession = undefined;
    this.session = undefined;
    this.openVidu = undefined;
    this.localId = undefined;
    this.publisher = undefined;
    this.publishRequested = false;
    this.screenTrack = undefined;
    this.tracks = {};
    for (const entry of this.remotes.values()) releaseAudioSink(entry);
    this.remotes.clear();
    this.remoteScreens.clear();
  }

  private requireSession(): OvSession {
    if (!this.session || !this.localId)
      throw ConsultError.invalidState('The media backend is not connected.');
    return this.session;
  }

  /** Wires the OpenVidu session events; returns the function that removes them. */
  private attach(session: OvSession, failWhileConnecting: (reason: string) => void): () => void {
    const handlers: [keyof OvSessionEvents, (event: unknown) => void][] = [];
    const on = <K extends keyof OvSessionEvents>(
      type: K,
      handler: (event: OvSessionEvents[K]) => void,
    ): void => {
      const wrapped = (event: OvSessionEvents[K]): void => {
        try {
          handler(event);
        } catch (error) {
          this.logger.error('OpenVidu event handler failed', { type, error: messageOf(error) });
        }
      };
      session.on(type, wrapped as (event: unknown) => void);
      handlers.push([type, wrapped as (event: unknown) => void]);
    };
    const isLocal = (connectionId: string | undefined): boolean =>
      connectionId !== undefined && connectionId === session.connection?.connectionId;

    on('connectionCreated', ({ connection }) => {
      if (isLocal(connection.connectionId)) return;
      this.emit('connectionCreated', toBackendConnection(connection));
      // Someone who joins while we share the screen learns it from us.
      if (this.screenTrack && this.publisher)
        void this.sendScreenState(true, [connection.connectionId]);
    });
    on('connectionDestroyed', ({ connection, reason }) => {
      if (isLocal(connection.connectionId)) return;
      this.remoteScreens.delete(connection.connectionId);
      this.emit('connectionDestroyed', {
        connectionId: connection.connectionId,
        reason: reason ?? '',
      });
    });
    on('streamCreated', ({ stream }) => {
      if (isLocal(stream.connection.connectionId)) return;
      this.onRemoteStream(session, stream);
    });
    on('streamDestroyed', ({ stream, reason }) => {
      const entry = this.remotes.get(stream.streamId);
      if (!entry) return;
      this.remotes.delete(stream.streamId);
      releaseAudioSink(entry);
      if (entry.screenShown) this.emitScreenDestroyed(entry, reason ?? '');
      this.emit('streamDestroyed', {
        streamId: stream.streamId,
        connectionId: stream.connection.connectionId,
        reason: reason ?? '',
      });
    });
    on('streamPropertyChanged', ({ stream, changedProperty, newValue }) => {
      if (changedProperty !== 'audioActive' && changedProperty !== 'videoActive') return;
      const entry = this.remotes.get(stream.streamId);
      if (!entry || typeof newValue !== 'boolean') return;
      entry.info = { ...entry.info, [changedProperty]: newValue };
      if (changedProperty === 'videoActive' && !this.receiveVideo)
        entry.subscriber?.subscribeToVideo(false);
      // While the stream carries a screen share its camera stays reported as inactive.
      if (changedProperty === 'videoActive' && entry.screenShown) return;
      this.emit('streamPropertyChanged', {
        streamId: stream.streamId,
        connectionId: stream.connection.connectionId,
        property: changedProperty,
        value: newValue,
      });
    });
    on('publisherStartSpeaking', ({ connection }) =>
      this.emit('speakingChanged', { connectionId: connection.connectionId, speaking: true }),
    );
    on('publisherStopSpeaking', ({ connection }) =>
      this.emit('speakingChanged', { connectionId: connection.connectionId, speaking: false }),
    );
    on('signal', (event) => {
      const type = (event.type ?? '').replace(/^signal:?/, '');
      const from = event.from?.connectionId;
      if (type === SCREEN_SIGNAL) {
        if (from && !isLocal(from)) this.onScreenSignal(from, event.data ?? '');
        return;
      }
      this.emit('signal', {
        type,
        data: event.data ?? '',
        ...(from !== undefined ? { from } : {}),
      });
    });
    on('reconnecting', () => {
      if (!this.localId) {
        // openvidu-browser reports a WebSocket that never opened as "reconnecting" and retries forever.
        failWhileConnecting('The media server could not be reached.');
        return;
      }
      // First the state change, then the rejections: a sender sees `reconnecting` and queues.
      this.emit('reconnecting', { reason: 'networkDisconnect' });
      this.abandonSignals();
    });
    on('reconnected', () => {
      this.emit('reconnected', {});
      for (const entry of this.remotes.values()) this.reportMedia(entry);
    });
    on('sessionDisconnected', ({ reason }) => {
      if (!this.localId) {
        failWhileConnecting(`The media server closed the connection (${reason}).`);
        return;
      }
      this.detachLocalTracks();
      this.emitDisconnected(reason ?? 'disconnect');
      this.teardown();
    });
    on('recordingStarted', ({ id }) => this.emit('recordingStarted', { recordingId: id }));
    on('recordingStopped', ({ id, reason }) =>
      this.emit('recordingStopped', { recordingId: id, reason: reason ?? '' }),
    );
    on('exception', ({ name, message, origin }) => {
      const connectionId = exceptionConnectionId(origin);
      this.emit('exception', {
        name,
        message,
        ...(connectionId !== undefined ? { connectionId } : {}),
      });
    });

    return () => {
      for (const [type, handler] of handlers) session.off(type, handler);
    };
  }

  // ── Remote streams ──────────────────────────────────────────────────────────────────────────

  private onRemoteStream(session: OvSession, stream: OvStream): void {
    const info: BackendStream = {
      streamId: stream.streamId,
      connectionId: stream.connection.connectionId,
      kind: stream.typeOfVideo === 'SCREEN' ? 'screen' : 'camera',
      hasAudio: stream.hasAudio,
      hasVideo: stream.hasVideo,
      audioActive: stream.audioActive,
      videoActive: stream.videoActive,
    };
    const entry: RemoteEntry = { stream, info, screenShown: false };
    this.remotes.set(stream.streamId, entry);
    this.emit('streamCreated', info);
    this.applyRemoteScreen(stream.connection.connectionId);

    stream.ee?.on('mediastream-updated', () => this.reportMedia(entry));
    try {
      entry.subscriber = session.subscribe(
        stream,
        undefined,
        { subscribeToAudio: true, subscribeToVideo: this.receiveVideo },
        (error) => {
          if (this.remotes.get(stream.streamId) !== entry) return;
          if (error) {
            this.emit('exception', {
              name: 'SUBSCRIBE_FAILED',
              message: messageOf(error),
              connectionId: stream.connection.connectionId,
            });
            return;
          }
          this.reportMedia(entry);
        },
      );
    } catch (error) {
      this.emit('exception', {
        name: 'SUBSCRIBE_FAILED',
        message: messageOf(error),
        connectionId: stream.connection.connectionId,
      });
    }
  }

  /** Emits `streamSubscribed` when the subscriber's MediaStream is new (first time or rebuilt). */
  private reportMedia(entry: RemoteEntry): void {
    if (this.remotes.get(entry.stream.streamId) !== entry || !entry.subscriber) return;
    let media: MediaStream | undefined;
    try {
      media = entry.stream.getMediaStream();
    } catch {
      media = undefined;
    }
    if (!media || media === entry.media) return;
    entry.media = media;
    attachAudioSink(entry, media);
    if (!this.receiveVideo) entry.subscriber.subscribeToVideo(false);
    this.emit('streamSubscribed', {
      streamId: entry.stream.streamId,
      connectionId: entry.stream.connection.connectionId,
      mediaStream: media,
    });
    if (entry.screenShown) this.emitScreenMedia(entry);
  }

  private onScreenSignal(connectionId: string, data: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    const streamId = field(parsed, 'streamId');
    const sharing = field(parsed, 'sharing');
    if (typeof streamId !== 'string' || typeof sharing !== 'boolean') return;
    if (sharing) this.remoteScreens.set(connectionId, streamId);
    else this.remoteScreens.delete(connectionId);
    this.applyRemoteScreen(connectionId);
  }

  /** Presents (or withdraws) the `screen` stream of a connection according to its last signal. */
  private applyRemoteScreen(connectionId: string): void {
    const sharedStreamId = this.remoteScreens.get(connectionId);
    for (const entry of this.remotes.values()) {
      if (entry.info.connectionId !== connectionId || entry.info.kind !== 'camera') continue;
      const shouldShow = entry.info.streamId === sharedStreamId && entry.info.hasVideo;
      if (shouldShow === entry.screenShown) continue;
      if (shouldShow) {
        entry.screenShown = true;
        this.emit('streamPropertyChanged', {
          streamId: entry.info.streamId,
          connectionId,
          property: 'videoActive',
          value: false,
        });
        this.emit('streamCreated', {
          streamId: entry.info.streamId + SCREEN_STREAM_SUFFIX,
          connectionId,
          kind: 'screen',
          hasAudio: false,
          hasVideo: true,
          audioActive: false,
          videoActive: true,
        });
        if (entry.media) this.emitScreenMedia(entry);
      } else {
        this.emitScreenDestroyed(entry, 'unpublish');
        this.emit('streamPropertyChanged', {
          streamId: entry.info.streamId,
          connectionId,
          property: 'videoActive',
          value: entry.info.videoActive,
        });
      }
    }
  }

  private emitScreenMedia(entry: RemoteEntry): void {
    const video = entry.media?.getVideoTracks()[0];
    if (!video) return;
    this.emit('streamSubscribed', {
      streamId: entry.info.streamId + SCREEN_STREAM_SUFFIX,
      connectionId: entry.info.connectionId,
      mediaStream: new MediaStream([video]),
    });
  }

  private emitScreenDestroyed(entry: RemoteEntry, reason: string): void {
    entry.screenShown = false;
    this.emit('streamDestroyed', {
      streamId: entry.info.streamId + SCREEN_STREAM_SUFFIX,
      connectionId: entry.info.connectionId,
      reason,
    });
  }

  async setReceiveVideo(enabled: boolean): Promise<void> {
    this.receiveVideo = enabled;
    for (const entry of this.remotes.values()) entry.subscriber?.subscribeToVideo(enabled);
  }

  // ── Publishing ──────────────────────────────────────────────────────────────────────────────

  /** Runs publisher operations one after another. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  publish(options: PublishOptions): Promise<void> {
    return this.serial(async () => {
      this.requireSession();
      this.tracks = { audio: options.audioTrack, video: options.videoTrack };
      this.audioEnabled = options.audioEnabled;
      this.videoEnabled = options.videoEnabled;
      this.publishRequested = true;
      await this.republish();
    });
  }

  unpublish(): Promise<void> {
    return this.serial(async () => {
      this.publishRequested = false;
      this.screenTrack = undefined;
      await this.dropPublisher();
      this.tracks = {};
    });
  }

  /** (Re)creates the publisher from the wanted tracks; publishing nothing is a no-op. */
  private async republish(): Promise<void> {
    const session = this.requireSession();
    await this.dropPublisher();
    const audio = isLive(this.tracks.audio) ? this.tracks.audio : undefined;
    const screen = isLive(this.screenTrack) ? this.screenTrack : undefined;
    const video = screen ?? (isLive(this.tracks.video) ? this.tracks.video : undefined);
    if (!audio && !video) return;
    const openVidu = this.openVidu;
    if (!openVidu) throw ConsultError.invalidState('The media backend is not connected.');
    let publisher: OvPublisher;
    try {
      publisher = await openVidu.initPublisherAsync(undefined, {
        audioSource: audio ?? false,
        videoSource: video ?? false,
        publishAudio: this.audioEnabled,
        publishVideo: screen ? true : this.videoEnabled,
        mirror: false,
      });
    } catch (error) {
      throw translateOpenViduError(error, 'unknown');
    }
    publisher.on('streamDestroyed', ({ stream, reason }) => {
      // OpenVidu stops the tracks of a destroyed publisher; the tracks belong to the caller.
      detachTracks(stream);
      if (this.publisher === publisher) {
        this.publisher = undefined;
        if (reason !== 'unpublish' && reason !== 'disconnect') {
          this.emit('exception', {
            name: 'PUBLISHER_DESTROYED',
            message: `Publishing stopped (${reason}).`,
          });
        }
      }
    });
    this.publisher = publisher;
    try {
      await session.publish(publisher);
    } catch (error) {
      this.publisher = undefined;
      detachTracks(publisher.stream);
      throw translateOpenViduError(error, 'connection-failed');
    }
    if (screen) await this.sendScreenState(true);
  }

  private async dropPublisher(): Promise<void> {
    const publisher = this.publisher;
    const session = this.session;
    if (!publisher) return;
    this.publisher = undefined;
    detachTracks(publisher.stream);
    if (!session) return;
    try {
      await session.unpublish(publisher);
    } catch (error) {
      throw translateOpenViduError(error, 'connection-failed');
    }
  }

  /** Keeps OpenVidu from stopping the caller's tracks when the session ends. */
  private detachLocalTracks(): void {
    if (this.publisher) detachTracks(this.publisher.stream);
  }

  async setAudioEnabled(enabled: boolean): Promise<void> {
    this.audioEnabled = enabled;
    const publisher = this.publisher;
    if (publisher?.stream.hasAudio) publisher.publishAudio(enabled);
  }

  setVideoEnabled(enabled: boolean): Promise<void> {
    return this.serial(async () => {
      this.videoEnabled = enabled;
      const publisher = this.publisher;
      // While the screen is shared the publisher's video is the screen; the camera state applies later.
      if (this.screenTrack || !publisher?.stream.hasVideo) return;
      await this.setPublisherVideo(publisher, enabled);
    });
  }

  private async setPublisherVideo(publisher: OvPublisher, enabled: boolean): Promise<void> {
    const current = currentTrack(publisher, 'video');
    try {
      // Enabling an ended track makes OpenVidu call getUserMedia on its own; hand it the track we
      // have instead, the session replaces it with a live one.
      if (enabled && current && current.readyState === 'ended')
        await publisher.publishVideo(true, current);
      else await publisher.publishVideo(enabled);
    } catch (error) {
      throw translateOpenViduError(error, 'unknown');
    }
  }

  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void> {
    return this.serial(async () => {
      if (track.kind !== kind)
        throw ConsultError.invalidState(`Expected a ${kind} track, got ${track.kind}.`);
      this.tracks = { ...this.tracks, [kind]: track };
      // The camera track waits while the screen is shared.
      if (kind === 'video' && this.screenTrack) return;
      const publisher = this.publisher;
      if (!publisher) {
        if (this.publishRequested && this.session) await this.republish();
        return;
      }
      const has = kind === 'audio' ? publisher.stream.hasAudio : publisher.stream.hasVideo;
      if (!has) {
        // The publisher has no sender of this kind: a new one must be negotiated.
        await this.republish();
        return;
      }
      await swapTrack(publisher, track);
    });
  }

  publishScreen(track: MediaStreamTrack): Promise<void> {
    return this.serial(async () => {
      this.requireSession();
      if (track.kind !== 'video')
        throw ConsultError.invalidState('A screen share needs a video track.');
      this.screenTrack = track;
      const publisher = this.publisher;
      if (!publisher?.stream.hasVideo) {
        this.publishRequested = true;
        await this.republish();
        return;
      }
      // Tell the others first, so they present the video as a screen share from its first frame.
      await this.sendScreenState(true);
      await swapTrack(publisher, track);
      if (!publisher.stream.videoActive) await this.setPublisherVideo(publisher, true);
    });
  }

  unpublishScreen(): Promise<void> {
    return this.serial(async () => {
      if (!this.screenTrack) return;
      this.screenTrack = undefined;
      const publisher = this.publisher;
      if (!publisher || !this.session) return;
      await this.sendScreenState(false);
      const camera = this.tracks.video;
      if (!camera) {
        // The screen was the only video: publish without video again.
        await this.republish();
        return;
      }
      await swapTrack(publisher, camera);
      if (publisher.stream.videoActive !== this.videoEnabled)
        await this.setPublisherVideo(publisher, this.videoEnabled);
    });
  }

  /** Announces our screen-share state to the others (or to `to`). */
  private async sendScreenState(sharing: boolean, to?: readonly string[]): Promise<void> {
    const session = this.session;
    const streamId = this.publisher?.stream.streamId;
    if (!session || !streamId) return;
    const recipients = (to ?? [...session.remoteConnections.keys()])
      .map((id) => session.remoteConnections.get(id))
      .filter((c): c is OvConnection => !!c);
    if (recipients.length === 0) return;
    try {
      await session.signal({
        type: SCREEN_SIGNAL,
        data: JSON.stringify({ streamId, sharing }),
        to: recipients,
      });
    } catch (error) {
      this.logger.warn('screen-share signal failed', { error: messageOf(error) });
    }
  }

  // ── Signals and stats ───────────────────────────────────────────────────────────────────────

  async sendSignal(type: string, data: string, to?: readonly string[]): Promise<void> {
    const session = this.requireSession();
    if (type.replace(/^signal:/, '') === SCREEN_SIGNAL) {
      throw ConsultError.invalidState(`The signal type "${SCREEN_SIGNAL}" is reserved.`);
    }
    let recipients: OvConnection[] | undefined;
    if (to && to.length > 0) {
      recipients = to.map((id) => {
        const connection =
          id === this.localId ? session.connection : session.remoteConnections.get(id);
        if (!connection) throw new ConsultError('message-failed', `Unknown connection ${id}.`);
        return connection;
      });
    }
    let sent: Promise<void>;
    try {
      sent = session.signal({ type, data, ...(recipients ? { to: recipients } : {}) });
    } catch (error) {
      throw translateOpenViduError(error, 'message-failed');
    }
    await new Promise<void>((resolve, reject) => {
      const abandon = (error: ConsultError): void => reject(error);
      this.pendingSignals.add(abandon);
      sent.then(
        () => {
          this.pendingSignals.delete(abandon);
          resolve();
        },
        (error: unknown) => {
          this.pendingSignals.delete(abandon);
          reject(translateOpenViduError(error, 'message-failed'));
        },
      );
    });
  }

  async getStats(connectionId: string): Promise<BackendStats | undefined> {
    let stream: OvStream | undefined;
    let direction: 'send' | 'receive';
    if (connectionId === this.localId) {
      stream = this.publisher?.stream;
      direction = 'send';
    } else {
      direction = 'receive';
      for (const entry of this.remotes.values()) {
        if (entry.info.connectionId === connectionId && entry.subscriber) stream = entry.stream;
      }
    }
    if (!stream) return undefined;
    let pc: RTCPeerConnection | undefined;
    try {
      pc = stream.getRTCPeerConnection();
    } catch {
      pc = undefined;
    }
    if (!pc) return undefined;
    try {
      const summary = summarizeStats(await pc.getStats(), direction, Date.now());
      const servers = pc.getConfiguration().iceServers ?? [];
      summary.turnConfigured = servers.some((server) =>
        [server.urls].flat().some((url) => /^turns?:/i.test(url)),
      );
      return summary;
    } catch (error) {
      this.logger.debug('getStats failed', { connectionId, error: messageOf(error) });
      return undefined;
    }
  }
}

// ── Track plumbing ──────────────────────────────────────────────────────────────────────────────

function mediaOf(stream: OvStream): MediaStream | undefined {
  try {
    return stream.getMediaStream() ?? undefined;
  } catch {
    return undefined;
  }
}

function currentTrack(
  publisher: OvPublisher,
  kind: 'audio' | 'video',
): MediaStreamTrack | undefined {
  const media = mediaOf(publisher.stream);
  return (kind === 'audio' ? media?.getAudioTracks() : media?.getVideoTracks())?.[0];
}

/** Removes the caller's tracks from a publisher's MediaStream before OpenVidu disposes (stops) them. */
function detachTracks(stream: OvStream): void {
  const media = mediaOf(stream);
  if (!media) return;
  for (const track of media.getTracks()) media.removeTrack(track);
}

/**
 * `Publisher.replaceTrack` without losing the outgoing track: OpenVidu stops the track it removes,
 * so it is handed a clone to stop instead. No renegotiation (`RTCRtpSender.replaceTrack`).
 */
async function swapTrack(publisher: OvPublisher, track: MediaStreamTrack): Promise<void> {
  const kind = track.kind === 'audio' ? 'audio' : 'video';
  const current = currentTrack(publisher, kind);
  if (current === track) return;
  const media = mediaOf(publisher.stream);
  if (current && media) {
    media.removeTrack(current);
    media.addTrack(current.clone());
  }
  try {
    await publisher.replaceTrack(track);
  } catch (error) {
    throw translateOpenViduError(error, 'unknown');
  }
}

function exceptionConnectionId(origin: unknown): string | undefined {
  // origin is the Session, a Stream (has `connection`) or a Subscriber (has `stream.connection`).
  const direct = field(field(origin, 'connection'), 'connectionId');
  if (typeof direct === 'string' && field(origin, 'streamId') !== undefined) return direct;
  const viaStream = field(field(field(origin, 'stream'), 'connection'), 'connectionId');
  return typeof viaStream === 'string' ? viaStream : undefined;
}
