/**
 * `ChartingController`: the room's charting mode. It pops the call into a Document
 * Picture-in-Picture window (or, without one, the other person's video into video
 * Picture-in-Picture), renders the compact call there after each update of the room, and brings it
 * back. The session and its streams are untouched throughout: no reconnect, no re-subscription.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { PictureInPictureController } from '../controllers/picture-in-picture.js';
import {
  availableMode,
  browserPictureInPictureSupport,
  type PictureInPictureSupport,
} from '../controllers/picture-in-picture-support.js';
import { ConsultChartingChangeEvent } from '../events/consult-charting-change.js';
import type { ConsultChartingMode } from '../events/consult-charting-change.js';
import type * as ChartingWindowModule from './charting-window.js';
import type { ChartingView } from './charting-window.js';

/** The initial size of the charting window, in CSS pixels. */
const WINDOW_SIZE = { width: 360, height: 420 };

/** What the controller needs from the room. @internal */
export interface ChartingHost extends ReactiveControllerHost, HTMLElement {
  /** The browser's Picture-in-Picture support, or a test's fake (undefined: the browser's). */
  readonly pictureInPictureSupport: PictureInPictureSupport | undefined;
}

/** Options of {@link ChartingController}. @internal */
export interface ChartingOptions {
  lang: () => string;
  dir: () => string;
  title: () => string;
  /** The other person's `<video>` in the page, for video Picture-in-Picture. */
  remoteVideo: () => HTMLVideoElement | null;
}

/** @internal */
export class ChartingController implements ReactiveController {
  private readonly host: ChartingHost;
  private readonly options: ChartingOptions;
  /** Created with the window's code (see {@link preload}). */
  private pip: PictureInPictureController | undefined;
  private root: ShadowRoot | undefined;
  /** The window's code: a chunk of its own, loaded by {@link preload}. */
  private module: Promise<typeof ChartingWindowModule> | undefined;
  private windowCode: typeof ChartingWindowModule | undefined;
  /** The inline "Leave the consultation?" question is open in the window. */
  leaveConfirm = false;

  constructor(host: ChartingHost, options: ChartingOptions) {
    this.host = host;
    this.options = options;
    host.addController(this);
  }

  private support(): PictureInPictureSupport {
    return this.host.pictureInPictureSupport ?? browserPictureInPictureSupport();
  }

  /** Which charting mode the browser allows, or undefined (the control is hidden). */
  get available(): ConsultChartingMode | undefined {
    return availableMode(this.support());
  }

  /** What is open, or undefined. */
  get mode(): ConsultChartingMode | undefined {
    return this.pip?.mode;
  }

  /**
   * Loads the window's code ahead of the click (the room calls it while the control is shown), so
   * opening does not spend the user's gesture on a download.
   */
  preload(): Promise<typeof ChartingWindowModule> {
    this.module ??= import('./charting-window.js').then((m) => {
      this.pip ??= new m.PictureInPictureController(this.host, {
        support: () => this.support(),
        onChange: (open, mode) => {
          if (!open) this.root = undefined;
          this.leaveConfirm = false;
          this.host.dispatchEvent(new ConsultChartingChangeEvent({ open, mode }));
        },
      });
      return (this.windowCode = m);
    });
    return this.module;
  }

  /**
   * Pops the call out (from a click: browsers need the user's gesture). A refusal by the browser
   * leaves the call in the page.
   */
  async open(): Promise<void> {
    try {
      const available = this.available;
      if (!available) return;
      const code = this.windowCode ?? (await this.preload());
      const pip = this.pip!;
      if (available === 'document') {
        await pip.openDocument(WINDOW_SIZE, (win) => {
          this.root = code.prepareWindow(win, {
            from: this.host,
            lang: this.options.lang(),
            dir: this.options.dir(),
            title: this.options.title(),
          });
        });
        this.host.requestUpdate();
      } else {
        const video = this.options.remoteVideo();
        if (video) await pip.openVideo(video);
      }
    } catch {
      // No window (no gesture, dismissed, or not allowed): the call simply stays in the page.
    }
  }

  /** Brings the call back to the page. */
  close(): void {
    this.pip?.close();
  }

  /**
   * Call after each update of the room in a call: renders the compact call into the charting window
   * while one is open, and loads the window's code ahead of the first click.
   */
  renderWindow(view: () => ChartingView): void {
    if (!this.module && this.available) void this.preload().catch(() => undefined);
    const doc = this.pip?.window?.document;
    if (!this.root || !doc || !this.windowCode) return;
    this.windowCode.renderWindow(this.root, doc, this.host, view());
  }

  hostConnected(): void {}
}
