/**
 * Which browser runs the element tests: web-test-runner runs every file in Chromium and in Firefox
 * ESR (web-test-runner.config.mjs). A few tests depend on something only Chromium's test setup
 * provides; they run through {@link chromiumOnly}, which names why.
 * @packageDocumentation
 */

/** True in Firefox (Gecko), false in Chromium. */
export const IS_FIREFOX = navigator.userAgent.includes('Firefox/');

/**
 * What Firefox cannot do on the test machines, so that a test needing it runs in Chromium only:
 * - `web-audio`: headless Firefox has no audio device here, so an `AudioContext` stays suspended
 *   and `resume()` never settles (Chromium plays into a fake output);
 * - `emulate-media`: `prefers-color-scheme`/`prefers-reduced-motion` emulation needs CDP, which
 *   puppeteer has for Chromium only (Firefox runs over WebDriver BiDi).
 */
export type ChromiumOnlyReason = 'web-audio' | 'emulate-media';

/** `it` in Chromium; `it.skip` (counted as skipped) in Firefox, for the reason given. */
export function chromiumOnly(
  _reason: ChromiumOnlyReason,
  name: string,
  body: () => Promise<void> | void,
): void {
  (IS_FIREFOX ? it.skip : it)(name, body);
}
