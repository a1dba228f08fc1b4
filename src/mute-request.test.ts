import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsultError } from './errors.js';
import { MUTE_REQUEST_SIGNAL_TYPE } from './mute-request.js';
import { recordEvents, SESSION_EVENT_NAMES } from './testing/event-recorder.js';
import { createHarness } from './testing/harness.js';

const rejectsWith = async (promise: Promise<unknown>, code: string): Promise<void> => {
  await assert.rejects(promise, (e: unknown) => e instanceof ConsultError && e.code === code);
};

describe('mute requests', () => {
  it('should send a provider’s request as a mute-request signal to that participant only', async () => {
    const h = createHarness({ token: { role: 'provider' } });
    const session = await h.client.join('c1');
    h.backend.simulateParticipantJoined({
      connectionId: 'con_2',
      displayName: 'Pat',
      role: 'patient',
    });
    await session.requestMute('con_2');
    const [signal] = h.backend.sentSignals;
    assert.equal(signal?.type, MUTE_REQUEST_SIGNAL_TYPE);
    assert.deepEqual(signal?.to, ['con_2']);
    const payload = JSON.parse(signal?.data ?? '{}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload).sort(), ['id', 'sentAt', 'v']);
    assert.equal(session.state.chat.messages.length, 0, 'a mute request is not a chat message');
    await session.leave();
  });

  it('should refuse non-providers, unknown or local participants, and outside a call', async () => {
    const patient = createHarness();
    const p = await patient.client.join('c1');
    patient.backend.simulateParticipantJoined({ connectionId: 'con_2', role: 'provider' });
    await rejectsWith(p.requestMute('con_2'), 'forbidden');
    await p.leave();
    const h = createHarness({ token: { role: 'provider' } });
    const idle = h.client.createSession('c1');
    await rejectsWith(idle.requestMute('con_2'), 'invalid-state');
    await idle.connect();
    await rejectsWith(idle.requestMute('nobody'), 'invalid-state');
    await rejectsWith(idle.requestMute('con_local'), 'invalid-state');
    assert.throws(() => void idle.requestMute(''), TypeError);
    assert.equal(h.backend.sentSignals.length, 0);
    await idle.leave();
  });

  it('should reject with connection-failed when the signal cannot be sent', async () => {
    const h = createHarness({ token: { role: 'provider' } });
    const session = await h.client.join('c1');
    h.backend.simulateParticipantJoined({ connectionId: 'con_2', role: 'patient' });
    h.backend.failSignals = 1;
    await rejectsWith(session.requestMute('con_2'), 'connection-failed');
    await session.leave();
  });

  it('should emit muteRequested once per request, from providers only, without muting', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    h.backend.simulateParticipantJoined({
      connectionId: 'con_dr',
      displayName: 'Dr. B',
      role: 'provider',
    });
    h.backend.simulateParticipantJoined({
      connectionId: 'con_g',
      displayName: 'Guest',
      role: 'guest',
    });
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    const data = JSON.stringify({ v: 1, id: 'r1', sentAt: new Date().toISOString() });
    h.backend.simulateSignal(MUTE_REQUEST_SIGNAL_TYPE, data, 'con_dr');
    h.backend.simulateSignal(MUTE_REQUEST_SIGNAL_TYPE, data, 'con_dr');
    h.backend.simulateSignal(MUTE_REQUEST_SIGNAL_TYPE, JSON.stringify({ v: 1, id: 'r2' }), 'con_g');
    h.backend.simulateSignal(MUTE_REQUEST_SIGNAL_TYPE, JSON.stringify({ v: 1, id: 'r3' }));
    h.backend.simulateSignal(MUTE_REQUEST_SIGNAL_TYPE, 'not json', 'con_dr');
    const received = events.take('muteRequested');
    assert.equal(received.length, 1);
    assert.equal(received[0]?.from.displayName, 'Dr. B');
    assert.equal(session.state.localMedia.audioEnabled, true, 'nothing is muted remotely');
    await session.leave();
  });
});
