/**
 * The OpenVidu 2.32 REST API (`/openvidu/api/**`) and the recordings file handler, as a Hono app over
 * {@link SessionManager} and {@link RecordingManager}. Status codes and bodies follow OpenVidu CE,
 * including its empty-body errors and deprecated duplicate fields.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import type { NewConnectionProps, NewSessionProps, SessionManager } from './core.js';
import { SERVER_VERSION } from './core.js';
import { HttpError } from './errors.js';
import { serveRecordingFile } from './files.js';
import { isValidId, isValidRecordingId } from './ids.js';
import type { Logger } from './logger.js';
import {
  DEFAULT_RECORDING_PROPERTIES,
  OUTPUT_MODES,
  RECORDING_LAYOUTS,
  ROLES,
  activeConnections,
  connectionJson,
  sessionJson,
  tokenJson,
} from './model.js';
import type {
  IceServerJson,
  KurentoOptions,
  OutputMode,
  RecordingLayout,
  RecordingProperties,
  Role,
  SessionRecord,
} from './model.js';
import type { RecordingManager } from './recording.js';
import { recordingJson } from './recording.js';

export interface RestConfig {
  manager: SessionManager;
  recordings: RecordingManager;
  secret: string;
  publicUrl: string;
  recordingsDir: string;
  recordingEnabled: boolean;
  webhook:
    { url: string; headers: Record<string, string>; events: string[] | undefined } | undefined;
  iceServers: IceServerJson[];
  logger: Logger;
  /** Largest accepted REST body in bytes. */
  maxBodyBytes: number;
}

type Body = Record<string, unknown>;

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

// ── lenient body readers: `null` means "absent", wrong types are 400 ──

function field(body: Body, key: string): unknown {
  const v = body[key];
  return v === null ? undefined : v;
}
function optString(body: Body, key: string): string | undefined {
  const v = field(body, key);
  if (v === undefined || typeof v === 'string') return v;
  throw HttpError.badRequest(`Type error in parameter '${key}': expected a string`);
}
function optBool(body: Body, key: string): boolean | undefined {
  const v = field(body, key);
  if (v === undefined || typeof v === 'boolean') return v;
  throw HttpError.badRequest(`Type error in parameter '${key}': expected a boolean`);
}
function optNumber(body: Body, key: string): number | undefined {
  const v = field(body, key);
  if (v === undefined || (typeof v === 'number' && Number.isFinite(v))) return v;
  throw HttpError.badRequest(`Type error in parameter '${key}': expected a number`);
}
function optEnum<T extends string>(body: Body, key: string, values: readonly T[]): T | undefined {
  const v = optString(body, key);
  if (v === undefined) return undefined;
  if ((values as readonly string[]).includes(v)) return v as T;
  throw HttpError.badRequest(`Parameter '${key}' must be one of ${values.join(', ')}`);
}
function optObject(body: Body, key: string): Body | undefined {
  const v = field(body, key);
  if (v === undefined) return undefined;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Body;
  throw HttpError.badRequest(`Type error in parameter '${key}': expected an object`);
}

