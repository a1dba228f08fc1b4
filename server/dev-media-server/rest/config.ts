/**
 * Signal and configuration routes: `POST /openvidu/api/signal`, `GET /openvidu/api/config[/…]` and the
 * two public endpoints (`config/openvidu-publicurl`, `accept-certificate`).
 */
import type { Hono } from 'hono';
import { SERVER_VERSION } from '../core.js';
import { HttpError } from '../errors.js';
import type { Body } from './body.js';
import { field, optString, readBody } from './body.js';
import type { RestConfig, RestContext } from './context.js';

const ALL_WEBHOOK_EVENTS = [
  'sessionCreated',
  'sessionDestroyed',
  'participantJoined',
  'participantLeft',
  'webrtcConnectionCreated',
  'webrtcConnectionDestroyed',
  'recordingStatusChanged',
  'filterEventDispatched',
  'signalSent',
];

/** Routes reachable without the secret; registered before the auth middleware. */
export function registerPublicRoutes(app: Hono, ctx: RestContext): void {
  app.get('/openvidu/api/config/openvidu-publicurl', (c) => c.text(ctx.cfg.publicUrl));
  app.get('/openvidu/accept-certificate', (c) => c.text('Certificate accepted'));
}

export function registerSignalRoutes(app: Hono, ctx: RestContext): void {
  const { manager, maxBodyBytes } = ctx.cfg;
  app.post('/openvidu/api/signal', async (c) => {
    const body = (await readBody(c, true, maxBodyBytes)) as Body;
    const sessionId = optString(body, 'session');
    if (!sessionId) throw HttpError.badRequest("Parameter 'session' is required");
    const rawTo = field(body, 'to');
    if (
      rawTo !== undefined &&
      !(Array.isArray(rawTo) && rawTo.every((t) => typeof t === 'string'))
    ) {
      throw HttpError.badRequest("Type error in parameter 'to': expected an array of strings");
    }
    const type = optString(body, 'type');
    const data = optString(body, 'data');
    const s = ctx.sessionOr404(sessionId);
    manager.sendMessageFromServer(s, (rawTo as string[] | undefined) ?? [], type, data);
    return c.body(null, 200);
  });
}

function configJson(cfg: RestConfig): Record<string, unknown> {
  const url = new URL(cfg.publicUrl);
  return {
    VERSION: SERVER_VERSION,
    DOMAIN_OR_PUBLIC_IP: url.hostname,
    HTTPS_PORT: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    OPENVIDU_PUBLICURL: cfg.publicUrl,
    OPENVIDU_CDR: false,
    OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH: 1000,
    OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH: 300,
    OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH: 1000,
    OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH: 300,
    OPENVIDU_STREAMS_FORCED_VIDEO_CODEC: 'MEDIA_SERVER_PREFERRED',
    OPENVIDU_STREAMS_ALLOW_TRANSCODING: false,
    OPENVIDU_WEBRTC_SIMULCAST: false,
    OPENVIDU_SESSIONS_GARBAGE_INTERVAL: 900,
    OPENVIDU_SESSIONS_GARBAGE_THRESHOLD: 3600,
    OPENVIDU_RECORDING: cfg.recordingEnabled,
    ...(cfg.recordingEnabled
      ? {
          OPENVIDU_RECORDING_VERSION: SERVER_VERSION,
          OPENVIDU_RECORDING_PATH: cfg.recordingsDir,
          OPENVIDU_RECORDING_PUBLIC_ACCESS: false,
          OPENVIDU_RECORDING_NOTIFICATION: 'publisher_moderator',
          OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT: 120,
        }
      : {}),
    OPENVIDU_WEBHOOK: cfg.webhook !== undefined,
    ...(cfg.webhook
      ? {
          OPENVIDU_WEBHOOK_ENDPOINT: cfg.webhook.url,
          // Header names only: values may be credentials.
          OPENVIDU_WEBHOOK_HEADERS: Object.keys(cfg.webhook.headers).map((h) => `${h}: ****`),
          OPENVIDU_WEBHOOK_EVENTS: cfg.webhook.events ?? ALL_WEBHOOK_EVENTS,
        }
      : {}),
  };
}

export function registerConfigRoutes(app: Hono, ctx: RestContext): void {
  const { cfg } = ctx;
  app.get('/openvidu/api/config', (c) => c.json(configJson(cfg)));
  app.get('/openvidu/api/config/openvidu-version', (c) => c.text(SERVER_VERSION));
  app.get('/openvidu/api/config/openvidu-recording', (c) => c.text(String(cfg.recordingEnabled)));
  app.get('/openvidu/api/config/openvidu-recording-path', (c) => c.text(cfg.recordingsDir));
  app.get('/openvidu/api/config/openvidu-cdr', (c) => c.text('false'));
}
