// Browser tests: web-test-runner in Debian's Chromium and Firefox ESR with fake capture devices.
// Run through `node scripts/test.mjs browser`, which pre-bundles openvidu-browser first
// (scripts/prebundle-openvidu.mjs) and reads the counts this config's reporter writes.
// WTR_BROWSERS=chromium (or firefox) runs one of the two.
// Notes (docs/contributing.md#browsers):
// - openvidu-browser is CommonJS; wtr serves native ESM, so the bare import is aliased to an esbuild
//   pre-bundle with named exports.
// - Chromium runs as root here: --no-sandbox is required, and an explicit launcher is needed for it.
// - Fake devices: `device-count=2` gives two fake cameras and two fake microphones, so that device
//   switching can be tested.
// - Firefox runs through @web/test-runner-chrome's launcher given puppeteer-core itself (WebDriver
//   BiDi), with the prefs of scripts/firefox-prefs.mjs; @web/test-runner-puppeteer would pull
//   `puppeteer`, whose install downloads a browser.
import { existsSync } from 'node:fs';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import * as puppeteer from 'puppeteer-core';
import { countReporter } from './scripts/wtr-count-reporter.mjs';
import { chromiumFlags } from './scripts/chromium-flags.mjs';
import { firefoxLaunchOptions } from './scripts/firefox-prefs.mjs';

const OPENVIDU_BUNDLE = '/vendor/openvidu-browser.esm.js';
if (!existsSync(new URL('.' + OPENVIDU_BUNDLE, import.meta.url))) {
  throw new Error(
    'vendor/openvidu-browser.esm.js is missing: run `node scripts/prebundle-openvidu.mjs`.',
  );
}

/** Resolves the bare `openvidu-browser` import to the ESM pre-bundle. */
const aliasOpenVidu = {
  name: 'alias-openvidu-browser',
  resolveImport({ source }) {
    if (source === 'openvidu-browser') return OPENVIDU_BUNDLE;
    return undefined;
  },
};

export const CHROMIUM_FLAGS = chromiumFlags({ cameras: 2 });

const BROWSERS = {
  chromium: () =>
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
        headless: true,
        args: CHROMIUM_FLAGS,
      },
    }),
  // Named "Firefox" in the output; tests tell the browsers apart by the user agent
  // (components/test-utils/browser.ts).
  firefox: () => chromeLauncher({ puppeteer, launchOptions: firefoxLaunchOptions() }),
};
const wanted = (process.env.WTR_BROWSERS || 'chromium,firefox').split(',').map((b) => b.trim());
for (const name of wanted) {
  if (!(name in BROWSERS)) {
    throw new Error(
      `WTR_BROWSERS: unknown browser "${name}" (${Object.keys(BROWSERS).join(', ')})`,
    );
  }
}

export default {
  // components/ may not exist yet; wtr only fails when no pattern matches anything at all.
  files: ['src/**/*.browser.test.ts', 'components/**/*.test.ts'],
  nodeResolve: { browser: true },
  concurrency: 1,
  concurrentBrowsers: 1,
  testsFinishTimeout: 120_000,
  plugins: [
    aliasOpenVidu,
    // esbuild's transform reads tsconfigRaw without following "extends": point it at the file that
    // holds experimentalDecorators/useDefineForClassFields, or Lit decorators fail ("Unsupported
    // decorator location: field").
    esbuildPlugin({ ts: true, tsconfig: './tsconfig.base.json', target: 'es2021' }),
  ],
  browsers: wanted.map((name) => BROWSERS[name]()),
  testFramework: { config: { timeout: 10_000, retries: 0 } },
  reporters: [defaultReporter(), countReporter()],
};
