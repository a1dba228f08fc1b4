// End to end: the package as an integrator gets it. A copy of the working tree without ignored
// files (what a clean checkout has: no dist/) is packed with `npm pack`, which has to build dist/
// itself (`prepack`); the tarball is installed into a fresh project from the npm cache, first alone
// and then with the optional peers of the Node side, and then:
//  - the SDK imports in Node without a DOM, and its type declarations compile in a strict project;
//  - `npx consult-kit --help` prints the usage, and a server command names a missing peer;
//  - with the peers, `consult-kit/server` exports the servers and `npx consult-kit demo` serves the
//    installed dist/cdn; in Chromium the doctor's `<consult-room>` renders and joins the call.
// Both installs must print no npm warning (no EBADENGINE, no unreviewed install scripts).
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchBrowser, waitUntil } from './support/browser.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const WAIT_MS = 30_000;

interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a child npm: without the `npm_*` variables an outer `npm test` sets (its
 * lifecycle and package fields would leak into the inner commands), keeping where the cache and
 * the user config are.
 */
function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_') || keep.has(key.toLowerCase())) env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false' };
}

/** Runs a command to its end (bounded by `timeoutMs`); never throws on a non-zero exit. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Output> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${cmd} ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

async function runOk(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Output> {
  const out = await run(cmd, args, cwd, timeoutMs);
  assert.equal(out.code, 0, `${cmd} ${args.join(' ')} failed:\n${out.stdout}\n${out.stderr}`);
  return out;
}

/** npm's warning lines, minus those about the machine's own npm config (not the package's doing). */
function npmWarnings(output: Output): string[] {
  return (output.stdout + output.stderr)
    .split('\n')
    .filter((l) => /^npm warn/i.test(l) && !/Unknown (user|env|project|builtin) config/.test(l));
}

/** Installs into the app from the npm cache: `--prefer-offline` reaches the registry only for a miss. */
function npmInstall(app: string, specs: string[]): Promise<Output> {
  return runOk(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs],
    app,
    180_000,
  );
}

/** Runs an ES-module snippet with Node in the app and parses the JSON it prints. */
async function nodeEval<T>(app: string, code: string): Promise<T> {
  const out = await runOk(process.execPath, ['--input-type=module', '-e', code], app, 60_000);
  return JSON.parse(out.stdout) as T;
}

/** Copies the files git would commit (tracked and untracked-not-ignored) that exist on disk. */
async function copyWorkingTree(to: string): Promise<void> {
  const listed = await runOk(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    root,
    30_000,
  );
  for (const file of listed.stdout.split('\0')) {
    if (!file || !existsSync(join(root, file))) continue; // deleted in the working tree
    if (file === 'node_modules' || file.startsWith('node_modules/')) continue; // e.g. a symlink
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(root, file), join(to, file));
  }
  // The build needs the toolchain; the copy borrows the repository's instead of installing it.
  symlinkSync(join(root, 'node_modules'), join(to, 'node_modules'), 'dir');
}

/**
 * The live (not zombie) processes of a process group, as `pid state command`, read from /proc.
 * A zombie still answers `kill(-pgid, 0)`, and in a container whose init does not reap orphans a
 * process npx left behind stays a zombie after it exited; it must not count as running.
 */
function liveGroupMembers(pgid: number): string[] {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-pgid, 0);
      return [`group ${pgid}`];
    } catch {
      return [];
    }
  }
  const members: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const [state, , pgrp] = stat.slice(close + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') {
      members.push(`${entry} ${state} ${stat.slice(stat.indexOf('(') + 1, close)}`);
    }
  }
  return members;
}

/**
 * Stops `npx consult-kit demo` and the Node process npx started for it: the demo runs in its own
 * process group (spawned detached), so one signal reaches both. Waits until no live process of the
 * group is left; names the ones that did not stop.
 */
async function stopDemo(): Promise<void> {
  const pid = demo?.pid;
  if (!demo || pid === undefined) return;
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name);
    } catch {
      // the group is gone
    }
  };
  if (liveGroupMembers(pid).length > 0) signal('SIGTERM');
  await waitUntil('the demo to stop', () => liveGroupMembers(pid).length === 0, WAIT_MS).catch(
    (e: unknown) => {
      const left = liveGroupMembers(pid);
      signal('SIGKILL');
      throw new Error(`the demo did not stop on SIGTERM: ${left.join('; ')}`, { cause: e });
    },
  );
}

interface PackedFile {
  path: string;
}

let work: string;
let app: string;
let tarball: string;
let packedFiles: string[];
let demo: ChildProcess | undefined;
let demoOutput = '';
let browser: Browser | undefined;

