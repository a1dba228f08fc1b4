/**
 * The LiveKit media backend (LiveKit Cloud, self-hosted LiveKit, OpenVidu 3): adapts
 * `livekit-client` to {@link MediaBackend}.
 *
 * The session loads this module with a dynamic `import()` only when the token server answers
 * `backend: "livekit"`, and this module loads `livekit-client` itself with another one, so neither
 * is part of the core bundle or the OpenVidu chunk.
 *
 * How LiveKit maps onto the backend's model:
 * - A connection is a LiveKit participant; its id is the participant's `identity` (the token
 *   server mints one identity per token, like OpenVidu's connection ids), its server data the
 *   participant's `metadata` (the token server's `ConnectionServerData` JSON: user id, role, name).
 * - A participant's camera and microphone publications are presented as one `camera` stream
 *   (`<identity>#camera`), its screen share as a `screen` stream (`<identity>#screen`); the
 *   `MediaStream` of `streamSubscribed` holds the subscribed tracks and is rebuilt when they change.
 * - Signals are reliable data packets: the signal type is the packet's topic, the data its UTF-8
 *   payload, the sender the packet's participant. Chat keeps its ids, outbox, dedupe and unread
 *   counts, which live above the backend.
 * - Connection quality is LiveKit's own (`ConnectionQualityChanged`, measured by the server), put
 *   into {@link BackendStats.level}: `excellent` and `good` → `good`, `poor` and `lost` → `poor`,
 *   `unknown` → the client-side classifier's level. The network figures (round trip, loss, bitrate)
 *   still come from the tracks' WebRTC stats.
 * - `Reconnecting`/`Reconnected` become `reconnecting`/`reconnected`; `Disconnected`'s
 *   `DisconnectReason` becomes OpenVidu's reason names, which the session maps onto its states and
 *   error codes (see {@link disconnectReason}).
 * - Tracks belong to the caller: the room never stops them (`stopLocalTrackOnUnpublish: false`,
 *   `disconnect(false)`, tracks handed over as user-provided `MediaStreamTrack`s).
 * - Device switching is `replaceTrack` (the session captures the new device); audio output is the
 *   elements' `setSinkId`, as on OpenVidu, since the backend attaches no media element.
 * @packageDocumentation
 */
