/**
 * `npm start` / `npx consult-kit demo`: the whole chain in one process.
 *
 * - the media server (demo-media.ts): by default the embedded dev media server in its OpenVidu 2
 *   mode (port 4443), with `--backend livekit` (env `MEDIA_BACKEND`) in its LiveKit mode (port
 *   7880), unless `OPENVIDU_URL`/`OPENVIDU_SECRET` or `LIVEKIT_URL`/`LIVEKIT_API_KEY`/
 *   `LIVEKIT_API_SECRET` point at a real deployment;
 * - the reference token server in demo mode (port 3000) for that backend, receiving the media
 *   server's webhooks;
 * - the example patient portal (`examples/script-tag/`) on the token server's origin, with the
 *   script-tag build of the elements under `/cdn/` and a strict Content-Security-Policy
 *   (demo-assets.ts). The portal is the same on both backends: the token response says which one
 *   the SDK connects to.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { loadAssets, portalCsp, serveStatic } from './demo-assets.js';
import {
  DEFAULT_MEDIA_PORTS,
  DemoPortInUseError,
  parseDemoBackend,
  startDemoMedia,
  type DemoBackend,
  type DemoMedia,
  type ExternalMedia,
} from './demo-media.js';
import type { DevMediaServer, LiveKitDevServer } from './dev-media-server/index.js';
import type { DemoUser, TokenServer } from './token-server/index.js';
import { DEMO_USERS, createJsonLogger, createTokenServer } from './token-server/index.js';
import type { Logger, LogLevel } from './token-server/logger.js';
import { type CliIo, cliOutput, untilStopped } from './shared/cli-io.js';
import { errorMessage } from './shared/errors.js';

export { portalCsp } from './demo-assets.js';
export { DEMO_BACKENDS, DemoPortInUseError, parseDemoBackend } from './demo-media.js';
export type { DemoBackend } from './demo-media.js';

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
  /**
   * The media backend (default `openvidu`): `openvidu` runs the embedded server in its OpenVidu 2
   * mode, `livekit` in its LiveKit mode, and the token server with `MEDIA_BACKEND=livekit`.
   */
  backend?: DemoBackend;
  /** Port of the portal and token server (default 3000; 0 picks a free one). */
  port?: number;
  /** Port of the embedded media server (default 4443, with LiveKit 7880; 0 picks a free one). */
  mediaPort?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** A real OpenVidu deployment instead of the embedded server (needs `openviduSecret`). */
  openviduUrl?: string;
  openviduSecret?: string;
  /** A real LiveKit (LiveKit Cloud, OpenVidu 3) instead of the embedded server (`livekit` backend). */
  livekit?: { url: string; apiKey: string; apiSecret: string; recordingsUrl?: string };
  /** Shared secret of the OpenVidu webhook receiver (default: random per process). */
  webhookSecret?: string;
  /** Where the embedded server writes recordings (default: a temporary folder removed on close). */
  recordingsDir?: string;
  /** Log level of both servers (default `warn`); JSON lines on stderr. */
  logLevel?: LogLevel;
  /** Log sink (default stderr). */
  log?: (line: string) => void;
  /**
   * Options passed through to the embedded media server (tests: shorter timeouts); the LiveKit
   * mode takes `reconnectWindowMs` only.
   */
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
  /** The media backend in use. */
  backend: DemoBackend;
  /** Origin of the portal and the token server, e.g. `http://localhost:3000`. */
  url: string;
  urls: DemoUrls;
  port: number;
  /** The media server browsers connect to (`ws://…` with LiveKit). */
  mediaUrl: string;
  /** True when the embedded dev media server runs (no external media server configured). */
  embeddedMedia: boolean;
  /** How the portal's CDN build was obtained. */
  assets: 'bundled' | 'dist';
  /** Milliseconds spent bundling the CDN build (0 when served from `dist/cdn`). */
  bundleMs: number;
  tokenServer: TokenServer;
  /** The embedded media server (its OpenVidu 2 or its LiveKit mode), when it runs. */
  mediaServer: DevMediaServer | LiveKitDevServer | undefined;
  close(): Promise<void>;
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

