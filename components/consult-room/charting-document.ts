/**
 * Gets a Document Picture-in-Picture window ready for the room's charting view: the language and
 * direction, the title, the theme, and the room's styles.
 *
 * Styles: a constructed stylesheet belongs to the document it was made for, and adopting the
 * room's own sheets in another document throws `NotAllowedError`; a `<style>` element would be
 * blocked by a strict CSP (`style-src 'self'`), which the window inherits from the page. So the
 * CSS text of the room's styles is parsed again into sheets built with the window's own
 * `CSSStyleSheet`, which CSP does not restrict. The theme (`--consult-*` custom properties, wherever
 * the page set them: the theme stylesheet, a `[data-theme]`, inline) is copied from the room's
 * computed style onto the charting view's host, with `color-scheme`.
 * @packageDocumentation
 */
import type { CSSResult } from 'lit';

/** The public theme properties copied into the window (besides any other `--consult-*` the browser lists). */
const THEME_PROPERTIES = [
  'background',
  'surface',
  'surface-raised',
  'text',
  'text-muted',
  'border',
  'accent',
  'on-accent',
  'danger',
  'on-danger',
  'success',
  'warning',
  'own-message',
  'focus',
]
  .map((name) => `--consult-color-${name}`)
  .concat(
    ['s', 'm', 'l'].map((size) => `--consult-radius-${size}`),
    ['xs', 's', 'm', 'l'].map((size) => `--consult-space-${size}`),
    ['--consult-font-family', '--consult-font-size', '--consult-font-size-small'],
    ['--consult-transition-duration', '--consult-room-background'],
    ['--consult-room-tile-background', '--consult-room-tile-radius'],
  );

type WindowWithSheets = Window & { CSSStyleSheet: typeof CSSStyleSheet };

/** The `--consult-*` properties set on `from`, by name. */
export function themeOf(from: Element): Map<string, string> {
  const computed = from.ownerDocument.defaultView?.getComputedStyle(from);
  const theme = new Map<string, string>();
  if (!computed) return theme;
  // Chromium lists custom properties in a computed style; other browsers may not.
  const listed = Array.from(computed).filter((name) => name.startsWith('--consult-'));
  for (const name of new Set([...THEME_PROPERTIES, ...listed])) {
    const value = computed.getPropertyValue(name).trim();
    if (value) theme.set(name, value);
  }
  const scheme = computed.getPropertyValue('color-scheme').trim();
  if (scheme && scheme !== 'normal') theme.set('color-scheme', scheme);
  return theme;
}

/** Options of {@link prepareChartingDocument}. */
export interface ChartingDocumentOptions {
  /** The element whose theme the window takes (the room). */
  from: Element;
  styles: readonly CSSResult[];
  lang: string;
  dir: string;
  title: string;
}

/**
 * Sets up `win` and returns the shadow root to render the charting view into. Everything is
 * created in the window's own document and realm.
 */
export function prepareChartingDocument(win: Window, o: ChartingDocumentOptions): ShadowRoot {
  const doc = win.document;
  const Sheet = (win as WindowWithSheets).CSSStyleSheet;
  const sheet = (text: string): CSSStyleSheet => {
    const s = new Sheet();
    s.replaceSync(text);
    return s;
  };
  doc.documentElement.lang = o.lang;
  doc.documentElement.dir = o.dir;
  doc.title = o.title;
  doc.adoptedStyleSheets = [
    sheet(
      'html, body { margin: 0; block-size: 100%; } .consult-charting { display: block; block-size: 100%; }',
    ),
  ];
  const host = doc.createElement('div');
  host.className = 'consult-charting';
  for (const [name, value] of themeOf(o.from)) host.style.setProperty(name, value);
  doc.body.replaceChildren(host);
  const root = host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = o.styles.map((s) => sheet(s.cssText));
  return root;
}