import type {
  BackendConnection,
  BackendEventMap,
  BackendStats,
  BackendStream,
  MediaBackend,
  PublishOptions,
} from '../backend.js';
import { Emitter } from '../emitter.js';
import { AudioSinks } from './audio-sinks.js';
import { ConsultError, isAbortError, throwIfAborted, type ConsultErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { QualityLevel, Unsubscribe } from '../types.js';
import {
  LK_CONNECTION_ERROR,
  LK_DISCONNECT_REASON,
  type LiveKitModule,
  type LkLocalPublication,
  type LkParticipant,
  type LkPublication,
  type LkRoom,
  type LkSource,
} from './livekit-types.js';
import { summarizeStats } from './stats.js';

export type * from './livekit-types.js';

/** Options of {@link createLiveKitBackend}. @public */
export interface LiveKitBackendOptions {
  /** The LiveKit server URL (`wss://…`) the token is for; the token server's `serverUrl`. */
  url: string;
  logger?: Logger;
  /** Loads `livekit-client` (the default imports it lazily); tests hand in a fake `Room`. @internal */
  livekit?: () => Promise<LiveKitModule>;
  /** How long `connect()` may take before it fails with `connection-failed`. Default 20 000 ms. */
  connectTimeoutMs?: number;
  /** ICE servers that override the ones the LiveKit server announces. */
  iceServers?: RTCIceServer[];
}

/** Suffixes of the stream ids the backend presents per participant. @internal */
export const CAMERA_SUFFIX = '#camera';
/** @internal */
export const SCREEN_SUFFIX = '#screen';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * Build flag: the IIFE cannot split chunks, so it is built with `true` and loads livekit-client
 * from the CDN build's `livekit-client.js` next to the script (same origin). Undefined elsewhere.
 */
declare const __CONSULT_LIVEKIT_FROM_SCRIPT_DIR__: boolean | undefined;
const FROM_SCRIPT_DIR =
  typeof __CONSULT_LIVEKIT_FROM_SCRIPT_DIR__ !== 'undefined' && __CONSULT_LIVEKIT_FROM_SCRIPT_DIR__;
/** Where the classic script was loaded from, read while it runs (IIFE only). */
const scriptUrl = FROM_SCRIPT_DIR
  ? (globalThis as { document?: { currentScript?: { src?: string } | null } }).document
      ?.currentScript?.src
  : undefined;

async function defaultLiveKit(): Promise<LiveKitModule> {
  const { Room } = (
    FROM_SCRIPT_DIR
      ? await import(/* @vite-ignore */ new URL('livekit-client.js', scriptUrl).href)
      : await import('livekit-client')
  ) as { Room: unknown };
  // The real Room satisfies the narrow structural type the adapter is written against.
  return { Room } as unknown as LiveKitModule;
}

/**
 * Creates the LiveKit media backend.
 * @public
 */
export function createLiveKitBackend(options: LiveKitBackendOptions): MediaBackend {
  return new LiveKitBackend(options);
}

// ── Mappings (exported for the unit tests) ───────────────────────────────────────────────────────

/**
 * LiveKit's connection quality onto the SDK's levels: `excellent`/`good` → `good`,
 * `poor`/`lost` → `poor`; anything else (`unknown`) → undefined (the classifier decides).
 * LiveKit's `poor` is its lowest live grade (one bar), so it is the SDK's `poor`, which is what the
 * audio-only advice watches; LiveKit has no grade between `good` and `poor` to map onto `fair`.
 * @internal
 */
export function qualityLevel(quality: string | undefined): QualityLevel | undefined {
  switch (quality) {
    case 'excellent':
    case 'good':
      return 'good';
    case 'poor':
    case 'lost':
      return 'poor';
    default:
      return undefined;
  }
}

/**
 * A `DisconnectReason` onto the reason names the session understands (OpenVidu's):
 * we left → `disconnect`; removed by the server or replaced by the same identity →
 * `forceDisconnectByServer` (the session ends `evicted`); room deleted or closed →
 * `sessionClosedByServer` (`session-closed`); anything else → `networkDisconnect` (the session
 * fails with `connection-lost`, the LiveKit reason in the error's details).
 * @internal
 */
export function disconnectReason(reason: number | undefined): string {
  switch (reason) {
    case LK_DISCONNECT_REASON.CLIENT_INITIATED:
      return 'disconnect';
    case LK_DISCONNECT_REASON.PARTICIPANT_REMOVED:
    case LK_DISCONNECT_REASON.DUPLICATE_IDENTITY:
      return 'forceDisconnectByServer';
    case LK_DISCONNECT_REASON.ROOM_DELETED:
    case LK_DISCONNECT_REASON.ROOM_CLOSED:
      return 'sessionClosedByServer';
    default:
      return 'networkDisconnect';
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** What `Room.connect` rejects with (a `ConnectionError` with a numeric `reason`) as a ConsultError. @internal */
export function translateLiveKitError(error: unknown, fallback: ConsultErrorCode): ConsultError {
  if (error instanceof ConsultError) return error;
  if (isAbortError(error)) return ConsultError.aborted(error);
  const reason = field(error, 'reason');
  const status = field(error, 'status');
  const message = field(error, 'message');
  const make = (code: ConsultErrorCode): ConsultError =>
    new ConsultError(code, typeof message === 'string' && message ? message : code, {
      cause: error,
      details: {
        ...(typeof reason === 'number' ? { liveKitReason: reason } : {}),
        ...(typeof status === 'number' ? { status } : {}),
      },
    });
  if (reason === LK_CONNECTION_ERROR.NotAllowed) return make('forbidden');
  if (reason === LK_CONNECTION_ERROR.Cancelled) return ConsultError.aborted(error);
  return make(fallback);
}

function isLive(track: MediaStreamTrack | undefined): track is MediaStreamTrack {
  return !!track && track.readyState !== 'ended';
}

function toConnection(p: LkParticipant): BackendConnection {
  return {
    connectionId: p.identity,
    serverData: p.metadata ?? '',
    clientData: '',
    createdAt: p.joinedAt?.getTime() ?? Date.now(),
  };
}

const isScreen = (source: LkSource): boolean =>
  source === 'screen_share' || source === 'screen_share_audio';

/** The camera (or screen) stream of a participant as the backend presents it. */
function streamOf(p: LkParticipant, kind: 'camera' | 'screen'): BackendStream | undefined {
  const pubs = [...p.trackPublications.values()].filter(
    (pub) => isScreen(pub.source) === (kind === 'screen'),
  );
  if (pubs.length === 0) return undefined;
  const audio = pubs.find((pub) => pub.kind === 'audio');
  const video = pubs.find((pub) => pub.kind === 'video');
  return {
    streamId: p.identity + (kind === 'screen' ? SCREEN_SUFFIX : CAMERA_SUFFIX),
    connectionId: p.identity,
    kind,
    hasAudio: !!audio,
    hasVideo: !!video,
    audioActive: !!audio && !audio.isMuted,
    videoActive: !!video && !video.isMuted,
  };
}

function sameStream(a: BackendStream | undefined, b: BackendStream | undefined): boolean {
  return (
    !!a &&
    !!b &&
    a.hasAudio === b.hasAudio &&
    a.hasVideo === b.hasVideo &&
    a.audioActive === b.audioActive &&
    a.videoActive === b.videoActive
  );
}

/** Merges several stats reports (one per track) into one for {@link summarizeStats}. */
function mergeReports(reports: (RTCStatsReport | undefined)[]): RTCStatsReport {
  const merged = new Map<string, unknown>();
  for (const report of reports) report?.forEach((value, key: string) => merged.set(key, value));
  return merged as unknown as RTCStatsReport;
}

// ── The backend ─────────────────────────────────────────────────────────────────────────────────

interface Presented {
  info: BackendStream;
  /** Track ids of the last `streamSubscribed` MediaStream. */
  trackIds: string;
}

class LiveKitBackend implements MediaBackend {
  private readonly url: string;
  private readonly logger: Logger;
  private readonly load: () => Promise<LiveKitModule>;
  private readonly connectTimeoutMs: number;
  private readonly iceServers: RTCIceServer[] | undefined;
  private readonly events: Emitter<BackendEventMap>;

  private room: LkRoom | undefined;
  private detachRoom: (() => void) | undefined;
  private disconnectedEmitted = false;
  private readonly presented = new Map<string, Presented>();
  private readonly audioSinks = new AudioSinks();
  private readonly quality = new Map<string, QualityLevel>();
  private speaking = new Set<string>();
  /** Remote identities whose `connectionCreated` went out (a stream never precedes its connection). */
  private readonly connections = new Set<string>();
  private receiveVideo = true;

  private tracks: { audio?: MediaStreamTrack; video?: MediaStreamTrack } = {};
  private published: { audio?: LkLocalPublication; video?: LkLocalPublication } = {};
  private screen: LkLocalPublication | undefined;
  private audioEnabled = true;
  private videoEnabled = true;
  /** Serialises publishing operations so they never interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LiveKitBackendOptions) {
    this.url = options.url;
    this.logger = options.logger ?? silent;
    this.events = new Emitter(this.logger);
    this.load = options.livekit ?? defaultLiveKit;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.iceServers = options.iceServers;
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
    _clientData: string,
    signal?: AbortSignal,
  ): Promise<{ connectionId: string }> {
    throwIfAborted(signal);
    if (this.room) throw ConsultError.invalidState('The media backend is already connected.');
    if (!this.url) throw new ConsultError('connection-failed', 'No LiveKit server URL was given.');
    let lk: LiveKitModule;
    try {
      lk = await this.load();
    } catch (error) {
      throw new ConsultError('connection-failed', 'The media library could not be loaded.', {
        cause: error,
      });
    }
    throwIfAborted(signal);
    const room = new lk.Room({
      adaptiveStream: false,
      dynacast: true,
      stopLocalTrackOnUnpublish: false,
      disconnectOnPageLeave: true,
    });
    this.room = room;
    this.disconnectedEmitted = false;
    this.detachRoom = this.attach(room);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        room.connect(this.url, token, {
          autoSubscribe: true,
          ...(this.iceServers ? { rtcConfig: { iceServers: this.iceServers } } : {}),
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new ConsultError(
                  'connection-failed',
                  `Connecting to the media server took longer than ${this.connectTimeoutMs} ms.`,
                ),
              ),
            this.connectTimeoutMs,
          );
          onAbort = () => reject(ConsultError.aborted(signal?.reason));
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } catch (error) {
      this.teardown();
      void room.disconnect(false).catch(() => undefined);
      throw translateLiveKitError(error, 'connection-failed');
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
    // Participants already in the room: connections first, then their streams (OpenVidu's order).
    // (A subscription that completed while connecting has already announced its participant.)
    const remotes = [...room.remoteParticipants.values()];
    for (const p of remotes) this.announce(p);
    for (const p of remotes) this.refresh(p);
    const id = room.localParticipant.identity;
    this.logger.debug('media connected', { connectionId: id });
    return { connectionId: id };
  }

  async disconnect(): Promise<void> {
    const room = this.room;
    if (!room) return;
    this.teardown();
    this.emitDisconnected('disconnect');
    try {
      await room.disconnect(false);
    } catch (error) {
      this.logger.warn('disconnect failed', { error: String(error) });
    }
  }

  private teardown(): void {
    this.detachRoom?.();
    this.detachRoom = undefined;
    this.room = undefined;
    this.presented.clear();
    this.audioSinks.clear();
    this.quality.clear();
    this.speaking.clear();
    this.connections.clear();
    this.published = {};
    this.screen = undefined;
  }

  private emitDisconnected(reason: string): void {
    if (this.disconnectedEmitted) return;
    this.disconnectedEmitted = true;
    this.emit('disconnected', { reason });
  }

  private attach(room: LkRoom): () => void {
    const handlers: [string, (...args: never[]) => void][] = [];
    const on = <A extends unknown[]>(event: string, handler: (...args: A) => void): void => {
      const h = handler as unknown as (...args: never[]) => void;
      room.on(event, h);
      handlers.push([event, h]);
    };
    on('participantConnected', (p: LkParticipant) => {
      this.announce(p);
      this.refresh(p);
    });
    on('participantDisconnected', (p: LkParticipant) => {
      this.connections.delete(p.identity);
      for (const kind of ['camera', 'screen'] as const)
        this.withdraw(p.identity, kind, 'disconnect');
      this.quality.delete(p.identity);
      this.emit('connectionDestroyed', { connectionId: p.identity, reason: 'disconnect' });
    });
    const refreshFrom = (_x: unknown, p: LkParticipant | undefined): void => {
      if (p && p !== room.localParticipant) this.refresh(p);
    };
    on('trackPublished', (pub: LkPublication, p: LkParticipant) => {
      if (pub.kind === 'video' && !this.receiveVideo) setSubscribed(pub, false);
      refreshFrom(pub, p);
    });
    on('trackUnpublished', refreshFrom);
    on('trackSubscribed', (_t: unknown, pub: LkPublication, p: LkParticipant) =>
      refreshFrom(pub, p),
    );
    on('trackUnsubscribed', (_t: unknown, pub: LkPublication, p: LkParticipant) =>
      refreshFrom(pub, p),
    );
    on('trackMuted', refreshFrom);
    on('trackUnmuted', refreshFrom);
    on('participantMetadataChanged', (_prev: unknown, p: LkParticipant) => {
      if (this.connections.has(p.identity)) this.emit('connectionCreated', toConnection(p));
    });
    on('activeSpeakersChanged', (speakers: LkParticipant[]) => {
      const now = new Set(speakers.map((s) => s.identity));
      for (const id of now)
        if (!this.speaking.has(id))
          this.emit('speakingChanged', { connectionId: id, speaking: true });
      for (const id of this.speaking)
        if (!now.has(id)) this.emit('speakingChanged', { connectionId: id, speaking: false });
      this.speaking = now;
    });
    on(
      'dataReceived',
      (payload: Uint8Array, p?: LkParticipant, _kind?: unknown, topic?: string) => {
        if (!topic) return;
        let data: string;
        try {
          data = new TextDecoder('utf-8', { fatal: true }).decode(payload);
        } catch {
          return;
        }
        this.emit('signal', { type: topic, data, ...(p ? { from: p.identity } : {}) });
      },
    );
    on('connectionQualityChanged', (quality: string, p: LkParticipant) => {
      const level = qualityLevel(quality);
      if (level) this.quality.set(p.identity, level);
      else this.quality.delete(p.identity);
    });
    on('reconnecting', () => this.emit('reconnecting', { reason: 'networkDisconnect' }));
    // Only the signalling connection dropped (livekit-client resumes it): still a lost network.
    on('signalReconnecting', () => this.emit('reconnecting', { reason: 'networkDisconnect' }));
    on('reconnected', () => this.emit('reconnected', {}));
    on('disconnected', (reason?: number) => {
      if (this.room !== room) return;
      this.teardown();
      this.emitDisconnected(disconnectReason(reason));
    });
    on('mediaDevicesError', (error: unknown) =>
      this.emit('exception', {
        name: 'MEDIA_DEVICES_ERROR',
        message: String(field(error, 'message') ?? error),
      }),
    );
    return () => {
      for (const [event, handler] of handlers) room.off(event, handler);
    };
  }

  /** Emits `connectionCreated` for `p` unless it went out already. */
  private announce(p: LkParticipant): void {
    if (this.connections.has(p.identity)) return;
    this.connections.add(p.identity);
    this.emit('connectionCreated', toConnection(p));
  }

  /**
   * Brings the presented camera and screen streams of a remote participant up to date. Its
   * connection is announced first: the subscriber PC may deliver a participant's tracks while
   * `room.connect()` is still pending, before the participants already in the room are listed.
   */
  private refresh(p: LkParticipant): void {
    this.announce(p);
    for (const kind of ['camera', 'screen'] as const) {
      const info = streamOf(p, kind);
      const key = p.identity + (kind === 'screen' ? SCREEN_SUFFIX : CAMERA_SUFFIX);
      const shown = this.presented.get(key);
      if (!info) {
        if (shown) this.withdraw(p.identity, kind, 'unpublish');
        continue;
      }
      if (!shown) {
        this.presented.set(key, { info, trackIds: '' });
        this.emit('streamCreated', info);
      } else if (!sameStream(shown.info, info)) {
        for (const property of ['audioActive', 'videoActive'] as const) {
          if (shown.info[property] !== info[property] && shown.info.hasAudio === info.hasAudio)
            this.emit('streamPropertyChanged', {
              streamId: key,
              connectionId: p.identity,
              property,
              value: info[property],
            });
        }
        // A kind appeared or vanished: present the stream again with its new shape.
        if (shown.info.hasAudio !== info.hasAudio || shown.info.hasVideo !== info.hasVideo)
          this.emit('streamCreated', info);
        shown.info = info;
      }
      this.emitMedia(p, kind, key);
    }
  }

  private emitMedia(p: LkParticipant, kind: 'camera' | 'screen', key: string): void {
    const shown = this.presented.get(key);
    if (!shown) return;
    const tracks = [...p.trackPublications.values()]
      .filter((pub) => isScreen(pub.source) === (kind === 'screen'))
      .map((pub) => pub.track?.mediaStreamTrack)
      .filter((t): t is MediaStreamTrack => !!t);
    const ids = tracks.map((t) => t.id).join(',');
    if (tracks.length === 0 || ids === shown.trackIds) return;
    shown.trackIds = ids;
    const mediaStream = new MediaStream(tracks);
    this.audioSinks.set(key, mediaStream);
    this.emit('streamSubscribed', { streamId: key, connectionId: p.identity, mediaStream });
  }

  private withdraw(identity: string, kind: 'camera' | 'screen', reason: string): void {
    const key = identity + (kind === 'screen' ? SCREEN_SUFFIX : CAMERA_SUFFIX);
    if (!this.presented.delete(key)) return;
    this.audioSinks.release(key);
    this.emit('streamDestroyed', { streamId: key, connectionId: identity, reason });
  }

  async setReceiveVideo(enabled: boolean): Promise<void> {
    this.receiveVideo = enabled;
    for (const p of this.room?.remoteParticipants.values() ?? [])
      for (const pub of p.trackPublications.values())
        if (pub.kind === 'video') setSubscribed(pub, enabled);
  }

  // ── Publishing ──────────────────────────────────────────────────────────────────────────────

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private requireRoom(): LkRoom {
    if (!this.room) throw ConsultError.invalidState('The media backend is not connected.');
    return this.room;
  }

  publish(options: PublishOptions): Promise<void> {
    return this.serial(async () => {
      this.requireRoom();
      this.tracks = { audio: options.audioTrack, video: options.videoTrack };
      this.audioEnabled = options.audioEnabled;
      this.videoEnabled = options.videoEnabled;
      for (const kind of ['audio', 'video'] as const) await this.publishKind(kind);
    });
  }

  /** Publishes the wanted track of one kind (if live and not yet published) and applies its mute. */
  private async publishKind(kind: 'audio' | 'video'): Promise<void> {
    const room = this.requireRoom();
    const track = this.tracks[kind];
    if (!this.published[kind] && isLive(track)) {
      try {
        this.published[kind] = await room.localParticipant.publishTrack(track, {
          source: kind === 'audio' ? 'microphone' : 'camera',
        });
      } catch (error) {
        throw translateLiveKitError(error, 'connection-failed');
      }
    }
    await this.applyMute(kind);
  }

  private async applyMute(kind: 'audio' | 'video'): Promise<void> {
    const track = this.published[kind]?.track;
    if (!track) return;
    const enabled = kind === 'audio' ? this.audioEnabled : this.videoEnabled;
    try {
      await (enabled ? track.unmute() : track.mute());
    } catch (error) {
      throw translateLiveKitError(error, 'unknown');
    }
  }

  unpublish(): Promise<void> {
    return this.serial(async () => {
      const room = this.room;
      const pubs = [this.published.audio, this.published.video, this.screen];
      this.published = {};
      this.screen = undefined;
      this.tracks = {};
      if (!room) return;
      for (const pub of pubs)
        if (pub?.track) await room.localParticipant.unpublishTrack(pub.track, false);
    });
  }

  async setAudioEnabled(enabled: boolean): Promise<void> {
    this.audioEnabled = enabled;
    await this.serial(() => this.applyMute('audio'));
  }

  async setVideoEnabled(enabled: boolean): Promise<void> {
    this.videoEnabled = enabled;
    await this.serial(() => this.applyMute('video'));
  }

  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void> {
    return this.serial(async () => {
      if (track.kind !== kind)
        throw ConsultError.invalidState(`Expected a ${kind} track, got ${track.kind}.`);
      this.tracks = { ...this.tracks, [kind]: track };
      const published = this.published[kind]?.track;
      if (!published) {
        if (this.room) await this.publishKind(kind);
        return;
      }
      if (published.mediaStreamTrack === track) return;
      try {
        // `true`: the new track is the caller's; LiveKit must not stop it later.
        await published.replaceTrack(track, true);
      } catch (error) {
        throw translateLiveKitError(error, 'unknown');
      }
    });
  }

  publishScreen(track: MediaStreamTrack): Promise<void> {
    return this.serial(async () => {
      const room = this.requireRoom();
      if (track.kind !== 'video')
        throw ConsultError.invalidState('A screen share needs a video track.');
      if (this.screen?.track) await room.localParticipant.unpublishTrack(this.screen.track, false);
      try {
        this.screen = await room.localParticipant.publishTrack(track, { source: 'screen_share' });
      } catch (error) {
        this.screen = undefined;
        throw translateLiveKitError(error, 'connection-failed');
      }
    });
  }

  unpublishScreen(): Promise<void> {
    return this.serial(async () => {
      const screen = this.screen;
      this.screen = undefined;
      if (screen?.track && this.room)
        await this.room.localParticipant.unpublishTrack(screen.track, false);
    });
  }

  // ── Signals and stats ───────────────────────────────────────────────────────────────────────

  async sendSignal(type: string, data: string, to?: readonly string[]): Promise<void> {
    const room = this.requireRoom();
    const local = room.localParticipant.identity;
    let destinationIdentities: string[] | undefined;
    if (to && to.length > 0) {
      for (const id of to)
        if (id !== local && !room.remoteParticipants.has(id))
          throw new ConsultError('message-failed', `Unknown connection ${id}.`);
      destinationIdentities = to.filter((id) => id !== local);
      // Only ourselves: LiveKit does not echo data packets, so there is nothing to send.
      if (destinationIdentities.length === 0) return;
    }
    try {
      await room.localParticipant.publishData(new TextEncoder().encode(data), {
        reliable: true,
        topic: type,
        ...(destinationIdentities ? { destinationIdentities } : {}),
      });
    } catch (error) {
      throw new ConsultError('message-failed', 'The message could not be sent.', {
        cause: error,
        recoverable: true,
      });
    }
  }

  async getStats(connectionId: string): Promise<BackendStats | undefined> {
    const room = this.room;
    if (!room) return undefined;
    const local = connectionId === room.localParticipant.identity;
    const participant = local ? room.localParticipant : room.remoteParticipants.get(connectionId);
    if (!participant) return undefined;
    const level = this.quality.get(connectionId) ?? qualityLevel(participant.connectionQuality);
    const reports = await Promise.all(
      [...participant.trackPublications.values()]
        .filter((pub) => !isScreen(pub.source))
        .map((pub) => pub.track?.getRTCStatsReport?.().catch(() => undefined)),
    );
    const got = reports.filter((r): r is RTCStatsReport => !!r);
    if (got.length === 0 && !level) return undefined;
    const stats = summarizeStats(mergeReports(got), local ? 'send' : 'receive', Date.now());
    return level ? { ...stats, level } : stats;
  }
}

function setSubscribed(pub: LkPublication, subscribed: boolean): void {
  const remote = pub as Partial<{ setSubscribed(value: boolean): void }>;
  remote.setSubscribed?.(subscribed);
}
