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
 *
 * This module owns the connection (connect, disconnect, teardown), the translation of the room's
 * events, signals and statistics. The local publications are `livekit-publisher.ts`, the remote
 * participants and their streams `livekit-remotes.ts`, the pure mappings (quality, disconnect
 * reasons, errors, streams) `livekit-mappings.ts` and the structural livekit-client types
 * `livekit-types.ts`; only this module imports them, so all of them load with this chunk.
 * @packageDocumentation
 */
import type { BackendEventMap, BackendStats, MediaBackend, PublishOptions } from '../backend.js';
import { Emitter } from '../emitter.js';
import { ConsultError, throwIfAborted } from '../errors.js';
import type { Logger } from '../logger.js';
import type { QualityLevel, Unsubscribe } from '../types.js';
import {
  disconnectReason,
  field,
  isScreen,
  mergeReports,
  qualityLevel,
  translateLiveKitError,
} from './livekit-mappings.js';
import { LocalPublisher } from './livekit-publisher.js';
import { RemoteParticipants } from './livekit-remotes.js';
import type { LiveKitModule, LkParticipant, LkPublication, LkRoom } from './livekit-types.js';
import { summarizeStats } from './stats.js';

export type * from './livekit-types.js';
export {
  CAMERA_SUFFIX,
  disconnectReason,
  qualityLevel,
  SCREEN_SUFFIX,
  translateLiveKitError,
} from './livekit-mappings.js';

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

// ── The backend ─────────────────────────────────────────────────────────────────────────────────

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
  /** LiveKit's quality grade per participant, the local one included (read by `getStats`). */
  private readonly quality = new Map<string, QualityLevel>();
  /** Who LiveKit last listed as speaking, the local participant included. */
  private speaking = new Set<string>();

  private readonly local: LocalPublisher;
  private readonly remote: RemoteParticipants;

  constructor(options: LiveKitBackendOptions) {
    this.url = options.url;
    this.logger = options.logger ?? silent;
    this.events = new Emitter(this.logger);
    this.load = options.livekit ?? defaultLiveKit;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.iceServers = options.iceServers;
    this.local = new LocalPublisher({
      room: () => this.room,
      requireRoom: () => this.requireRoom(),
    });
    this.remote = new RemoteParticipants({ emit: this.emit.bind(this) });
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
    for (const p of remotes) this.remote.announce(p);
    for (const p of remotes) this.remote.refresh(p);
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
    this.remote.clear();
    this.quality.clear();
    this.speaking.clear();
    this.local.reset();
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
      this.remote.announce(p);
      this.remote.refresh(p);
    });
    on('participantDisconnected', (p: LkParticipant) => {
      this.remote.left(p.identity);
      this.quality.delete(p.identity);
      this.emit('connectionDestroyed', { connectionId: p.identity, reason: 'disconnect' });
    });
    const refreshFrom = (_x: unknown, p: LkParticipant | undefined): void => {
      if (p && p !== room.localParticipant) this.remote.refresh(p);
    };
    on('trackPublished', (pub: LkPublication, p: LkParticipant) => {
      this.remote.published(pub);
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
    on('participantMetadataChanged', (_prev: unknown, p: LkParticipant) =>
      this.remote.metadataChanged(p),
    );
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

  private requireRoom(): LkRoom {
    if (!this.room) throw ConsultError.invalidState('The media backend is not connected.');
    return this.room;
  }

  // ── Publishing and remote participants (livekit-publisher.ts, livekit-remotes.ts) ────────────

  publish(options: PublishOptions): Promise<void> {
    return this.local.publish(options);
  }

  unpublish(): Promise<void> {
    return this.local.unpublish();
  }

  setAudioEnabled(enabled: boolean): Promise<void> {
    return this.local.setAudioEnabled(enabled);
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
    this.remote.setReceiveVideo(enabled, this.room?.remoteParticipants.values() ?? []);
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
