import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConsultError } from './errors.js';
import { silentLogger } from './logger.js';
import { ServerEvents } from './server-events.js';
import { flushMicrotasks } from './testing/fake-clock.js';
import { errorResponse, FakeEventStream } from './testing/fake-fetch.js';
import { createFakePlatform } from './testing/fake-platform.js';
import { installEventSourceGlobals } from './testing/harness.js';

const URL_ = 'https://portal.test/api/consults/c1/events';

function setup() {
  installEventSourceGlobals();
  const fake = createFakePlatform();
  const streams: FakeEventStream[] = [];
  const received: Array<[string, unknown]> = [];
  const fatal: ConsultError[] = [];
  let token = 0;
  const events = new ServerEvents({
    url: URL_,
    fetch: fake.platform.fetch,
    clock: fake.clock,
    logger: silentLogger,
    headers: async () => ({ authorization: `Bearer t${++token}` }),
    onEvent: (name, data) => received.push([name, data]),
    onFatal: (error) => fatal.push(error),
    random: () => 0,
  });
  return { ...fake, streams, received, fatal, events };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await flushMicrotasks();
  assert.ok(condition(), 'condition not reached');
}

describe('server events', () => {
  it('should deliver events, then resume with Last-Event-ID and a fresh bearer after a drop', async () => {
    const h = setup();
    h.server.on('GET', '/api/consults/c1/events', (request) => {
      const stream = new FakeEventStream(200, request.signal);
      h.streams.push(stream);
      return stream.response;
    });
    h.events.start();
    await until(() => h.streams.length === 1);
    h.streams[0]?.send('lobby', { waiting: [] }, '7');
    await until(() => h.received.length === 1);
    assert.deepEqual(h.received[0], ['lobby', { waiting: [] }]);
    h.streams[0]?.fail();
    await until(() => h.clock.pendingTimers === 1);
    await h.clock.advance(500); // random 0 → half of the 1000 ms base
    await until(() => h.streams.length === 2);
    const [first, second] = h.server.requests;
    assert.equal(first?.headers.authorization, 'Bearer t1');
    assert.equal(first?.headers['last-event-id'], undefined);
    assert.equal(second?.headers.authorization, 'Bearer t2');
    assert.equal(second?.headers['last-event-id'], '7');
    h.events.stop();
    await flushMicrotasks();
    assert.equal(h.clock.pendingTimers, 0);
    assert.ok(h.streams.every((s) => s.closed));
  });

  it('should back off exponentially (bounded) while the server fails', async () => {
    const h = setup();
    h.server.on('GET', '/api/consults/c1/events', () => errorResponse(503));
    h.events.start();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      await until(() => h.clock.pendingTimers === 1);
      delays.push(h.clock.nextDelay ?? -1);
      await h.clock.runNext();
    }
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 15000, 15000]);
    h.events.stop();
  });

  for (const status of [401, 403, 404]) {
    it(`should stop for good on HTTP ${status}`, async () => {
      const h = setup();
      h.server.on('GET', '/api/consults/c1/events', () => errorResponse(status));
      h.events.start();
      await until(() => h.fatal.length === 1);
      assert.equal(h.fatal[0]?.status, status);
      await flushMicrotasks();
      assert.equal(h.clock.pendingTimers, 0);
      assert.equal(h.server.requests.length, 1);
    });
  }
});
