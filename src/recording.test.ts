import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsultError } from './errors.js';
import { errorResponse, jsonResponse } from './testing/fake-fetch.js';
import { recordEvents, SESSION_EVENT_NAMES, waitForState } from './testing/event-recorder.js';
import { createHarness, PATHS } from './testing/harness.js';

const consent = (granted: boolean | null, requested = true) => ({
  requested,
  entries: [
    { userId: 'u-local', displayName: 'Pat', role: 'patient', granted },
    { userId: 'u-dr', displayName: 'Dr. B', role: 'provider', granted: true },
  ],
});

describe('recording', () => {
  it('should go 412 → awaiting-consent → recording → stopping → processing → ready → download', async () => {
    const h = createHarness({ token: { role: 'provider', userId: 'u-dr' } });
    h.server.on('POST', PATHS.recordings, () => errorResponse(412, 'consent-required'));
    h.server.on('POST', `${PATHS.recordings}/r1/stop`, () =>
      jsonResponse({ recordingId: 'r1', consultId: 'c1', status: 'stopping' }),
    );
    h.server.on(
      'GET',
      `${PATHS.recordings}/r1/download`,
      () =>
        new Response(new Uint8Array([1, 2, 3]), {
          headers: {
            'content-type': 'video/mp4',
            'content-disposition': 'attachment; filename="visit.mp4"',
          },
        }),
    );
    const session = await h.client.join('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    await session.startRecording();
    assert.equal(session.state.recording.status, 'awaiting-consent');
    const stream = await h.stream();
    stream.send('consent', consent(true, false), '1');
    stream.send(
      'recording',
      {
        recordingId: 'r1',
        consultId: 'c1',
        status: 'recording',
        startedAt: '2030-01-01T00:00:00Z',
      },
      '2',
    );
    await waitForState(session, (s) => s.recording.status === 'recording');
    assert.equal(session.state.recording.recordingId, 'r1');
    h.backend.simulateRecordingStarted('r1');
    await session.stopRecording();
    assert.equal(session.state.recording.status, 'stopping');
    h.backend.simulateRecordingStopped('r1');
    assert.equal(session.state.recording.status, 'processing');
    stream.send(
      'recording',
      { recordingId: 'r1', consultId: 'c1', status: 'ready', duration: 61 },
      '3',
    );
    await waitForState(session, (s) => s.recording.status === 'ready');
    assert.equal(session.state.recording.downloadable, true);
    assert.equal(session.state.recording.duration, 61);
    const statuses = events.take('recordingChanged').map((e) => e.recording.status);
    assert.deepEqual(
      statuses.filter((s, i) => s !== statuses[i - 1]),
      ['starting', 'awaiting-consent', 'recording', 'stopping', 'processing', 'ready'],
    );
    const download = await session.downloadRecording();
    assert.equal(download.fileName, 'visit.mp4');
    assert.match(download.url, /^blob:/);
    URL.revokeObjectURL(download.url);
    const [request] = h.server.requestsTo(`${PATHS.recordings}/r1/download`);
    assert.equal(request?.headers.authorization, 'Bearer portal-token');
    await session.leave();
  });

  it('should return a server-provided download link without buffering', async () => {
    const h = createHarness({ token: { role: 'provider' } });
    h.server.on('GET', `${PATHS.recordings}/r2/download`, () =>
      jsonResponse({ url: 'https://cdn/signed' }),
    );
    const session = await h.client.join('c1');
    (await h.stream()).send('recording', { recordingId: 'r2', consultId: 'c1', status: 'ready' });
    await waitForState(session, (s) => s.recording.status === 'ready');
    const download = await session.downloadRecording();
    assert.deepEqual(download, { url: 'https://cdn/signed', fileName: 'consult-c1-r2.mp4' });
    await session.leave();
  });

  it('should start directly when the server needs no consent', async () => {
    const h = createHarness({ token: { role: 'provider' } });
    h.server.on('POST', PATHS.recordings, () =>
      jsonResponse({ recordingId: 'r3', consultId: 'c1', status: 'starting' }, 201),
    );
    const session = await h.client.join('c1');
    await session.startRecording();
    assert.deepEqual(
      [session.state.recording.status, session.state.recording.recordingId],
      ['starting', 'r3'],
    );
    h.backend.simulateRecordingStarted('r3');
    assert.equal(session.state.recording.status, 'recording');
    await session.leave();
  });

  it('should reject start failures with a ConsultError and keep the error in state', async () => {
    const h = createHarness({ token: { role: 'provider' } });
    h.server.on('POST', PATHS.recordings, () => errorResponse(403, 'forbidden'));
    const session = await h.client.join('c1');
    const error = await session.startRecording().catch((e: unknown) => e);
    assert.ok(error instanceof ConsultError && error.code === 'forbidden');
    assert.equal(session.state.recording.status, 'idle');
    assert.equal(session.state.recording.error?.code, 'forbidden');
    await session.leave();
  });

  it('should reject recording commands before connecting with invalid-state', async () => {
    const h = createHarness();
    const session = h.client.createSession('c1');
    for (const run of [
      () => session.startRecording(),
      () => session.stopRecording(),
      () => session.downloadRecording(),
    ]) {
      const error = await run().catch((e: unknown) => e);
      assert.ok(error instanceof ConsultError && error.code === 'invalid-state');
    }
  });
});

describe('recording consent', () => {
  it('should prompt once when the local entry is unanswered, and clear after answering', async () => {
    const h = createHarness();
    h.server.on('POST', PATHS.consent, () => jsonResponse(consent(true)));
    const session = await h.client.join('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    const stream = await h.stream();
    stream.send('consent', consent(null), '1');
    stream.send('consent', consent(null), '2');
    const { consent: asked } = await events.waitFor('consentRequested');
    assert.equal(asked.requested, true);
    assert.equal(session.state.recording.consentPending, true);
    await waitForState(session, (s) => s.recording.consent.entries.length === 2);
    await session.setRecordingConsent(true);
    assert.equal(session.state.recording.consentPending, false);
    assert.deepEqual(h.server.requestsTo(PATHS.consent)[0]?.body, { granted: true });
    assert.equal(events.take('consentRequested').length, 0, 'asked only once');
    await session.leave();
  });

  it('should not prompt when the local user already answered or nothing is requested', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const events = recordEvents(session, ['consentRequested', 'recordingChanged']);
    const stream = await h.stream();
    stream.send('consent', consent(true), '1');
    stream.send('consent', consent(null, false), '2');
    await events.waitFor('recordingChanged', { predicate: (d) => !d.recording.consent.requested });
    assert.ok(events.none('consentRequested'));
    assert.equal(session.state.recording.consentPending, false);
    await session.leave();
  });
});
