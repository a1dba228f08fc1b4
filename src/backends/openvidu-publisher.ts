/**
 * The local side of the OpenVidu adapter: the one publisher OpenVidu 2 allows per connection. Owns
 * the tracks the session wants published (the camera's, even while the screen is shared), the
 * microphone and camera switches, the screen share (the camera publisher's video track swapped for
 * the screen's, announced to the others by a reserved signal), and the queue that keeps publisher
 * operations from interleaving. The tracks belong to the caller: they are detached before OpenVidu
 * could stop them, and OpenVidu only ever stops its own objects (or clones).
 * @packageDocumentation
 */
import type { BackendEventMap, PublishOptions } from '../backend.js';
import { ConsultError } from '../errors.js';
import type { Logger } from '../logger.js';
import { messageOf, translateOpenViduError } from './openvidu-errors.js';
import type {
  OpenViduLike,
  OvConnection,
  OvPublisher,
  OvSession,
  OvStream,
} from './openvidu-types.js';
import { SerialQueue } from '../serial.js';

/** Signal type the adapters use among themselves for screen-share state. @internal */
export const SCREEN_SIGNAL = 'consultkit.screen';

/** What the publisher needs from the adapter. @internal */
export interface LocalPublisherContext {
  emit<K extends keyof BackendEventMap>(event: K, detail: BackendEventMap[K]): void;
  logger: Logger;
  /** The connected session, or undefined. */
  session(): OvSession | undefined;
  openVidu(): OpenViduLike | undefined;
  /** The connected session; throws invalid-state when not connected. */
  requireSession(): OvSession;
}

/** @internal */
export class LocalPublisher {
  private readonly ctx: LocalPublisherContext;
  private publisher: OvPublisher | undefined;
  /** The tracks the session wants published (the camera track, even while the screen is shared). */
  private tracks: { audio?: MediaStreamTrack; video?: MediaStreamTrack } = {};
  private audioEnabled = true;
  private videoEnabled = true;
  /** Publishing was requested (even with no track yet). */
  private publishRequested = false;
  private screenTrack: MediaStreamTrack | undefined;
  /** Serialises publisher operations (publish, replace, screen) so they never interleave. */
  private readonly queue = new SerialQueue();

  constructor(ctx: LocalPublisherContext) {
    this.ctx = ctx;
  }

  /** The published stream, if any. */
  get stream(): OvStream | undefined {
    return this.publisher?.stream;
  }

  /** The screen is shared through a live publisher. */
  get sharingScreen(): boolean {
    return !!this.screenTrack && !!this.publisher;
  }

  /** Forgets the publisher and the wanted tracks (the session ended). */
  reset(): void {
    this.publisher = undefined;
    this.publishRequested = false;
    this.screenTrack = undefined;
    this.tracks = {};
  }

  publish(options: PublishOptions): Promise<void> {
    return this.queue.run(async () => {
      this.ctx.requireSession();
      this.tracks = { audio: options.audioTrack, video: options.videoTrack };
      this.audioEnabled = options.audioEnabled;
      this.videoEnabled = options.videoEnabled;
      this.publishRequested = true;
      await this.republish();
    });
  }

  unpublish(): Promise<void> {
    return this.queue.run(async () => {
      this.publishRequested = false;
      this.screenTrack = undefined;
      await this.dropPublisher();
      this.tracks = {};
    });
  }

  /** (Re)creates the publisher from the wanted tracks; publishing nothing is a no-op. */
  private async republish(): Promise<void> {
    const session = this.ctx.requireSession();
    await this.dropPublisher();
    const audio = isLive(this.tracks.audio) ? this.tracks.audio : undefined;
    const screen = isLive(this.screenTrack) ? this.screenTrack : undefined;
    const video = screen ?? (isLive(this.tracks.video) ? this.tracks.video : undefined);
    if (!audio && !video) return;
    const openVidu = this.ctx.openVidu();
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
          this.ctx.emit('exception', {
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
    const session = this.ctx.session();
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
  detachLocalTracks(): void {
    if (this.publisher) detachTracks(this.publisher.stream);
  }

  setAudioEnabled(enabled: boolean): void {
    this.audioEnabled = enabled;
    const publisher = this.publisher;
    if (publisher?.stream.hasAudio) publisher.publishAudio(enabled);
  }

  setVideoEnabled(enabled: boolean): Promise<void> {
    return this.queue.run(async () => {
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
    return this.queue.run(async () => {
      if (track.kind !== kind)
        throw ConsultError.invalidState(`Expected a ${kind} track, got ${track.kind}.`);
      this.tracks = { ...this.tracks, [kind]: track };
      // The camera track waits while the screen is shared.
      if (kind === 'video' && this.screenTrack) return;
      const publisher = this.publisher;
      if (!publisher) {
        if (this.publishRequested && this.ctx.session()) await this.republish();
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
    return this.queue.run(async () => {
      this.ctx.requireSession();
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
    return this.queue.run(async () => {
      if (!this.screenTrack) return;
      this.screenTrack = undefined;
      const publisher = this.publisher;
      if (!publisher || !this.ctx.session()) return;
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
  async sendScreenState(sharing: boolean, to?: readonly string[]): Promise<void> {
    const session = this.ctx.session();
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
      this.ctx.logger.warn('screen-share signal failed', { error: messageOf(error) });
    }
  }
}

// ── Track plumbing ──────────────────────────────────────────────────────────────────────────────

function isLive(track: MediaStreamTrack | undefined): track is MediaStreamTrack {
  return !!track && track.readyState !== 'ended';
}

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