/** Reads the request body as text, failing with 413 beyond `max` bytes (never buffers more). */
async function readLimitedText(c: Context, max: number): Promise<string> {
  const declared = Number(c.req.header('Content-Length') ?? '0');
  if (declared > max) throw new HttpError(413, 'Request body too large', 'json');
  const stream = c.req.raw.body;
  if (!stream) return '';
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new HttpError(413, 'Request body too large', 'json');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readBody(c: Context, required: boolean, max: number): Promise<Body | undefined> {
  const text = await readLimitedText(c, max);
  if (text.trim() === '') {
    if (required) throw HttpError.badRequest('Request body is required');
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw HttpError.badRequest('Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw HttpError.badRequest('Request body must be a JSON object');
  }
  return parsed as Body;
}

const RESOLUTION_RE = /^(\d{3,4})x(\d{3,4})$/;
function validResolution(r: string): boolean {
  const m = RESOLUTION_RE.exec(r);
  if (!m) return false;
  const w = Number(m[1]);
  const h = Number(m[2]);
  return w >= 100 && w <= 1999 && h >= 100 && h <= 1999;
}

/**
 * Recording properties over `defaults`. Unprocessable values (422) are checked before the other
 * invalid ones (400), as OpenVidu does.
 */
export function parseRecordingProperties(
  body: Body,
  defaults: RecordingProperties,
): RecordingProperties {
  const rawAudio = field(body, 'hasAudio');
  const rawVideo = field(body, 'hasVideo');
  const hasAudio = typeof rawAudio === 'boolean' ? rawAudio : defaults.hasAudio;
  const hasVideo = typeof rawVideo === 'boolean' ? rawVideo : defaults.hasVideo;
  if (!hasAudio && !hasVideo) {
    throw new HttpError(
      422,
      'Cannot start a recording with both "hasAudio" and "hasVideo" false',
      'json',
    );
  }
  const rawRes = field(body, 'resolution');
  if (typeof rawRes === 'string' && !validResolution(rawRes)) {
    throw new HttpError(
      422,
      'Wrong "resolution" parameter. Acceptable values from 100 to 1999',
      'json',
    );
  }
  const rawFps = field(body, 'frameRate');
  if (typeof rawFps === 'number' && (rawFps < 1 || rawFps > 120 || !Number.isInteger(rawFps))) {
    throw new HttpError(422, 'Wrong "frameRate" parameter. Acceptable values are [1,120]', 'json');
  }
  const rawShm = field(body, 'shmSize');
  if (typeof rawShm === 'number' && rawShm < 134217728) {
    throw new HttpError(
      422,
      'Wrong "shmSize" parameter. Must be 134217728 (128 MB) minimum',
      'json',
    );
  }
  const name = optString(body, 'name');
  if (name !== undefined && name !== '' && !isValidRecordingId(name)) {
    throw HttpError.badRequest(
      'Parameter "name" is wrong. Must be an alphanumeric string [a-zA-Z0-9_-~]+',
    );
  }
  optBool(body, 'hasAudio');
  optBool(body, 'hasVideo');
  const mediaNode = field(body, 'mediaNode');
  return {
    name: name ?? defaults.name,
    hasAudio,
    hasVideo,
    outputMode: optEnum<OutputMode>(body, 'outputMode', OUTPUT_MODES) ?? defaults.outputMode,
    recordingLayout:
      optEnum<RecordingLayout>(body, 'recordingLayout', RECORDING_LAYOUTS) ??
      defaults.recordingLayout,
    customLayout: optString(body, 'customLayout') ?? defaults.customLayout,
    resolution: optString(body, 'resolution') ?? defaults.resolution,
    frameRate: optNumber(body, 'frameRate') ?? defaults.frameRate,
    shmSize: optNumber(body, 'shmSize') ?? defaults.shmSize,
    ignoreFailedStreams: optBool(body, 'ignoreFailedStreams') ?? defaults.ignoreFailedStreams,
    ...(typeof mediaNode === 'string'
      ? { mediaNode: { id: mediaNode } }
      : typeof mediaNode === 'object' && mediaNode && typeof (mediaNode as Body)['id'] === 'string'
        ? { mediaNode: { id: (mediaNode as Body)['id'] as string } }
        : defaults.mediaNode
          ? { mediaNode: defaults.mediaNode }
          : {}),
  };
}

function parseSessionProps(body: Body): NewSessionProps {
  const custom = optString(body, 'customSessionId');
  if (custom !== undefined && custom !== '' && !isValidId(custom)) {
    throw HttpError.badRequest(
      'Parameter "customSessionId" is wrong. Must be an alphanumeric string [a-zA-Z0-9_-]',
    );
  }
  const drp = optObject(body, 'defaultRecordingProperties');
  let defaultRecordingProperties: RecordingProperties | undefined;
  if (drp) {
    try {
      defaultRecordingProperties = parseRecordingProperties(drp, DEFAULT_RECORDING_PROPERTIES);
    } catch (err) {
      if (err instanceof HttpError) throw HttpError.badRequest(err.message);
      throw err;
    }
  }
  const mediaNode = field(body, 'mediaNode');
  let node: { id: string } | undefined;
  if (typeof mediaNode === 'string') node = { id: mediaNode };
  else if (typeof mediaNode === 'object' && mediaNode !== null) {
    const id = (mediaNode as Body)['id'];
    if (typeof id !== 'string')
      throw HttpError.badRequest("Parameter 'mediaNode' must have a string 'id'");
    node = { id };
  } else if (mediaNode !== undefined) {
    throw HttpError.badRequest("Type error in parameter 'mediaNode'");
  }
  return {
    ...(custom ? { customSessionId: custom } : {}),
    mediaMode: optEnum(body, 'mediaMode', ['ROUTED', 'RELAYED'] as const),
    recordingMode: optEnum(body, 'recordingMode', ['MANUAL', 'ALWAYS'] as const),
    ...(defaultRecordingProperties ? { defaultRecordingProperties } : {}),
    forcedVideoCodec: optEnum(body, 'forcedVideoCodec', [
      'MEDIA_SERVER_PREFERRED',
      'NONE',
      'VP8',
      'VP9',
      'H264',
    ] as const),
    allowTranscoding: optBool(body, 'allowTranscoding'),
    ...(node ? { mediaNode: node } : {}),
  };
}

function parseKurentoOptions(body: Body): KurentoOptions | null {
  const ko = optObject(body, 'kurentoOptions');
  if (!ko) return null;
  const out: KurentoOptions = {};
  for (const k of [
    'videoMaxRecvBandwidth',
    'videoMinRecvBandwidth',
    'videoMaxSendBandwidth',
    'videoMinSendBandwidth',
  ] as const) {
    const v = optNumber(ko, k);
    if (v !== undefined) out[k] = v;
  }
  const filters = field(ko, 'allowedFilters');
  if (filters !== undefined) {
    if (!Array.isArray(filters) || !filters.every((f) => typeof f === 'string')) {
      throw HttpError.badRequest(
        "Type error in parameter 'allowedFilters': expected an array of strings",
      );
    }
    out.allowedFilters = filters as string[];
  }
  return out;
}

function parseIceServers(body: Body): IceServerJson[] | undefined {
  const v = field(body, 'customIceServers');
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw HttpError.badRequest("Type error in parameter 'customIceServers'");
  return v.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) {
      throw HttpError.badRequest("Type error in parameter 'customIceServers'");
    }
    const e = entry as Body;
    const url = optString(e, 'url');
    if (!url || !/^(stun|stuns|turn|turns):/.test(url)) {
      throw HttpError.badRequest('Each custom ICE server needs a stun:/turn: "url"');
    }
    const username = optString(e, 'username');
    const credential = optString(e, 'credential');
    return {
      url,
      ...(username !== undefined ? { username } : {}),
      ...(credential !== undefined ? { credential } : {}),
    };
  });
}

