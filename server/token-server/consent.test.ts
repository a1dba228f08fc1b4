/**
 * Consent that holds, against the embedded dev media server: an answer covers one recording (the
 * next one asks everyone again), and someone who joins while a recording runs is told and asked;
 * if they decline or let the deadline pass the recording stops before their stream is published —
 * proved with the media server's own webhook timestamps (`recordingStatusChanged` stopped, then the
 * joiner's publisher `webrtcConnectionCreated`).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type {
  ConsentState,
  RecordingInfo,
  TokenResponse,
  WaitingResponse,
} from '../../src/contract.js';
import { publish, startTestServer } from '../dev-media-server/test-support.js';
import type { Stack, StackOptions } from './test-support.js';
import {
  OV_PLACEHOLDER,
  OV_SECRET,
  SseReader,
  WEBHOOK_SECRET,
  asToken,
  doctor,
  joinWith,
  patient,
  startStack,
  waitFor,
} from './test-support.js';

/** A stack whose webhooks pass through a relay that keeps them (with OpenVidu's timestamps). */
async function relayedStack(
  options: StackOptions,
): Promise<{ stack: Stack; hooks: Record<string, unknown>[] }> {
  let ovUrl = 'http://127.0.0.1:1';
  const base = await startStack({
    ...options,
    noMediaServer: true,
    fetch: (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      return fetch(url.replace(OV_PLACEHOLDER, ovUrl), init);
    },
  });
  const hooks: Record<string, unknown>[] = [];
  const relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      hooks.push(JSON.parse(text) as Record<string, unknown>);
      fetch(`${base.ts.url}/api/openvidu/webhook`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${WEBHOOK_SECRET}` },
        body: text,
      }).then(
        (r) => {
          res.statusCode = r.status;
          res.end();
        },
        () => {
          res.statusCode = 502;
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const ov = await startTestServer({
    secret: OV_SECRET,
    webhook: {
      url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/webhook`,
      retryBaseMs: 20,
    },
  });
  ovUrl = ov.server.url;
  const stack: Stack = {
    ts: base.ts,
    logs: base.logs,
    call: base.call,
    ov,
    close: async () => {
      await ov.close();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      await base.close();
    },
  };
  return { stack, hooks };
}

let s: Stack;
let hooks: Record<string, unknown>[];
let dr: string;
before(async () => {
  ({ stack: s, hooks } = await relayedStack({
    heartbeatMs: 200,
    waitingRoom: false,
    consentTimeoutMs: 1500,
  }));
  dr = await doctor();
});
after(() => s.close());

const sse = (consultId: string, token: string) =>
  SseReader.open(`${s.ts.url}/api/consults/${consultId}/events`, {
    Authorization: `Bearer ${token}`,
  });

async function tokenFor(consultId: string, token: string): Promise<TokenResponse> {
  const r = await s.call('POST', `/api/consults/${consultId}/token`, { token, body: {} });
  assert.equal(r.status, 200, r.text);
  return asToken(r.json);
}

const consent = (consultId: string, token: string, granted: boolean) =>
  s.call('POST', `/api/consults/${consultId}/recording-consent`, { token, body: { granted } });

const startRecording = (consultId: string) =>
  s.call('POST', `/api/consults/${consultId}/recordings`, { token: dr, body: {} });

/** Provider and patient `n` connected; the patient consented; a recording running. */
async function recordingWithPatient(id: string, n: number) {
  const drClient = await joinWith(s, await tokenFor(id, dr));
  const p = await patient(n);
  const pClient = await joinWith(s, await tokenFor(id, p));
  await waitFor('both connected', () =>
    hooks.some(
      (h) =>
        h['event'] === 'participantJoined' &&
        h['sessionId'] === id &&
        /pat/.test(JSON.stringify(h)),
    ),
  );
  assert.equal((await consent(id, p, true)).status, 200);
  const rec = await startRecording(id);
  assert.equal(rec.status, 201, rec.text);
  const info = rec.json as RecordingInfo;
  await waitFor('recording started', async () => {
    const r = await s.call('GET', `/api/consults/${id}/recordings/${info.recordingId}`, {
      token: dr,
    });
    return (r.json as RecordingInfo).status === 'recording';
  });
  return { drClient, p, pClient, recordingId: info.recordingId };
}

const stoppedAt = (recordingId: string): number | undefined => {
  const h = hooks.find(
    (x) =>
      x['event'] === 'recordingStatusChanged' &&
      x['id'] === recordingId &&
      x['status'] === 'stopped',
  );
  return typeof h?.['timestamp'] === 'number' ? h['timestamp'] : undefined;
};

const publishedAt = (connectionId: string): number | undefined => {
  const h = hooks.find(
    (x) =>
      x['event'] === 'webrtcConnectionCreated' &&
      x['connectionId'] === connectionId &&
      x['connection'] === 'OUTBOUND',
  );
  return typeof h?.['timestamp'] === 'number' ? h['timestamp'] : undefined;
};

