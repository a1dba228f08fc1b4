/**
 * The dev media server's LiveKit mode (`--protocol livekit`): livekit-client's signalling WebSocket
 * at `/rtc` (protobuf `SignalRequest`/`SignalResponse`, the "v0" dual peer connection mode; `/rtc/v1`
 * is refused with 404 so the client falls back to it), `GET /rtc/validate` (why a connect failed,
 * as LiveKit answers it), and every `/twirp/` and `/egress-files/` request handed to the room and
 * egress services (services.ts: built in, over this server's rooms, unless a test injects others).
 *
 * @example
 * ```ts
 * const server = await startLiveKitDevServer({ port: 0 });
 * await new Room().connect(server.wsUrl, token); // a token signed with devkey/secret
 * ```
 */
import { randomBytes } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { ICEServer } from '@livekit/protocol';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { errorMessage } from '../../shared/errors.js';
import { createRouterContext } from '../media/router-context.js';
import { silentLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import { isLoopbackHost } from '../origins.js';
import { LiveKitAuthError, verifyJoinToken } from './auth.js';
import type { JoinGrant, LiveKitCredentials } from './auth.js';
import type { LiveKitEvents, LiveKitRooms } from './contract.js';
import { LeaveRequest, LeaveRequest_Action, DisconnectReason } from '@livekit/protocol';
import { RoomRegistry } from './rooms.js';
import { SignalConnection, encodeSignalResponse } from './signal-connection.js';
import { PING_TIMEOUT_S } from './room.js';
import type { Room } from './room.js';
import type { Participant } from './participant.js';
import { EGRESS_FILES_PREFIX, TWIRP_PREFIX, createLiveKitServices } from './services.js';
import type { LiveKitServices, PeerInfo } from './services.js';
import type { LiveKitWebhookOptions } from './webhook.js';

/** LiveKit's own development key pair (`livekit-server --dev`), accepted on a loopback host only. */
export const DEV_API_KEY = 'devkey';
export const DEV_API_SECRET = 'secret';

export interface LiveKitDevServerOptions {
  /** TCP port (default 7880, LiveKit's); 0 picks a free one. */
  port?: number;
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /** API key tokens are issued by (`iss`); default `devkey` on loopback, random elsewhere. */
  apiKey?: string;
  /** API secret tokens are signed with (HS256); default `secret` on loopback, random elsewhere. */
  apiSecret?: string;
  /** URL apps use to reach this server (default `http://<announcedIp or localhost>:<port>`). */
  publicUrl?: string;
  /** Address announced in ICE candidates (LAN demos, NAT). */
  announcedIp?: string;
  /** Inclusive UDP port range for ICE. */
  icePortRange?: [number, number];
  /** STUN/TURN servers for browsers (JoinResponse `iceServers`) and the media plane. */
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
  /**
   * Every HTTP request under `/twirp/` and `/egress-files/`, with the peer's address. Default: the
   * built-in room service, egress and webhooks ({@link createLiveKitServices}) over this server's rooms.
   */
  services?: (req: Request, peer: PeerInfo) => Response | Promise<Response>;
  /** Where room, participant and track events go; default the built-in services' webhooks. */
  events?: LiveKitEvents;
  /** Folder for egress files (default `./recordings`); used by the built-in services. */
  recordingsDir?: string;
  /** Where the built-in services send LiveKit's signed webhooks (none without it). */
  webhook?: LiveKitWebhookOptions;
  /** How long a participant whose socket dropped is kept for its reconnect (default 10 000 ms). */
  reconnectWindowMs?: number;
  logger?: Logger;
}

export interface LiveKitDevServer {
  /** Base HTTP URL, e.g. `http://localhost:7880` (Twirp, and what server SDKs take). */
  url: string;
  /** WebSocket URL for livekit-client, e.g. `ws://localhost:7880`. */
  wsUrl: string;
  port: number;
  apiKey: string;
  apiSecret: string;
  /** True when the key pair was generated at start (the CLI prints it once). */
  credentialsGenerated: boolean;
  /** The room registry (what the Twirp services call). */
  rooms: LiveKitRooms;
  stats(): {
    rooms: number;
    participants: number;
    recordings: number;
    sockets: number;
    forwardedPackets: number;
  };
  close(): Promise<void>;
}

/** Resolves the key pair: given, LiveKit's dev pair on loopback, a random pair elsewhere. */
export function resolveCredentials(
  apiKey: string | undefined,
  apiSecret: string | undefined,
  loopback: boolean,
): LiveKitCredentials & { generated: boolean } {
  if (!loopback && apiSecret === DEV_API_SECRET)
    throw new Error(
      `The dev media server refuses LiveKit's well-known dev secret "${DEV_API_SECRET}" on a non-loopback host: ` +
        'pass another secret (--api-secret) or none to get a random one.',
    );
  if (apiSecret !== undefined)
    return { apiKey: apiKey ?? DEV_API_KEY, apiSecret, generated: false };
  if (loopback)
    return { apiKey: apiKey ?? DEV_API_KEY, apiSecret: DEV_API_SECRET, generated: false };
  return {
    apiKey: apiKey ?? `API${randomBytes(6).toString('hex')}`,
    apiSecret: randomBytes(24).toString('base64url'),
    generated: true,
  };
}

/** A loopback STUN server nobody answers: keeps offline browsers from trying public STUN. */
const DEFAULT_BROWSER_ICE = [new ICEServer({ urls: ['stun:127.0.0.1:3478'] })];

function cors(response: Response): Response {
  response.headers.set('access-control-allow-origin', '*');
  return response;
}

function text(status: number, body: string): Response {
  return cors(
    new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } }),
  );
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Every plain HTTP request: Twirp to the services, `/rtc/validate`, 404 JSON for the rest. */
function httpHandler(
  services: LiveKitDevServerOptions['services'],
  credentials: LiveKitCredentials,
  logger: Logger,
): (req: Request, peer: PeerInfo) => Promise<Response> {
  return async (req, peer) => {
    const url = new URL(req.url);
    if (url.pathname.startsWith(TWIRP_PREFIX) || url.pathname.startsWith(EGRESS_FILES_PREFIX)) {
      if (!services) return jsonError(404, 'not_found', 'no Twirp services in this server');
      try {
        return await services(req, peer);
      } catch (error) {
        logger.warn('twirp service failed', { error: errorMessage(error) });
        return jsonError(500, 'internal', 'the service failed');
      }
    }
    if (url.pathname === '/rtc/v1/validate' || url.pathname === '/rtc/v1')
      return text(404, 'this server speaks the v0 signalling path only (/rtc)');
    if (url.pathname === '/rtc/validate') {
      try {
        await verifyJoinToken(url.searchParams.get('access_token') ?? '', credentials);
        return text(200, 'success');
      } catch (error) {
        if (error instanceof LiveKitAuthError) return text(error.status, error.message);
        return text(500, 'could not validate the request');
      }
    }
    if (url.pathname === '/') return text(200, 'OK');
    return jsonError(404, 'not_found', `no route for ${req.method} ${url.pathname}`);
  };
}