function parseConnectionProps(body: Body): NewConnectionProps {
  const type = optString(body, 'type');
  if (type === 'IPCAM') {
    throw new HttpError(
      501,
      'IPCAM connections are not supported by the development server',
      'json',
    );
  }
  if (type !== undefined && type !== 'WEBRTC') {
    throw HttpError.badRequest("Parameter 'type' must be WEBRTC or IPCAM");
  }
  const role = optEnum<Role>(body, 'role', ROLES);
  const customIceServers = parseIceServers(body);
  return {
    data: optString(body, 'data'),
    record: optBool(body, 'record'),
    ...(role ? { role } : {}),
    kurentoOptions: parseKurentoOptions(body),
    ...(customIceServers ? { customIceServers } : {}),
  };
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function createRestApp(cfg: RestConfig): Hono {
  const app = new Hono();
  const { manager, recordings } = cfg;
  const expectedAuth = `Basic ${Buffer.from(`OPENVIDUAPP:${cfg.secret}`).toString('base64')}`;

  app.onError((err, c) => {
    if (err instanceof HttpError) {
      if (err.body === 'empty') return c.body(null, err.status as 404);
      if (err.body === 'text') return c.text(err.message, err.status as 500);
      return c.json(
        {
          timestamp: Date.now(),
          status: err.status,
          error: REASON[err.status] ?? 'Error',
          message: err.message,
          path: c.req.path,
        },
        err.status as 400,
      );
    }
    cfg.logger.error('rest handler failed', {
      path: c.req.path,
      error: err instanceof Error ? err.message : String(err),
    });
    return c.text('Internal server error', 500);
  });
  app.notFound((c) => c.body(null, 404));

  app.use(
    '*',
    cors({
      origin: (origin) => origin || '*',
      allowMethods: ['GET', 'HEAD', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Range'],
      exposeHeaders: ['Content-Range', 'Accept-Ranges', 'Content-Length'],
      credentials: true,
    }),
  );

  // Public endpoints.
  app.get('/openvidu/api/config/openvidu-publicurl', (c) => c.text(cfg.publicUrl));
  app.get('/openvidu/accept-certificate', (c) => c.text('Certificate accepted'));

  const auth = async (c: Context, next: () => Promise<void>): Promise<Response | void> => {
    if (c.req.method === 'OPTIONS') return next();
    const header = c.req.header('Authorization') ?? '';
    if (!safeEqual(header, expectedAuth)) {
      return c.body(null, 401, { 'WWW-Authenticate': 'Basic realm="OpenVidu"' });
    }
    return next();
  };
  app.use('/openvidu/api/*', auth);
  app.use('/openvidu/recordings/*', auth);

  const sessionOr404 = (id: string): SessionRecord => {
    const s = isValidId(id) ? manager.getSession(id) : undefined;
    if (!s) throw new HttpError(404);
    return s;
  };
  const sessionOr400 = (id: string): SessionRecord => {
    const s = isValidId(id) ? manager.getSession(id) : undefined;
    if (!s) throw HttpError.badRequest(`No session exists for the passed SESSION_ID: ${id}`);
    return s;
  };

  // ── sessions ──
  app.post('/openvidu/api/sessions', async (c) => {
    const body = (await readBody(c, false, cfg.maxBodyBytes)) ?? {};
    const props = parseSessionProps(body);
    const session = manager.createSession(props);
    return c.json(sessionJson(session, false));
  });
  app.get('/openvidu/api/sessions', (c) => {
    const pending = c.req.query('pendingConnections') === 'true';
    const content = [...manager.sessions.values()].map((s) => sessionJson(s, pending));
    return c.json({ numberOfElements: content.length, content });
  });
  app.get('/openvidu/api/sessions/:id', (c) => {
    const s = sessionOr404(c.req.param('id'));
    return c.json(sessionJson(s, c.req.query('pendingConnections') === 'true'));
  });
  app.delete('/openvidu/api/sessions/:id', (c) => {
    const s = sessionOr404(c.req.param('id'));
    manager.closeSession(s, 'sessionClosedByServer');
    return c.body(null, 204);
  });

  // ── connections ──
  app.post('/openvidu/api/sessions/:id/connection', async (c) => {
    const s = sessionOr404(c.req.param('id'));
    const body = (await readBody(c, false, cfg.maxBodyBytes)) ?? {};
    const conn = manager.createConnection(s, parseConnectionProps(body));
    return c.json(connectionJson(conn));
  });
  app.get('/openvidu/api/sessions/:id/connection', (c) => {
    const s = sessionOr404(c.req.param('id'));
    const pending = c.req.query('pendingConnections') !== 'false';
    const content = [...s.connections.values()]
      .filter((x) => pending || x.status === 'active')
      .map(connectionJson);
    return c.json({ numberOfElements: content.length, content });
  });
  app.get('/openvidu/api/sessions/:id/connection/:cid', (c) => {
    const s = sessionOr400(c.req.param('id'));
    const conn = s.connections.get(c.req.param('cid'));
    if (!conn) throw new HttpError(404);
    return c.json(connectionJson(conn));
  });
  app.delete('/openvidu/api/sessions/:id/connection/:cid', (c) => {
    const s = sessionOr400(c.req.param('id'));
    const conn = s.connections.get(c.req.param('cid'));
    if (!conn) throw new HttpError(404);
    manager.deleteConnection(s, conn);
    return c.body(null, 204);
  });
  app.patch('/openvidu/api/sessions/:id/connection/:cid', (c) => c.body(null, 405));
  app.delete('/openvidu/api/sessions/:id/stream/:sid', (c) => {
    const s = sessionOr400(c.req.param('id'));
    manager.forceUnpublishByServer(s, c.req.param('sid'));
    return c.body(null, 204);
  });

  // ── deprecated tokens ──
  app.post('/openvidu/api/tokens', async (c) => {
    const body = (await readBody(c, true, cfg.maxBodyBytes)) as Body;
    const sessionId = optString(body, 'session');
    if (!sessionId) throw HttpError.badRequest("Parameter 'session' is required");
    const s = isValidId(sessionId) ? manager.getSession(sessionId) : undefined;
    if (!s) throw new HttpError(404, `Session ${sessionId} not found`, 'json');
    const role = optEnum<Role>(body, 'role', ROLES);
    const conn = manager.createConnection(s, {
      data: optString(body, 'data'),
      ...(role ? { role } : {}),
      kurentoOptions: parseKurentoOptions(body),
    });
    return c.json(tokenJson(conn));
  });

  // ── recordings ──
  const requireRecording = (): void => {
    if (!cfg.recordingEnabled) throw new HttpError(501);
  };
  app.post('/openvidu/api/recordings/start', async (c) => {
    const body = await readBody(c, true, cfg.maxBodyBytes);
    const sessionId = body ? field(body, 'session') : undefined;
    if (!body || typeof sessionId !== 'string' || sessionId === '') {
      throw HttpError.badRequest("Parameter 'session' is required and must be a string");
    }
    requireRecording();
    const s = sessionOr404(sessionId);
    if (s.mediaMode !== 'ROUTED' || s.activeRecordingId !== undefined) throw new HttpError(409);
    if (activeConnections(s).length === 0) throw new HttpError(406);
    const props = parseRecordingProperties(body, s.defaultRecordingProperties);
    const r = await recordings.start(s, props);
    return c.json(recordingJson(r));
  });
  app.post('/openvidu/api/recordings/stop/:id', (c) => {
    requireRecording();
    const id = c.req.param('id');
    if (!isValidRecordingId(id)) throw new HttpError(404);
    return c.json(recordingJson(recordings.stop(id, 'recordingStoppedByServer')));
  });
  app.get('/openvidu/api/recordings', (c) => {
    requireRecording();
    const items = recordings.list().map(recordingJson);
    return c.json({ count: items.length, items });
  });
  app.get('/openvidu/api/recordings/:id', (c) => {
    requireRecording();
    const id = c.req.param('id');
    const r = isValidRecordingId(id) ? recordings.get(id) : undefined;
    if (!r) throw new HttpError(404);
    return c.json(recordingJson(r));
  });
  app.delete('/openvidu/api/recordings/:id', async (c) => {
    requireRecording();
    const id = c.req.param('id');
    if (!isValidRecordingId(id)) throw new HttpError(404);
    await recordings.delete(id);
    return c.body(null, 204);
  });
  const serveFile = (c: Context): Promise<Response> =>
    serveRecordingFile(
      cfg.recordingsDir,
      c.req.param('id') ?? '',
      c.req.param('file') ?? '',
      c.req.method,
      c.req.header('Range'),
    );
  app.get('/openvidu/recordings/:id/:file', serveFile);
  app.on('HEAD', '/openvidu/recordings/:id/:file', serveFile);

  // ── signal ──
  app.post('/openvidu/api/signal', async (c) => {
    const body = (await readBody(c, true, cfg.maxBodyBytes)) as Body;
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
    const s = sessionOr404(sessionId);
    manager.sendMessageFromServer(s, (rawTo as string[] | undefined) ?? [], type, data);
    return c.body(null, 200);
  });

  // ── config ──
  app.get('/openvidu/api/config', (c) => {
    const url = new URL(cfg.publicUrl);
    return c.json({
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
            OPENVIDU_WEBHOOK_EVENTS: cfg.webhook.events ?? [
              'sessionCreated',
              'sessionDestroyed',
              'participantJoined',
              'participantLeft',
              'webrtcConnectionCreated',
              'webrtcConnectionDestroyed',
              'recordingStatusChanged',
              'filterEventDispatched',
              'signalSent',
            ],
          }
        : {}),
    });
  });
  app.get('/openvidu/api/config/openvidu-version', (c) => c.text(SERVER_VERSION));
  app.get('/openvidu/api/config/openvidu-recording', (c) => c.text(String(cfg.recordingEnabled)));
  app.get('/openvidu/api/config/openvidu-recording-path', (c) => c.text(cfg.recordingsDir));
  app.get('/openvidu/api/config/openvidu-cdr', (c) => c.text('false'));

  return app;
}
