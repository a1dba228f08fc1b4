/**
 * REST API against the real openvidu-node-client 2.32.2 (and raw fetch where the client hides the
 * status): sessions, connections, tokens, eviction, signals, config, auth.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenVidu, OpenViduRole } from 'openvidu-node-client';
import type { TestServer } from './test-support.js';
import { RpcClient, api, joinNew, publish, startTestServer, waitFor } from './test-support.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function rejectsWithStatus(p: Promise<unknown>, status: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.equal(err.message, String(status));
    return true;
  });
}

void describe('auth', () => {
  void it('answers 401 without or with wrong Basic credentials', async () => {
    const none = await fetch(`${t.server.url}/openvidu/api/sessions`);
    assert.equal(none.status, 401);
    const wrong = await api(t.server, 'GET', '/openvidu/api/sessions', undefined, {
      Authorization: `Basic ${Buffer.from('OPENVIDUAPP:nope').toString('base64')}`,
    });
    assert.equal(wrong.status, 401);
    const ov = new OpenVidu(t.server.url, 'WRONG');
    ov.enableProdMode();
    await rejectsWithStatus(ov.createSession(), 401);
    await rejectsWithStatus(ov.fetch(), 401);
  });

  void it('serves the public URL without auth', async () => {
    const r = await fetch(`${t.server.url}/openvidu/api/config/openvidu-publicurl`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), t.server.url);
  });
});

void describe('sessions', () => {
  void it('creates a session with generated id and the JSON the node client reads', async () => {
    const session = await t.ov.createSession();
    assert.match(session.sessionId, /^ses_[A-Z][a-zA-Z0-9]{9}$/);
    const raw = await api(t.server, 'GET', `/openvidu/api/sessions/${session.sessionId}`);
    assert.equal(raw.status, 200);
    const json = raw.json as Record<string, unknown>;
    assert.equal(json['id'], session.sessionId);
    assert.equal(json['sessionId'], session.sessionId);
    assert.equal(json['object'], 'session');
    assert.equal(json['customSessionId'], '');
    assert.equal(json['mediaMode'], 'ROUTED');
    assert.equal(json['recordingMode'], 'MANUAL');
    assert.equal(json['recording'], false);
    assert.equal(json['broadcasting'], false);
    assert.equal(json['forcedVideoCodec'], 'MEDIA_SERVER_PREFERRED');
    assert.equal(json['allowTranscoding'], false);
    assert.deepEqual(json['connections'], { numberOfElements: 0, content: [] });
    assert.deepEqual(json['defaultRecordingProperties'], {
      name: '',
      hasAudio: true,
      hasVideo: true,
      outputMode: 'COMPOSED',
      recordingLayout: 'BEST_FIT',
      resolution: '1280x720',
      frameRate: 25,
      shmSize: 536870912,
    });
    assert.equal(raw.headers.get('content-type'), 'application/json');
    await session.close();
  });

  void it('answers 409 with an empty body on a duplicate customSessionId; the node client then fetches it', async () => {
    const s1 = await t.ov.createSession({ customSessionId: 'dup-session_1' });
    assert.equal(s1.sessionId, 'dup-session_1');
    const raw = await api(t.server, 'POST', '/openvidu/api/sessions', {
      customSessionId: 'dup-session_1',
    });
    assert.equal(raw.status, 409);
    assert.equal(raw.text, '');
    const s2 = await t.ov.createSession({ customSessionId: 'dup-session_1' });
    assert.equal(s2.sessionId, 'dup-session_1');
    await s1.close();
  });

  void it('answers 400 with OpenVidu error JSON for an invalid customSessionId or bad types', async () => {
    const bad = await api(t.server, 'POST', '/openvidu/api/sessions', {
      customSessionId: '../etc',
    });
    assert.equal(bad.status, 400);
    const body = bad.json as Record<string, unknown>;
    assert.equal(body['status'], 400);
    assert.equal(body['error'], 'Bad Request');
    assert.equal(body['path'], '/openvidu/api/sessions');
    assert.equal(typeof body['message'], 'string');
    assert.equal(typeof body['timestamp'], 'number');
    assert.equal(
      (await api(t.server, 'POST', '/openvidu/api/sessions', { mediaMode: 'X' })).status,
      400,
    );
    assert.equal((await api(t.server, 'POST', '/openvidu/api/sessions', '{not json')).status, 400);
    assert.equal((await api(t.server, 'POST', '/openvidu/api/sessions', [1])).status, 400);
  });

  void it('accepts null values as absent (the node client sends many)', async () => {
    const r = await api(t.server, 'POST', '/openvidu/api/sessions', {
      customSessionId: null,
      mediaMode: null,
      recordingMode: null,
      defaultRecordingProperties: null,
    });
    assert.equal(r.status, 200);
    assert.equal(
      (await api(t.server, 'DELETE', `/openvidu/api/sessions/${(r.json as { id: string }).id}`))
        .status,
      204,
    );
  });

  void it('lists sessions, fetches them, 404s unknown ones, deletes with 204 then 404', async () => {
    const s = await t.ov.createSession({ customSessionId: 'listme' });
    const list = await api(t.server, 'GET', '/openvidu/api/sessions');
    const body = list.json as { numberOfElements: number; content: { id: string }[] };
    assert.equal(body.numberOfElements, body.content.length);
    assert.ok(body.content.some((x) => x.id === 'listme'));
    await t.ov.fetch();
    assert.ok(t.ov.activeSessions.some((x) => x.sessionId === 'listme'));
    assert.equal((await api(t.server, 'GET', '/openvidu/api/sessions/nope')).status, 404);
    assert.equal((await api(t.server, 'GET', '/openvidu/api/sessions/..%2F..%2Fetc')).status, 404);
    await s.close();
    await rejectsWithStatus(s.close(), 404);
    assert.equal((await api(t.server, 'GET', '/openvidu/api/sessions/listme')).status, 404);
  });

  void it('DELETE evicts every participant with sessionClosedByServer', async () => {
    const s = await t.ov.createSession({ customSessionId: 'closing' });
    const a = await joinNew(t, 'closing');
    const b = await joinNew(t, 'closing');
    await s.close();
    const evA = await a.client.notification(
      'participantEvicted',
      (p) => p['connectionId'] === a.connectionId,
    );
    assert.equal(evA['reason'], 'sessionClosedByServer');
    await b.client.notification('participantEvicted', (p) => p['connectionId'] === b.connectionId);
    await a.client.closed();
    await b.client.closed();
    await waitFor('no sessions', () => t.server.stats().participants === 0);
  });
});

void describe('connections', () => {
  void it('creates a pending connection with the fields the node client reads', async () => {
    const s = await t.ov.createSession({ customSessionId: 'conns' });
    const conn = await s.createConnection({
      role: OpenViduRole.MODERATOR,
      data: 'server-data',
      record: false,
      kurentoOptions: { allowedFilters: ['GStreamerFilter'], videoMaxRecvBandwidth: 500 },
    });
    assert.match(conn.connectionId, /^con_[A-Z][a-zA-Z0-9]{9}$/);
    assert.equal(conn.status, 'pending');
    const port = new URL(t.server.url).port;
    assert.match(
      conn.token,
      new RegExp(`^ws://localhost:${port}\\?sessionId=conns&token=tok_[A-Z][a-zA-Z0-9]{15}$`),
    );
    assert.equal(conn.connectionProperties.role, 'MODERATOR');
    assert.equal(conn.connectionProperties.data, 'server-data');
    assert.equal(conn.connectionProperties.record, false);
    assert.deepEqual(conn.connectionProperties.kurentoOptions, {
      allowedFilters: ['GStreamerFilter'],
      videoMaxRecvBandwidth: 500,
    });
    const raw = await api(
      t.server,
      'GET',
      `/openvidu/api/sessions/conns/connection/${conn.connectionId}`,
    );
    assert.equal(raw.status, 200);
    const json = raw.json as Record<string, unknown>;
    for (const key of [
      'id',
      'connectionId',
      'object',
      'sessionId',
      'createdAt',
      'activeAt',
      'location',
      'ip',
      'platform',
      'token',
      'type',
      'record',
      'role',
      'kurentoOptions',
      'customIceServers',
      'rtspUri',
      'adaptativeBitrate',
      'onlyPlayWithSubscribers',
      'networkCache',
      'serverData',
      'clientData',
      'publishers',
      'subscribers',
    ]) {
      assert.ok(key in json, `connection JSON lacks ${key}`);
    }
    assert.equal(json['publishers'], null);
    assert.equal(json['type'], 'WEBRTC');
    await s.close();
  });

  void it('lists connections (pending included by default), 404 for an unknown session', async () => {
    const s = await t.ov.createSession({ customSessionId: 'connlist' });
    await s.createConnection();
    const a = await joinNew(t, 'connlist', { metadata: '{"name":"A"}', data: 'srv' });
    const all = await api(t.server, 'GET', '/openvidu/api/sessions/connlist/connection');
    assert.equal((all.json as { numberOfElements: number }).numberOfElements, 2);
    const active = await api(
      t.server,
      'GET',
      '/openvidu/api/sessions/connlist/connection?pendingConnections=false',
    );
    const content = (active.json as { content: Record<string, unknown>[] }).content;
    assert.equal(content.length, 1);
    assert.equal(content[0]?.['status'], 'active');
    assert.equal(content[0]?.['clientData'], '{"name":"A"}');
    assert.equal(content[0]?.['platform'], 'Node test');
    assert.equal(content[0]?.['ip'], '127.0.0.1');
    assert.deepEqual(content[0]?.['publishers'], []);
    assert.equal(
      (await api(t.server, 'GET', '/openvidu/api/sessions/none/connection')).status,
      404,
    );
    await s.fetch();
    assert.equal(s.activeConnections.length, 1);
    assert.equal(s.activeConnections[0]?.connectionId, a.connectionId);
    a.client.close();
    await s.close();
  });

  void it('GET/DELETE a connection: 400 for an unknown session, 404 for an unknown connection', async () => {
    const s = await t.ov.createSession({ customSessionId: 'conn404' });
    assert.equal(
      (await api(t.server, 'GET', '/openvidu/api/sessions/ghost/connection/con_X')).status,
      400,
    );
    assert.equal(
      (await api(t.server, 'GET', '/openvidu/api/sessions/conn404/connection/con_X')).status,
      404,
    );
    assert.equal(
      (await api(t.server, 'DELETE', '/openvidu/api/sessions/ghost/connection/con_X')).status,
      400,
    );
    assert.equal(
      (await api(t.server, 'DELETE', '/openvidu/api/sessions/conn404/connection/con_X')).status,
      404,
    );
    assert.equal(
      (await api(t.server, 'POST', '/openvidu/api/sessions/ghost/connection', {})).status,
      404,
    );
    assert.equal(
      (await api(t.server, 'POST', '/openvidu/api/sessions/conn404/connection', { role: 'KING' }))
        .status,
      400,
    );
    assert.equal(
      (await api(t.server, 'PATCH', '/openvidu/api/sessions/conn404/connection/con_X', {})).status,
      405,
    );
    await s.close();
  });

  void it('deleting a pending connection revokes its token', async () => {
    const s = await t.ov.createSession({ customSessionId: 'revoke' });
    const conn = await s.createConnection();
    await s.forceDisconnect(conn.connectionId);
    const client = await RpcClient.open(t.server, 'revoke');
    await client.expectError(
      'joinRoom',
      { token: conn.token, session: 'revoke', metadata: '', platform: 'x' },
      401,
    );
    client.close();
    await s.close();
  });

  void it('deleting an active connection evicts it: participantEvicted to it, participantLeft then participantEvicted to others', async () => {
    const s = await t.ov.createSession({ customSessionId: 'evict' });
    const a = await joinNew(t, 'evict');
    const b = await joinNew(t, 'evict');
    await s.fetch();
    await s.forceDisconnect(b.connectionId);
    const own = await b.client.notification('participantEvicted');
    assert.deepEqual(own, { connectionId: b.connectionId, reason: 'forceDisconnectByServer' });
    await a.client.notification('participantEvicted');
    const seq = a.client.notifications
      .filter((n) => n.params['connectionId'] === b.connectionId)
      .map((n) => `${n.method}:${String(n.params['reason'])}`);
    assert.deepEqual(seq, [
      'participantLeft:forceDisconnectByServer',
      'participantEvicted:forceDisconnectByServer',
    ]);
    assert.equal(await b.client.closed(), 1000, 'the server closes the evicted socket');
    assert.equal(
      (await api(t.server, 'GET', `/openvidu/api/sessions/evict/connection/${b.connectionId}`))
        .status,
      404,
    );
    a.client.close();
    await s.close();
  });

  void it('DELETE stream force-unpublishes: everyone including the owner gets participantUnpublished', async () => {
    const s = await t.ov.createSession({ customSessionId: 'unpub' });
    const a = await joinNew(t, 'unpub');
    const b = await joinNew(t, 'unpub');
    const streamId = await publish(a.client);
    assert.equal(
      (await api(t.server, 'DELETE', '/openvidu/api/sessions/unpub/stream/str_nope')).status,
      404,
    );
    assert.equal(
      (await api(t.server, 'DELETE', `/openvidu/api/sessions/ghost/stream/${streamId}`)).status,
      400,
    );
    await s.fetch();
    const pub = s.activeConnections.find((c) => c.connectionId === a.connectionId)?.publishers[0];
    assert.ok(pub);
    assert.equal(pub.streamId, streamId);
    assert.equal(pub.hasVideo, true);
    await s.forceUnpublish(pub);
    for (const c of [a.client, b.client]) {
      const n = await c.notification('participantUnpublished');
      assert.deepEqual(n, { connectionId: a.connectionId, reason: 'forceUnpublishByServer' });
    }
    a.client.close();
    b.client.close();
    await s.close();
  });
});

void describe('tokens (deprecated)', () => {
  void it('generateToken works and the token joins', async () => {
    const s = await t.ov.createSession({ customSessionId: 'tokens' });
    const token = await s.generateToken({ role: OpenViduRole.SUBSCRIBER, data: 'd' });
    assert.match(token, /^ws:\/\/localhost:\d+\?sessionId=tokens&token=tok_/);
    const raw = await api(t.server, 'POST', '/openvidu/api/tokens', {
      session: 'tokens',
      role: 'PUBLISHER',
    });
    const json = raw.json as Record<string, unknown>;
    assert.equal(json['id'], json['token']);
    assert.equal(json['session'], 'tokens');
    assert.equal(json['role'], 'PUBLISHER');
    assert.match(String(json['connectionId']), /^con_/);
    const client = await RpcClient.open(t.server, 'tokens');
    const join = await client.call('joinRoom', {
      token,
      session: 'tokens',
      metadata: '',
      platform: 'x',
    });
    assert.equal(join['role'], 'SUBSCRIBER');
    assert.equal(join['metadata'], 'd');
    client.close();
    await s.close();
  });

  void it('400 without session, 404 for an unknown session', async () => {
    assert.equal((await api(t.server, 'POST', '/openvidu/api/tokens', {})).status, 400);
    assert.equal((await api(t.server, 'POST', '/openvidu/api/tokens')).status, 400);
    const r = await api(t.server, 'POST', '/openvidu/api/tokens', { session: 'ghost' });
    assert.equal(r.status, 404);
  });
});

void describe('signal', () => {
  void it('delivers a REST signal to everyone (no from, type verbatim) and to a subset', async () => {
    await t.ov.createSession({ customSessionId: 'sig' });
    const a = await joinNew(t, 'sig');
    const b = await joinNew(t, 'sig');
    const all = await api(t.server, 'POST', '/openvidu/api/signal', {
      session: 'sig',
      type: 'chat',
      data: 'hi',
    });
    assert.equal(all.status, 200);
    assert.equal(all.text, '');
    assert.deepEqual(await a.client.notification('sendMessage'), { data: 'hi', type: 'chat' });
    assert.deepEqual(await b.client.notification('sendMessage'), { data: 'hi', type: 'chat' });
    const one = await api(t.server, 'POST', '/openvidu/api/signal', {
      session: 'sig',
      to: [b.connectionId],
      data: 'only b',
    });
    assert.equal(one.status, 200);
    await b.client.notification('sendMessage', (p) => p['data'] === 'only b');
    // A marker signal to everyone proves `a` did not get the subset one.
    await api(t.server, 'POST', '/openvidu/api/signal', { session: 'sig', data: 'marker' });
    await a.client.notification('sendMessage', (p) => p['data'] === 'marker');
    assert.equal(a.client.notifications.filter((n) => n.params['data'] === 'only b').length, 0);
    a.client.close();
    b.client.close();
  });

  void it('400 bad body, 404 unknown session, 406 nobody connected or unknown recipient', async () => {
    await t.ov.createSession({ customSessionId: 'sig406' });
    assert.equal((await api(t.server, 'POST', '/openvidu/api/signal', { data: 'x' })).status, 400);
    assert.equal(
      (await api(t.server, 'POST', '/openvidu/api/signal', { session: 'sig406', to: 'x' })).status,
      400,
    );
    assert.equal(
      (await api(t.server, 'POST', '/openvidu/api/signal', { session: 'ghost' })).status,
      404,
    );
    assert.equal(
      (await api(t.server, 'POST', '/openvidu/api/signal', { session: 'sig406' })).status,
      406,
    );
    const a = await joinNew(t, 'sig406');
    assert.equal(
      (
        await api(t.server, 'POST', '/openvidu/api/signal', {
          session: 'sig406',
          to: ['con_Nobody'],
        })
      ).status,
      406,
    );
    const big = 'x'.repeat(70 * 1024);
    assert.equal(
      (await api(t.server, 'POST', '/openvidu/api/signal', { session: 'sig406', data: big }))
        .status,
      400,
    );
    a.client.close();
  });

  void it('rejects REST bodies over the limit with 413', async () => {
    const huge = JSON.stringify({ session: 'x', data: 'y'.repeat(1100 * 1024) });
    assert.equal((await api(t.server, 'POST', '/openvidu/api/signal', huge)).status, 413);
  });
});

void describe('config', () => {
  void it('GET /openvidu/api/config reports version, public URL and recording', async () => {
    const r = await api(t.server, 'GET', '/openvidu/api/config');
    const json = r.json as Record<string, unknown>;
    assert.equal(json['VERSION'], '2.32.2');
    assert.equal(json['OPENVIDU_PUBLICURL'], t.server.url);
    assert.equal(json['OPENVIDU_RECORDING'], true);
    assert.equal(json['OPENVIDU_WEBHOOK'], false);
    assert.equal(
      (await api(t.server, 'GET', '/openvidu/api/config/openvidu-version')).text,
      '2.32.2',
    );
    assert.ok(!r.text.includes(t.server.secret));
  });
});

void describe('leaks', () => {
  void it('returns to zero participants, sockets, RPC sessions and timers after everyone leaves', async () => {
    await waitFor('quiet server', () => {
      const s = t.server.stats();
      return (
        s.participants === 0 && s.sockets === 0 && s.rpcSessions === 0 && s.timersPending === 0
      );
    });
    const st = t.server.stats();
    assert.equal(st.media.peerConnections, 0);
  });
});
