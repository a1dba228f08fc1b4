/**
 * The local side of the LiveKit adapter: the microphone, camera and screen-share publications of
 * the local participant. Owns the tracks the session wants published, the microphone and camera
 * switches (LiveKit's track mute), device switching (`replaceTrack`), the screen share (a
 * `screen_share` publication of its own), and the queue that keeps these operations from
 * interleaving. The tracks belong to the caller: they are handed over as user-provided tracks and
 * unpublished without being stopped.
 * @packageDocumentation
 */
import type { PublishOptions } from '../backend.js';
import { ConsultError } from '../errors.js';
import { isLive, translateLiveKitError } from './livekit-mappings.js';
import type { LkLocalPublication, LkRoom } from './livekit-types.js';
import { SerialQueue } from '../serial.js';

/** What the publisher needs from the adapter. @internal */
export interface LocalPublisherContext {
  /** The connected room, or undefined. */
  room(): LkRoom | undefined;
  /** The connected room; throws invalid-state when not connected. */
  requireRoom(): LkRoom;
}

/** @internal */
export class LocalPublisher {
  private readonly ctx: LocalPublisherContext;
  private tracks: { audio?: MediaStreamTrack; video?: MediaStreamTrack } = {};
  private published: { audio?: LkLocalPublication; video?: LkLocalPublication } = {};
  private screen: LkLocalPublication | undefined;
  private audioEnabled = true;
  private videoEnabled = true;
  /** Serialises publishing operations so they never interleave. */
  private readonly queue = new SerialQueue();

  constructor(ctx: LocalPublisherContext) {
    this.ctx = ctx;
  }

  /** Forgets the publications (the room is gone); the wanted tracks and switches stay. */
  reset(): void {
    this.published = {};
    this.screen = undefined;
  }

  publish(options: PublishOptions): Promise<void> {
    return this.queue.run(async () => {
      this.ctx.requireRoom();
      this.tracks = { audio: options.audioTrack, video: options.videoTrack };
      this.audioEnabled = options.audioEnabled;
      this.videoEnabled = options.videoEnabled;
      for (const kind of ['audio', 'video'] as const) await this.publishKind(kind);
    });
  }

  /** Publishes the wanted track of one kind (if live and not yet published) and applies its mute. */
  private async publishKind(kind: 'audio' | 'video'): Promise<void> {
    const room = this.ctx.requireRoom();
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
    return this.queue.run(async () => {
      const room = this.ctx.room();
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
    await this.queue.run(() => this.applyMute('audio'));
  }

  async setVideoEnabled(enabled: boolean): Promise<void> {
    this.videoEnabled = enabled;
    await this.queue.run(() => this.applyMute('video'));
  }

  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void> {
    return this.queue.run(async () => {
      if (track.kind !== kind)
        throw ConsultError.invalidState(`Expected a ${kind} track, got ${track.kind}.`);
      this.tracks = { ...this.tracks, [kind]: track };
      const published = this.published[kind]?.track;
      if (!published) {
        if (this.ctx.room()) await this.publishKind(kind);
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
    return this.queue.run(async () => {
      const room = this.ctx.requireRoom();
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
    return this.queue.run(async () => {
      const screen = this.screen;
      this.screen = undefined;
      const room = this.ctx.room();
      if (screen?.track && room) await room.localParticipant.unpublishTrack(screen.track, false);
    });
  }
}
