/**
 * `npm start` / `npx consult-kit demo`: the whole chain in one process.
 *
 * - the embedded OpenVidu-2-compatible dev media server (port 4443), unless `OPENVIDU_URL` and
 *   `OPENVIDU_SECRET` point at a real deployment;
 * - the reference token server in demo mode (port 3000), receiving the media server's webhooks
 *   with a shared secret;
 * - the example patient portal (`examples/script-tag/`) on the token server's origin, with the
 *   script-tag build of the elements under `/cdn/` and a strict Content-Security-Policy.
 *
 * In the repository the CDN build is bundled in memory with esbuild at start (about 1 s; the rollup
 * build takes 10–80 s and wipes `dist/`); an installed package serves its `dist/cdn`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import type { Plugin } from 'esbuild';
import type { DevMediaServer } from './dev-media-server/index.js';
import { startDevMediaServer } from './dev-media-server/index.js';
import { MEDIA_LOG_FIELDS, silentLogger } from './dev-media-server/logger.js';
import type { DemoUser, TokenServer } from './token-server/index.js';
import { DEMO_USERS, createJsonLogger, createTokenServer } from './token-server/index.js';
import type { Logger, LogLevel } from './token-server/logger.js';
import { type CliIo, cliOutput, untilStopped } from './shared/cli-io.js';
import { errorMessage } from './shared/errors.js';

/** The demo's users: the token server's two, plus a second patient to try "Deny" with. */
export const DEMO_PORTAL_USERS: readonly DemoUser[] = [
  ...DEMO_USERS,
  {
    username: 'patient2',
    password: 'patient2123',
    id: 'patient2',
    displayName: 'Sam Demo',
    role: 'patient',
  },
];

export interface StartDemoOptions {
  /** Port of the portal and token server (default 3000; 0 picks a free one). */
  port?: number;
  /** Port of the embedded media server (default 4443; 0 picks a free one). */
  mediaPort?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** A real OpenVidu deployment instead of the embedded server (needs `openviduSecret`). */
  openviduUrl?: string;
  openviduSecret?: string;
  /** Shared secret of the webhook receiver (default: random per process). */
  webhookSecret?: string;
  /** Where the embedded server writes recordings (default: a temporary folder removed on close). */
  recordingsDir?: string;
  /** Log level of both servers (default `warn`); JSON lines on stderr. */
  logLevel?: LogLevel;
  /** Log sink (default stderr). */
  log?: (line: string) => void;
  /** Options passed through to the embedded media server (tests: shorter timeouts). */
  media?: { reconnectWindowMs?: number; socketCloseDelayMs?: number };
}

export interface DemoUrls {
  /** The portal (sign-in form). */
  portal: string;
  /** Signs in as the demo doctor. */
  doctor: string;
  /** Signs in as the demo patient. */
  patient: string;
  /** Signs in as a second patient (to try "Deny"). */
  patient2: string;
  /** The portal page on the ES-module build. */
  modulePortal: string;
}

export interface RunningDemo {
  /** Origin of the portal and the token server, e.g. `http://localhost:3000`. */
  url: string;
  urls: DemoUrls;
  port: number;
  /** The media server browsers connect to. */
  mediaUrl: string;
  /** True when the embedded dev media server runs (no `OPENVIDU_URL`). */
  embeddedMedia: boolean;
  /** How the portal's CDN build was obtained. */
  assets: 'bundled' | 'dist';
  /** Milliseconds spent bundling the CDN build (0 when served from `dist/cdn`). */
  bundleMs: number;
  tokenServer: TokenServer;
  mediaServer: DevMediaServer | undefined;
  close(): Promise<void>;
}

/** A port that is taken; `flag`/`env` say how to choose another. */
export class DemoPortInUseError extends Error {
  override readonly name = 'DemoPortInUseError';
  constructor(
    readonly port: number,
    readonly what: string,
    readonly flag: string,
    readonly env: string,
  ) {
    super(`Port ${port} (${what}) is already in use.`);
  }
}

