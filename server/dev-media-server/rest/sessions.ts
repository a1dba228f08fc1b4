/** Session routes: create, list, get and close `/openvidu/api/sessions[/{id}]`. */
import type { Hono } from 'hono';
import type { NewSessionProps } from '../core.js';
import { HttpError } from '../errors.js';
import { isValidId } from '../ids.js';
import { DEFAULT_RECORDING_PROPERTIES, sessionJson } from '../model.js';
import type { RecordingProperties } from '../model.js';
import type { Body } from './body.js';
import { field, optBool, optEnum, optObject, optString, readBody } from './body.js';
import type { RestContext } from './context.js';
import { parseRecordingProperties } from './recordings.js';

function parseMediaNode(body: Body): { id: string } | undefined {
  const mediaNode = field(body, 'mediaNode');
  if (typeof mediaNode === 'string') return { id: mediaNode };
  if (typeof mediaNode === 'object' && mediaNode !== null) {
    const id = (mediaNode as Body)['id'];
    if (typeof id !== 'string')
      throw HttpError.badRequest("Parameter 'mediaNode' must have a string 'id'");
    return { id };
  }
  if (mediaNode !== undefined) throw HttpError.badRequest("Type error in parameter 'mediaNode'");
  return undefined;
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
  const node = parseMediaNode(body);
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

export function registerSessionRoutes(app: Hono, ctx: RestContext): void {
  const { manager, maxBodyBytes } = ctx.cfg;

  app.post('/openvidu/api/sessions', async (c) => {
    const body = (await readBody(c, false, maxBodyBytes)) ?? {};
    const session = manager.createSession(parseSessionProps(body));
    return c.json(sessionJson(session, false));
  });

  app.get('/openvidu/api/sessions', (c) => {
    const pending = c.req.query('pendingConnections') === 'true';
    const content = [...manager.sessions.values()].map((s) => sessionJson(s, pending));
    return c.json({ numberOfElements: content.length, content });
  });

  app.get('/openvidu/api/sessions/:id', (c) => {
    const s = ctx.sessionOr404(c.req.param('id'));
    return c.json(sessionJson(s, c.req.query('pendingConnections') === 'true'));
  });

  app.delete('/openvidu/api/sessions/:id', (c) => {
    const s = ctx.sessionOr404(c.req.param('id'));
    manager.closeSession(s, 'sessionClosedByServer');
    return c.body(null, 204);
  });
}
