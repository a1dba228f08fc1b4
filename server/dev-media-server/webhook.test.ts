/**
 * Webhooks: OpenVidu CDR event JSON POSTed to a local receiver, in order, with custom headers, an event
 * filter, retries after 5xx/network errors and no blocking of signalling.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { TestServer } from './test-support.js';
import {
  WebhookReceiver,
  api,
  closeAllClients,
  joinNew,
  publish,
  startTestServer,
  waitFor,
} from './test-support.js';

let receiver: WebhookReceiver;
let t: TestServer;

before(async () => {
  receiver = await new WebhookReceiver().start();
  t = await startTestServer({
    webhook: {
      url: receiver.url,
      headers: ['Authorization: Basic d2ViaG9vaw==', 'X-Env: test'],
      retryBaseMs: 10,
    },
  });
});
afterEach(async () => {
  await closeAllClients(t.server);
});
after(async () => {
  await t.close();
  await receiver.close();
});

void describe('webhook events', () => {
  void it('reports a whole session lifecycle in order with OpenVidu fields and custom headers', async () => {
    await api(t.server, 'POST', '/openvidu/api/sessions', { customSessionId: 'wh-1' });
    const created = await receiver.event('sessionCreated', (b) => b['sessionId'] === 'wh-1');
    assert.equal(created['uniqueSessionId'], `wh-1_${String(created['timestamp'])}`);
    const a = await joinNew(t, 'wh-1', { metadata: 'A-data', data: 'srv' });
    const b = await joinNew(t, 'wh-1');
    const streamId = await publish(a.client);
    await b.client.call('receiveVideoFrom', { sender: streamId, sdpOffer: 'v=0' });
    await a.client.call('sendMessage', {
      message: JSON.stringify({ to: [], data: 'hi', type: 'signal:chat' }),
    });
    await b.client.call('leaveRoom', {});
    await a.client.call('leaveRoom', {});

    const destroyed = await receiver.event('sessionDestroyed', (e) => e['sessionId'] === 'wh-1');
    assert.equal(destroyed['reason'], 'lastParticipantLeft');
    assert.equal(typeof destroyed['duration'], 'number');
    assert.equal(destroyed['startTime'], created['timestamp']);

    const events = receiver.delivered().filter((e) => e['sessionId'] === 'wh-1');
    assert.deepEqual(
      events.map((e) => e['event']),
      [
        'sessionCreated',
        'participantJoined',
        'participantJoined',
        'webrtcConnectionCreated',
        'webrtcConnectionCreated',
        'signalSent',
        'webrtcConnectionDestroyed',
        'participantLeft',
        'webrtcConnectionDestroyed',
        'participantLeft',
        'sessionDestroyed',
      ],
    );
    const joined = events.find((e) => e['event'] === 'participantJoined') as Record<
      string,
      unknown
    >;
    assert.equal(joined['connectionId'], a.connectionId);
    assert.equal(joined['participantId'], a.connectionId);
    assert.equal(joined['clientData'], 'A-data');
    assert.equal(joined['serverData'], 'srv');
    assert.equal(joined['platform'], 'Node test');
    assert.equal(joined['ip'], '127.0.0.1');
    assert.equal(joined['location'], 'unknown');
    const [outbound, inbound] = events.filter((e) => e['event'] === 'webrtcConnectionCreated');
    assert.equal(outbound?.['connection'], 'OUTBOUND');
    assert.equal(outbound?.['streamId'], streamId);
    assert.equal(outbound?.['videoSource'], 'CAMERA');
    assert.equal(inbound?.['connection'], 'INBOUND');
    assert.equal(inbound?.['receivingFrom'], a.connectionId);
    assert.equal(inbound?.['connectionId'], b.connectionId);
    const signal = events.find((e) => e['event'] === 'signalSent') as Record<string, unknown>;
    assert.deepEqual(
      { from: signal['from'], type: signal['type'], data: signal['data'], to: signal['to'] },
      { from: a.connectionId, type: 'chat', data: 'hi', to: [a.connectionId, b.connectionId] },
    );
    const left = events.filter((e) => e['event'] === 'participantLeft');
    assert.deepEqual(
      left.map((e) => e['reason']),
      ['disconnect', 'disconnect'],
    );
    const firstDelivery = receiver.received.find((r) => r.body['sessionId'] === 'wh-1');
    assert.equal(firstDelivery?.headers['authorization'], 'Basic d2ViaG9vaw==');
    assert.equal(firstDelivery?.headers['x-env'], 'test');
    assert.equal(firstDelivery?.headers['content-type'], 'application/json');
  });

  void it('retries an event after a 500 and keeps the order', async () => {
    receiver.statuses.push(500, 503);
    await api(t.server, 'POST', '/openvidu/api/sessions', { customSessionId: 'wh-retry' });
    await api(t.server, 'DELETE', '/openvidu/api/sessions/wh-retry');
    await receiver.event('sessionDestroyed', (e) => e['sessionId'] === 'wh-retry');
    const attempts = receiver.received
      .filter((r) => r.body['sessionId'] === 'wh-retry')
      .map((r) => `${String(r.body['event'])}:${r.status}`);
    assert.deepEqual(attempts, [
      'sessionCreated:500',
      'sessionCreated:503',
      'sessionCreated:200',
      'sessionDestroyed:200',
    ]);
  });
});

void describe('webhook delivery policy', () => {
  void it('sends only the configured events and does not retry 4xx answers', async () => {
    const rx = await new WebhookReceiver().start();
    const s = await startTestServer({
      webhook: { url: rx.url, events: ['sessionDestroyed'], retryBaseMs: 10 },
    });
    try {
      rx.statuses.push(400);
      await api(s.server, 'POST', '/openvidu/api/sessions', { customSessionId: 'only-1' });
      await api(s.server, 'DELETE', '/openvidu/api/sessions/only-1');
      await api(s.server, 'POST', '/openvidu/api/sessions', { customSessionId: 'only-2' });
      await api(s.server, 'DELETE', '/openvidu/api/sessions/only-2');
      await rx.event('sessionDestroyed', (e) => e['sessionId'] === 'only-2');
      assert.deepEqual(
        rx.received.map(
          (r) => `${String(r.body['event'])}:${String(r.body['sessionId'])}:${r.status}`,
        ),
        ['sessionDestroyed:only-1:400', 'sessionDestroyed:only-2:200'],
      );
      assert.equal(s.server.stats().webhook?.failed, 1);
    } finally {
      await s.close();
      await rx.close();
    }
  });

  void it('never blocks signalling when the receiver is down; gives up after maxAttempts', async () => {
    const rx = await new WebhookReceiver().start();
    const deadUrl = rx.url;
    await rx.close(); // nothing listens there any more
    const s = await startTestServer({ webhook: { url: deadUrl, maxAttempts: 3, retryBaseMs: 20 } });
    try {
      const started = Date.now();
      await api(s.server, 'POST', '/openvidu/api/sessions', { customSessionId: 'down' });
      const a = await joinNew(s, 'down');
      await a.client.call('leaveRoom', {});
      assert.ok(Date.now() - started < 1000, 'signalling did not wait for webhooks');
      await waitFor(
        () => `webhooks given up: ${JSON.stringify(s.server.stats().webhook)}`,
        () => s.server.stats().webhook?.failed === 4 && s.server.stats().webhook?.queued === 0,
      );
      a.client.close();
      await waitFor('retry timers released', () => s.server.stats().timersPending === 0);
    } finally {
      await s.close();
    }
  });
});