// ───────────────────────────── static files ─────────────────────────────

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function typeOf(path: string): string {
  return TYPES[extname(path)] ?? 'application/octet-stream';
}

/** The package root: the folder above this file holding consult-kit's package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'consult-kit')
          return dir;
      } catch {
        // not ours
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('consult-kit: cannot find the package root');
    dir = up;
  }
}

const LANGUAGES = ['es', 'fr', 'de', 'pt-BR', 'ar'];

/**
 * Bundles `components/cdn.ts` like rollup's CDN and IIFE builds (same defines, same mime shim,
 * languages at `i18n/<lang>.js`), in memory. Keys are paths below `/cdn/`.
 */
async function bundleCdn(root: string): Promise<Map<string, Asset>> {
  const { build } = await import('esbuild');
  // With code splitting, esbuild gives a dynamic import() of a CommonJS module (openvidu-browser)
  // only a `default` export, so the SDK's `const { OpenVidu } = await import('openvidu-browser')`
  // finds no constructor. An ES-module facade with the named export keeps the split chunk
  // (rollup's commonjs() plugin does the same for the dist build).
  const openViduFacade: Plugin = {
    name: 'openvidu-esm-facade',
    setup(b) {
      b.onResolve({ filter: /^openvidu-browser$/ }, (args) =>
        args.namespace === 'openvidu-facade'
          ? undefined
          : { path: 'openvidu-browser', namespace: 'openvidu-facade' },
      );
      b.onLoad({ filter: /.*/, namespace: 'openvidu-facade' }, () => ({
        contents: "export { OpenVidu } from 'openvidu-browser';",
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
  const common = {
    plugins: [openViduFacade],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'browser' as const,
    target: 'es2021',
    minify: true,
    sourcemap: 'linked' as const,
    tsconfig: join(root, 'tsconfig.json'),
    alias: { mime: join(root, 'build/shims/mime.js') },
    logLevel: 'error' as const,
  };
  const outdir = join(root, '.demo-cdn');
  const [esm, iife] = await Promise.all([
    build({
      ...common,
      format: 'esm',
      splitting: true,
      outdir,
      entryPoints: {
        'consult-kit': join(root, 'components/cdn.ts'),
        ...Object.fromEntries(
          LANGUAGES.map((l) => [`i18n/${l}`, join(root, `components/i18n/${l}.ts`)]),
        ),
      },
      chunkNames: 'chunks/[name]-[hash]',
      define: { __DEV__: 'false' },
    }),
    build({
      ...common,
      format: 'iife',
      globalName: 'ConsultKit',
      outfile: join(outdir, 'consult-kit.iife.js'),
      entryPoints: [join(root, 'components/cdn.ts')],
      define: { __DEV__: 'false', __CONSULT_BUNDLED_LANGUAGES__: 'false' },
    }),
  ]);
  const files = new Map<string, Asset>();
  for (const f of [...(esm.outputFiles ?? []), ...(iife.outputFiles ?? [])]) {
    const rel = f.path
      .slice(outdir.length + 1)
      .split(sep)
      .join('/');
    files.set(rel, { body: new Uint8Array(f.contents), type: typeOf(rel) });
  }
  return files;
}

/** Reads a file below `dir`, refusing anything that escapes it. */
async function readBelow(dir: string, rel: string): Promise<Asset | undefined> {
  const path = normalize(join(dir, rel));
  if (!path.startsWith(dir + sep)) return undefined;
  try {
    return { body: new Uint8Array(await readFile(path)), type: typeOf(path) };
  } catch {
    return undefined;
  }
}

interface Assets {
  kind: 'bundled' | 'dist';
  bundleMs: number;
  /** `rel` is below `/cdn/`, without the leading slash. */
  cdn(rel: string): Promise<Asset | undefined>;
  /** Files of examples/script-tag. */
  page(rel: string): Promise<Asset | undefined>;
}

async function loadAssets(): Promise<Assets> {
  const root = packageRoot();
  const example = join(root, 'examples/script-tag');
  if (!existsSync(join(example, 'index.html')))
    throw new Error(`consult-kit: the example portal is missing (${example})`);
  const page = (rel: string) => readBelow(example, rel);
  if (existsSync(join(root, 'components/cdn.ts'))) {
    const started = performance.now();
    try {
      const files = await bundleCdn(root);
      return {
        kind: 'bundled',
        bundleMs: Math.round(performance.now() - started),
        cdn: (rel) => Promise.resolve(files.get(rel)),
        page,
      };
    } catch (e) {
      // esbuild is a devDependency: without it, fall back to a built dist/cdn.
      if ((e as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  const dist = join(root, 'dist/cdn');
  if (!existsSync(join(dist, 'consult-kit.iife.js')))
    throw new Error('consult-kit: no CDN build found; run "npm run build" first');
  return { kind: 'dist', bundleMs: 0, cdn: (rel) => readBelow(dist, rel), page };
}

// ───────────────────────────── the portal's HTTP layer ─────────────────────────────

/** `http://h:p` or `https://h:p` → the origins a page needs in `connect-src` for OpenVidu. */
function mediaOrigins(mediaUrl: string): string[] {
  const u = new URL(mediaUrl);
  const ws = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return [`${ws}//${u.host}`, `${u.protocol}//${u.host}`];
}

/** The portal pages' policy: nothing inline, nothing evaluated, media only from the call. */
export function portalCsp(mediaUrl: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${mediaOrigins(mediaUrl).join(' ')}`,
    "media-src 'self' blob: mediastream:",
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const PAGES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/module.html': 'module.html',
  '/portal.js': 'portal.js',
  '/portal.css': 'portal.css',
};

function staticResponse(asset: Asset, csp: string, method: string): Response {
  return new Response(method === 'HEAD' ? null : asset.body, {
    headers: {
      'Content-Type': asset.type,
      'Content-Length': String(asset.body.byteLength),
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Permissions-Policy': 'camera=(self), microphone=(self), display-capture=(self)',
    },
  });
}

async function serveStatic(
  request: Request,
  assets: Assets,
  csp: string,
): Promise<Response | undefined> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
  const { pathname } = new URL(request.url);
  let asset: Asset | undefined;
  const page = PAGES[pathname];
  if (page) asset = await assets.page(page);
  else if (pathname.startsWith('/cdn/')) {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname.slice('/cdn/'.length));
    } catch {
      return undefined;
    }
    if (rel.split('/').some((s) => s === '..' || s === '')) return undefined;
    asset = await assets.cdn(rel);
    if (!asset) return new Response('Not found', { status: 404 });
  }
  return asset ? staticResponse(asset, csp, request.method) : undefined;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen((server.address() as AddressInfo).port);
    });
  });
}

function isAddrInUse(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'EADDRINUSE';
}

/** Starts the portal + token server and (unless a real OpenVidu is configured) the media server. */
export async function startDemo(options: StartDemoOptions = {}): Promise<RunningDemo> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 3000;
  const mediaPort = options.mediaPort ?? 4443;
  const level = options.logLevel ?? 'warn';
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const external =
    options.openviduUrl !== undefined
      ? { url: options.openviduUrl, secret: options.openviduSecret }
      : undefined;
  if (external && !external.secret)
    throw new Error('OPENVIDU_SECRET is required with OPENVIDU_URL');
  const webhookSecret = options.webhookSecret ?? randomBytes(24).toString('base64url');

  const assets = await loadAssets();

  // The portal listens first so its port is known before the media server needs the webhook URL;
  // requests are answered once everything is up.
  let handler: ((request: Request, env: HttpBindings) => Promise<Response>) | undefined;
  const http = createServer(
    getRequestListener(async (request, env) =>
      handler
        ? handler(request, env as HttpBindings)
        : new Response('Starting…', { status: 503, headers: { 'Retry-After': '1' } }),
    ),
  );
  let boundPort: number;
  try {
    boundPort = await listen(http, port, host);
  } catch (e) {
    if (isAddrInUse(e))
      throw new DemoPortInUseError(port, 'portal and token server', '--port', 'PORT');
    throw e;
  }
  const urlHost = host === '127.0.0.1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const url = `http://${urlHost}:${boundPort}`;

  let mediaServer: DevMediaServer | undefined;
  let tokenServer: TokenServer | undefined;
  let tmp: string | undefined;
  const quietly = (p: Promise<unknown> | undefined): Promise<unknown> =>
    p ? p.catch(() => undefined) : Promise.resolve();
  const closeAll = async (): Promise<void> => {
    // The media server first: its last webhooks (participants left, session destroyed) still
    // reach the token server. Every step runs even when one fails.
    await quietly(mediaServer?.close());
    await quietly(tokenServer?.close());
    await new Promise<void>((done) => {
      http.close(() => done());
      http.closeAllConnections();
    });
    if (tmp) await quietly(rm(tmp, { recursive: true, force: true }));
  };

  try {
    let mediaUrl: string;
    let mediaSecret: string;
    if (external) {
      mediaUrl = external.url.replace(/\/+$/, '');
      mediaSecret = external.secret ?? '';
    } else {
      let recordingsDir = options.recordingsDir;
      if (recordingsDir === undefined) {
        tmp = await mkdtemp(join(tmpdir(), 'consult-kit-demo-'));
        recordingsDir = tmp;
      }
      try {
        mediaServer = await startDevMediaServer({
          port: mediaPort,
          host,
          secret: randomBytes(18).toString('base64url'),
          recordingsDir: resolve(recordingsDir),
          webhook: {
            url: `http://127.0.0.1:${boundPort}/api/openvidu/webhook`,
            headers: { Authorization: `Bearer ${webhookSecret}` },
            retryBaseMs: 200,
          },
          logger:
            level === 'silent' ? silentLogger : createJsonLogger(level, log, MEDIA_LOG_FIELDS),
          ...(options.media ? { timeouts: options.media } : {}),
        });
      } catch (e) {
        if (isAddrInUse(e))
          throw new DemoPortInUseError(mediaPort, 'media server', '--media-port', 'MEDIA_PORT');
        throw e;
      }
      mediaUrl = mediaServer.url;
      mediaSecret = mediaServer.secret;
    }

    const logger: Logger = createJsonLogger(level, log);
    const ts = createTokenServer({
      openviduUrl: mediaUrl,
      openviduSecret: mediaSecret,
      demo: { users: DEMO_PORTAL_USERS },
      // The demo's binding of users to consults: each demo user may act in every consult (the
      // portal's links pick one). A real portal binds its users (docs/auth.md).
      authorize: (user) => DEMO_PORTAL_USERS.some((u) => u.id === user.id),
      webhook: { secret: webhookSecret },
      logger,
      env: {},
    });
    tokenServer = ts;
    await ts.ready();

    const csp = portalCsp(mediaUrl);
    handler = async (request, env) =>
      (await serveStatic(request, assets, csp)) ?? ts.fetch(request, env);

    const at = (query: string) => `${url}/${query}`;
    let closing: Promise<void> | undefined;
    return {
      url,
      port: boundPort,
      urls: {
        portal: at(''),
        doctor: at('?as=doctor'),
        patient: at('?as=patient'),
        patient2: at('?as=patient2'),
        modulePortal: at('module.html'),
      },
      mediaUrl,
      embeddedMedia: mediaServer !== undefined,
      assets: assets.kind,
      bundleMs: assets.bundleMs,
      tokenServer: ts,
      mediaServer,
      close: () => (closing ??= closeAll()),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

// ───────────────────────────── command line ─────────────────────────────

const HELP = `Usage: consult-kit demo [options]     (npm start -- [options])

Starts, in one process, the embedded OpenVidu-compatible media server, the token server in demo
mode and an example patient portal, then prints a link for the doctor and one for the patient.

  --port <n>            Portal and token server port (env PORT, default 3000)
  --media-port <n>      Embedded media server port (env MEDIA_PORT, default 4443)
  --host <addr>         Interface to bind (env HOST, default 127.0.0.1)
  --recordings-dir <d>  Keep recordings there (default: a temporary folder, removed on exit)
  --log-level <level>   debug | info | warn | error | silent (env LOG_LEVEL, default warn)
  -h, --help            This text

With OPENVIDU_URL and OPENVIDU_SECRET set, the token server uses that OpenVidu deployment instead
of the embedded media server (point its webhook at <portal>/api/openvidu/webhook with the header
"Authorization: Bearer <OPENVIDU_WEBHOOK_SECRET>").
`;

/** I/O of `consult-kit demo` (the shared {@link CliIo}). */
export type DemoCliIo = CliIo;

function parsePort(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number`);
  return n;
}

const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Runs the demo until SIGINT/SIGTERM; resolves with the exit code. */
export async function runDemoCli(argv: string[], io: DemoCliIo = {}): Promise<number> {
  const { out, err, env } = cliOutput(io);
  let options: StartDemoOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'media-port': { type: 'string' },
        host: { type: 'string' },
        'recordings-dir': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      out(HELP);
      return 0;
    }
    const level = values['log-level'] ?? env['LOG_LEVEL'] ?? 'warn';
    if (!LEVELS.includes(level)) throw new Error(`--log-level must be one of ${LEVELS.join(', ')}`);
    const port = parsePort(values.port ?? env['PORT'], '--port');
    const mediaPort = parsePort(values['media-port'] ?? env['MEDIA_PORT'], '--media-port');
    const host = values.host ?? env['HOST'];
    const openviduUrl = env['OPENVIDU_URL'] || undefined;
    const openviduSecret = env['OPENVIDU_SECRET'] || undefined;
    if (openviduUrl && !openviduSecret)
      throw new Error('OPENVIDU_URL is set but OPENVIDU_SECRET is not');
    options = {
      logLevel: level as LogLevel,
      log: (line) => err(`${line}\n`),
      ...(port !== undefined ? { port } : {}),
      ...(mediaPort !== undefined ? { mediaPort } : {}),
      ...(host ? { host } : {}),
      ...(values['recordings-dir'] ? { recordingsDir: values['recordings-dir'] } : {}),
      ...(openviduUrl ? { openviduUrl, openviduSecret } : {}),
      ...(env['OPENVIDU_WEBHOOK_SECRET'] ? { webhookSecret: env['OPENVIDU_WEBHOOK_SECRET'] } : {}),
    };
  } catch (e) {
    err(`consult-kit demo: ${errorMessage(e)}\n\n${HELP}`);
    return 2;
  }

  out('Starting the ConsultKit demo…\n');
  let demo: RunningDemo;
  try {
    demo = await startDemo(options);
  } catch (e) {
    if (e instanceof DemoPortInUseError) {
      err(
        `consult-kit demo: port ${e.port} (${e.what}) is already in use.\n` +
          `Stop the program using it, or pick another port: npm start -- ${e.flag} <n>` +
          ` (or ${e.env}=<n> npm start).\n`,
      );
    } else {
      err(`consult-kit demo: could not start: ${errorMessage(e)}\n`);
    }
    return 1;
  }

  const media = demo.embeddedMedia
    ? `embedded dev media server at ${demo.mediaUrl}`
    : `OpenVidu at ${demo.mediaUrl}`;
  out(
    [
      '',
      `ConsultKit demo is running (${media}; token server and portal at ${demo.url};` +
        ` script-tag build ${demo.assets === 'bundled' ? `bundled in ${demo.bundleMs} ms` : 'from dist/cdn'}).`,
      '',
      'Open these two links in two tabs (or two browsers) on this computer:',
      `  Doctor:   ${demo.urls.doctor}`,
      `  Patient:  ${demo.urls.patient}`,
      '',
      'The patient waits until the doctor admits them. Then: video and sound both ways, chat,',
      'and recording (the doctor starts it, the patient consents; download after leaving).',
      `A second patient, to try "Deny": ${demo.urls.patient2}`,
      `Same portal on the ES-module build: ${demo.urls.modulePortal}`,
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );

  await untilStopped(io, { exitOnSecondSignal: true });
  out('Stopping…\n');
  await demo.close();
  out('Stopped.\n');
  return 0;
}
