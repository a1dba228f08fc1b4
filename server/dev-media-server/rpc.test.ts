/**
 * JSON-RPC protocol over WebSocket with raw `ws` clients speaking as openvidu-browser 2.32 does,
 * against a fake media router.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { TestServer } from './test-support.js';
import {
  RpcClient,
  api,
  closeAllClients,
  joinNew,
  publish,
  startTestServer,
  waitFor,
} from './test-support.js';

let t: TestServer;
let n = 0;
/** A fresh session per test. */
async function newSession(): Promise<string> {
  const id = `rpc-${++n}`;
  const r = await api(t.server, 'POST', '/openvidu/api/sessions', { customSessionId: id });
  assert.equal(r.status, 200);
  return id;
}

before(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await closeAllClients(t.server);
});
after(async () => {
  await t.close();
});

void describe('handshake and joinRoom', () => {
  void it('answers ping before joinRoom with {value:"pong"} and the same id', async () => {
    const c = await RpcClient.open(t.server);
    const r = await c.request('ping', { interval: 5000 });
    assert.equal(r.id, 0);
    assert.deepEqual(r.result, { value: 'pong' });
    const again = await c.request('ping');
    assert.deepEqual(again.result, { value: 'pong' });
    c.close();
  });

  void it('returns the joinRoom result openvidu-browser needs', async () => {
    const sid = await newSession();
    const { join, connectionId } = await joinNew(t, sid, { metadata: '{"name":"A"}', data: 'srv' });
    assert.match(connectionId, /^con_/);
    assert.equal(join['session'], sid);
    assert.equal(join['version'], '2.32.2');
    assert.equal(join['mediaServer'], 'kurento');
    assert.equal(join['videoSimulcast'], false);
    assert.equal(join['role'], 'PUBLISHER');
    assert.equal(join['record'], true);
    assert.equal(join['metadata'], '{"name":"A"}%/%srv');
    assert.deepEqual(join['value'], []);
    assert.equal(typeof join['createdAt'], 'number');
    assert.equal(typeof join['finalUserId'], 'string');
    assert.equal(typeof join['sessionId'], 'string', 'Kurento RPC session id for reconnection');
    assert.deepEqual(join['customIceServers'], [{ url: 'stun:127.0.0.1:3478' }]);
    assert.ok(!('life' in join), 'no `life`: it would make the browser call sessionStatus');
  });

  void it('tells existing participants participantJoined (no role) and lists them with streams to the joiner', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid, { metadata: 'A' });
    const streamId = await publish(a.client);
    const b = await joinNew(t, sid, { metadata: 'B' });
    const joined = await a.client.notification('participantJoined');
    assert.deepEqual(Object.keys(joined).sort(), ['createdAt', 'id', 'metadata']);
    assert.equal(joined['id'], b.connectionId);
    assert.equal(joined['metadata'], 'B');
    const value = b.join['value'] as Record<string, unknown>[];
    assert.equal(value.length, 1);
    const existing = value[0] as Record<string, unknown>;
    assert.equal(existing['id'], a.connectionId);
    assert.equal(existing['metadata'], 'A');
    assert.ok(!('role' in existing));
    const streams = existing['streams'] as Record<string, unknown>[];
    assert.deepEqual(streams[0], {
      id: streamId,
      createdAt: streams[0]?.['createdAt'],
      hasAudio: true,
      hasVideo: true,
      audioActive: true,
      videoActive: true,
      typeOfVideo: 'CAMERA',
      frameRate: 30,
      videoDimensions: '{"width":640,"height":480}',
      filter: {},
    });
    assert.equal(
      b.client.count('participantJoined'),
      0,
      'the joiner learns others from value[] only',
    );
  });

  void it('rejects a nonexistent session (202), a wrong token (401) and a reused token (401)', async () => {
    const sid = await newSession();
    const c = await RpcClient.open(t.server);
    await c.expectError(
      'joinRoom',
      { token: 'ws://x?sessionId=ghost&token=tok_X', session: 'ghost', metadata: '' },
      202,
    );
    await c.expectError(
      'joinRoom',
      { token: `ws://x?sessionId=${sid}&token=tok_Wrong`, session: sid, metadata: '' },
      401,
    );
    const a = await joinNew(t, sid);
    await c.expectError('joinRoom', { token: a.token, session: sid, metadata: '' }, 401);
    c.close();
  });

  void it('requires joinRoom before anything else (803) and a string metadata (500)', async () => {
    const sid = await newSession();
    const c = await RpcClient.open(t.server);
    await c.expectError('publishVideo', { sdpOffer: 'x' }, 803);
    await c.expectError('leaveRoom', {}, 803);
    const conn = await api(t.server, 'POST', `/openvidu/api/sessions/${sid}/connection`, {});
    const token = (conn.json as { token: string }).token;
    await c.expectError('joinRoom', { token, session: sid, metadata: { not: 'a string' } }, 500);
    await c.expectError('joinRoom', { session: sid }, -1);
    await c.call('joinRoom', { token, session: sid, metadata: '' });
    await c.expectError('joinRoom', { token, session: sid, metadata: '' }, 104);
    c.close();
  });
});

