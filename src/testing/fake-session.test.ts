import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsultError } from '../errors.js';
import { recordEvents, SESSION_EVENT_NAMES } from './event-recorder.js';
import { createFakeMediaStream } from './fake-media.js';
import { FakeSession } from './fake-session.js';

describe('FakeSession', () => {
  it('should start from a partial state and record commands', async () => {
    const session = new FakeSession({ consultId: 'x', connection: 'connected', role: 'provider' });
    assert.equal(session.state.consultId, 'x');
    await session.setMicrophoneEnabled(false);
    await session.sendMessage('hello');
    assert.deepEqual(
      session.calls.map((c) => c.method),
      ['setMicrophoneEnabled', 'sendMessage'],
    );
    assert.equal(session.state.localMedia.audioEnabled, false);
    assert.equal(session.state.chat.messages[0]?.text, 'hello');
  });

  it('should simulate participants, messages, quality, recording, consent, lobby and waiting', async () => {
    const session = new FakeSession({}, { createStream: () => createFakeMediaStream() });
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    session.simulateConnection('connected');
    assert.equal(session.state.participants[0]?.isLocal, true);
    const p = session.simulateParticipantJoined({ displayName: 'Dr. Chen', role: 'provider' });
    assert.ok(p.stream);
    assert.equal((await events.waitFor('participantJoined')).participant.id, p.id);
    session.simulateMessage({ text: 'hi', senderId: p.id });
    assert.equal(session.state.chat.unread, 1);
    assert.equal(session.state.chat.messages[0]?.senderName, 'Dr. Chen');
    session.markRead();
    assert.equal(session.state.chat.unread, 0);
    session.simulateMuted(p.id, 'audio', true);
    session.simulateSpeaking(p.id, true);
    session.simulateQuality(p.id, 'poor', { suggestAudioOnly: true });
    const remote = session.state.participants.find((x) => x.id === p.id);
    assert.deepEqual(
      [remote?.audioEnabled, remote?.speaking, remote?.quality.level],
      [false, true, 'poor'],
    );
    assert.equal(session.state.localMedia.audioOnlySuggested, true);
    session.simulateRecording('recording');
    session.simulateConsentRequest();
    assert.equal(session.state.recording.consentPending, true);
    await events.waitFor('consentRequested');
    session.simulateLobby([{ userId: 'u9', displayName: 'Pat', role: 'patient', since: '' }]);
    await session.admit('u9');
    assert.equal(session.state.lobby.length, 0);
    session.simulateReconnecting();
    assert.equal(session.state.connection, 'reconnecting');
    session.simulateWaiting(3);
    assert.equal(session.state.waitingPosition, 3);
    session.simulateParticipantLeft(p.id);
    assert.ok(!events.none('participantLeft'));
  });

  it('should name the local participant after connect({ displayName })', async () => {
    const named = new FakeSession();
    await named.connect({ displayName: ' Ann ' });
    assert.equal(named.state.participants.find((p) => p.isLocal)?.displayName, 'Ann');
    assert.deepEqual(named.callsOf('connect')[0]?.args, [{ displayName: ' Ann ' }]);
    const unnamed = new FakeSession();
    await unnamed.connect();
    assert.equal(unnamed.state.participants.find((p) => p.isLocal)?.displayName, 'You');
  });

  it('should reject a command queued to fail and surface simulated errors', async () => {
    const session = new FakeSession();
    session.failNext('setCameraEnabled', 'permission-denied');
    const error = await session.setCameraEnabled(true).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConsultError && error.code === 'permission-denied');
    const events = recordEvents(session, ['error']);
    session.simulateError('connection-lost', { fatal: true });
    assert.equal((await events.waitFor('error')).error.code, 'connection-lost');
    assert.equal(session.state.connection, 'failed');
    assert.throws(() => session.sendMessage(''), RangeError);
  });
});
