/**
 * `ChartingController`: the room's charting mode. It pops the call into a Document
 * Picture-in-Picture window (or, without one, the other person's video into video
 * Picture-in-Picture), renders the compact call there after each update of the room, and brings it
 * back. The session and its streams are untouched throughout: no reconnect, no re-subscription.
 * @packageDocumentation
 */
import { render, type CSSResult, type ReactiveController, type TemplateResult } from 'lit';
import type { ReactiveControllerHost } from 'lit';
import { tokens } from '../base/tokens.styles.js';
import {
  browserPictureInPictureSupport,
  PictureInPictureController,
  type PictureInPictureSupport,
} from '../controllers/picture-in-picture.js';
import { ConsultChartingChangeEvent } from '../events/consult-charting-change.js';
import type { ConsultChartingMode } from '../events/consult-charting-change.js';
import { prepareChartingDocument } from './charting-document.js';
import { chartingWindowStyles } from './views/charting.js';
import { muteRequestStyles } from './views/mute-request.js';

/** The initial size of the charting window, in CSS pixels. */
const WINDOW_SIZE = { width: 360, height: 420 };

const WINDOW_STYLES: readonly CSSResult[] = [tokens, muteRequestStyles, chartingWindowStyles];

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
  private readonly pip: PictureInPictureController;
  private root: ShadowRoot | undefined;
  /** The inline "Leave the consultation?" question is open in the window. */
  leaveConfirm = false;

  constructor(host: ChartingHost, options: ChartingOptions) {
    this.host = host;
    this.options = options;
    this.pip = new PictureInPictureController(host, {
      support: () => host.pictureInPictureSupport ?? browserPictureInPictureSupport(),
      onChange: (open, mode) => {
        if (!open) this.root = undefined;
        this.leaveConfirm = false;
        host.dispatchEvent(new ConsultChartingChangeEvent({ open, mode }));
      },
    });
    host.addController(this);
  }

  /** Which charting mode the browser allows, or undefined (the control is hidden). */
  get available(): ConsultChartingMode | undefined {
    return this.pip.available;
  }

  /** What is open, or undefined. */
  get mode(): ConsultChartingMode | undefined {
    return this.pip.mode;
  }

  /** The charting window's document while open (tests, the e2e). */
  get document(): Document | undefined {
    return this.pip.window?.document;
  }

  /**
   * Pops the call out (from a click: browsers need the user's gesture). A refusal by the browser
   * leaves the call in the page.
   */
  async open(): Promise<void> {
    try {
      if (this.available === 'document') {
        await this.pip.openDocument(WINDOW_SIZE, (win) => {
          this.root = prepareChartingDocument(win, {
            from: this.host,
            styles: WINDOW_STYLES,
            lang: this.options.lang(),
            dir: this.options.dir(),
            title: this.options.title(),
          });
        });
      } else if (this.available === 'video') {
        const video = this.options.remoteVideo();
        if (video) await this.pip.openVideo(video);
      }
    } catch {
      // No window (no gesture, dismissed, or not allowed): the call simply stays in the page.
    }
  }

  /** Brings the call back to the page. */
  close(): void {
    this.pip.close();
  }

  /** Renders `content` into the charting window (only while one is open). */
  renderWindow(content: TemplateResult): void {
    const doc = this.pip.window?.document;
    if (!this.root || !doc) return;
    render(content, this.root, { host: this.host, creationScope: doc });
  }

  hostConnected(): void {}
}