void describe('malformed input', () => {
  void it('answers malformed JSON, non-objects, bad envelopes and unknown methods with errors', async () => {
    const c = await RpcClient.open(t.server);
    c.sendRaw('{not json');
    await waitFor('parse error', () => c.responses.some((r) => r.error?.code === -32700));
    assert.equal(c.responses.find((r) => r.error?.code === -32700)?.id, null);
    c.sendRaw('[1,2]');
    await waitFor('invalid request', () => c.responses.some((r) => r.error?.code === -32600));
    c.sendRaw(JSON.stringify({ method: 'ping', id: 77 }));
    await waitFor('missing jsonrpc', () =>
      c.responses.some((r) => r.id === 77 && r.error?.code === -32600),
    );
    await c.expectError('noSuchMethod', {}, -32601);
    await c.expectError('subscribeToSpeechToText', { connectionId: 'x', lang: 'en' }, 997);
    // Still usable afterwards.
    assert.deepEqual((await c.request('ping')).result, { value: 'pong' });
    c.close();
  });

  void it('closes the socket with 1009 on an oversized frame and keeps serving others', async () => {
    const small = await startTestServer({ limits: { maxMessageBytes: 4096 } });
    try {
      const c = await RpcClient.open(small.server);
      c.sendRaw(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'echo',
          params: { x: 'y'.repeat(10_000) },
          id: 1,
        }),
      );
      assert.equal(await c.closed(), 1009);
      const d = await RpcClient.open(small.server);
      assert.deepEqual((await d.request('ping')).result, { value: 'pong' });
      d.close();
    } finally {
      await small.close();
    }
  });
});

