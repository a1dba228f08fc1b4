/**
 * Small inline SVG icons (24×24, stroke). Decorative: every icon sits next to text or inside a
 * control that has an accessible name, so they are `aria-hidden`.
 * @packageDocumentation
 */
import { svg, type SVGTemplateResult } from 'lit';

const icon = (content: SVGTemplateResult): SVGTemplateResult =>
  svg`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">${content}</svg>`;

export const icons = {
  mic: icon(
    svg`<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/>`,
  ),
  micOff: icon(svg`<path d="M9 9V6a3 3 0 0 1 6 0v5M5 11a7 7 0 0 0 11 5.7M12 18v3M3 3l18 18"/>`),
  camera: icon(
    svg`<rect x="2" y="6" width="14" height="12" rx="2"/><path d="m16 10 6-3v10l-6-3"/>`,
  ),
  cameraOff: icon(
    svg`<path d="M16 16v2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h2m4 0h4a2 2 0 0 1 2 2v2l6-3v10M2 2l20 20"/>`,
  ),
  screen: icon(svg`<rect x="2" y="4" width="20" height="13" rx="2"/><path d="M8 21h8M12 17v4"/>`),
  chat: icon(svg`<path d="M21 12a8 8 0 0 1-11.6 7.1L4 21l1.9-5.4A8 8 0 1 1 21 12z"/>`),
  record: icon(
    svg`<circle cx="12" cy="12" r="8"/><circle cx="12" cy="12" r="3" fill="currentColor"/>`,
  ),
  settings: icon(
    svg`<circle cx="12" cy="12" r="3"/><path d="M19 12a7 7 0 0 0-.1-1.2l2-1.6-2-3.4-2.4 1a7 7 0 0 0-2-1.2L14 3h-4l-.4 2.6a7 7 0 0 0-2 1.2l-2.4-1-2 3.4 2 1.6a7 7 0 0 0 0 2.4l-2 1.6 2 3.4 2.4-1a7 7 0 0 0 2 1.2L10 21h4l.4-2.6a7 7 0 0 0 2-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z"/>`,
  ),
  leave: icon(svg`<path d="M10 17l-5-5 5-5M5 12h11M15 4h4a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1h-4"/>`),
  send: icon(svg`<path d="M4 12 20 4l-5 16-3-7-8-1z"/>`),
  check: icon(svg`<path d="m5 12 5 5 9-10"/>`),
  alert: icon(svg`<path d="M12 3 2 20h20L12 3zM12 10v4M12 17h.01"/>`),
  clock: icon(svg`<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>`),
  speaking: icon(
    svg`<path d="M11 5 6 9H3v6h3l5 4V5zM15.5 8.5a5 5 0 0 1 0 7M18.5 5.5a9 9 0 0 1 0 13"/>`,
  ),
  down: icon(svg`<path d="M12 5v14M6 13l6 6 6-6"/>`),
  download: icon(svg`<path d="M12 3v12M7 10l5 5 5-5M4 20h16"/>`),
  more: icon(
    svg`<circle cx="5" cy="12" r="1.2"/><circle cx="12" cy="12" r="1.2"/><circle cx="19" cy="12" r="1.2"/>`,
  ),
  close: icon(svg`<path d="M6 6l12 12M18 6 6 18"/>`),
  retry: icon(svg`<path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7"/>`),
  popOut: icon(
    svg`<rect x="3" y="5" width="18" height="14" rx="2"/><rect x="12" y="11" width="7" height="6" rx="1"/>`,
  ),
  sound: icon(svg`<path d="M11 5 6 9H3v6h3l5 4V5zM15.5 8.5a5 5 0 0 1 0 7"/>`),
  /** Signal bars: `level` of 3 filled. */
  bars(level: number): SVGTemplateResult {
    return icon(svg`
      <path d="M5 20v-3" stroke-width=${level >= 1 ? 3 : 1}/>
      <path d="M12 20v-8" stroke-width=${level >= 2 ? 3 : 1}/>
      <path d="M19 20V5" stroke-width=${level >= 3 ? 3 : 1}/>`);
  },
};
