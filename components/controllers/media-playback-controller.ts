/**
 * `MediaPlaybackController`: plays `<video>` elements, routes their sound to the chosen speaker and
 * notices when the browser blocks autoplay.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

type VideoWithSink = HTMLVideoElement & { sinkId: string; setSinkId(id: string): Promise<void> };

/**
 * Call `sync(root)` after each update of an element that renders videos: every new stream is
 * played once (a `NotAllowedError` sets `blocked`), and unmuted videos follow the speaker from
 * `getSinkId()`. One controller can serve several elements: the room shares its own with its tiles
 * (the `playback` property of `<consult-tile>`), so one "enable sound" resumes them all.
 * @internal
 */
export class MediaPlaybackController implements ReactiveController {
  private readonly host: ReactiveControllerHost;
  private readonly getSinkId: () => string | undefined;
  private readonly played = new WeakMap<HTMLVideoElement, MediaStream>();
  private readonly videos = new Set<HTMLVideoElement>();
  private isBlocked = false;

  constructor(host: ReactiveControllerHost, getSinkId: () => string | undefined) {
    this.host = host;
    this.getSinkId = getSinkId;
    host.addController(this);
  }

  /** True when the browser refused to play a stream with sound. */
  get blocked(): boolean {
    return this.isBlocked;
  }

  private setBlocked(blocked: boolean): void {
    if (blocked === this.isBlocked) return;
    this.isBlocked = blocked;
    this.host.requestUpdate();
  }

  private applySink(video: HTMLVideoElement, sinkId: string | undefined): void {
    if (!sinkId || !('setSinkId' in video) || video.muted) return;
    const withSink = video as VideoWithSink;
    if (withSink.sinkId !== sinkId) void withSink.setSinkId(sinkId).catch(() => undefined);
  }

  /** Plays the new streams of every `<video>` in `root` and applies the speaker choice. */
  sync(root: ParentNode): void {
    const sinkId = this.getSinkId();
    for (const video of root.querySelectorAll('video')) {
      this.videos.add(video);
      this.applySink(video, sinkId);
      const stream = video.srcObject;
      if (!(stream instanceof MediaStream) || this.played.get(video) === stream) continue;
      this.played.set(video, stream);
      video.play().catch((error: unknown) => {
        if ((error as { name?: unknown }).name === 'NotAllowedError') this.setBlocked(true);
      });
    }
  }

  /** Plays every known video again (call it from a user gesture); clears `blocked` on success. */
  async resume(): Promise<void> {
    for (const video of this.videos) if (!video.isConnected) this.videos.delete(video);
    const videos = [...this.videos].filter((v) => v.srcObject);
    try {
      await Promise.all(videos.map((v) => v.play()));
      this.setBlocked(false);
    } catch {
      this.setBlocked(true);
    }
  }

  hostConnected(): void {}

  /**
   * A new speaker choice re-renders the host but not necessarily the elements that own the videos
   * (a tile re-renders for its participant only): apply it to every known video.
   */
  hostUpdated(): void {
    const sinkId = this.getSinkId();
    for (const video of this.videos) {
      if (video.isConnected) this.applySink(video, sinkId);
      else this.videos.delete(video);
    }
  }
}