void describe('publish and subscribe', () => {
  void it('publishes: answer + stream id, participantPublished to others, iceCandidate back, early candidates flushed', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    const cand = {
      endpointName: a.connectionId,
      candidate: 'candidate:9 1 udp 1 10.0.0.1 9 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    };
    await a.client.call('onIceCandidate', cand); // races ahead of publishVideo
    const r = await a.client.call('publishVideo', {
      hasAudio: true,
      hasVideo: true,
      audioActive: true,
      videoActive: true,
      typeOfVideo: 'SCREEN',
      frameRate: 15,
      sdpOffer: 'v=0\r\n',
    });
    const streamId = r['id'] as string;
    assert.match(streamId, new RegExp(`^str_SCR_[a-zA-Z0-9]{4}_${a.connectionId}$`));
    assert.match(String(r['sdpAnswer']), /^v=0/);
    assert.equal(typeof r['createdAt'], 'number');
    assert.deepEqual(
      t.router.candidates.get(streamId)?.map((x) => x.candidate),
      [cand.candidate],
    );
    const published = await b.client.notification('participantPublished');
    assert.equal(published['id'], a.connectionId);
    const streams = published['streams'] as Record<string, unknown>[];
    assert.equal(streams[0]?.['id'], streamId);
    assert.equal(streams[0]?.['typeOfVideo'], 'SCREEN');
    assert.equal(a.client.count('participantPublished'), 0);
    const ice = await a.client.notification('iceCandidate');
    assert.equal(ice['senderConnectionId'], a.connectionId);
    assert.equal(ice['endpointName'], streamId);
    assert.equal(typeof ice['candidate'], 'string');
    await a.client.expectError('publishVideo', { sdpOffer: 'v=0' }, 106);
  });

  void it('subscribes with a client offer and routes ICE to the subscriber endpoint both ways', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    const streamId = await publish(a.client);
    await b.client.call('onIceCandidate', {
      endpointName: a.connectionId,
      candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    });
    const r = await b.client.call('receiveVideoFrom', {
      sender: streamId,
      sdpOffer: 'v=0\r\nrecvonly',
    });
    assert.match(String(r['sdpAnswer']), /^v=0/);
    const endpoint = `${b.connectionId}<-${a.connectionId}`;
    assert.ok(t.router.endpoints.has(endpoint));
    assert.equal(t.router.candidates.get(endpoint)?.length, 1);
    const ice = await b.client.notification(
      'iceCandidate',
      (p) => p['senderConnectionId'] === a.connectionId,
    );
    assert.equal(ice['endpointName'], endpoint);
    await b.client.expectError(
      'receiveVideoFrom',
      { sender: 'str_CAM_zzzz_con_Nobody', sdpOffer: 'v=0' },
      102,
    );
    await b.client.expectError(
      'receiveVideoFrom',
      { sender: `str_CAM_zzzz_${a.connectionId}`, sdpOffer: 'v=0' },
      105,
    );
    await b.client.expectError(
      'onIceCandidate',
      { endpointName: 'con_Nobody', candidate: 'candidate:x', sdpMid: '0', sdpMLineIndex: 0 },
      102,
    );
    // End-of-candidates is accepted and ignored.
    await b.client.call('onIceCandidate', {
      endpointName: a.connectionId,
      candidate: '',
      sdpMid: '0',
      sdpMLineIndex: 0,
    });
    assert.equal(t.router.candidates.get(endpoint)?.length, 1);
    await b.client.call('unsubscribeFromVideo', { sender: a.connectionId });
    assert.ok(!t.router.endpoints.has(endpoint));
  });

  void it('unpublishVideo: others get participantUnpublished(unpublish), subscriptions are released', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    const streamId = await publish(a.client);
    await b.client.call('receiveVideoFrom', { sender: streamId, sdpOffer: 'v=0' });
    await a.client.call('unpublishVideo', {});
    assert.deepEqual(await b.client.notification('participantUnpublished'), {
      connectionId: a.connectionId,
      reason: 'unpublish',
    });
    assert.equal(a.client.count('participantUnpublished'), 0);
    assert.ok(!t.router.endpoints.has(streamId));
    assert.ok(!t.router.endpoints.has(`${b.connectionId}<-${a.connectionId}`));
    await a.client.expectError('unpublishVideo', {}, 105);
  });

  void it('refuses publishing for SUBSCRIBER tokens with 401 and reports router failures as errors', async () => {
    const sid = await newSession();
    const s = await joinNew(t, sid, { role: 'SUBSCRIBER' });
    await s.client.expectError(
      'publishVideo',
      { sdpOffer: 'v=0', hasAudio: true, hasVideo: true },
      401,
    );
    const p = await joinNew(t, sid);
    t.router.failNegotiations = true;
    try {
      await p.client.expectError('publishVideo', { sdpOffer: 'v=0' }, 302);
    } finally {
      t.router.failNegotiations = false;
    }
    // The failed attempt left nothing behind, so publishing works now.
    await publish(p.client);
  });

  void it('reconnectStream keeps the publisher stream id and re-negotiates subscribers', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    const streamId = await publish(a.client);
    await b.client.call('receiveVideoFrom', { sender: streamId, sdpOffer: 'v=0' });
    assert.deepEqual(await a.client.call('echo', {}), { sessionId: a.join['sessionId'] });
    const r = await a.client.call('reconnectStream', { stream: streamId, sdpString: 'v=0\r\nnew' });
    assert.equal(r['id'], streamId);
    assert.match(String(r['sdpAnswer']), /^v=0/);
    const s = await b.client.call('reconnectStream', {
      stream: streamId,
      sdpOffer: 'v=0',
      forciblyReconnect: false,
    });
    assert.match(String(s['sdpAnswer']), /^v=0/);
    await b.client.call('videoData', {
      width: 640,
      height: 480,
      videoActive: true,
      audioActive: true,
    });
  });
});

