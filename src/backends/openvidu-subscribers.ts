/**
 * The remote side of the OpenVidu adapter: the streams of the other participants, subscribed
 * without any DOM element, and their `streamSubscribed` media (again after a media reconnection
 * rebuilt it); the `screen` streams presented from other adapters' screen-share signals; whether
 * received video is decoded (`setReceiveVideo`); and the muted audio sinks that keep speaking
 * detection working. Owns every remote stream entry until the stream or the session goes.
 * @packageDocumentation
 */
import type { BackendEventMap, BackendStream } from '../backend.js';
import { AudioSinks } from './audio-sinks.js';
import { field, messageOf } from './openvidu-errors.js';
import type { OvSession, OvStream, OvSubscriber } from './openvidu-types.js';

/** Suffix of the stream id under which a remote screen share is presented. @internal */
export const SCREEN_STREAM_SUFFIX = '#screen';

/** What the remote streams need from the adapter. @internal */
export interface RemoteStreamsContext {
  emit<K extends keyof BackendEventMap>(event: K, detail: BackendEventMap[K]): void;
}

interface RemoteEntry {
  readonly stream: OvStream;
  /** What was last reported (OpenVidu's own flags change when we disable received video). */
  info: BackendStream;
  subscriber?: OvSubscriber;
  /** The MediaStream last reported in `streamSubscribed`. */
  media?: MediaStream;
  /** A `screen` stream derived from this one is currently presented. */
  screenShown: boolean;
}

/** @internal */
export class RemoteStreams {
  private readonly ctx: RemoteStreamsContext;
  private receiveVideo = true;
  private readonly remotes = new Map<string, RemoteEntry>();
  /** Keeps received audio flowing into Web Audio for hark's speaking detection (audio-sinks.ts). */
  private readonly audioSinks = new AudioSinks();
  /** Screen-share state announced by remote connections: connectionId → streamId. */
  private readonly remoteScreens = new Map<string, string>();

  constructor(ctx: RemoteStreamsContext) {
    this.ctx = ctx;
  }

  /** A remote stream went away. */
  remove(stream: OvStream, reason: string | undefined): void {
    const entry = this.remotes.get(stream.streamId);
    if (!entry) return;
    this.remotes.delete(stream.streamId);
    this.audioSinks.release(stream.streamId);
    if (entry.screenShown) this.emitScreenDestroyed(entry, reason ?? '');
    this.ctx.emit('streamDestroyed', {
      streamId: stream.streamId,
      connectionId: stream.connection.connectionId,
      reason: reason ?? '',
    });
  }

  /** OpenVidu's `streamPropertyChanged` for a remote stream. */
  propertyChanged(stream: OvStream, changedProperty: string, newValue: unknown): void {
    if (changedProperty !== 'audioActive' && changedProperty !== 'videoActive') return;
    const entry = this.remotes.get(stream.streamId);
    if (!entry || typeof newValue !== 'boolean') return;
    entry.info = { ...entry.info, [changedProperty]: newValue };
    if (changedProperty === 'videoActive' && !this.receiveVideo)
      entry.subscriber?.subscribeToVideo(false);
    // While the stream carries a screen share its camera stays reported as inactive.
    if (changedProperty === 'videoActive' && entry.screenShown) return;
    this.ctx.emit('streamPropertyChanged', {
      streamId: stream.streamId,
      connectionId: stream.connection.connectionId,
      property: changedProperty,
      value: newValue,
    });
  }

  /** A remote connection left: its screen-share state goes. */
  connectionGone(connectionId: string): void {
    this.remoteScreens.delete(connectionId);
  }

  /** After a media reconnection: reports every stream whose MediaStream was rebuilt. */
  reportAll(): void {
    for (const entry of this.remotes.values()) this.reportMedia(entry);
  }

  /** The subscribed stream of a connection (for its statistics). */
  streamOf(connectionId: string): OvStream | undefined {
    let stream: OvStream | undefined;
    for (const entry of this.remotes.values()) {
      if (entry.info.connectionId === connectionId && entry.subscriber) stream = entry.stream;
    }
    return stream;
  }

  /** Forgets every stream (the session ended). */
  clear(): void {
    this.audioSinks.clear();
    this.remotes.clear();
    this.remoteScreens.clear();
  }

  /** A remote stream appeared: presents it and subscribes to it (no DOM element). */
  add(session: OvSession, stream: OvStream): void {
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
    this.ctx.emit('streamCreated', info);
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
            this.ctx.emit('exception', {
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
      this.ctx.emit('exception', {
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
    this.audioSinks.set(entry.stream.streamId, media);
    if (!this.receiveVideo) entry.subscriber.subscribeToVideo(false);
    this.ctx.emit('streamSubscribed', {
      streamId: entry.stream.streamId,
      connectionId: entry.stream.connection.connectionId,
      mediaStream: media,
    });
    if (entry.screenShown) this.emitScreenMedia(entry);
  }

  /** A screen-share signal from `connectionId`. */
  screenSignal(connectionId: string, data: string): void {
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
        this.ctx.emit('streamPropertyChanged', {
          streamId: entry.info.streamId,
          connectionId,
          property: 'videoActive',
          value: false,
        });
        this.ctx.emit('streamCreated', {
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
        this.ctx.emit('streamPropertyChanged', {
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
    this.ctx.emit('streamSubscribed', {
      streamId: entry.info.streamId + SCREEN_STREAM_SUFFIX,
      connectionId: entry.info.connectionId,
      mediaStream: new MediaStream([video]),
    });
  }

  private emitScreenDestroyed(entry: RemoteEntry, reason: string): void {
    entry.screenShown = false;
    this.ctx.emit('streamDestroyed', {
      streamId: entry.info.streamId + SCREEN_STREAM_SUFFIX,
      connectionId: entry.info.connectionId,
      reason,
    });
  }

  setReceiveVideo(enabled: boolean): void {
    this.receiveVideo = enabled;
    for (const entry of this.remotes.values()) entry.subscriber?.subscribeToVideo(enabled);
  }
}