/** The room service, egress and webhooks over these rooms (services.ts). */
function builtInServices(
  options: LiveKitDevServerOptions,
  rooms: LiveKitRooms,
  credentials: LiveKitCredentials,
  logger: Logger,
): LiveKitServices {
  return createLiveKitServices({
    rooms,
    apiKey: credentials.apiKey,
    apiSecret: credentials.apiSecret,
    recordingsDir: resolvePath(options.recordingsDir ?? 'recordings'),
    ...(options.webhook ? { webhook: options.webhook } : {}),
    logger,
  });
}

/** Gives `participant` a signal connection on `ws` (replacing a previous one). */
function attachSignal(ws: WebSocket, room: Room, participant: Participant, logger: Logger): void {
  const previous = participant.signal;
  const signal: SignalConnection = new SignalConnection(
    ws,
    {
      onRequest: (message) => participant.handle(message),
      // Only the participant's current socket counts: a replaced one closes quietly.
      onClose: () => {
        if (participant.signal === signal) room.signalLost(participant);
      },
    },
    logger,
    // Twice the client's own timeout: a busy machine delays pings.
    2 * PING_TIMEOUT_S * 1000,
  );
  participant.signal = signal;
  previous?.close(1000, 'resumed on another socket');
}

/** Refuses a socket with a LeaveRequest (then closes it). */
function refuse(ws: WebSocket, leave: LeaveRequest, why: string): void {
  ws.send(encodeSignalResponse({ case: 'leave', value: leave }));
  ws.close(1000, why);
}

