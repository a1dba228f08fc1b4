import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsultError } from './errors.js';
import { flushMicrotasks } from './testing/fake-clock.js';
import { deferred, jsonResponse } from './testing/fake-fetch.js';
import { createFakeMediaStream } from './testing/fake-media.js';
import { recordEvents, SESSION_EVENT_NAMES, waitForState } from './testing/event-recorder.js';
import { createHarness, PATHS, tokenFor } from './testing/harness.js';
import type { ConsultSession } from './session.js';

async function rejection(promise: Promise<unknown>): Promise<ConsultError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConsultError, `not a ConsultError: ${String(error)}`);
  return error;
}

function assertReleased(h: ReturnType<typeof createHarness>, session: ConsultSession): void {
  assert.equal(h.clock.pendingTimers, 0, 'no timers left');
  assert.equal(h.mediaDevices.liveTracks.length, 0, 'no live tracks');
  assert.equal(h.mediaDevices.listenerCount, 0, 'no devicechange listener');
  assert.equal(h.backend.listenerCount('signal'), 0, 'no backend listeners');
  assert.ok(
    h.streams.every((s) => s.closed),
    'event streams closed',
  );
  assert.ok(['disconnected', 'failed'].includes(session.state.connection));
}

describe('ConsultSession connection', () => {
  it('should go idle → fetching-token → connecting → connected on join', async () => {
    const h = createHarness();
    const session = h.client.createSession('c1', { displayName: 'Pat' });
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    await session.connect();
    const path = events.take('connectionChanged').map((e) => `${e.connection}:${e.reason}`);
    assert.deepEqual(path, [
      'fetching-token:join-requested',
      'connecting:token-received',
      'connected:media-connected',
    ]);
    assert.equal(session.state.localParticipantId, 'con_local');
    const [local] = session.state.participants;
    assert.equal(local?.isLocal, true);
    assert.equal(local?.displayName, 'Pat');
    assert.equal(local?.role, 'patient');
    assert.ok(local?.stream, 'local preview stream');
    const publish = h.backend.callsOf('publish')[0]?.args[0] as {
      audioEnabled: boolean;
      videoEnabled: boolean;
    };
    assert.deepEqual([publish.audioEnabled, publish.videoEnabled], [true, true]);
    assert.equal(
      h.backend.callsOf('connect')[0]?.args[0],
      'wss://media.test?sessionId=c1&token=tok_1',
    );
    await session.leave();
    assertReleased(h, session);
  });

  it('should take the display name given to connect() for the token request and the others', async () => {
    const h = createHarness();
    const session = h.client.createSession('c1', { displayName: 'Pat' });
    await session.connect({ displayName: ' Ann Lee ' });
    const [request] = h.server.requestsTo(PATHS.token, 'POST');
    assert.deepEqual(request?.body, { displayName: 'Ann Lee' });
    const clientData = JSON.parse(String(h.backend.callsOf('connect')[0]?.args[1])) as unknown;
    assert.deepEqual(clientData, { displayName: 'Ann Lee' }, 'what the others see');
    assert.equal(session.state.participants[0]?.displayName, 'Ann Lee');
    await session.leave();
  });

  it('should send the device check given to connect() with the token request', async () => {
    const h = createHarness();
    const session = h.client.createSession('c1', { displayName: 'Pat' });
    await session.connect({ deviceCheck: { camera: 'denied', microphone: 'ok' } });
    const [request] = h.server.requestsTo(PATHS.token, 'POST');
    assert.deepEqual(request?.body, {
      displayName: 'Pat',
      deviceCheck: { camera: 'denied', microphone: 'ok' },
    });
    await session.leave();
  });

  it("should keep the session's display name when connect() gets none or a blank one", async () => {
    for (const options of [undefined, {}, { displayName: '  ' }]) {
      const h = createHarness();
      const session = h.client.createSession('c1', { displayName: 'Pat' });
      await session.connect(options);
      assert.deepEqual(h.server.requestsTo(PATHS.token, 'POST')[0]?.body, { displayName: 'Pat' });
      assert.equal(session.state.participants[0]?.displayName, 'Pat');
      await session.leave();
    }
  });

  it('should pass the display name given to connect() to a custom fetchToken', async () => {
    const seen: Array<string | undefined> = [];
    const h = createHarness({
      client: {
        fetchToken: async (request) => {
          seen.push(request.displayName);
          return tokenFor();
        },
      },
    });
    const session = h.client.createSession('c1');
    await session.connect({ displayName: 'Dr. Ruiz' });
    assert.deepEqual(seen, ['Dr. Ruiz']);
    await session.leave();
  });

  it('should throw a TypeError for a display name that is not a string', async () => {
    const h = createHarness();
    const session = h.client.createSession('c1');
    assert.throws(
      () => session.connect({ displayName: 42 as unknown as string }),
      (e: unknown) => e instanceof TypeError,
    );
    assert.equal(session.state.connection, 'idle');
    await session.leave();
  });

  it('should keep unchanged slices identical across snapshots', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const before = session.state;
    h.backend.simulateParticipantJoined({
      connectionId: 'con_2',
      displayName: 'Dr. B',
      role: 'provider',
    });
    const after = session.state;
    assert.notEqual(after, before);
    assert.equal(after.chat, before.chat);
    assert.equal(after.recording, before.recording);
    assert.equal(after.localMedia, before.localMedia);
    assert.equal(after.participants[0], before.participants[0], 'local participant object kept');
    await session.leave();
  });

  it('should build participants from server data and stream events', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    h.backend.simulateParticipantJoined({
      connectionId: 'con_2',
      userId: 'u2',
      displayName: 'Dr. B',
      role: 'provider',
    });
    const { participant } = await events.waitFor('participantJoined');
    assert.deepEqual(
      [
        participant.id,
        participant.userId,
        participant.displayName,
        participant.role,
        participant.isLocal,
      ],
      ['con_2', 'u2', 'Dr. B', 'provider', false],
    );
    const media = createFakeMediaStream();
    h.backend.simulateStream({ connectionId: 'con_2', mediaStream: media });
    let remote = session.state.participants.find((p) => p.id === 'con_2');
    assert.equal(remote?.stream, media);
    assert.deepEqual([remote?.audioEnabled, remote?.videoEnabled], [true, true]);
    h.backend.simulateMuted('con_2', 'audio', true);
    h.backend.simulateSpeaking('con_2', true);
    remote = session.state.participants.find((p) => p.id === 'con_2');
    assert.deepEqual([remote?.audioEnabled, remote?.speaking], [false, true]);
    const screen = createFakeMediaStream();
    h.backend.simulateStream({
      connectionId: 'con_2',
      kind: 'screen',
      mediaStream: screen,
      audio: false,
    });
    remote = session.state.participants.find((p) => p.id === 'con_2');
    assert.deepEqual([remote?.screenSharing, remote?.screenStream], [true, screen]);
    assert.ok(session.state.callStartedAt !== undefined);
    h.backend.simulateParticipantLeft('con_2', 'networkDisconnect');
    const left = await events.waitFor('participantLeft');
    assert.equal(left.reason, 'networkDisconnect');
    assert.equal(session.state.participants.length, 1);
    await session.leave();
  });

  const JUNK = [
    ['not json', 'not json'],
    ['wrong types', JSON.stringify({ displayName: 42, role: 'admin', userId: 7 })],
    ['empty name', JSON.stringify({ displayName: '  ', role: 'provider' })],
  ] as const;
  for (const [label, serverData] of JUNK) {
    it(`should tolerate junk server data (${label})`, async () => {
      const h = createHarness();
      const session = await h.client.join('c1');
      h.backend.simulateParticipantJoined({ connectionId: 'con_x', serverData });
      const p = session.state.participants.find((x) => x.id === 'con_x');
      assert.equal(p?.displayName, 'Guest');
      assert.equal(p?.role, label === 'empty name' ? 'provider' : 'guest');
      await session.leave();
    });
  }

  it('should go connected ⇄ reconnecting and fail on a network disconnect', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    h.backend.simulateReconnecting();
    assert.deepEqual(
      [session.state.connection, session.state.connectionReason],
      ['reconnecting', 'network-lost'],
    );
    h.backend.simulateReconnected();
    assert.deepEqual(
      [session.state.connection, session.state.connectionReason],
      ['connected', 'network-recovered'],
    );
    h.backend.simulateReconnecting();
    h.backend.simulateDisconnected('networkDisconnect');
    const { error } = await events.waitFor('error');
    assert.equal(error.code, 'connection-lost');
    assert.equal(session.state.connection, 'failed');
    assert.equal(session.state.error?.code, 'connection-lost');
    await flushMicrotasks();
    assertReleased(h, session);
  });

  const ENDINGS = [
    ['forceDisconnectByServer', 'evicted'],
    ['forceDisconnectByUser', 'evicted'],
    ['sessionClosedByServer', 'session-closed'],
  ] as const;
  for (const [reason, expected] of ENDINGS) {
    it(`should end disconnected (${expected}) on ${reason}`, async () => {
      const h = createHarness();
      const session = await h.client.join('c1');
      h.backend.simulateDisconnected(reason);
      assert.deepEqual(
        [session.state.connection, session.state.connectionReason],
        ['disconnected', expected],
      );
      assert.equal(session.state.error, undefined);
      await flushMicrotasks();
      assertReleased(h, session);
    });
  }

  it('should fail with the token error code and release everything', async () => {
    const h = createHarness();
    h.server.on('POST', PATHS.token, () =>
      jsonResponse({ error: { code: 'forbidden', message: 'no' } }, 403),
    );
    const session = h.client.createSession('c1');
    const error = await rejection(session.connect());
    assert.equal(error.code, 'forbidden');
    assert.equal(session.state.connection, 'failed');
    assert.equal(session.state.error?.code, 'forbidden');
    assertReleased(h, session);
  });

  it('should abort cleanly while fetching the token', async () => {
    const h = createHarness();
    const gate = deferred<Response>();
    h.server.on('POST', PATHS.token, () => gate.promise);
    const controller = new AbortController();
    const joining = h.client.join('c1', { signal: controller.signal });
    await flushMicrotasks();
    controller.abort();
    const error = await rejection(joining);
    assert.equal(error.code, 'aborted');
    assert.equal(h.backend.callsOf('connect').length, 0);
    assert.equal(h.clock.pendingTimers, 0);
  });

  it('should abort cleanly while connecting the media backend', async () => {
    const h = createHarness();
    h.backend.holdConnect();
    const controller = new AbortController();
    const session = h.client.createSession('c1');
    const connecting = session.connect({ signal: controller.signal });
    await waitForState(session, (s) => s.connection === 'connecting');
    while (h.backend.callsOf('connect').length === 0) await flushMicrotasks();
    controller.abort();
    const error = await rejection(connecting);
    assert.equal(error.code, 'aborted');
    assert.deepEqual(
      [session.state.connection, session.state.connectionReason],
      ['disconnected', 'aborted'],
    );
    assert.equal(h.backend.callsOf('disconnect').length, 1);
    assertReleased(h, session);
  });

  it('should reject connect() after the session ended', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    await session.leave();
    assert.equal((await rejection(session.connect())).code, 'invalid-state');
  });

  it('should throw synchronously on misuse', () => {
    const h = createHarness();
    const session = h.client.createSession('c1');
    assert.throws(() => session.sendMessage('   '), RangeError);
    assert.throws(() => session.sendMessage(42 as unknown as string), TypeError);
    assert.throws(() => session.setMicrophoneEnabled('yes' as unknown as boolean), TypeError);
    assert.throws(() => h.client.createSession(''), TypeError);
  });

  it('should join without media when capture fails, reporting the error', async () => {
    const h = createHarness();
    h.mediaDevices.failNext('NotAllowedError');
    h.mediaDevices.failNext('NotAllowedError');
    h.mediaDevices.failNext('NotAllowedError');
    const session = h.client.createSession('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    await session.connect();
    assert.equal(session.state.connection, 'connected');
    assert.equal((await events.waitFor('error')).error.code, 'permission-denied');
    assert.equal(session.state.localMedia.error?.code, 'permission-denied');
    await session.leave();
  });

  it('should end on the server event `ended`', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const stream = await h.stream();
    stream.send('ended', { reason: 'provider-ended' }, '1');
    await waitForState(session, (s) => s.connection === 'disconnected');
    assert.equal(session.state.connectionReason, 'session-closed');
    assert.ok(session.state.endedAt !== undefined);
  });
});
