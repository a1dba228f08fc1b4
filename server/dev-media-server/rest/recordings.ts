/**
 * Recording routes: `/openvidu/api/recordings/**` and the files under `/openvidu/recordings/{id}/{file}`,
 * plus the recording-properties parser the session routes reuse for `defaultRecordingProperties`.
 */
import type { Context, Hono } from 'hono';
import { HttpError } from '../errors.js';
import { serveRecordingFile } from '../files.js';
import { isValidRecordingId } from '../ids.js';
import { OUTPUT_MODES, RECORDING_LAYOUTS, activeConnections } from '../model.js';
import type { OutputMode, RecordingLayout, RecordingProperties } from '../model.js';
import { recordingJson } from '../recording.js';
import type { Body } from './body.js';
import { field, optBool, optEnum, optNumber, optString, readBody } from './body.js';
import type { RestContext } from './context.js';

const RESOLUTION_RE = /^(\d{3,4})x(\d{3,4})$/;
function validResolution(r: string): boolean {
  const m = RESOLUTION_RE.exec(r);
  if (!m) return false;
  const w = Number(m[1]);
  const h = Number(m[2]);
  return w >= 100 && w <= 1999 && h >= 100 && h <= 1999;
}

function mediaNodeOf(
  body: Body,
  defaults: RecordingProperties,
): Pick<RecordingProperties, 'mediaNode'> {
  const mediaNode = field(body, 'mediaNode');
  if (typeof mediaNode === 'string') return { mediaNode: { id: mediaNode } };
  if (typeof mediaNode === 'object' && mediaNode && typeof (mediaNode as Body)['id'] === 'string')
    return { mediaNode: { id: (mediaNode as Body)['id'] as string } };
  return defaults.mediaNode ? { mediaNode: defaults.mediaNode } : {};
}

/** Throws the 422s OpenVidu checks before any 400. */
function checkUnprocessable(body: Body, hasAudio: boolean, hasVideo: boolean): void {
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
  checkUnprocessable(body, hasAudio, hasVideo);
  const name = optString(body, 'name');
  if (name !== undefined && name !== '' && !isValidRecordingId(name)) {
    throw HttpError.badRequest(
      'Parameter "name" is wrong. Must be an alphanumeric string [a-zA-Z0-9_-~]+',
    );
  }
  optBool(body, 'hasAudio');
  optBool(body, 'hasVideo');
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
    ...mediaNodeOf(body, defaults),
  };
}

export function registerOpenViduRecordingRoutes(app: Hono, ctx: RestContext): void {
  const { cfg } = ctx;
  const { recordings } = cfg;
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
    const s = ctx.sessionOr404(sessionId);
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
}
