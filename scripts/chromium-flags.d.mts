/** Chromium flags shared by tests and benchmarks; see chromium-flags.mjs. */
export declare function chromiumFlags(options?: { cameras?: number }): string[];