void describe('signals and properties', () => {
  void it('sendMessage to all includes the sender; to a subset only reaches it; from is set', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    const c = await joinNew(t, sid);
    await a.client.call('sendMessage', {
      message: JSON.stringify({ to: [], data: 'hello', type: 'signal:chat' }),
    });
    for (const x of [a, b, c]) {
      assert.deepEqual(await x.client.notification('sendMessage'), {
        data: 'hello',
        type: 'signal:chat',
        from: a.connectionId,
      });
    }
    await a.client.call('sendMessage', {
      message: JSON.stringify({ to: [c.connectionId], data: 'psst', type: 'signal:dm' }),
    });
    await c.client.notification('sendMessage', (p) => p['data'] === 'psst');
    await a.client.call('sendMessage', {
      message: JSON.stringify({ to: [b.connectionId], data: 'marker', type: 'signal' }),
    });
    await b.client.notification('sendMessage', (p) => p['data'] === 'marker');
    assert.equal(b.client.notifications.filter((x) => x.params['data'] === 'psst').length, 0);
    assert.equal(a.client.notifications.filter((x) => x.params['data'] === 'psst').length, 0);
  });

  void it('rejects bad signals: invalid JSON 600, unknown recipient 601, oversized data 600', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    await a.client.expectError('sendMessage', { message: '{nope' }, 600);
    await a.client.expectError(
      'sendMessage',
      { message: JSON.stringify({ to: ['con_Ghost'], data: 'x' }) },
      601,
    );
    await a.client.expectError(
      'sendMessage',
      { message: JSON.stringify({ data: 'x'.repeat(65 * 1024) }) },
      600,
    );
    await a.client.expectError('sendMessage', {}, -1);
    assert.equal(a.client.count('sendMessage'), 0);
  });

  void it('streamPropertyChanged re-serializes newValue for the others and updates the stored stream', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    const streamId = await publish(a.client);
    await a.client.call('streamPropertyChanged', {
      streamId,
      property: 'videoActive',
      newValue: false,
      reason: 'publishVideo',
    });
    const n1 = await b.client.notification('streamPropertyChanged');
    assert.deepEqual(n1, {
      connectionId: a.connectionId,
      streamId,
      property: 'videoActive',
      newValue: 'false',
      reason: 'publishVideo',
    });
    const dims = JSON.stringify({ width: 320, height: 240 });
    await a.client.call('streamPropertyChanged', {
      streamId,
      property: 'videoDimensions',
      newValue: dims,
      reason: 'screenResized',
    });
    const n2 = await b.client.notification(
      'streamPropertyChanged',
      (p) => p['property'] === 'videoDimensions',
    );
    assert.deepEqual(JSON.parse(JSON.parse(String(n2['newValue'])) as string), {
      width: 320,
      height: 240,
    });
    assert.equal(a.client.count('streamPropertyChanged'), 0, 'not echoed to the originator');
    const c = await joinNew(t, sid);
    const stream = (
      (c.join['value'] as Record<string, unknown>[])[0]?.['streams'] as Record<string, unknown>[]
    )[0];
    assert.equal(stream?.['videoActive'], false);
    assert.equal(stream?.['videoDimensions'], dims);
  });
});

void describe('moderation and filters', () => {
  void it('forceDisconnect needs MODERATOR (401) and evicts with forceDisconnectByUser', async () => {
    const sid = await newSession();
    const m = await joinNew(t, sid, { role: 'MODERATOR' });
    const p = await joinNew(t, sid);
    await p.client.expectError('forceDisconnect', { connectionId: m.connectionId }, 401);
    await m.client.expectError('forceDisconnect', { connectionId: 'con_Ghost' }, 102);
    await m.client.call('forceDisconnect', { connectionId: p.connectionId });
    assert.deepEqual(await p.client.notification('participantEvicted'), {
      connectionId: p.connectionId,
      reason: 'forceDisconnectByUser',
    });
    await m.client.notification('participantLeft', (x) => x['reason'] === 'forceDisconnectByUser');
    await p.client.closed();
  });

  void it('forceUnpublish needs MODERATOR and tells the owner too', async () => {
    const sid = await newSession();
    const m = await joinNew(t, sid, { role: 'MODERATOR' });
    const p = await joinNew(t, sid);
    const streamId = await publish(p.client);
    await p.client.expectError('forceUnpublish', { streamId }, 401);
    await m.client.call('forceUnpublish', { streamId });
    for (const x of [m, p]) {
      assert.deepEqual(await x.client.notification('participantUnpublished'), {
        connectionId: p.connectionId,
        reason: 'forceUnpublishByUser',
      });
    }
  });

  void it('applyFilter / execFilterMethod / removeFilter notify a filter property change', async () => {
    const sid = await newSession();
    const m = await joinNew(t, sid, { role: 'MODERATOR' });
    const p = await joinNew(t, sid);
    const streamId = await publish(p.client);
    await p.client.expectError(
      'applyFilter',
      { streamId, type: 'GStreamerFilter', options: '{}' },
      401,
    );
    await m.client.expectError('removeFilter', { streamId }, 406);
    await m.client.call('applyFilter', {
      streamId,
      type: 'GStreamerFilter',
      options: '{"command":"videoflip method=1"}',
    });
    const n = await p.client.notification(
      'streamPropertyChanged',
      (x) => x['property'] === 'filter',
    );
    assert.deepEqual(n['newValue'], {
      type: 'GStreamerFilter',
      options: { command: 'videoflip method=1' },
    });
    assert.equal(n['reason'], 'applyFilter');
    await m.client.call('execFilterMethod', {
      streamId,
      method: 'setElementProperty',
      params: '{"a":1}',
    });
    await m.client.call('addFilterEventListener', { streamId, eventType: 'CodeFound' });
    await m.client.call('removeFilter', { streamId });
    const removed = await p.client.notification(
      'streamPropertyChanged',
      (x) => x['reason'] === 'removeFilter',
    );
    assert.deepEqual(removed['newValue'], {});
  });
});

