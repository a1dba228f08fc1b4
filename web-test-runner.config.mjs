// Browser tests: web-test-runner in Debian's Chromium with fake capture devices.
// Run through `node scripts/test.mjs browser`, which pre-bundles openvidu-browser first
// (scripts/prebundle-openvidu.mjs) and reads the counts this config's reporter writes.
// Notes (docs/contributing.md#browsers):
// - openvidu-browser is CommonJS; wtr serves native ESM, so the bare import is aliased to an esbuild
//   pre-bundle with named exports.
// - Chromium runs as root here: --no-sandbox is required, and an explicit launcher is needed for it.
// - Fake devices: `device-count=2` gives two fake cameras and two fake microphones, so that device
//   switching can be tested.
import { existsSync } from 'node:fs';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { countReporter } from './scripts/wtr-count-reporter.mjs';
import { chromiumFlags } from './scripts/chromium-flags.mjs';

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
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
        headless: true,
        args: CHROMIUM_FLAGS,
      },
    }),
  ],
  testFramework: { config: { timeout: 10_000, retries: 0 } },
  reporters: [defaultReporter(), countReporter()],
};
