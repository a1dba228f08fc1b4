#!/usr/bin/env node
// `npm run size`: prints the gzip size of each build; `--check` enforces the budgets (the test run
// does). A hand-written tool rather than size-limit: the CDN budget is "the entry plus every chunk it
// loads statically, before openvidu-browser is imported", which needs the import graph rollup wrote;
// size-limit sums listed files and v12+ needs Node 22. See docs/performance.md.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const args = process.argv.slice(2);
const check = args.includes('--check');
const jsonOut = args.find((a) => a.startsWith('--json='))?.slice('--json='.length);

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** The file plus every chunk it imports statically (not `import()`), transitively. */
function staticClosure(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // Minified rollup output: `import{a as b}from"./chunks/x.js"` or `import"./x.js"`; dynamic imports
    // are `import("./x.js")` and are skipped.
    for (const m of code.matchAll(
      /(?:^|[;\s}])(?:import|export)\s*(?:[\w${},*\s]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g,
    )) {
      visit(resolve(dirname(file), m[1]));
    }
  };
  visit(entry);
  return [...seen];
}

function chunksMatching(dir, re) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => re.test(f))
    .map((f) => join(dir, f));
}

const budgets = [
  {
    name: 'SDK (ESM, minified, without openvidu-browser)',
    files: () => staticClosure(join(dist, 'size/sdk/sdk.js')),
    // 16 → 16.5 KB: mute requests, the backend chosen from the token answer (with its preload) and
    // the waiting room's device check (measured 16.2 KB; queue, precheck and invites are lazy chunks).
    limit: 16.5 * 1024,
    required: true,
  },
  {
    // Loaded only when a token is for LiveKit; livekit-client itself (~135 KB gzip) is a chunk of
    // its own and not counted.
    name: 'LiveKit adapter chunk (without livekit-client)',
    files: () => [join(dist, 'size/sdk/livekit.js')],
    limit: 6 * 1024,
    required: true,
  },
  {
    name: 'CDN entry before openvidu-browser loads',
    files: () => staticClosure(join(dist, 'cdn/consult-kit.js')),
    // 47 → 50 KB: the English strings of charting mode, mute requests, the pre-call test and guest
    // invites (measured 49.6 KB; the elements' code beyond the room is in lazy chunks).
    limit: 50 * 1024,
    required: existsSync(join(root, 'components/index.ts')),
  },
  {
    name: 'IIFE, everything (openvidu-browser included)',
    files: () => [join(dist, 'cdn/consult-kit.iife.js')],
    // 116 → 128 KB: the IIFE inlines every chunk: <consult-precheck>, charting mode, the LiveKit
    // adapter and the queue client (measured 126.9 KB; livekit-client itself stays a separate file).
    limit: 128 * 1024,
    required: existsSync(join(root, 'components/index.ts')),
  },
];

let passed = 0;
let failed = 0;
const failures = [];
console.log('gzip -9 sizes');
for (const b of budgets) {
  let files;
  try {
    files = b.files();
    if (files.length === 0 || files.some((f) => !existsSync(f))) files = null;
  } catch {
    files = null;
  }
  if (!files) {
    if (b.required) {
      failed++;
      failures.push(`${b.name}: not built`);
      console.log(`  ✗ ${b.name}: not built`);
    } else console.log(`  – ${b.name}: not built yet`);
    continue;
  }
  const size = files.reduce((n, f) => n + gz(f), 0);
  const ok = size <= b.limit;
  console.log(
    `  ${ok ? '✓' : '✗'} ${b.name}: ${kb(size)} (budget ${kb(b.limit)}, ${files.length} file${files.length > 1 ? 's' : ''})`,
  );
  if (ok) passed++;
  else {
    failed++;
    failures.push(`${b.name}: ${kb(size)} > ${kb(b.limit)}`);
  }
}
const ov = chunksMatching(join(dist, 'cdn/chunks'), /\.js$/);
if (ov.length)
  console.log(
    `  · CDN lazy chunks: ${ov.map((f) => `${f.split('/').pop()} ${kb(gz(f))}`).join(', ')}`,
  );
if (jsonOut)
  writeFileSync(jsonOut, JSON.stringify({ passed, failed, skipped: 0, failures }) + '\n');
if (check && failed) process.exit(1);