describe('the packed package, installed into a fresh project', () => {
  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'ck-package-'));
      const tree = join(work, 'tree');
      let started = performance.now();
      await copyWorkingTree(tree);
      assert.ok(!existsSync(join(tree, 'dist')), 'the copy starts without dist/');
      const packed = await runOk(
        'npm',
        ['pack', '--json', '--pack-destination', work],
        tree,
        600_000,
      );
      // npm prints the lifecycle output (the build) before the JSON.
      const json = packed.stdout.slice(packed.stdout.indexOf('[\n'));
      const [info] = JSON.parse(json) as Array<{ filename: string; files: PackedFile[] }>;
      assert.ok(info, 'npm pack printed no result');
      tarball = join(work, info.filename);
      packedFiles = info.files.map((f) => f.path);
      console.log(`# npm pack (prepack build): ${Math.round(performance.now() - started)} ms`);

      app = join(work, 'app');
      mkdirSync(app);
      await writeFile(
        join(app, 'package.json'),
        JSON.stringify({ name: 'integrator-app', private: true, type: 'module' }, null, 2),
      );
      started = performance.now();
      const installed = await npmInstall(app, [tarball]);
      console.log(`# npm install <tarball>: ${Math.round(performance.now() - started)} ms`);
      assert.deepEqual(npmWarnings(installed), [], 'installing the package printed warnings');
    },
    { timeout: 900_000 },
  );

  after(async () => {
    await browser?.close();
    await stopDemo();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the tarball holds the builds, the CLI, the guides and the example, but no size probes', () => {
    const has = (p: string) => packedFiles.includes(p);
    for (const file of [
      'dist/index.js',
      'dist/types/src/index.d.ts',
      'dist/components/index.js',
      'dist/testing/index.js',
      'dist/server/index.js',
      'dist/server/cli.js',
      'dist/cdn/consult-kit.js',
      'dist/cdn/consult-kit.iife.js',
      'dist/themes/default.css',
      'bin/consult-kit.mjs',
      'custom-elements.json',
      'examples/script-tag/index.html',
      'README.md',
      'CHANGELOG.md',
    ]) {
      assert.ok(has(file), `${file} is not in the tarball`);
    }
    assert.ok(
      packedFiles.some((p) => p.startsWith('dist/cdn/i18n/')),
      'dist/cdn/i18n/ is not in the tarball',
    );
    const guides = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
    assert.deepEqual(
      guides.filter((g) => !has(`docs/${g}`)),
      [],
      'guides missing from the tarball',
    );
    assert.deepEqual(
      packedFiles.filter((p) => p.startsWith('dist/size/')),
      [],
      'dist/size/ (size-budget probes) is in the tarball',
    );
    for (const dir of ['src/', 'server/', 'components/', 'test/', 'node_modules/']) {
      assert.ok(!packedFiles.some((p) => p.startsWith(dir)), `${dir} is in the tarball`);
    }
  });

  it('every relative link in the installed README and guides resolves inside the package', () => {
    const installed = join(app, 'node_modules', pkg.name);
    const files = [
      join(installed, 'README.md'),
      ...readdirSync(join(installed, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(installed, 'docs', f)),
    ];
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
        .replace(/^(```|~~~)[\s\S]*?^\1\s*$/gm, '')
        .replace(/`[^`\n]*`/g, '');
      for (const [, target] of text.matchAll(/\]\(\s*<?([^)\s>#]+)[^)]*\)/g)) {
        if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        if (!existsSync(join(dirname(file), decodeURIComponent(target)))) {
          broken.push(`${file.slice(installed.length + 1)} → ${target}`);
        }
      }
    }
    assert.deepEqual(broken, [], 'links that point outside the installed package');
  });

  it('the SDK imports in Node without a DOM and exports its entry points', async () => {
    const result = await nodeEval<{ dom: boolean; sdk: string[]; testing: string[] }>(
      app,
      `const sdk = await import('consult-kit');
       const testing = await import('consult-kit/testing');
       const dom = typeof globalThis.window !== 'undefined' || typeof globalThis.document !== 'undefined';
       const kinds = (m) => Object.entries(m).map(([k, v]) => k + ':' + typeof v).sort();
       console.log(JSON.stringify({ dom, sdk: kinds(sdk), testing: kinds(testing) }));`,
    );
    assert.equal(result.dom, false, 'importing the SDK created a window or document');
    for (const name of [
      'createConsultClient:function',
      'ConsultSession:function',
      'ConsultError:function',
      'LocalMedia:function',
      'transition:function',
      'MAX_CHAT_MESSAGE_LENGTH:number',
    ]) {
      assert.ok(result.sdk.includes(name), `consult-kit does not export ${name}`);
    }
    assert.ok(result.testing.includes('FakeSession:function'), 'consult-kit/testing: FakeSession');
  });

  it("the SDK's and the elements' type declarations compile in a strict TypeScript project", async () => {
    await writeFile(
      join(app, 'check.ts'),
      [
        "import { createConsultClient, ConsultError, type AuthProvider, type SessionState } from 'consult-kit';",
        "import type { ConsultRoom } from 'consult-kit/components';",
        "const auth: AuthProvider = async () => 'portal-access-token';",
        "export const client = createConsultClient({ tokenUrl: '/api', auth });",
        'export const show = (s: SessionState): string => s.connection;',
        'export const isConsultError = (e: unknown): boolean => e instanceof ConsultError;',
        'export type Room = ConsultRoom;',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2022', 'dom', 'dom.iterable'],
          types: [],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const out = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], app, 120_000);
    assert.equal(out.code, 0, `tsc failed:\n${out.stdout}\n${out.stderr}`);
  });

  it('npx consult-kit --help prints the usage; without the peers a server command names the missing one', async () => {
    const help = await runOk('npx', ['--no-install', 'consult-kit', '--help'], app, 60_000);
    assert.match(help.stdout, /^Usage: consult-kit <command>/m);
    assert.match(help.stdout, /token-server/);
    const missing = await run(
      'npx',
      ['--no-install', 'consult-kit', 'token-server', '--help'],
      app,
      60_000,
    );
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /consult-kit: \S+ is not installed/);
    assert.match(missing.stderr, /npm install hono @hono\/node-server/);
  });

  it('with the optional peers installed (quietly), consult-kit/server exports both servers', async () => {
    // The versions the repository tests with (its devDependencies), inside the peer ranges.
    const peers = Object.keys(pkg.peerDependencies).map((name) => {
      const version = pkg.devDependencies[name];
      assert.ok(version, `peer ${name} has no devDependency to test with`);
      return `${name}@${version}`;
    });
    const started = performance.now();
    const installed = await npmInstall(app, peers);
    console.log(`# npm install <peers>: ${Math.round(performance.now() - started)} ms`);
    assert.deepEqual(npmWarnings(installed), [], 'installing the peers printed warnings');
    const server = await nodeEval<Record<string, string>>(
      app,
      `const m = await import('consult-kit/server');
       console.log(JSON.stringify({ dev: typeof m.startDevMediaServer, token: typeof m.startTokenServer, create: typeof m.createTokenServer }));`,
    );
    assert.deepEqual(server, { dev: 'function', token: 'function', create: 'function' });
  });

  // The doctor's page is the script-tag portal: the IIFE, which loads the OpenVidu adapter from
  // itself and livekit-client from the `livekit-client.js` beside it.
  for (const backend of ['openvidu', 'livekit'] as const)
    it(`npx consult-kit demo --backend ${backend} serves the installed dist/cdn; the doctor's <consult-room> renders and joins`, async () => {
      await stopDemo();
      demoOutput = '';
      demo = spawn(
        'npx',
        [
          '--no-install',
          'consult-kit',
          'demo',
          '--backend',
          backend,
          '--port',
          '0',
          '--media-port',
          '0',
        ],
        {
          cwd: app,
          env: childEnv(),
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true, // its own process group, so stopDemo() also reaches the node npx starts
        },
      );
      demo.stdout?.on('data', (d: Buffer) => (demoOutput += d.toString()));
      demo.stderr?.on('data', (d: Buffer) => (demoOutput += d.toString()));
      const doctorUrl = await waitUntil(
        'the demo to print the doctor link',
        () => {
          assert.equal(demo?.exitCode, null, `the demo exited:\n${demoOutput}`);
          return /Doctor:\s+(http:\/\/\S+)/.exec(demoOutput)?.[1];
        },
        WAIT_MS * 2,
      );
      assert.match(demoOutput, /script-tag build from dist\/cdn/, 'the demo did not use dist/cdn');

      browser ??= await launchBrowser();
      const page = await browser.newPage();
      const errors: string[] = [];
      const scripts: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        // livekit-client asks for /rtc/v1 first and falls back to /rtc (what the dev server speaks).
        const rtcV1 = /\/rtc\/v1\b/.test(`${m.text()} ${m.location().url ?? ''}`);
        if (m.type() === 'error' && !(backend === 'livekit' && rtcV1)) errors.push(m.text());
      });
      page.on('request', (r) => {
        if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
      });
      await page.goto(doctorUrl);
      const defined = await page.evaluate(async () => {
        await customElements.whenDefined('consult-room');
        return ['consult-room', 'consult-chat'].map((n) => customElements.get(n) !== undefined);
      });
      assert.deepEqual(defined, [true, true]);
      await page
        .getByRole('button', { name: 'Join', exact: true })
        .click({ timeout: WAIT_MS })
        .catch((e: unknown) => {
          throw new Error(`no Join button: ${String(e)}\n${errors.join('\n')}`);
        });
      // Connected through the installed build and the installed dev media server.
      await page
        .locator('[part~="leave-button"]')
        .waitFor({ timeout: WAIT_MS })
        .catch((e: unknown) => {
          throw new Error(`the doctor did not join: ${String(e)}\n${errors.join('\n')}`);
        });
      assert.deepEqual(errors, []);
      assert.ok(
        scripts.some((s) => s.endsWith('/consult-kit.iife.js')),
        scripts.join(),
      );
      assert.equal(
        scripts.some((s) => s.endsWith('/livekit-client.js')),
        backend === 'livekit',
        scripts.join(),
      );
      await page.close();
    });
});