describe('consent per recording', () => {
  test('a consent covers one recording: the next recording asks everyone again', async () => {
    const id = 'consent-round-1';
    const { recordingId, p } = await recordingWithPatient(id, 71);
    const stop = await s.call('POST', `/api/consults/${id}/recordings/${recordingId}/stop`, {
      token: dr,
      body: {},
    });
    assert.equal(stop.status, 200, stop.text);
    const again = await startRecording(id);
    assert.equal(again.status, 412, `the old consent must not carry over: ${again.text}`);
    assert.deepEqual(
      (again.json as { error: { details: { missing: string[] } } }).error.details.missing,
      ['pat-71'],
    );
    assert.equal((await consent(id, p, true)).status, 200);
    await waitFor('second recording started by itself', async () => {
      const r = await s.call('GET', `/api/consults/${id}/recordings`, { token: dr });
      return (r.json as { recordings: RecordingInfo[] }).recordings.length === 2;
    });
  });
});

describe('joining while a recording runs', () => {
  test('the joiner is told and asked; declining stops the recording before their stream is published', async () => {
    const id = 'consent-join-1';
    const { recordingId } = await recordingWithPatient(id, 72);
    const drEvents = await sse(id, dr);
    const q = await patient(73);
    const t = await tokenFor(id, q);
    assert.equal(t.recording?.active, true);
    assert.equal(t.recording?.consentRequired, true);
    assert.ok(Date.parse(t.recording?.consentDeadline ?? '') > Date.now());
    const qEvents = await sse(id, q);
    await qEvents.next(
      'consent',
      (c: ConsentState) =>
        c.requested && c.entries.some((e) => e.userId === 'pat-73' && e.granted === null),
    );
    const qClient = await joinWith(s, t);
    assert.equal((await consent(id, q, false)).status, 200);
    const stopped = await drEvents.next(
      'recording',
      (r: RecordingInfo) => r.recordingId === recordingId && r.status !== 'recording',
    );
    assert.equal((stopped.data as RecordingInfo).reason, 'consent-declined');
    // What the SDK does: publish once the recording stopped.
    await qEvents.next(
      'recording',
      (r: RecordingInfo) => r.recordingId === recordingId && r.status !== 'recording',
    );
    await publish(qClient);
    await waitFor(
      'webhooks',
      () => stoppedAt(recordingId) !== undefined && publishedAt(t.connectionId) !== undefined,
    );
    assert.ok(
      (stoppedAt(recordingId) ?? Infinity) <= (publishedAt(t.connectionId) ?? -Infinity),
      `recording stopped at ${stoppedAt(recordingId)}, joiner published at ${publishedAt(t.connectionId)}`,
    );
    drEvents.close();
    qEvents.close();
  });

  test('no answer before the deadline stops the recording (consent-timeout)', async () => {
    const id = 'consent-join-2';
    const { recordingId } = await recordingWithPatient(id, 74);
    const drEvents = await sse(id, dr);
    const q = await patient(75);
    const t = await tokenFor(id, q);
    assert.equal(t.recording?.consentRequired, true);
    await joinWith(s, t);
    const stopped = await drEvents.next(
      'recording',
      (r: RecordingInfo) => r.recordingId === recordingId && r.status !== 'recording',
      5000,
    );
    assert.equal((stopped.data as RecordingInfo).reason, 'consent-timeout');
    drEvents.close();
  });

  test('a joiner who consents keeps the recording going; people waiting are told it is recorded', async () => {
    const id = 'consent-join-3';
    const { recordingId } = await recordingWithPatient(id, 76);
    const q = await patient(77);
    const t = await tokenFor(id, q);
    assert.equal(t.recording?.consentRequired, true);
    await joinWith(s, t);
    const answer = await consent(id, q, true);
    assert.equal(answer.status, 200);
    assert.equal((answer.json as ConsentState).requested, false);
    // Past the deadline the recording still runs.
    await new Promise((r) => setTimeout(r, 1800));
    const r = await s.call('GET', `/api/consults/${id}/recordings/${recordingId}`, { token: dr });
    assert.equal((r.json as RecordingInfo).status, 'recording');

    // With a waiting room, a patient who starts waiting during the recording hears of it.
    const waitingStack = await relayedStack({ consentTimeoutMs: 60_000 });
    try {
      const wid = 'consent-wait-1';
      const call = waitingStack.stack.call;
      const drT = asToken(
        (await call('POST', `/api/consults/${wid}/token`, { token: dr, body: {} })).json,
      );
      await joinWith(waitingStack.stack, drT);
      await waitFor('provider joined', () =>
        waitingStack.hooks.some((h) => h['event'] === 'participantJoined'),
      );
      const rec = await call('POST', `/api/consults/${wid}/recordings`, { token: dr, body: {} });
      assert.equal(rec.status, 201, rec.text);
      const w = await call('POST', `/api/consults/${wid}/token`, {
        token: await patient(78),
        body: {},
      });
      assert.equal(w.status, 202);
      assert.equal((w.json as WaitingResponse).recording, true);
    } finally {
      await waitingStack.stack.close();
    }
  });
});
