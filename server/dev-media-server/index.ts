/**
 * An embedded, OpenVidu 2.32-compatible development media server: REST (`/openvidu/api`), JSON-RPC over
 * WebSocket (`/openvidu`), webhooks and recording orchestration, with media handled by a pluggable
 * {@link MediaRouter} (werift by default).
 *
 * @example
 * ```ts
 * const server = await startDevMediaServer({ port: 0 });
 * const ov = new OpenVidu(server.url, server.secret); // openvidu-node-client
 * await server.close();
 * ```
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { SessionManager } from './core.js';
import type { LinkImpairment } from './impairment.js';
import { ImpairmentRules } from './impairment.js';
import { createLazyRouter } from './lazy-router.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import type { MediaRouter, MediaStats } from './media/types.js';
import type { IceServerJson } from './model.js';
import { isAllowedOrigin, isLoopbackHost, normalizeOrigin } from './origins.js';
import { RecordingOrchestrator } from './recording.js';
import { createRestApp } from './rest.js';
import { RpcServer } from './rpc.js';
import { TimerRegistry } from './timers.js';
import type { WebhookOptions, WebhookStats } from './webhook.js';
import { WebhookSender, normalizeHeaders } from './webhook.js';
import { errorMessage } from '../shared/errors.js';
import type { LiveKitDevServer, LiveKitDevServerOptions } from './livekit/server.js';

export { createJsonLogger, silentLogger } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
export type { WebhookEventName, WebhookOptions } from './webhook.js';
export type { MediaRouter } from './media/types.js';
export type { ImpairmentRule, LinkImpairment } from './impairment.js';
export { parseImpairment } from './impairment.js';
export type { LiveKitDevServer, LiveKitDevServerOptions } from './livekit/server.js';
export type { LiveKitEvents, LiveKitRoomEvent, LiveKitRooms } from './livekit/contract.js';

/** An ICE server as `RTCIceServer` (the browser gets each URL as OpenVidu's `{url, username, credential}`). */
export interface IceServerOption {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface DevMediaServerTimeouts {
  /** Participant kept after its socket drops, for `connect` re-binding (default 10 000, as OpenVidu). */
  reconnectWindowMs?: number;
  /** An evicted/left participant's socket is closed after this (default 10 000, as OpenVidu). */
  socketCloseDelayMs?: number;
  /** A session whose last participant left keeps recording this long (default 120 000, as OpenVidu). */
  recordingAutostopMs?: number;
  /** publish/subscribe router calls fail after this (default 9 000; browsers give up at 10 000). */
  routerTimeoutMs?: number;
  /** Router `startRecording` fails after this (default 10 000). */
  recordingStartTimeoutMs?: number;
  /** Socket closed when no ping arrives for factor × the client's ping interval (default 3). */
  pingTimeoutFactor?: number;
}

export interface DevMediaServerLimits {
  /** Largest WebSocket frame; larger ones close the socket with 1009 (default 1 MiB). */
  maxMessageBytes?: number;
  /** Largest signal `data` (default 64 KiB). */
  maxSignalBytes?: number;
  /** Largest REST body (default 1 MiB). */
  maxBodyBytes?: number;
}

export interface DevMediaServerOptions {
  /** TCP port (default 4443, as OpenVidu's dev container); 0 picks a free one. */
  port?: number;
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /**
   * OpenVidu secret for Basic auth `OPENVIDUAPP:<secret>`. Default `MY_SECRET` on a loopback host;
   * on any other host a random one (read it from {@link DevMediaServer.secret}), and `MY_SECRET`
   * is refused there.
   */
  secret?: string;
  /**
   * Browser origins (e.g. `https://portal.example`) allowed to call the REST API cross-origin and to
   * open the WebSocket. Default: any origin (see docs/dev-media-server.md for the CORS rules).
   */
  allowedOrigins?: string[];
  /** URL browsers and apps use to reach this server (default `http://<announcedIp or localhost>:<port>`); tokens derive from it. */
  publicUrl?: string;
  /** Folder for recordings, one sub-folder per recording (default `./recordings`). */
  recordingsDir?: string;
  webhook?: WebhookOptions;
  /** Enables the recording API (default true); when false every recording call answers 501. */
  recording?: boolean;
  /** Address announced in ICE candidates (LAN demos, NAT). */
  announcedIp?: string;
  /** Inclusive UDP port range for ICE. */
  icePortRange?: [number, number];
  /** STUN/TURN servers for browsers (joinRoom `customIceServers`) and the media plane. */
  iceServers?: IceServerOption[];
  /** Structured logger (default: silent). */
  logger?: Logger;
  /** Media plane to use instead of the werift router (tests). Not closed by `close()`. */
  mediaRouter?: MediaRouter;
  /**
   * Network impairment of every connection's media path from the start (`--impair`); REST
   * `PUT /openvidu/api/dev/impairment` changes it and adds per-session and per-connection rules.
   * Applies to the werift media plane only (not to a `mediaRouter` given here).
   */
  impairment?: LinkImpairment;
  /** Seed of the impairment's loss and jitter randomness (tests; default random). */
  impairmentSeed?: number;
  timeouts?: DevMediaServerTimeouts;
  limits?: DevMediaServerLimits;
}

export interface DevMediaServerStats {
  sessions: number;
  /** Active connections (joined participants, including those inside the reconnection window). */
  participants: number;
  /** Connections created over REST whose token has not been used yet. */
  pendingConnections: number;
  /** Open WebSockets. */
  sockets: number;
  /** JSON-RPC sessions (one per socket, plus participants waiting for `connect`). */
  rpcSessions: number;
  /** Timers armed by the server (reconnection windows, socket closes, watchdogs, retries, …). */
  timersPending: number;
  /** Recordings currently capturing. */
  activeRecordings: number;
  webhook: WebhookStats | undefined;
  media: MediaStats;
}

export interface DevMediaServer {
  /** Base URL for REST clients, e.g. `http://localhost:4443` (the public URL). */
  url: string;
  /** The OpenVidu secret in use (generated when the server listens beyond loopback without one). */
  secret: string;
  /** True when the secret was generated at start (the CLI prints it once). */
  secretGenerated: boolean;
  /** The port actually bound. */
  port: number;
  stats(): DevMediaServerStats;
  close(): Promise<void>;
}

/** `http://h:p/x/` → `ws://h:p` (OpenVidu drops the path; the browser ignores it anyway). */
function wsUrlOf(publicUrl: string): string {
  const u = new URL(publicUrl);
  const scheme = u.protocol === 'https:' ? 'wss:' : u.protocol === 'http:' ? 'ws:' : u.protocol;
  return `${scheme}//${u.host}`;
}

function toJsonIceServers(servers: IceServerOption[]): IceServerJson[] {
  const out: IceServerJson[] = [];
  for (const s of servers) {
    for (const url of Array.isArray(s.urls) ? s.urls : [s.urls]) {
      out.push({
        url,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
      });
    }
  }
  return out;
}

/** The configured public URL, or `http://<announced ip, or the bound host>:<port>`, without a trailing slash. */
function publicUrlOf(options: DevMediaServerOptions, host: string, port: number): string {
  // An announced address is the one other machines reach (LAN demos), so tokens carry it too.
  const urlHost =
    options.announcedIp ??
    (host === '127.0.0.1' || host === '0.0.0.0' || host === '::' || host === 'localhost'
      ? 'localhost'
      : host);
  return (options.publicUrl ?? `http://${urlHost}:${port}`).replace(/\/+$/, '');
}

/** A loopback STUN server nobody answers: keeps offline browsers from trying public STUN (freeice). */
const DEFAULT_BROWSER_ICE: IceServerJson[] = [{ url: 'stun:127.0.0.1:3478' }];

/** The werift router, imported in the background (see lazy-router.ts). */
function createDefaultRouter(
  options: DevMediaServerOptions,
  logger: Logger,
  impairments: ImpairmentRules,
): MediaRouter {
  return createLazyRouter(
    async () => {
      const { createWeriftRouter } = await import('./media/werift-router.js');
      return createWeriftRouter({
        ...(options.announcedIp ? { announcedIp: options.announcedIp } : {}),
        ...(options.icePortRange ? { icePortRange: options.icePortRange } : {}),
        ...(options.iceServers ? { iceServers: options.iceServers } : {}),
        ...(options.impairmentSeed !== undefined ? { impairmentSeed: options.impairmentSeed } : {}),
        impairmentFor: (endpointId) => impairments.forEndpoint(endpointId),
        logger,
      });
    },
    (err) =>
      logger.error('media router failed to load', {
        error: errorMessage(err),
      }),
  );
}

function sessionOfConnection(
  manager: SessionManager | undefined,
  connectionId: string,
): string | undefined {
  for (const session of manager?.sessions.values() ?? [])
    if (session.connections.has(connectionId)) return session.id;
  return undefined;
}

/** OpenVidu's well-known development secret, accepted only on a loopback host. */
const DEFAULT_SECRET = 'MY_SECRET';

/** The secret to use: the given one, `MY_SECRET` on loopback, a random one elsewhere. */
function resolveSecret(
  given: string | undefined,
  loopback: boolean,
): { secret: string; generated: boolean } {
  if (given !== undefined) {
    if (!loopback && given === DEFAULT_SECRET) {
      throw new Error(
        `The dev media server refuses the well-known secret ${DEFAULT_SECRET} on a non-loopback host: ` +
          'pass another secret (--secret) or none to get a random one.',
      );
    }
    return { secret: given, generated: false };
  }
  if (loopback) return { secret: DEFAULT_SECRET, generated: false };
  return { secret: randomBytes(24).toString('base64url'), generated: true };
}

/** Answers a WebSocket upgrade request with an HTTP error and closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Rejects a WebSocket upgrade from a browser origin outside the allow-list (non-browser clients send none). */
function originRefused(req: IncomingMessage, allowed: readonly string[] | undefined): boolean {
  const origin = req.headers.origin;
  return allowed !== undefined && origin !== undefined && !isAllowedOrigin(origin, allowed);
}

/**
 * Starts the server; resolves once it listens. `protocol: 'livekit'` starts the LiveKit mode instead
 * (livekit/server.ts, loaded on demand): LiveKit signalling for livekit-client, `devkey`/`secret` on
 * loopback.
 */
export function startDevMediaServer(
  options: LiveKitDevServerOptions & { protocol: 'livekit' },
): Promise<LiveKitDevServer>;
export function startDevMediaServer(
  options?: DevMediaServerOptions & { protocol?: 'openvidu' },
): Promise<DevMediaServer>;
export async function startDevMediaServer(
  options:
    | (LiveKitDevServerOptions & { protocol: 'livekit' })
    | (DevMediaServerOptions & { protocol?: 'openvidu' }) = {},
): Promise<DevMediaServer | LiveKitDevServer> {
  if (options.protocol === 'livekit') {
    const { startLiveKitDevServer } = await import('./livekit/server.js');
    return startLiveKitDevServer(options);
  }
  return startOpenViduServer(options);
}

/** Starts the LiveKit mode (see {@link startDevMediaServer}). */
export async function startLiveKitDevServer(
  options: LiveKitDevServerOptions = {},
): Promise<LiveKitDevServer> {
  const livekit = await import('./livekit/server.js');
  return livekit.startLiveKitDevServer(options);
}

async function startOpenViduServer(options: DevMediaServerOptions): Promise<DevMediaServer> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopbackHost(host);
  const { secret, generated: secretGenerated } = resolveSecret(options.secret, loopback);
  const allowedOrigins = options.allowedOrigins?.map(normalizeOrigin);
  const recordingEnabled = options.recording ?? true;
  const recordingsDir = resolve(options.recordingsDir ?? 'recordings');
  const t = options.timeouts ?? {};
  const limits = options.limits ?? {};
  const timers = new TimerRegistry();
  const ownsRouter = options.mediaRouter === undefined;
  // Session rules need the manager, which needs the router: the lookup reads it late.
  const holder: { manager?: SessionManager } = {};
  const impairments = new ImpairmentRules(
    (connectionId) => sessionOfConnection(holder.manager, connectionId),
    options.impairment,
  );
  const router = options.mediaRouter ?? createDefaultRouter(options, logger, impairments);

