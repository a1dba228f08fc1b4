/**
 * The HTTP half of the dev media server's LiveKit mode, as one `fetch` handler (a Hono app):
 *
 * - `POST /twirp/livekit.RoomService/<Method>` and `POST /twirp/livekit.Egress/<Method>`: LiveKit's
 *   Twirp API (protobuf JSON or binary), authorized by the API-key JWT and its grants;
 * - `GET|HEAD|DELETE /egress-files/<file path>`: the finished egress files (what the token server's
 *   `LIVEKIT_RECORDINGS_URL` points at), for a Bearer JWT with `roomRecord` or a loopback peer;
 * - `events`: where the rooms report what happens; with `webhook`, each event (and each egress
 *   step) is POSTed as LiveKit's signed webhook.
 */
import { Hono } from 'hono';
import { silentLogger, type Logger } from '../logger.js';
import { TimerRegistry } from '../timers.js';
import type { LiveKitEvents, LiveKitRooms } from './contract.js';
import { LiveKitEgress } from './egress.js';
import { EGRESS_FILES_PREFIX, serveEgressFile } from './egress-files.js';
import { roomServiceMethods } from './twirp-rooms.js';
import { serveTwirp, TwirpError, twirpErrorResponse, verifyApiToken } from './twirp.js';
import { LiveKitWebhooks, type LiveKitWebhookOptions } from './webhook.js';

export { EGRESS_FILES_PREFIX } from './egress-files.js';
/** The HTTP prefix of the Twirp API. */
export const TWIRP_PREFIX = '/twirp/';

export interface LiveKitServicesOptions {
  rooms: LiveKitRooms;
  apiKey: string;
  apiSecret: string;
  /** Folder the egress files are written to (and served from). */
  recordingsDir: string;
  /** Where the webhooks go (none without it). */
  webhook?: LiveKitWebhookOptions;
  logger?: Logger;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

/** What the peer of a request is, when the server knows it (for the egress files). */
export interface PeerInfo {
  remoteAddress?: string;
}

export interface LiveKitServices {
  /** Answers any request under {@link TWIRP_PREFIX} or {@link EGRESS_FILES_PREFIX}. */
  fetch(req: Request, peer?: PeerInfo): Promise<Response>;
  /** Where the rooms report their events (sent as webhooks when configured). */
  events: LiveKitEvents;
  /** Stops live egresses (their files are finished), then drains and stops the webhooks. */
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** Whether the peer is on this machine. */
export const isLoopback = (address: string | undefined): boolean =>
  address !== undefined && LOOPBACK.test(address);

export function createLiveKitServices(options: LiveKitServicesOptions): LiveKitServices {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const secret = new TextEncoder().encode(options.apiSecret);
  const timers = new TimerRegistry();
  const webhooks = options.webhook
    ? new LiveKitWebhooks(options.webhook, options, timers, logger, now)
    : undefined;
  const egress = new LiveKitEgress({
    rooms: options.rooms,
    recordingsDir: options.recordingsDir,
    onEvent: (event, info) => webhooks?.emitEgress(event, info),
    logger,
    now,
  });
  const services = new Map([
    ['livekit.RoomService', roomServiceMethods(options.rooms)],
    ['livekit.Egress', egress.methods()],
  ]);
  const authenticate = (authorization: string | undefined) =>
    verifyApiToken(authorization, options.apiKey, secret, Math.floor(now() / 1000));

  const app = new Hono<{ Bindings: { peer?: PeerInfo } }>();
  app.all(`${TWIRP_PREFIX}*`, (c) =>
    serveTwirp(c.req.raw, services, authenticate, (error) =>
      logger.error('twirp method failed', {
        error: error instanceof Error ? error.name : 'unknown',
      }),
    ),
  );
  app.all(`${EGRESS_FILES_PREFIX}*`, async (c) => {
    const authorization = c.req.header('authorization');
    if (authorization) {
      try {
        const grants = await authenticate(authorization);
        if (grants.roomRecord !== true)
          throw new TwirpError('unauthenticated', 'permissions denied');
      } catch (e) {
        if (e instanceof TwirpError) return twirpErrorResponse(e);
        throw e;
      }
    } else if (!isLoopback(c.env?.peer?.remoteAddress)) {
      return twirpErrorResponse(
        new TwirpError('unauthenticated', 'a roomRecord token or a loopback peer is required'),
      );
    }
    let relative: string;
    try {
      relative = decodeURIComponent(new URL(c.req.url).pathname.slice(EGRESS_FILES_PREFIX.length));
    } catch {
      return new Response(null, { status: 404 });
    }
    return serveEgressFile(
      options.recordingsDir,
      relative,
      c.req.method,
      c.req.header('range'),
      (path) => egress.isWriting(path),
    );
  });
  app.notFound(() => twirpErrorResponse(new TwirpError('bad_route', 'no handler for this path')));

  let closing: Promise<void> | undefined;
  return {
    fetch: async (req, peer) => app.fetch(req, { peer }),
    events: { emit: (event) => webhooks?.emit(event) },
    close: () =>
      (closing ??= (async () => {
        await egress.close();
        await webhooks?.close();
        timers.clearAll();
      })()),
  };
}
