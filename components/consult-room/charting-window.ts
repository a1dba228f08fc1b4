/**
 * The charting window's code, loaded on demand (the room preloads it once charting mode is
 * available in a call, so the click that opens the window does not wait for it): the
 * Picture-in-Picture controller, the setup of a Document Picture-in-Picture window, and the compact
 * call rendered into it.
 * @packageDocumentation
 */
import { render, type CSSResult } from 'lit';
import { tokens } from '../base/tokens.styles.js';
import { prepareChartingDocument } from './charting-document.js';
import {
  chartingWindowStyles,
  renderChartingWindow,
  type ChartingView,
} from './views/charting-window.js';
import { muteRequestStyles } from './views/mute-request.js';

export type { ChartingView };
export { PictureInPictureController } from '../controllers/picture-in-picture.js';

const WINDOW_STYLES: readonly CSSResult[] = [tokens, muteRequestStyles, chartingWindowStyles];

/** Sets `win` up (language, direction, title, theme, styles); returns the root to render into. */
export function prepareWindow(
  win: Window,
  options: { from: Element; lang: string; dir: string; title: string },
): ShadowRoot {
  return prepareChartingDocument(win, { ...options, styles: WINDOW_STYLES });
}

/** Renders the compact call into `root` (in `doc`), with `host`'s `this` for event listeners. */
export function renderWindow(
  root: ShadowRoot,
  doc: Document,
  host: object,
  view: ChartingView,
): void {
  render(renderChartingWindow(view), root, { host, creationScope: doc });
}