/** The external media server the options name, checked against the backend. */
function externalMedia(options: StartDemoOptions, backend: DemoBackend): ExternalMedia | undefined {
  if (options.openviduUrl !== undefined) {
    if (backend !== 'openvidu')
      throw new Error('OPENVIDU_URL is for the openvidu backend; with livekit set LIVEKIT_URL');
    if (!options.openviduSecret) throw new Error('OPENVIDU_SECRET is required with OPENVIDU_URL');
    return { backend, url: options.openviduUrl, secret: options.openviduSecret };
  }
  if (options.livekit !== undefined) {
    if (backend !== 'livekit')
      throw new Error('LIVEKIT_URL is for the livekit backend: add --backend livekit');
    return { backend, ...options.livekit };
  }
  return undefined;
}

/** Starts the portal + token server and (unless a real one is configured) the media server. */
export async function startDemo(options: StartDemoOptions = {}): Promise<RunningDemo> {
  const backend = parseDemoBackend(options.backend ?? 'openvidu', 'The backend option');
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 3000;
  const level = options.logLevel ?? 'warn';
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const external = externalMedia(options, backend);
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

  let media: DemoMedia | undefined;
  let tokenServer: TokenServer | undefined;
  let tmp: string | undefined;
  const quietly = (p: Promise<unknown> | undefined): Promise<unknown> =>
    p ? p.catch(() => undefined) : Promise.resolve();
  const closeAll = async (): Promise<void> => {
    // The media server first: its last webhooks (participants left, session destroyed) still
    // reach the token server. Every step runs even when one fails.
    await quietly(media?.close());
    await quietly(tokenServer?.close());
    await new Promise<void>((done) => {
      http.close(() => done());
      http.closeAllConnections();
    });
    if (tmp) await quietly(rm(tmp, { recursive: true, force: true }));
  };

  try {
    let recordingsDir = options.recordingsDir;
    if (recordingsDir === undefined && !external) {
      tmp = await mkdtemp(join(tmpdir(), 'consult-kit-demo-'));
      recordingsDir = tmp;
    }
    media = await startDemoMedia({
      backend,
      ...(options.mediaPort !== undefined ? { port: options.mediaPort } : {}),
      host,
      tokenServerUrl: `http://127.0.0.1:${boundPort}`,
      webhookSecret,
      recordingsDir: recordingsDir ?? '.',
      level,
      log,
      ...(external ? { external } : {}),
      ...(options.media ? { timeouts: options.media } : {}),
    });

    const logger: Logger = createJsonLogger(level, log);
    const ts = createTokenServer({
      ...media.tokenServer,
      demo: { users: DEMO_PORTAL_USERS },
      // The demo's binding of users to consults: each demo user may act in every consult (the
      // portal's links pick one). A real portal binds its users (docs/auth.md).
      authorize: (user) => DEMO_PORTAL_USERS.some((u) => u.id === user.id),
      logger,
      env: {},
    });
    tokenServer = ts;
    await ts.ready();

    const csp = portalCsp(media.url);
    handler = async (request, env) =>
      (await serveStatic(request, assets, csp)) ?? ts.fetch(request, env);

    const at = (query: string) => `${url}/${query}`;
    let closing: Promise<void> | undefined;
    return {
      backend,
      url,
      port: boundPort,
      urls: {
        portal: at(''),
        doctor: at('?as=doctor'),
        patient: at('?as=patient'),
        patient2: at('?as=patient2'),
        modulePortal: at('module.html'),
      },
      mediaUrl: media.url,
      embeddedMedia: media.server !== undefined,
      assets: assets.kind,
      bundleMs: assets.bundleMs,
      tokenServer: ts,
      mediaServer: media.server,
      close: () => (closing ??= closeAll()),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

// ───────────────────────────── command line ─────────────────────────────

const HELP = `Usage: consult-kit demo [options]     (npm start -- [options])

Starts, in one process, the embedded dev media server, the token server in demo mode and an
example patient portal, then prints a link for the doctor and one for the patient.

  --backend <name>      openvidu (OpenVidu 2, default) or livekit (LiveKit; env MEDIA_BACKEND)
  --port <n>            Portal and token server port (env PORT, default 3000)
  --media-port <n>      Embedded media server port (env MEDIA_PORT, default ${DEFAULT_MEDIA_PORTS.openvidu},
                        with --backend livekit ${DEFAULT_MEDIA_PORTS.livekit})
  --host <addr>         Interface to bind (env HOST, default 127.0.0.1)
  --recordings-dir <d>  Keep recordings there (default: a temporary folder, removed on exit)
  --log-level <level>   debug | info | warn | error | silent (env LOG_LEVEL, default warn)
  -h, --help            This text

With OPENVIDU_URL and OPENVIDU_SECRET set, the token server uses that OpenVidu deployment instead
of the embedded media server (point its webhook at <portal>/api/openvidu/webhook with the header
"Authorization: Bearer <OPENVIDU_WEBHOOK_SECRET>"). With --backend livekit, LIVEKIT_URL,
LIVEKIT_API_KEY and LIVEKIT_API_SECRET (and LIVEKIT_RECORDINGS_URL for downloads) point it at a
LiveKit server, LiveKit Cloud or OpenVidu 3 (webhook: <portal>/api/livekit/webhook).
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

/** `LIVEKIT_URL` and its key pair (all or none) as the demo's `livekit` option. */
function externalLiveKit(
  env: Record<string, string | undefined>,
): Pick<StartDemoOptions, 'livekit'> {
  const url = env['LIVEKIT_URL']?.trim();
  if (!url) return {};
  const apiKey = env['LIVEKIT_API_KEY']?.trim();
  const apiSecret = env['LIVEKIT_API_SECRET']?.trim();
  if (!apiKey || !apiSecret)
    throw new Error('LIVEKIT_URL is set but LIVEKIT_API_KEY or LIVEKIT_API_SECRET is not');
  const recordingsUrl = env['LIVEKIT_RECORDINGS_URL']?.trim();
  return { livekit: { url, apiKey, apiSecret, ...(recordingsUrl ? { recordingsUrl } : {}) } };
}

/** Runs the demo until SIGINT/SIGTERM; resolves with the exit code. */
export async function runDemoCli(argv: string[], io: DemoCliIo = {}): Promise<number> {
  const { out, err, env } = cliOutput(io);
  let options: StartDemoOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        backend: { type: 'string' },
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
    const backend = parseDemoBackend(
      values.backend ?? (env['MEDIA_BACKEND']?.trim() || 'openvidu'),
      values.backend !== undefined ? '--backend' : 'MEDIA_BACKEND',
    );
    const openviduUrl = env['OPENVIDU_URL'] || undefined;
    const openviduSecret = env['OPENVIDU_SECRET'] || undefined;
    if (openviduUrl && !openviduSecret)
      throw new Error('OPENVIDU_URL is set but OPENVIDU_SECRET is not');
    options = {
      backend,
      logLevel: level as LogLevel,
      log: (line) => err(`${line}\n`),
      ...(port !== undefined ? { port } : {}),
      ...(mediaPort !== undefined ? { mediaPort } : {}),
      ...(host ? { host } : {}),
      ...(values['recordings-dir'] ? { recordingsDir: values['recordings-dir'] } : {}),
      ...(openviduUrl ? { openviduUrl, openviduSecret } : {}),
      ...externalLiveKit(env),
      ...(env['OPENVIDU_WEBHOOK_SECRET'] ? { webhookSecret: env['OPENVIDU_WEBHOOK_SECRET'] } : {}),
    };
    // The other backend's server is a usage error (exit 2), not a setting to drop: the same check
    // startDemo makes, made here before anything starts.
    externalMedia(options, backend);
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

  const kind = demo.backend === 'livekit' ? 'LiveKit' : 'OpenVidu 2';
  const media = demo.embeddedMedia
    ? `embedded dev media server in ${kind} mode at ${demo.mediaUrl}`
    : `${kind} at ${demo.mediaUrl}`;
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
