/**
 * The remote side of the LiveKit adapter: presents the other participants as connections and
 * their publications as one `camera` and one `screen` stream each (`<identity>#camera`,
 * `<identity>#screen`), with the `streamSubscribed` MediaStream rebuilt whenever the subscribed
 * tracks change; whether received video is subscribed at all (`setReceiveVideo`); and the muted
 * audio sinks that keep level meters working (audio-sinks.ts). Owns every remote connection and
 * stream entry until the participant or the room goes ({@link RemoteParticipants.clear}).
 * @packageDocumentation
 */
import type { BackendEventMap, BackendStream } from '../backend.js';
import { AudioSinks } from './audio-sinks.js';
import {
  isScreen,
  sameStream,
  setSubscribed,
  streamKey,
  streamOf,
  toConnection,
} from './livekit-mappings.js';
import type { LkParticipant, LkPublication } from './livekit-types.js';

/** What the remote participants need from the adapter. @internal */
export interface RemoteParticipantsContext {
  emit<K extends keyof BackendEventMap>(event: K, detail: BackendEventMap[K]): void;
}

interface Presented {
  info: BackendStream;
  /** Track ids of the last `streamSubscribed` MediaStream. */
  trackIds: string;
}

/** @internal */
export class RemoteParticipants {
  private readonly ctx: RemoteParticipantsContext;
  private readonly presented = new Map<string, Presented>();
  private readonly audioSinks = new AudioSinks();
  /** Remote identities whose `connectionCreated` went out (a stream never precedes its connection). */
  private readonly connections = new Set<string>();
  private receiveVideo = true;

  constructor(ctx: RemoteParticipantsContext) {
    this.ctx = ctx;
  }

  /** Forgets every connection and stream (the room is gone); `setReceiveVideo` stays. */
  clear(): void {
    this.presented.clear();
    this.audioSinks.clear();
    this.connections.clear();
  }

  /** Emits `connectionCreated` for `p` unless it went out already. */
  announce(p: LkParticipant): void {
    if (this.connections.has(p.identity)) return;
    this.connections.add(p.identity);
    this.ctx.emit('connectionCreated', toConnection(p));
  }

  /** A participant's metadata changed: its connection goes out again with the new server data. */
  metadataChanged(p: LkParticipant): void {
    if (this.connections.has(p.identity)) this.ctx.emit('connectionCreated', toConnection(p));
  }

  /** A participant left: its streams go (the adapter then reports the connection gone). */
  left(identity: string): void {
    this.connections.delete(identity);
    for (const kind of ['camera', 'screen'] as const) this.withdraw(identity, kind, 'disconnect');
  }

  /** A remote track was published: a video is not subscribed while received video is off. */
  published(pub: LkPublication): void {
    if (pub.kind === 'video' && !this.receiveVideo) setSubscribed(pub, false);
  }

  /**
   * Brings the presented camera and screen streams of a remote participant up to date. Its
   * connection is announced first: the subscriber PC may deliver a participant's tracks while
   * `room.connect()` is still pending, before the participants already in the room are listed.
   */
  refresh(p: LkParticipant): void {
    this.announce(p);
    for (const kind of ['camera', 'screen'] as const) {
      const info = streamOf(p, kind);
      const key = streamKey(p.identity, kind);
      const shown = this.presented.get(key);
      if (!info) {
        if (shown) this.withdraw(p.identity, kind, 'unpublish');
        continue;
      }
      if (!shown) {
        this.presented.set(key, { info, trackIds: '' });
        this.ctx.emit('streamCreated', info);
      } else if (!sameStream(shown.info, info)) {
        for (const property of ['audioActive', 'videoActive'] as const) {
          if (shown.info[property] !== info[property] && shown.info.hasAudio === info.hasAudio)
            this.ctx.emit('streamPropertyChanged', {
              streamId: key,
              connectionId: p.identity,
              property,
              value: info[property],
            });
        }
        // A kind appeared or vanished: present the stream again with its new shape.
        if (shown.info.hasAudio !== info.hasAudio || shown.info.hasVideo !== info.hasVideo)
          this.ctx.emit('streamCreated', info);
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
    this.ctx.emit('streamSubscribed', { streamId: key, connectionId: p.identity, mediaStream });
  }

  private withdraw(identity: string, kind: 'camera' | 'screen', reason: string): void {
    const key = streamKey(identity, kind);
    if (!this.presented.delete(key)) return;
    this.audioSinks.release(key);
    this.ctx.emit('streamDestroyed', { streamId: key, connectionId: identity, reason });
  }

  /** Subscribes to (or drops) the video publications of `participants`, and of later ones. */
  setReceiveVideo(enabled: boolean, participants: Iterable<LkParticipant>): void {
    this.receiveVideo = enabled;
    for (const p of participants)
      for (const pub of p.trackPublications.values())
        if (pub.kind === 'video') setSubscribed(pub, enabled);
  }
}
