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
 *
 * This module owns the connection (probe, connect, disconnect, teardown), the translation of the
 * OpenVidu session's events, signals and statistics. The publisher is `openvidu-publisher.ts`, the
 * remote streams `openvidu-subscribers.ts`, error translation `openvidu-errors.ts` and the
 * structural openvidu-browser types `openvidu-types.ts`; all of them load with this chunk.
 * @packageDocumentation
 */
import type {
  BackendConnection,
  BackendEventMap,
  BackendStats,
  MediaBackend,
  PublishOptions,
} from '../backend.js';
import { Emitter } from '../emitter.js';
import { summarizeStats } from './stats.js';
import { ConsultError, throwIfAborted } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Unsubscribe } from '../types.js';
import { exceptionConnectionId, messageOf, translateOpenViduError } from './openvidu-errors.js';
import { LocalPublisher, SCREEN_SIGNAL } from './openvidu-publisher.js';
import { RemoteStreams } from './openvidu-subscribers.js';
import type {
  OpenViduLike,
  OvConnection,
  OvSession,
  OvSessionEvents,
  OvStream,
} from './openvidu-types.js';

export type * from './openvidu-types.js';
export { translateOpenViduError } from './openvidu-errors.js';
export { SCREEN_SIGNAL } from './openvidu-publisher.js';
export { SCREEN_STREAM_SUFFIX } from './openvidu-subscribers.js';

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

  private readonly local: LocalPublisher;
  private readonly remote: RemoteStreams;
  /** Rejecters of signals awaiting the server's answer (see {@link abandonSignals}). */
  private readonly pendingSignals = new Set<(error: ConsultError) => void>();

  constructor(options: OpenViduBackendOptions) {
    this.logger = options.logger ?? silent;
    this.events = new Emitter(this.logger);
    this.factory = options.openViduFactory ?? defaultOpenViduFactory;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.iceServers = options.iceServers;
    this.probeServer = options.probeServer ?? true;
    const emit = this.emit.bind(this);
    this.local = new LocalPublisher({
      emit,
      logger: this.logger,
      session: () => this.session,
      openVidu: () => this.openVidu,
      requireSession: () => this.requireSession(),
    });
    this.remote = new RemoteStreams({ emit });
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
    this.local.detachLocalTracks();
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
    this.local.reset();
    this.remote.clear();
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
      if (this.local.sharingScreen)
        void this.local.sendScreenState(true, [connection.connectionId]);
    });
    on('connectionDestroyed', ({ connection, reason }) => {
      if (isLocal(connection.connectionId)) return;
      this.remote.connectionGone(connection.connectionId);
      this.emit('connectionDestroyed', {
        connectionId: connection.connectionId,
        reason: reason ?? '',
      });
    });
    on('streamCreated', ({ stream }) => {
      if (isLocal(stream.connection.connectionId)) return;
      this.remote.add(session, stream);
    });
    on('streamDestroyed', ({ stream, reason }) => this.remote.remove(stream, reason));
    on('streamPropertyChanged', ({ stream, changedProperty, newValue }) =>
      this.remote.propertyChanged(stream, changedProperty, newValue),
    );
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
        if (from && !isLocal(from)) this.remote.screenSignal(from, event.data ?? '');
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
      this.remote.reportAll();
    });
    on('sessionDisconnected', ({ reason }) => {
      if (!this.localId) {
        failWhileConnecting(`The media server closed the connection (${reason}).`);
        return;
      }
      this.local.detachLocalTracks();
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

  // ── Publishing and remote streams (openvidu-publisher.ts, openvidu-subscribers.ts) ──────────

  publish(options: PublishOptions): Promise<void> {
    return this.local.publish(options);
  }

  unpublish(): Promise<void> {
    return this.local.unpublish();
  }

  async setAudioEnabled(enabled: boolean): Promise<void> {
    this.local.setAudioEnabled(enabled);
  }

  setVideoEnabled(enabled: boolean): Promise<void> {
    return this.local.setVideoEnabled(enabled);
  }

  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void> {
    return this.local.replaceTrack(kind, track);
  }

  publishScreen(track: MediaStreamTrack): Promise<void> {
    return this.local.publishScreen(track);
  }

  unpublishScreen(): Promise<void> {
    return this.local.unpublishScreen();
  }

  async setReceiveVideo(enabled: boolean): Promise<void> {
    this.remote.setReceiveVideo(enabled);
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
      stream = this.local.stream;
      direction = 'send';
    } else {
      direction = 'receive';
      stream = this.remote.streamOf(connectionId);
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
