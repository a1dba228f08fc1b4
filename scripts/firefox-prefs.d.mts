/** Firefox launch settings shared by tests; see firefox-prefs.mjs. */
import type { LaunchOptions } from 'puppeteer-core';
export declare function firefoxPrefs(): Record<string, unknown>;
export declare function firefoxPath(): string;
export declare function firefoxLaunchOptions(): LaunchOptions;
