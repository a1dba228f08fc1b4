import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsultError } from './errors.js';
import { flushMicrotasks } from './testing/fake-clock.js';
import { jsonResponse } from './testing/fake-fetch.js';
import { recordEvents, SESSION_EVENT_NAMES, waitForState } from './testing/event-recorder.js';
import { createHarness, PATHS, tokenFor } from './testing/harness.js';

function waitingHarness() {
  const h = createHarness();
  h.server.on('POST', PATHS.token, () =>
    jsonResponse({ status: 'waiting', consultId: 'c1', position: 2 }, 202),
  );
  return h;
}

describe('waiting room', () => {
  it('should go 202 → waiting → admitted → connecting → connected', async () => {
    const h = createHarness();
    let admitted = false;
    h.server.on('POST', PATHS.token, () =>
      admitted
        ? jsonResponse(tokenFor({ connectionId: 'con_local' }))
        : jsonResponse({ status: 'waiting', consultId: 'c1', position: 2 }, 202),
    );
    const session = h.client.createSession('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    const connecting = session.connect();
    await waitForState(session, (s) => s.connection === 'waiting');
    assert.equal(session.state.waitingPosition, 2);
    const stream = await h.stream();
    // The event carries no token: the SDK asks POST …/token again, which now answers 200.
    admitted = true;
    stream.send('admitted', { consultId: 'c1', userId: 'u1' }, '5');
    await connecting;
    assert.equal(session.state.connection, 'connected');
    assert.equal(session.state.waitingPosition, undefined);
    assert.deepEqual(
      events.take('connectionChanged').map((e) => `${e.connection}:${e.reason}`),
      [
        'fetching-token:join-requested',
        'waiting:waiting-room',
        'connecting:admitted',
        'connected:media-connected',
      ],
    );
    assert.equal(h.streams.length, 1, 'the same event stream continues after admission');
    await session.leave();
  });

  it('should ask for a fresh token when admitted, never using one from the event', async () => {
    const h = createHarness();
    let admitted = false;
    let requests = 0;
    h.server.on('POST', PATHS.token, () => {
      requests++;
      return admitted
        ? jsonResponse(tokenFor({ token: 'wss://media.test?sessionId=c1&token=tok_fresh' }))
        : jsonResponse({ status: 'waiting', consultId: 'c1' }, 202);
    });
    const session = h.client.createSession('c1');
    const connecting = session.connect();
    await waitForState(session, (s) => s.connection === 'waiting');
    const stream = await h.stream();
    // The re-check on stream open was answered 202 before the admission.
    for (let i = 0; i < 100 && requests < 2; i++) await flushMicrotasks();
    assert.equal(requests, 2);
    await flushMicrotasks();
    assert.equal(session.state.connection, 'waiting');
    const before = requests;
    admitted = true;
    // An old server's token in the event is ignored.
    stream.send(
      'admitted',
      tokenFor({ token: 'wss://media.test?sessionId=c1&token=tok_replayed' }),
      '7',
    );
    await connecting;
    assert.equal(session.state.connection, 'connected');
    assert.ok(requests > before, 'asked POST …/token again');
    assert.equal(
      h.backend.callsOf('connect')[0]?.args[0],
      'wss://media.test?sessionId=c1&token=tok_fresh',
    );
    await session.leave();
  });

  it('should catch an admission that happened before the stream opened', async () => {
    const h = waitingHarness();
    let calls = 0;
    h.server.on('POST', PATHS.token, () =>
      ++calls === 1
        ? jsonResponse({ status: 'waiting', consultId: 'c1' }, 202)
        : jsonResponse(tokenFor()),
    );
    const session = await h.client.join('c1');
    assert.equal(session.state.connection, 'connected');
    assert.equal(calls, 2);
    await session.leave();
  });

  it('should fail with admission-denied when denied', async () => {
    const h = waitingHarness();
    const session = h.client.createSession('c1');
    const connecting = session.connect();
    await waitForState(session, (s) => s.connection === 'waiting');
    (await h.stream()).send('denied', { reason: 'Not today' });
    const error = await connecting.catch((e: unknown) => e);
    assert.ok(error instanceof ConsultError);
    assert.equal(error.code, 'admission-denied');
    // <consult-room> shows the reason from the state's error details.
    assert.equal(error.details?.['reason'], 'Not today');
    assert.equal(session.state.error?.details?.['reason'], 'Not today');
    assert.deepEqual(
      [session.state.connection, session.state.connectionReason],
      ['failed', 'denied'],
    );
    assert.equal(h.backend.callsOf('connect').length, 0);
    await flushMicrotasks();
    assert.equal(h.clock.pendingTimers, 0);
    assert.ok(h.streams.every((s) => s.closed));
  });

  it('should abort cleanly while waiting', async () => {
    const h = waitingHarness();
    const controller = new AbortController();
    const session = h.client.createSession('c1');
    const connecting = session.connect({ signal: controller.signal });
    await waitForState(session, (s) => s.connection === 'waiting');
    await h.stream();
    controller.abort();
    const error = await connecting.catch((e: unknown) => e);
    assert.ok(error instanceof ConsultError && error.code === 'aborted');
    assert.deepEqual(
      [session.state.connection, session.state.connectionReason],
      ['disconnected', 'aborted'],
    );
    await flushMicrotasks();
    assert.equal(h.clock.pendingTimers, 0);
    assert.ok(h.streams.every((s) => s.closed));
    assert.equal(h.mediaDevices.liveTracks.length, 0);
  });

  it('should let a provider see the lobby and admit or deny', async () => {
    const h = createHarness({ token: { role: 'provider' } });
    h.server.on('POST', /\/lobby\/u9\/(admit|deny)$/, () => jsonResponse({}));
    const session = await h.client.join('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    (await h.stream()).send('lobby', {
      waiting: [
        { userId: 'u9', displayName: 'Pat', role: 'patient', since: '2030-01-01T00:00:00Z' },
      ],
    });
    const { lobby } = await events.waitFor('lobbyChanged');
    assert.equal(lobby[0]?.userId, 'u9');
    await session.admit('u9');
    await session.deny('u9', 'later');
    assert.deepEqual(
      h.server.requestsTo(/\/lobby\//).map((r) => [r.path, r.body]),
      [
        ['/api/consults/c1/lobby/u9/admit', {}],
        ['/api/consults/c1/lobby/u9/deny', { reason: 'later' }],
      ],
    );
    await session.leave();
  });
});
