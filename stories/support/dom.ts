/**
 * Small helpers for `play` functions: the elements render into open shadow roots.
 * @packageDocumentation
 */
import { deepQuery } from '../../components/test-utils/deep-query.js';

/**
 * Resolves with the first match of `selector` in `host`'s shadow root (or the shadow roots of the
 * elements it renders, such as the room's `<consult-prejoin>`), polling until `timeout`.
 */
export async function waitForShadow<T extends Element = HTMLElement>(
  host: Element,
  selector: string,
  timeout = 5000,
): Promise<T> {
  const start = performance.now();
  for (;;) {
    const found = host.shadowRoot ? deepQuery<T>(host.shadowRoot, selector) : null;
    if (found) return found;
    if (performance.now() - start > timeout) {
      throw new Error(`<${host.localName}> never rendered ${selector}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The element `tag` in the story's canvas (throws when the story did not render it). */
export function elementIn<K extends keyof HTMLElementTagNameMap>(
  canvas: HTMLElement,
  tag: K,
): HTMLElementTagNameMap[K] {
  const element = canvas.querySelector(tag);
  if (!element) throw new Error(`the story rendered no <${tag}>`);
  return element;
}