void describe('leaving and reconnection', () => {
  void it('leaveRoom: others get participantLeft(disconnect) only; the last one closes the session', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    await publish(b.client);
    await b.client.call('leaveRoom', {});
    assert.deepEqual(await a.client.notification('participantLeft'), {
      connectionId: b.connectionId,
      reason: 'disconnect',
    });
    assert.equal(a.client.count('participantUnpublished'), 0);
    assert.equal(a.client.count('participantEvicted'), 0);
    b.client.close();
    await a.client.call('leaveRoom', {});
    a.client.close();
    assert.equal((await api(t.server, 'GET', `/openvidu/api/sessions/${sid}`)).status, 404);
  });

  void it('keeps a participant whose socket dropped and re-binds it with connect', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    b.client.drop();
    await waitFor('server saw the drop', () => t.server.stats().sockets === 1);
    const b2 = await RpcClient.open(t.server, `${sid}&reconnect=true`);
    const r = await b2.call('connect', { sessionId: b.join['sessionId'], reconnect: true });
    assert.equal(r['value'], 'reconnection successful');
    assert.equal(r['sessionId'], b.join['sessionId']);
    // Notifications now reach the new socket, and the participant is the same one.
    await a.client.call('sendMessage', {
      message: JSON.stringify({ to: [b.connectionId], data: 'still here?' }),
    });
    await b2.notification('sendMessage', (p) => p['data'] === 'still here?');
    await b2.call('echo', {});
    assert.equal(a.client.count('participantLeft'), 0);
    // Past the window nothing happens: the timer was cancelled.
    await b2.call('leaveRoom', {});
    assert.equal((await a.client.notification('participantLeft'))['reason'], 'disconnect');
    b2.close();
  });

  void it('evicts with networkDisconnect after the window; connect then fails with 40007', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    await publish(b.client);
    b.client.drop();
    const left = await a.client.notification('participantLeft');
    assert.deepEqual(left, { connectionId: b.connectionId, reason: 'networkDisconnect' });
    assert.equal(a.client.count('participantEvicted'), 0);
    const b2 = await RpcClient.open(t.server, sid);
    const err = await b2.expectError(
      'connect',
      { sessionId: b.join['sessionId'], reconnect: true },
      40007,
    );
    assert.equal(err.error?.message, 'reconnection error');
    b2.close();
  });

  void it('closes a socket that stops pinging (watchdog = factor × interval)', async () => {
    const c = await RpcClient.open(t.server);
    await c.call('ping', { interval: 20 });
    assert.equal(await c.closed(), 4000);
  });
});

void describe('resource accounting', () => {
  void it('releases every socket, RPC session, timer and router endpoint after everyone leaves', async () => {
    const sid = await newSession();
    const a = await joinNew(t, sid);
    const b = await joinNew(t, sid);
    const sa = await publish(a.client);
    const sb = await publish(b.client);
    await a.client.call('receiveVideoFrom', { sender: sb, sdpOffer: 'v=0' });
    await b.client.call('receiveVideoFrom', { sender: sa, sdpOffer: 'v=0' });
    assert.equal(t.router.stats().peerConnections >= 4, true);
    await a.client.call('leaveRoom', {});
    a.client.close();
    b.client.drop();
    await waitFor(
      () => `everything released: ${JSON.stringify(t.server.stats())}`,
      () => {
        const s = t.server.stats();
        return (
          s.sessions === 0 &&
          s.participants === 0 &&
          s.sockets === 0 &&
          s.rpcSessions === 0 &&
          s.timersPending === 0 &&
          s.media.peerConnections === 0
        );
      },
    );
  });
});
