/**
 * `PictureInPictureController`: pops content out of the page into a Document Picture-in-Picture
 * window, or, where the browser has none, a `<video>` into video Picture-in-Picture. The browser
 * APIs come in through `PictureInPictureSupport` (picture-in-picture-support.ts) so tests can pass
 * fakes.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ConsultChartingMode } from '../events/consult-charting-change.js';
import { availableMode, type PictureInPictureSupport } from './picture-in-picture-support.js';

/** Options of {@link PictureInPictureController}. @internal */
export interface PictureInPictureOptions {
  support: () => PictureInPictureSupport;
  /** Called after the content popped out (`open` true) or came back (false). */
  onChange: (open: boolean, mode: ConsultChartingMode) => void;
}

type PipVideo = HTMLVideoElement & { requestPictureInPicture(): Promise<unknown> };

/**
 * Opens one picture-in-picture at a time. `available` says which kind the browser has; `mode` which
 * one is open; `window` is the Document Picture-in-Picture window while open. The window closing
 * (its close button, "back to tab", or {@link close}) ends it; so does the host leaving the page.
 * @internal
 */
export class PictureInPictureController implements ReactiveController {
  private readonly host: ReactiveControllerHost;
  private readonly options: PictureInPictureOptions;
  private openMode: ConsultChartingMode | undefined;
  private pipWindow: Window | undefined;
  private pipVideo: HTMLVideoElement | undefined;
  private opening = false;
  private readonly closedListener = (): void => void this.closed();

  constructor(host: ReactiveControllerHost, options: PictureInPictureOptions) {
    this.host = host;
    this.options = options;
    host.addController(this);
  }

  /** Which picture-in-picture the browser has (`document` preferred), or undefined. */
  get available(): ConsultChartingMode | undefined {
    return availableMode(this.options.support());
  }

  /** What is open, or undefined. */
  get mode(): ConsultChartingMode | undefined {
    return this.openMode;
  }

  /** The Document Picture-in-Picture window while it is open. */
  get window(): Window | undefined {
    return this.pipWindow;
  }

  /**
   * Opens a Document Picture-in-Picture window (call it from a click: the browser needs the user's
   * gesture) and hands it to `prepare` before anything is shown. Rejects like `requestWindow`.
   */
  async openDocument(
    size: { width: number; height: number },
    prepare: (win: Window) => void,
  ): Promise<void> {
    const api = this.options.support().documentPictureInPicture;
    if (!api)
      throw new DOMException('Document Picture-in-Picture is not available.', 'NotSupportedError');
    if (this.openMode || this.opening) return;
    this.opening = true;
    try {
      const win = await api.requestWindow(size);
      this.pipWindow = win;
      this.openMode = 'document';
      prepare(win);
      win.addEventListener('pagehide', this.closedListener, { once: true });
    } finally {
      this.opening = false;
    }
    this.changed(true, 'document');
  }

  /** Pops `video` into video Picture-in-Picture (from a click). Rejects like `requestPictureInPicture`. */
  async openVideo(video: HTMLVideoElement): Promise<void> {
    if (this.openMode || this.opening) return;
    this.opening = true;
    try {
      await (video as PipVideo).requestPictureInPicture();
      this.pipVideo = video;
      this.openMode = 'video';
      video.addEventListener('leavepictureinpicture', this.closedListener, { once: true });
    } finally {
      this.opening = false;
    }
    this.changed(true, 'video');
  }

  /** Brings the content back to the page (nothing when nothing is open). */
  close(): void {
    const win = this.pipWindow;
    const video = this.pipVideo;
    if (!this.closed()) return;
    if (win && !win.closed) win.close();
    const doc = video?.ownerDocument as
      (Document & { pictureInPictureElement?: Element | null }) | undefined;
    if (doc?.pictureInPictureElement === video)
      void doc?.exitPictureInPicture().catch(() => undefined);
  }

  /** Forgets what was open; false when nothing was. */
  private closed(): boolean {
    const mode = this.openMode;
    if (!mode) return false;
    this.pipWindow?.removeEventListener('pagehide', this.closedListener);
    this.pipVideo?.removeEventListener('leavepictureinpicture', this.closedListener);
    this.openMode = this.pipWindow = this.pipVideo = undefined;
    this.changed(false, mode);
    return true;
  }

  private changed(open: boolean, mode: ConsultChartingMode): void {
    this.host.requestUpdate();
    this.options.onChange(open, mode);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.close();
  }
}