  const webhook = options.webhook ? new WebhookSender(options.webhook, timers, logger) : undefined;
  const sendWebhook = webhook ? webhook.send.bind(webhook) : () => undefined;

  const configuredIce = toJsonIceServers(options.iceServers ?? []);
  // The public URL depends on the bound port, so the pieces that need it read it late.
  const urls = { publicUrl: '', wsUrl: '' };
  const manager = new SessionManager({
    get wsUrl() {
      return urls.wsUrl;
    },
    iceServers: configuredIce.length > 0 ? configuredIce : DEFAULT_BROWSER_ICE,
    router,
    timers,
    logger,
    webhook: sendWebhook,
    socketCloseDelayMs: t.socketCloseDelayMs ?? 10_000,
    recordingAutostopMs: t.recordingAutostopMs ?? 120_000,
    routerTimeoutMs: t.routerTimeoutMs ?? 9_000,
    maxSignalBytes: limits.maxSignalBytes ?? 64 * 1024,
  });
  holder.manager = manager;
  const recordings = new RecordingOrchestrator({
    manager,
    router,
    dir: recordingsDir,
    get publicUrl() {
      return urls.publicUrl;
    },
    timers,
    logger,
    webhook: sendWebhook,
    startTimeoutMs: t.recordingStartTimeoutMs ?? 10_000,
  });
  if (recordingEnabled) {
    manager.recordingHooks = recordings;
    await recordings.init();
  }
  const rpc = new RpcServer({
    manager,
    timers,
    logger,
    maxMessageBytes: limits.maxMessageBytes ?? 1024 * 1024,
    reconnectWindowMs: t.reconnectWindowMs ?? 10_000,
    pingTimeoutFactor: t.pingTimeoutFactor ?? 3,
  });
  const restConfig = {
    manager,
    recordings,
    secret,
    get publicUrl() {
      return urls.publicUrl;
    },
    recordingsDir,
    recordingEnabled,
    webhook: options.webhook
      ? {
          url: options.webhook.url,
          headers: normalizeHeaders(options.webhook.headers),
          events: options.webhook.events,
        }
      : undefined,
    iceServers: configuredIce,
    logger,
    maxBodyBytes: limits.maxBodyBytes ?? 1024 * 1024,
    allowedOrigins,
    loopback,
    impairments,
  };
  const app = createRestApp(restConfig);

  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
  server.on('upgrade', (req, socket, head) => {
    if (originRefused(req, allowedOrigins)) refuseUpgrade(socket, 403, 'Forbidden');
    else rpc.handleUpgrade(req, socket, head);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4443, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 4443);
  urls.publicUrl = publicUrlOf(options, host, port);
  urls.wsUrl = wsUrlOf(urls.publicUrl);
  logger.info('dev media server listening', {
    url: urls.publicUrl,
    port,
    recording: recordingEnabled,
  });
  if (!loopback && allowedOrigins === undefined) {
    logger.warn('dev media server reachable beyond loopback accepts any browser origin', {
      host,
      hint: 'set allowedOrigins (--allowed-origins) to the origins of your pages',
    });
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const s of [...manager.sessions.values()])
        manager.closeSession(s, 'openviduServerStopped');
      recordings.stopAll('openviduServerStopped');
      rpc.close();
      await recordings.drain(2_000);
      await webhook?.close(1_000);
      if (ownsRouter) await router.close();
      timers.clearAll();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      logger.info('dev media server closed');
    })();
    return closing;
  };

  return {
    url: urls.publicUrl,
    secret,
    secretGenerated,
    port,
    close,
    stats: () => ({
      ...manager.counts(),
      ...rpc.stats(),
      timersPending: timers.size,
      activeRecordings: recordings.activeCount(),
      webhook: webhook?.stats(),
      media: router.stats(),
    }),
  };
}
