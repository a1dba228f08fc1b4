#!/usr/bin/env node
// `npm test`: installs what the tests need when it is missing, then runs every tier and ends with one
// line `N passed, N failed`. Tiers: lint, typecheck, build + size budgets, node unit/integration tests,
// browser tests (web-test-runner, Debian's Chromium and Firefox ESR) and end-to-end tests
// (playwright-core for Chromium, puppeteer-core for Firefox).
// The token server's suites run twice: on PGlite (in `unit`) and on a throwaway PostgreSQL cluster
// (`unit (postgres)`, part of the `unit` tier; scripts/pg-cluster.mjs).
// `npm test -- unit browser` runs a subset.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { devNull } from 'node:os';
import { join, relative } from 'node:path';
import { startPgCluster } from './pg-cluster.mjs';
import { ensureSystemDeps } from './system-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
const results = join(root, '.test-results');
const ALL = ['lint', 'typecheck', 'build', 'unit', 'browser', 'e2e'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
for (const w of wanted) {
  if (!ALL.includes(w)) {
    console.error(`Unknown tier "${w}". Tiers: ${ALL.join(', ')}`);
    process.exit(2);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...opts.env },
  });
  return r.status === 0;
}
function check(name, ok) {
  if (ok) passed++;
  else {
    failed++;
    failures.push(name);
  }
}
function walk(dir, match, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p, match, out);
    else if (match(p)) out.push(relative(root, p));
  }
  return out.sort();
}
function addCounts(file, tier) {
  if (!existsSync(file)) {
    check(`${tier}: runner produced no result`, false);
    return;
  }
  const c = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').pop());
  passed += c.passed;
  failed += c.failed;
  skipped += c.skipped ?? 0;
  failures.push(...c.failures.map((f) => `${tier}: ${f}`));
}
function nodeTests(tier, files, extraEnv = {}) {
  if (files.length === 0) return;
  const out = join(results, `${tier.replace(/\W+/g, '-')}.json`);
  const ok = run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      // A handle a test forgets to close (an open PGlite database arms wasm itimers forever) would
      // keep its file's process alive after the tests finished and stall the whole run: exit when
      // they are done. Counts still arrive: count-reporter.mjs writes them synchronously.
      '--test-force-exit',
      // A test that hangs fails instead of holding the run until CI's limit.
      '--test-timeout=240000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(root, 'scripts/count-reporter.mjs')}`,
      `--test-reporter-destination=${devNull}`,
      ...files,
    ],
    { env: { ...extraEnv, COUNT_RESULTS: out } },
  );
  addCounts(out, tier);
  if (!ok && failed === 0) check(`${tier}: runner exited with an error`, false);
}

/** The token-server suites again on PostgreSQL: one cluster for the run, a database per stack. */
async function postgresTests(files) {
  console.log('\n── unit and integration tests (node, token server on PostgreSQL)');
  let cluster;
  try {
    cluster = await startPgCluster();
  } catch (e) {
    // Like a missing Chromium: the run fails with what to install, nothing is skipped.
    const reason = e instanceof Error ? e.message : String(e);
    console.error(`unit (postgres): cannot start PostgreSQL: ${reason}`);
    check('unit (postgres): PostgreSQL cluster', false);
    return;
  }
  const started = Date.now();
  try {
    nodeTests('unit (postgres)', files, {
      TOKEN_SERVER_DB: 'postgres',
      TOKEN_SERVER_PG_URL: cluster.url,
    });
  } finally {
    cluster.stop();
  }
  console.log(`unit (postgres): ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const needsBrowser = wanted.some((w) => w === 'browser' || w === 'e2e');
const needsMedia = wanted.includes('unit') || wanted.includes('e2e');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
// PostgreSQL is installed (apt) when running as root; otherwise a missing one fails the
// `unit (postgres)` run with what to install (the PGlite run and the other tiers still run).
const deps = ensureSystemDeps({
  chromium: needsBrowser,
  firefox: needsBrowser,
  ffmpeg: needsMedia,
  postgresql: (wanted.includes('unit') || wanted.includes('e2e')) && isRoot,
});
if (!deps.ok) {
  console.error(deps.message);
  check('system dependencies', false);
} else {
  if (wanted.includes('lint')) {
    console.log('\n── lint');
    check('lint: eslint', run('npx', ['eslint', '.']));
    check('lint: prettier', run('npx', ['prettier', '--check', '.', '--log-level', 'warn']));
  }
  if (wanted.includes('typecheck')) {
    console.log('\n── typecheck');
    check('typecheck: browser', run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']));
    check('typecheck: node', run('npx', ['tsc', '-p', 'tsconfig.server.json', '--noEmit']));
  }
  if (wanted.includes('build')) {
    console.log('\n── build and size budgets');
    const built = run('npm', ['run', '--silent', 'build']);
    check('build: rollup', built);
    if (built) {
      const out = join(results, 'size.json');
      run(process.execPath, ['scripts/size.mjs', '--check', `--json=${out}`]);
      addCounts(out, 'size');
    }
  }
  if (wanted.includes('unit')) {
    console.log('\n── unit and integration tests (node)');
    const files = [
      ...walk(join(root, 'src'), (p) => p.endsWith('.test.ts') && !p.endsWith('.browser.test.ts')),
      ...walk(join(root, 'server'), (p) => p.endsWith('.test.ts')),
      ...walk(join(root, 'test/node'), (p) => p.endsWith('.test.ts') || p.endsWith('.test.mjs')),
    ];
    nodeTests('unit', files);
    await postgresTests(walk(join(root, 'server/token-server'), (p) => p.endsWith('.test.ts')));
  }
  if (wanted.includes('browser')) {
    console.log('\n── browser tests (web-test-runner, Chromium and Firefox)');
    run(process.execPath, ['scripts/prebundle-openvidu.mjs']);
    const out = join(results, 'browser.json');
    const started = Date.now();
    // One run, both browsers one after the other (concurrentBrowsers: 1); every test counts once
    // per browser.
    const ok = run(
      'npx',
      ['web-test-runner', '--config', 'web-test-runner.config.mjs', '--static-logging'],
      {
        env: {
          WTR_RESULTS: out,
          WTR_BROWSERS: 'chromium,firefox',
          CHROME_PATH: deps.chromium,
          FIREFOX_PATH: deps.firefox,
        },
      },
    );
    addCounts(out, 'browser');
    if (!ok && !existsSync(out)) check('browser: runner exited with an error', false);
    console.log(`browser: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  if (wanted.includes('e2e')) {
    console.log('\n── end-to-end tests (real browsers, real servers)');
    const files = walk(join(root, 'test/e2e'), (p) => p.endsWith('.e2e.test.ts'));
    nodeTests('e2e', files, { CHROME_PATH: deps.chromium, FIREFOX_PATH: deps.firefox });
  }
}

if (failures.length) {
  console.log('\nFailures:');
  for (const f of failures) console.log(`  ✗ ${f}`);
}
console.log('');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
