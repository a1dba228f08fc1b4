import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsultError } from './errors.js';
import { errorResponse, jsonResponse } from './testing/fake-fetch.js';
import { waitForState } from './testing/event-recorder.js';
import { createHarness, PATHS, tokenFor } from './testing/harness.js';

async function rejection(promise: Promise<unknown>): Promise<ConsultError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConsultError, `not a ConsultError: ${String(error)}`);
  return error;
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !predicate(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(predicate(), 'condition not met in time');
}

const REMOVE = '/api/consults/c1/participants/u-pat/remove';

describe('consult lifecycle', () => {
  it('should fail a join with consult-ended when the server answers 410', async () => {
    const h = createHarness();
    h.server.on('POST', PATHS.token, () => errorResponse(410, 'consult-ended'));
    const session = h.client.createSession('c1');
    const error = await rejection(session.connect());
    assert.equal(error.code, 'consult-ended');
    assert.equal(error.recoverable, false);
    assert.equal(session.state.connection, 'failed');
  });

  it('should end the session when the event stream answers 410 consult-ended', async () => {
    const h = createHarness();
    h.server.on('GET', PATHS.events, () => errorResponse(410, 'consult-ended'));
    const session = h.client.createSession('c1');
    await session.connect().catch(() => undefined);
    await waitForState(session, (s) => s.connection === 'disconnected', 5000);
    assert.equal(session.state.connectionReason, 'session-closed');
  });

  it('should remove a participant (providers) with POST …/participants/{userId}/remove', async () => {
    const h = createHarness({ token: { role: 'provider', userId: 'u-dr' } });
    h.server.on('POST', REMOVE, () => jsonResponse({ userId: 'u-pat', status: 'removed' }));
    const session = await h.client.join('c1');
    await session.removeParticipant('u-pat');
    assert.equal(h.server.requestsTo(REMOVE, 'POST').length, 1);
    h.server.on('POST', REMOVE, () => errorResponse(409, 'conflict'));
    assert.equal((await rejection(session.removeParticipant('u-pat'))).code, 'conflict');
    await assert.rejects(() => session.removeParticipant(''), TypeError);
    await session.leave();
  });

  it('should refuse removeParticipant for patients without asking the server', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    assert.equal((await rejection(session.removeParticipant('u-dr'))).code, 'forbidden');
    assert.equal(h.server.requestsTo(REMOVE, 'POST').length, 0);
    await session.leave();
  });
});

describe('joining while a recording runs', () => {
  const notice = { active: true as const, consentRequired: true, consentDeadline: '2030-01-01' };
  const consent = (granted: boolean | null) => ({
    requested: granted === null,
    entries: [
      { userId: 'u-local', displayName: 'Pat', role: 'patient', granted },
      { userId: 'u-dr', displayName: 'Dr. B', role: 'provider', granted: true },
    ],
  });

  it('should hold back publishing until the user consented', async () => {
    const h = createHarness({ token: { recording: notice } });
    h.server.on('POST', PATHS.consent, () => jsonResponse(consent(true)));
    const session = h.client.createSession('c1');
    const joined = session.connect();
    await waitForState(session, (s) => s.recording.consentPending);
    assert.equal(session.state.recording.status, 'recording', 'told before publishing');
    await until(() => h.backend.callsOf('connect').length === 1);
    assert.equal(h.backend.callsOf('publish').length, 0, 'nothing published yet');
    await session.setRecordingConsent(true);
    await joined;
    assert.equal(h.backend.callsOf('publish').length, 1);
    await session.leave();
  });

  it('should publish only after the recording stopped when the user declines', async () => {
    const h = createHarness({ token: { recording: notice } });
    h.server.on('POST', PATHS.consent, () => jsonResponse(consent(false)));
    const session = h.client.createSession('c1');
    const joined = session.connect();
    await waitForState(session, (s) => s.recording.consentPending);
    await session.setRecordingConsent(false);
    await until(() => h.backend.callsOf('connect').length === 1);
    assert.equal(h.backend.callsOf('publish').length, 0, 'still recording: nothing published');
    (await h.stream()).send('recording', {
      recordingId: 'r1',
      consultId: 'c1',
      status: 'processing',
      reason: 'consent-declined',
    });
    await joined;
    assert.equal(h.backend.callsOf('publish').length, 1);
    await session.leave();
  });

  it('should tell a waiting user that the consultation is being recorded', async () => {
    const h = createHarness();
    h.server.on('POST', PATHS.token, () =>
      jsonResponse({ status: 'waiting', consultId: 'c1', recording: true }, 202),
    );
    const session = h.client.createSession('c1');
    const joined = session.connect().catch(() => undefined);
    await waitForState(session, (s) => s.connection === 'waiting');
    assert.equal(session.state.recording.status, 'recording');
    await session.leave();
    await joined;
    assert.equal(tokenFor().recording, undefined);
  });
});
