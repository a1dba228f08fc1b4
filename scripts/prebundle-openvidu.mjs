#!/usr/bin/env node
// Pre-bundles openvidu-browser (CommonJS only) into one ESM file with named exports, so that
// web-test-runner, which serves native ES modules, can import it. The browser-test config aliases the
// bare `openvidu-browser` import to the output. Rollup builds do not need this (they run commonjs()).
// Usage: node scripts/prebundle-openvidu.mjs  → vendor/openvidu-browser.esm.js (git-ignored)
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const outfile = join(root, 'vendor/openvidu-browser.esm.js');
const require = createRequire(join(root, 'package.json'));
const entry = require.resolve('openvidu-browser');

// The runtime exports are the `Object.defineProperty(exports, "Name", …)` lines of lib/index.js; the
// type-only names of lib/index.d.ts (interfaces) do not exist at runtime and must not be re-exported.
const names = [
  ...readFileSync(entry, 'utf8').matchAll(/defineProperty\(exports, "([A-Za-z_$][\w$]*)"/g),
]
  .map((m) => m[1])
  .filter((n) => n !== '__esModule');
if (!names.includes('OpenVidu')) {
  console.error(`prebundle-openvidu: found no OpenVidu export in ${entry}`);
  process.exit(1);
}

const started = Date.now();
mkdirSync(dirname(outfile), { recursive: true });
await build({
  stdin: {
    contents: `export { ${names.join(', ')} } from 'openvidu-browser';\n`,
    resolveDir: root,
    sourcefile: 'openvidu-entry.js',
  },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2021',
  outfile,
  logLevel: 'warning',
  legalComments: 'none',
});
const kb = (statSync(outfile).size / 1024).toFixed(0);
console.log(
  `prebundle-openvidu: ${names.length} exports → vendor/openvidu-browser.esm.js (${kb} KB, ${Date.now() - started} ms)`,
);
