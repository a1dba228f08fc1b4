/**
 * Development-mode warnings. Rollup replaces `__DEV__` with `false` in production builds, which
 * removes every warning; unbundled use (tests, `tsx`) keeps them on.
 * @packageDocumentation
 */

/** Replaced by the bundler; undefined when the source runs as-is. */
declare const __DEV__: boolean | undefined;

/** True in development builds and unbundled sources. @internal */
export const DEV_MODE: boolean = typeof __DEV__ === 'undefined' ? true : __DEV__;

/** Base URL of the per-code explanations appended to warnings. */
const DOCS_URL = 'https://consult-kit.dev/warnings#';

const issued = new Set<string>();

/** Where warnings go; tests replace it. */
let sink: (message: string) => void = (message) => {
  // Development warnings are for the developer's console by design
  // (docs/contributing.md#errors-and-warnings).
  // eslint-disable-next-line no-console
  console.warn(message);
};

/**
 * Warns once per `code` in development builds: `[consult] message (see …#code)`.
 * @internal
 */
export function warnOnce(code: string, message: string): void {
  if (!DEV_MODE || issued.has(code)) return;
  issued.add(code);
  sink(`[consult] ${message} (see ${DOCS_URL}${code})`);
}

/**
 * Replaces the warning sink and forgets which codes were issued (tests). Returns the previous sink.
 * @internal
 */
export function setWarningSink(next: (message: string) => void): (message: string) => void {
  const previous = sink;
  sink = next;
  issued.clear();
  return previous;
}