/** A signalling socket with a valid token: a resume (`reconnect=1&sid=`) or a join. */
function onSocket(
  ws: WebSocket,
  url: URL,
  grant: JoinGrant,
  rooms: RoomRegistry,
  logger: Logger,
): void {
  if (url.searchParams.get('reconnect') === '1') {
    const found = rooms.findParticipant(grant.room, url.searchParams.get('sid') ?? '');
    if (!found || found.participant.identity !== grant.identity || found.participant.isClosed) {
      logger.info('livekit resume refused: unknown participant; the client rejoins', {});
      refuse(
        ws,
        new LeaveRequest({
          canReconnect: true,
          action: LeaveRequest_Action.RECONNECT,
          reason: DisconnectReason.STATE_MISMATCH,
        }),
        'unknown participant',
      );
      return;
    }
    attachSignal(ws, found.room, found.participant, logger);
    found.room.resume(found.participant);
    return;
  }
  let joined: ReturnType<RoomRegistry['join']>;
  try {
    joined = rooms.join(grant, url.searchParams.get('auto_subscribe') !== '0');
  } catch (error) {
    logger.info('livekit join refused', { reason: errorMessage(error) });
    refuse(
      ws,
      new LeaveRequest({ canReconnect: false, reason: DisconnectReason.JOIN_FAILURE }),
      'join refused',
    );
    return;
  }
  const { room, participant } = joined;
  attachSignal(ws, room, participant, logger);
  room.admit(participant);
  logger.info('livekit participant joined', { room: room.sid, participant: participant.sid });
}

export async function startLiveKitDevServer(
  options: LiveKitDevServerOptions = {},
): Promise<LiveKitDevServer> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const credentials = resolveCredentials(options.apiKey, options.apiSecret, isLoopbackHost(host));
  const { baseConfig } = createRouterContext({
    ...(options.announcedIp ? { announcedIp: options.announcedIp } : {}),
    ...(options.icePortRange ? { icePortRange: options.icePortRange } : {}),
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
    logger,
  });
  const browserIce = (options.iceServers ?? []).map(
    (s) =>
      new ICEServer({
        urls: Array.isArray(s.urls) ? s.urls : [s.urls],
        username: s.username ?? '',
        credential: s.credential ?? '',
      }),
  );
  const holder: { services?: LiveKitServices } = {};
  const rooms = new RoomRegistry({
    logger,
    baseConfig,
    iceServers: browserIce.length > 0 ? browserIce : DEFAULT_BROWSER_ICE,
    // The built-in services exist only once the rooms do: events reach them through this forwarder.
    events: options.events ?? { emit: (event) => holder.services?.events.emit(event) },
    reconnectWindowMs: options.reconnectWindowMs ?? 10_000,
  });
  const builtIn = options.services
    ? undefined
    : builtInServices(options, rooms, credentials, logger);
  holder.services = builtIn;
  const services =
    options.services ?? ((req: Request, peer: PeerInfo) => builtIn!.fetch(req, peer));
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  async function grantOf(url: URL): Promise<JoinGrant> {
    return verifyJoinToken(url.searchParams.get('access_token') ?? '', credentials);
  }

  const handle = httpHandler(services, credentials, logger);
  const fetch = (req: Request, env: { incoming?: { socket: { remoteAddress?: string } } }) =>
    handle(req, { remoteAddress: env.incoming?.socket.remoteAddress });

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/rtc' && url.pathname !== '/rtc/') {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    let grant: JoinGrant;
    try {
      grant = await grantOf(url);
    } catch {
      refuseUpgrade(socket, 401, 'Unauthorized');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws, url, grant, rooms, logger));
  }

  const server = createAdaptorServer({ fetch, overrideGlobalObjects: false }) as Server;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(req, socket, head).catch((error: unknown) => {
      logger.warn('livekit upgrade failed', { error: errorMessage(error) });
      refuseUpgrade(socket, 500, 'Internal Server Error');
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7880, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 7880);
  const urlHost =
    options.announcedIp ??
    (isLoopbackHost(host) || host === '0.0.0.0' || host === '::' ? 'localhost' : host);
  const url = (options.publicUrl ?? `http://${urlHost}:${port}`).replace(/\/+$/, '');
  const wsUrl = url.replace(/^http/, 'ws');
  logger.info('dev media server (LiveKit mode) listening', { url, port });

  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl,
    port,
    apiKey: credentials.apiKey,
    apiSecret: credentials.apiSecret,
    credentialsGenerated: credentials.generated,
    rooms,
    stats: () => ({
      ...rooms.stats(),
      sockets: wss.clients.size,
      forwardedPackets: rooms.forwardedPackets,
    }),
    close: () =>
      (closing ??= (async () => {
        // Rooms first (their last events still reach the webhooks), then the services finish the
        // egress files and drain the webhooks.
        await rooms.close();
        await builtIn?.close();
        for (const client of wss.clients) client.terminate();
        wss.close();
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
      })()),
  };
}
