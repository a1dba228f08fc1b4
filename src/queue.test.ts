import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueueEntry } from './contract.js';
import type { ConsultError } from './errors.js';
import { createQueueClient, type QueueClientLike, type QueueEventMap } from './queue.js';
import { flushMicrotasks } from './testing/fake-clock.js';
import { errorResponse, FakeEventStream, jsonResponse } from './testing/fake-fetch.js';
import { createFakePlatform } from './testing/fake-platform.js';
import { installEventSourceGlobals } from './testing/harness.js';

const entry = (consultId: string, userId: string, since: string): QueueEntry => ({
  consultId,
  userId,
  displayName: `Name ${userId}`,
  role: 'patient',
  since,
});

async function setup() {
  installEventSourceGlobals();
  const fake = createFakePlatform();
  const streams: FakeEventStream[] = [];
  fake.server.on('GET', '/api/queue/events', (request) => {
    const stream = new FakeEventStream(200, request.signal);
    streams.push(stream);
    return stream.response;
  });
  const queue = await createQueueClient({
    apiUrl: 'https://portal.test/api/',
    auth: 'provider-token',
    platform: fake.platform,
    retry: { random: () => 0 },
  });
  const seen: Array<[keyof QueueEventMap, unknown]> = [];
  for (const name of ['waiting', 'left', 'error'] as const)
    queue.on(name, (d) => seen.push([name, d]));
  return { ...fake, streams, queue, seen };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await flushMicrotasks();
  assert.ok(condition(), 'condition not reached');
}

const ids = (q: QueueClientLike) => q.state.waiting.map((e) => `${e.consultId}/${e.userId}`);

describe('queue client', () => {
  it('should start idle and open the stream with the bearer on start()', async () => {
    const h = await setup();
    assert.equal(h.queue.state.status, 'idle');
    h.queue.start();
    assert.equal(h.queue.state.status, 'connecting');
    await until(() => h.streams.length === 1);
    assert.equal(h.server.requests[0]?.headers.authorization, 'Bearer provider-token');
    h.queue.close();
  });

  it('should take the first snapshot silently, then announce who starts waiting and who leaves', async () => {
    const h = await setup();
    h.queue.start();
    await until(() => h.streams.length === 1);
    h.streams[0]?.send('queue', { waiting: [entry('c1', 'p1', '2026-01-01T10:00:00Z')] }, '5');
    await until(() => h.queue.state.status === 'live');
    assert.deepEqual(ids(h.queue), ['c1/p1']);
    assert.deepEqual(h.seen, []);
    const p2 = entry('c2', 'p2', '2026-01-01T09:00:00Z');
    const { consultId: _x, ...p2Lobby } = p2;
    h.streams[0]?.send('queue-consult', { consultId: 'c2', waiting: [p2Lobby] }, '6');
    await until(() => h.queue.state.waiting.length === 2);
    // Oldest first, whatever the consult.
    assert.deepEqual(ids(h.queue), ['c2/p2', 'c1/p1']);
    assert.deepEqual(h.seen, [['waiting', p2]]);
    h.streams[0]?.send('queue-consult', { consultId: 'c1', waiting: [] }, '7');
    await until(() => h.queue.state.waiting.length === 1);
    assert.deepEqual(h.seen[1]?.[0], 'left');
    assert.equal((h.seen[1]?.[1] as QueueEntry).userId, 'p1');
    h.queue.close();
  });

  it('should announce only people who are new when a resumed stream sends the whole queue again', async () => {
    const h = await setup();
    h.queue.start();
    await until(() => h.streams.length === 1);
    const p1 = entry('c1', 'p1', '2026-01-01T10:00:00Z');
    h.streams[0]?.send('queue', { waiting: [p1] }, '5');
    await until(() => h.queue.state.status === 'live');
    h.streams[0]?.fail();
    await until(() => h.clock.pendingTimers === 1);
    await h.clock.advance(500);
    await until(() => h.streams.length === 2);
    assert.equal(h.server.requests[1]?.headers['last-event-id'], '5');
    const p3 = entry('c3', 'p3', '2026-01-01T11:00:00Z');
    h.streams[1]?.send('queue', { waiting: [p1, p3] }, '9');
    await until(() => h.queue.state.waiting.length === 2);
    assert.deepEqual(h.seen, [['waiting', p3]]);
    h.queue.close();
  });

  it('should admit and deny through the consult lobby endpoints and drop the person at once', async () => {
    const h = await setup();
    h.server.on('POST', /\/lobby\//, () => jsonResponse({ status: 'ok' }));
    h.queue.start();
    await until(() => h.streams.length === 1);
    h.streams[0]?.send(
      'queue',
      {
        waiting: [
          entry('c 1', 'p:1', '2026-01-01T10:00:00Z'),
          entry('c2', 'p2', '2026-01-01T10:01:00Z'),
        ],
      },
      '1',
    );
    await until(() => h.queue.state.waiting.length === 2);
    await h.queue.admit('c 1', 'p:1');
    await h.queue.deny('c2', 'p2', 'Please call the front desk');
    const posts = h.server.requests.filter((r) => r.method === 'POST');
    assert.deepEqual(
      posts.map((r) => [r.path, r.body]),
      [
        ['/api/consults/c%201/lobby/p%3A1/admit', {}],
        ['/api/consults/c2/lobby/p2/deny', { reason: 'Please call the front desk' }],
      ],
    );
    assert.equal(h.queue.state.waiting.length, 0);
    h.queue.close();
  });

  it('should notify subscribers of each snapshot, and not after they unsubscribe', async () => {
    const h = await setup();
    const states: string[] = [];
    const dropped: string[] = [];
    h.queue.subscribe((s) => states.push(s.status));
    h.queue.subscribe((s) => dropped.push(s.status))();
    h.queue.start();
    await until(() => h.streams.length === 1);
    h.streams[0]?.send('queue', { waiting: [] }, '1');
    await until(() => states.includes('live'));
    assert.deepEqual(states, ['connecting', 'live']);
    assert.deepEqual(dropped, []);
    h.queue.close();
  });

  it('should reject a failed admit with its ConsultError code and emit error', async () => {
    const h = await setup();
    h.server.on('POST', /\/admit$/, () => errorResponse(409, 'conflict'));
    await assert.rejects(h.queue.admit('c1', 'p1'), (e: ConsultError) => e.code === 'conflict');
    assert.equal(h.seen[0]?.[0], 'error');
  });

  it('should stop with state error forbidden when the server refuses the stream (403)', async () => {
    const h = await setup();
    h.server.on('GET', '/api/queue/events', () => errorResponse(403, 'forbidden'));
    h.queue.start();
    await until(() => h.queue.state.status === 'error');
    assert.equal(h.queue.state.error?.code, 'forbidden');
    assert.equal(h.seen[0]?.[0], 'error');
  });

  it('should throw TypeError without apiUrl and stop everything on close()', async () => {
    assert.throws(() => createQueueClient({} as never), TypeError);
    const h = await setup();
    h.queue.start();
    await until(() => h.streams.length === 1);
    h.queue.close();
    assert.equal(h.queue.state.status, 'closed');
    await until(() => h.streams[0]?.closed === true);
    h.queue.start();
    assert.equal(h.queue.state.status, 'closed');
  });
});
