/**
 * Connection routes: `/openvidu/api/sessions/{id}/connection[/{connectionId}]`, force-unpublish
 * (`/stream/{streamId}`) and the deprecated `POST /openvidu/api/tokens`.
 */
import type { Hono } from 'hono';
import type { NewConnectionProps } from '../core.js';
import { HttpError } from '../errors.js';
import { isValidId } from '../ids.js';
import { ROLES, connectionJson, tokenJson } from '../model.js';
import type { IceServerJson, KurentoOptions, Role } from '../model.js';
import type { Body } from './body.js';
import { field, optBool, optEnum, optNumber, optObject, optString, readBody } from './body.js';
import type { RestContext } from './context.js';

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

export function registerConnectionRoutes(app: Hono, ctx: RestContext): void {
  const { manager, maxBodyBytes } = ctx.cfg;

  app.post('/openvidu/api/sessions/:id/connection', async (c) => {
    const s = ctx.sessionOr404(c.req.param('id'));
    const body = (await readBody(c, false, maxBodyBytes)) ?? {};
    const conn = manager.createConnection(s, parseConnectionProps(body));
    return c.json(connectionJson(conn));
  });

  app.get('/openvidu/api/sessions/:id/connection', (c) => {
    const s = ctx.sessionOr404(c.req.param('id'));
    const pending = c.req.query('pendingConnections') !== 'false';
    const content = [...s.connections.values()]
      .filter((x) => pending || x.status === 'active')
      .map(connectionJson);
    return c.json({ numberOfElements: content.length, content });
  });

  app.get('/openvidu/api/sessions/:id/connection/:cid', (c) => {
    const s = ctx.sessionOr400(c.req.param('id'));
    const conn = s.connections.get(c.req.param('cid'));
    if (!conn) throw new HttpError(404);
    return c.json(connectionJson(conn));
  });

  app.delete('/openvidu/api/sessions/:id/connection/:cid', (c) => {
    const s = ctx.sessionOr400(c.req.param('id'));
    const conn = s.connections.get(c.req.param('cid'));
    if (!conn) throw new HttpError(404);
    manager.deleteConnection(s, conn);
    return c.body(null, 204);
  });

  app.patch('/openvidu/api/sessions/:id/connection/:cid', (c) => c.body(null, 405));

  app.delete('/openvidu/api/sessions/:id/stream/:sid', (c) => {
    const s = ctx.sessionOr400(c.req.param('id'));
    manager.forceUnpublishByServer(s, c.req.param('sid'));
    return c.body(null, 204);
  });

  // The deprecated token endpoint: a connection answered in the old token shape.
  app.post('/openvidu/api/tokens', async (c) => {
    const body = (await readBody(c, true, maxBodyBytes)) as Body;
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
}
