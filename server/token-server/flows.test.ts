/**
 * End-to-end flows against the embedded dev media server (fake media router): tokens, concurrent
 * first joins, waiting room over SSE, SSE resume, consent gate and recordings, chat history from
 * webhooks, and the audit trail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  AuditEntry,
  ConsentState,
  LobbyEntry,
  RecordingInfo,
  StoredChatMessage,
  WaitingResponse,
} from '../../src/contract.js';
import type { Stack } from './test-support.js';
import {
  OV_SECRET,
  SseReader,
  asToken,
  doctor,
  joinWith,
  jwt,
  patient,
  startStack,
  waitFor,
} from './test-support.js';

let s: Stack;
let dr: string;
before(async () => {
  s = await startStack({ heartbeatMs: 200 });
  dr = await doctor();
});
after(() => s.close());

const sse = (consultId: string, token: string, lastEventId?: string) =>
  SseReader.open(`${s.ts.url}/api/consults/${consultId}/events`, {
    Authorization: `Bearer ${token}`,
    ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}),
  });

async function providerJoins(consultId: string) {
  const r = await s.call('POST', `/api/consults/${consultId}/token`, { token: dr, body: {} });
  assert.equal(r.status, 200, r.text);
  const token = asToken(r.json);
  return { token, client: await joinWith(s, token) };
}

async function admittedPatient(consultId: string, n: number) {
  const p = await patient(n);
  const w = await s.call('POST', `/api/consults/${consultId}/token`, { token: p, body: {} });
  assert.equal(w.status, 202, w.text);
  const events = await sse(consultId, p);
  const a = await s.call('POST', `/api/consults/${consultId}/lobby/pat-${n}/admit`, {
    token: dr,
    body: {},
  });
  assert.equal(a.status, 200, a.text);
  await events.next('admitted');
  // The admitted event carries no token: the patient asks again.
  const again = await s.call('POST', `/api/consults/${consultId}/token`, { token: p, body: {} });
  assert.equal(again.status, 200, again.text);
  const token = asToken(again.json);
  const client = await joinWith(s, token);
  return { p, token, client, events };
}

async function auditActions(consultId: string): Promise<string[]> {
  const r = await s.call('GET', `/api/consults/${consultId}/audit`, { token: dr });
  assert.equal(r.status, 200, r.text);
  return (r.json as { entries: AuditEntry[] }).entries.map((e) => e.action);
}

describe('token endpoint', () => {
  test('provider token: MODERATOR connection whose server data is ConnectionServerData', async () => {
    const r = await s.call('POST', '/api/consults/tok-1/token', { token: dr, body: {} });
    assert.equal(r.status, 200, r.text);
    const t = asToken(r.json);
    assert.equal(t.consultId, 'tok-1');
    assert.match(t.token, /^ws:\/\/.*sessionId=tok-1&token=tok_/);
    assert.match(t.connectionId, /^con_/);
    assert.ok(Date.parse(t.expiresAt) > Date.now());
    const conn = await fetch(
      `${s.ov.server.url}/openvidu/api/sessions/tok-1/connection/${t.connectionId}`,
      {
        headers: {
          Authorization: `Basic ${Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')}`,
        },
      },
    );
    const json = (await conn.json()) as { role: string; serverData: string };
    assert.equal(json.role, 'MODERATOR');
    assert.deepEqual(JSON.parse(json.serverData), {
      userId: 'dr-1',
      displayName: 'Dr. One',
      role: 'provider',
    });
  });

  test('concurrent first joins create exactly one OpenVidu session', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        jwt({ sub: `doc-${i}`, role: 'provider', name: `D${i}` }),
      ),
    );
    const answers = await Promise.all(
      tokens.map((t) => s.call('POST', '/api/consults/race-1/token', { token: t, body: {} })),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(8).fill(200),
    );
    const sessions = await fetch(
      `${s.ov.server.url}/openvidu/api/sessions?pendingConnections=true`,
      {
        headers: {
          Authorization: `Basic ${Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')}`,
        },
      },
    );
    const list = (await sessions.json()) as {
      content: { id: string; connections: { numberOfElements: number } }[];
    };
    const race = list.content.filter((x) => x.id === 'race-1');
    assert.equal(race.length, 1);
    assert.equal(race[0]?.connections.numberOfElements, 8);
    // sessionCreated was emitted once.
    const created = s.logs.lines.filter(
      (l) => l.includes('openvidu session created') && l.includes('race-1'),
    );
    assert.equal(created.length, 1);
  });

  test('a closed session (last participant left) is recreated on the next token', async () => {
    const { client } = await providerJoins('recreate-1');
    client.close();
    await waitFor('session closed', async () => {
      const r = await fetch(`${s.ov.server.url}/openvidu/api/sessions/recreate-1`, {
        headers: {
          Authorization: `Basic ${Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')}`,
        },
      });
      await r.body?.cancel();
      return r.status === 404;
    });
    const again = await s.call('POST', '/api/consults/recreate-1/token', { token: dr, body: {} });
    assert.equal(again.status, 200, again.text);
  });

  test('display name from the body is used only when the token has no name', async () => {
    const t = await jwt({ sub: 'anon-prov', role: 'provider' });
    const r = await s.call('POST', '/api/consults/name-1/token', {
      token: t,
      body: { displayName: 'Chosen Name' },
    });
    assert.equal(asToken(r.json).displayName, 'Chosen Name');
    const r2 = await s.call('POST', '/api/consults/name-1/token', {
      token: dr,
      body: { displayName: 'Impostor' },
    });
    assert.equal(asToken(r2.json).displayName, 'Dr. One');
  });
});

describe('waiting room over SSE', () => {
  test('patient waits (202), provider sees the lobby event, admits; patient gets the token event', async () => {
    const drEvents = await sse('lobby-1', dr);
    await drEvents.next('lobby'); // snapshot
    const p = await patient(1);
    const w = await s.call('POST', '/api/consults/lobby-1/token', { token: p, body: {} });
    assert.equal(w.status, 202);
    assert.deepEqual(w.json as WaitingResponse, {
      status: 'waiting',
      consultId: 'lobby-1',
      position: 1,
    });
    const pEvents = await sse('lobby-1', p);
    const lobby = await drEvents.next(
      'lobby',
      (d: { waiting: LobbyEntry[] }) => d.waiting.length === 1,
    );
    assert.equal((lobby.data as { waiting: LobbyEntry[] }).waiting[0]?.userId, 'pat-1');
    assert.equal((lobby.data as { waiting: LobbyEntry[] }).waiting[0]?.displayName, 'Patient 1');
    const list = await s.call('GET', '/api/consults/lobby-1/lobby', { token: dr });
    assert.equal((list.json as { waiting: LobbyEntry[] }).waiting.length, 1);
    // Asking again keeps the place and sends no duplicate lobby event.
    const again = await s.call('POST', '/api/consults/lobby-1/token', { token: p, body: {} });
    assert.equal(again.status, 202);

    const a = await s.call('POST', '/api/consults/lobby-1/lobby/pat-1/admit', {
      token: dr,
      body: {},
    });
    assert.equal(a.status, 200, a.text);
    const admitted = await pEvents.next('admitted');
    assert.equal((admitted.data as { userId: string }).userId, 'pat-1');
    assert.match(admitted.id ?? '', /^\d+$/);
    await drEvents.next('lobby', (d: { waiting: LobbyEntry[] }) => d.waiting.length === 0);
    // The provider never sees another user's admission; the patient never sees lobby events.
    assert.equal(drEvents.named('admitted').length, 0);
    assert.equal(pEvents.named('lobby').length, 0);
    // Admitted patients get tokens directly from now on.
    const direct = await s.call('POST', '/api/consults/lobby-1/token', { token: p, body: {} });
    assert.equal(direct.status, 200);
    const token = asToken(direct.json);
    assert.equal(token.role, 'patient');
    // Admitting someone not waiting is a conflict.
    const twice = await s.call('POST', '/api/consults/lobby-1/lobby/pat-1/admit', {
      token: dr,
      body: {},
    });
    assert.equal(twice.status, 409);
    await joinWith(s, token);
    drEvents.close();
    pEvents.close();
    const actions = await auditActions('lobby-1');
    for (const a of ['lobby.entered', 'lobby.admitted', 'token.issued'])
      assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);
    await waitFor('participant.joined audit', async () =>
      (await auditActions('lobby-1')).includes('participant.joined'),
    );
  });

  test('deny: the patient gets a denied event and later token requests answer 403 admission-denied', async () => {
    const p = await patient(2);
    await s.call('POST', '/api/consults/lobby-2/token', { token: dr, body: {} });
    assert.equal(
      (await s.call('POST', '/api/consults/lobby-2/token', { token: p, body: {} })).status,
      202,
    );
    const pEvents = await sse('lobby-2', p);
    const d = await s.call('POST', '/api/consults/lobby-2/lobby/pat-2/deny', {
      token: dr,
      body: { reason: 'Wrong appointment' },
    });
    assert.equal(d.status, 200, d.text);
    const denied = await pEvents.next('denied');
    assert.deepEqual(denied.data, { reason: 'Wrong appointment' });
    const r = await s.call('POST', '/api/consults/lobby-2/token', { token: p, body: {} });
    assert.equal(r.status, 403);
    assert.equal((r.json as { error: { code: string } }).error.code, 'admission-denied');
    pEvents.close();
    assert.ok((await auditActions('lobby-2')).includes('lobby.denied'));
  });

  test('an admission made while the patient was not listening is replayed on connect', async () => {
    const p = await patient(3);
    await s.call('POST', '/api/consults/lobby-3/token', { token: dr, body: {} });
    assert.equal(
      (await s.call('POST', '/api/consults/lobby-3/token', { token: p, body: {} })).status,
      202,
    );
    await s.call('POST', '/api/consults/lobby-3/lobby/pat-3/admit', { token: dr, body: {} });
    const pEvents = await sse('lobby-3', p);
    const admitted = await pEvents.next('admitted');
    assert.equal((admitted.data as { userId: string }).userId, 'pat-3');
    pEvents.close();
  });

  test('waitingRoom hook can turn the lobby off per consult', async () => {
    const stack = await startStack({ waitingRoom: (id) => !id.startsWith('open-') });
    try {
      const p = await patient(9);
      const a = await stack.call('POST', '/api/consults/open-1/token', { token: p, body: {} });
      assert.equal(a.status, 200);
      const b = await stack.call('POST', '/api/consults/closed-1/token', { token: p, body: {} });
      assert.equal(b.status, 202);
    } finally {
      await stack.close();
    }
  });
});

describe('SSE', () => {
  test('Last-Event-ID resumes exactly after the given id; heartbeats are comments', async () => {
    await s.call('POST', '/api/consults/resume-1/token', { token: dr, body: {} });
    const first = await sse('resume-1', dr);
    for (const n of [11, 12, 13]) {
      const p = await patient(n);
      await s.call('POST', '/api/consults/resume-1/token', { token: p, body: {} });
    }
    await first.next('lobby', (d: { waiting: LobbyEntry[] }) => d.waiting.length === 3);
    const ids = first
      .named('lobby')
      .map((e) => Number(e.id))
      .filter((id) => id > 0);
    assert.ok(
      ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0)),
      'ids increase',
    );
    await waitFor('a heartbeat', () => first.comments > 0);
    first.close();
    const afterFirst = first
      .named('lobby')
      .find((e) => (e.data as { waiting: LobbyEntry[] }).waiting.length === 1);
    assert.ok(afterFirst?.id);
    const resumed = await sse('resume-1', dr, afterFirst.id);
    await resumed.next('lobby', (d: { waiting: LobbyEntry[] }) => d.waiting.length === 3);
    const sizes = resumed
      .named('lobby')
      .map((e) => (e.data as { waiting: unknown[] }).waiting.length);
    assert.deepEqual(sizes, [2, 3]); // no snapshot, no duplicate
    resumed.close();
  });

  test('a user sees only their own admitted/denied events on resume from 0', async () => {
    const p = await patient(3);
    const r = await sse('lobby-3', p, '0');
    await waitFor('replay', () => r.events.length > 0);
    const other = await sse('lobby-2', p, '0');
    await waitFor('stream open', () => other.status === 200);
    r.close();
    other.close();
    for (const e of r.events) assert.notEqual(e.event, 'lobby');
  });
});

describe('consent and recordings', () => {
  test('412 consent-required, consent events, auto-start after the last consent, stop, download with Range, delete', async () => {
    const id = 'rec-1';
    const { client: drClient } = await providerJoins(id);
    const pat = await admittedPatient(id, 21);
    const drEvents = await sse(id, dr);
    await waitFor('both joined', async () => {
      const actions = await auditActions(id);
      return actions.filter((a) => a === 'participant.joined').length === 2;
    });

    const start = await s.call('POST', `/api/consults/${id}/recordings`, { token: dr, body: {} });
    assert.equal(start.status, 412, start.text);
    const err = start.json as { error: { code: string; details: { missing: string[] } } };
    assert.equal(err.error.code, 'consent-required');
    assert.deepEqual(err.error.details.missing, ['pat-21']);
    const asked = await pat.events.next('consent', (c: ConsentState) => c.requested);
    const entries = (asked.data as ConsentState).entries;
    assert.equal(entries.find((e) => e.userId === 'pat-21')?.granted, null);
    assert.equal(entries.find((e) => e.userId === 'dr-1')?.granted, true);

    const consent = await s.call('POST', `/api/consults/${id}/recording-consent`, {
      token: pat.p,
      body: { granted: true },
    });
    assert.equal(consent.status, 200, consent.text);
    assert.equal((consent.json as ConsentState).requested, false);
    const recording = await drEvents.next(
      'recording',
      (r: RecordingInfo) => r.status === 'recording',
    );
    const info = recording.data as RecordingInfo;
    assert.equal(info.consultId, id);
    await pat.events.next('recording', (r: RecordingInfo) => r.status === 'recording');

    const list = await s.call('GET', `/api/consults/${id}/recordings`, { token: pat.p });
    assert.equal((list.json as { recordings: RecordingInfo[] }).recordings.length, 1);
    assert.equal(
      (await s.call('POST', `/api/consults/${id}/recordings`, { token: dr, body: {} })).status,
      409,
    );

    const stop = await s.call('POST', `/api/consults/${id}/recordings/${info.recordingId}/stop`, {
      token: dr,
      body: {},
    });
    assert.equal(stop.status, 200, stop.text);
    assert.ok(['processing', 'ready'].includes((stop.json as RecordingInfo).status));
    const ready = await drEvents.next('recording', (r: RecordingInfo) => r.status === 'ready');
    assert.ok(((ready.data as RecordingInfo).size ?? 0) > 0);
    const got = await s.call('GET', `/api/consults/${id}/recordings/${info.recordingId}`, {
      token: dr,
    });
    assert.equal((got.json as RecordingInfo).status, 'ready');

    const full = await fetch(
      `${s.ts.url}/api/consults/${id}/recordings/${info.recordingId}/download`,
      {
        headers: { Authorization: `Bearer ${dr}` },
      },
    );
    assert.equal(full.status, 200);
    assert.match(
      full.headers.get('content-disposition') ?? '',
      /^attachment; filename="rec-1-.*\.mp4"$/,
    );
    const bytes = Buffer.from(await full.arrayBuffer());
    assert.equal(bytes.toString(), 'fake recording bytes 0123456789');
    const part = await fetch(
      `${s.ts.url}/api/consults/${id}/recordings/${info.recordingId}/download`,
      {
        headers: { Authorization: `Bearer ${dr}`, Range: 'bytes=5-13' },
      },
    );
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 5-13/${bytes.length}`);
    assert.equal(await part.text(), 'recording');
    const bad = await fetch(
      `${s.ts.url}/api/consults/${id}/recordings/${info.recordingId}/download`,
      {
        headers: { Authorization: `Bearer ${dr}`, Range: 'bytes=9999-' },
      },
    );
    assert.equal(bad.status, 416);
    await bad.body?.cancel();
    const patientDownload = await s.call(
      'GET',
      `/api/consults/${id}/recordings/${info.recordingId}/download`,
      {
        token: pat.p,
      },
    );
    assert.equal(patientDownload.status, 403);
    const elsewhere = await s.call('GET', `/api/consults/tok-1/recordings/${info.recordingId}`, {
      token: dr,
    });
    assert.equal(elsewhere.status, 404);
    assert.equal((elsewhere.json as { error: { code: string } }).error.code, 'recording-not-found');

    const del = await s.call('DELETE', `/api/consults/${id}/recordings/${info.recordingId}`, {
      token: dr,
    });
    assert.equal(del.status, 200, del.text);
    assert.equal((del.json as RecordingInfo).status, 'deleted');
    await drEvents.next('recording', (r: RecordingInfo) => r.status === 'deleted');

    const actions = await auditActions(id);
    for (const a of [
      'consent.given',
      'consent.requested',
      'recording.started',
      'recording.stopped',
      'recording.downloaded',
      'recording.deleted',
    ])
      assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);
    drEvents.close();
    pat.events.close();
    drClient.close();
    pat.client.close();
  });

  test('a refusal cancels the pending start; revoking consent stops a running recording', async () => {
    const id = 'rec-2';
    await providerJoins(id);
    const pat = await admittedPatient(id, 22);
    await waitFor(
      'patient joined',
      async () => (await auditActions(id)).filter((a) => a === 'participant.joined').length === 2,
    );
    assert.equal(
      (await s.call('POST', `/api/consults/${id}/recordings`, { token: dr, body: {} })).status,
      412,
    );
    const no = await s.call('POST', `/api/consults/${id}/recording-consent`, {
      token: pat.p,
      body: { granted: false },
    });
    assert.equal((no.json as ConsentState).requested, false);
    await pat.events.next('consent', (c: ConsentState) =>
      c.entries.some((e) => e.userId === 'pat-22' && e.granted === false),
    );
    const list = await s.call('GET', `/api/consults/${id}/recordings`, { token: dr });
    assert.equal((list.json as { recordings: unknown[] }).recordings.length, 0);

    // Consent first, then start: no 412.
    await s.call('POST', `/api/consults/${id}/recording-consent`, {
      token: pat.p,
      body: { granted: true },
    });
    const start = await s.call('POST', `/api/consults/${id}/recordings`, { token: dr, body: {} });
    assert.equal(start.status, 201, start.text);
    const revoke = await s.call('POST', `/api/consults/${id}/recording-consent`, {
      token: pat.p,
      body: { granted: false },
    });
    assert.equal(revoke.status, 200);
    await pat.events.next(
      'recording',
      (r: RecordingInfo) => r.status === 'processing' || r.status === 'ready',
    );
    const actions = await auditActions(id);
    assert.ok(actions.includes('consent.revoked'));
    pat.events.close();
  });

  test('requireConsent: false starts at once; nobody connected → 409', async () => {
    const stack = await startStack({ requireConsent: false, waitingRoom: false });
    try {
      await stack.call('POST', '/api/consults/free-1/token', { token: dr, body: {} });
      const none = await stack.call('POST', '/api/consults/free-1/recordings', {
        token: dr,
        body: {},
      });
      assert.equal(none.status, 409, none.text);
      const t = asToken(
        (await stack.call('POST', '/api/consults/free-1/token', { token: dr, body: {} })).json,
      );
      await joinWith(stack, t);
      const ok = await stack.call('POST', '/api/consults/free-1/recordings', {
        token: dr,
        body: {},
      });
      assert.equal(ok.status, 201, ok.text);
    } finally {
      await stack.close();
    }
  });
});

describe('chat history and webhooks', () => {
  test('chat signals become history with the sender taken from the connection; participants only', async () => {
    const id = 'chat-1';
    const { client } = await providerJoins(id);
    const pat = await admittedPatient(id, 31);
    const send = (c: typeof client, text: string, mid: string) =>
      c.call('sendMessage', {
        message: JSON.stringify({
          to: [],
          type: 'signal:chat',
          data: JSON.stringify({ v: 1, id: mid, text, sentAt: new Date().toISOString() }),
        }),
      });
    await send(client, 'Hello, how are you?', 'm1');
    await send(pat.client, 'Fine, thanks', 'm2');
    await pat.client.call('sendMessage', {
      message: JSON.stringify({ to: [], type: 'signal:chat', data: '{"v":1,"id":"x"}' }),
    });
    await pat.client.call('sendMessage', {
      message: JSON.stringify({ to: [], type: 'signal:other', data: 'x' }),
    });
    let messages: StoredChatMessage[] = [];
    await waitFor('two messages', async () => {
      const r = await s.call('GET', `/api/consults/${id}/messages`, { token: pat.p });
      messages = (r.json as { messages: StoredChatMessage[] }).messages;
      return messages.length === 2;
    });
    assert.deepEqual(
      messages.map((m) => [m.id, m.senderId, m.senderName, m.senderRole, m.text]),
      [
        ['m1', 'dr-1', 'Dr. One', 'provider', 'Hello, how are you?'],
        ['m2', 'pat-31', 'Patient 31', 'patient', 'Fine, thanks'],
      ],
    );
    const stranger = await s.call('GET', `/api/consults/${id}/messages`, {
      token: await patient(99),
    });
    assert.equal(stranger.status, 403);
    // Logs never carry chat text or names.
    const logs = s.logs.lines.join('\n');
    assert.ok(!logs.includes('Hello, how are you'));
    assert.ok(!logs.includes('Patient 31'));
    assert.ok(!logs.includes(OV_SECRET));
    pat.events.close();
  });

  test('webhook receiver: 401 without the secret, ignores unknown sessions and events', async () => {
    const body = { event: 'participantJoined', sessionId: 'chat-1', connectionId: 'con_X' };
    const none = await s.call('POST', '/api/openvidu/webhook', { body });
    assert.equal(none.status, 401);
    const wrong = await s.call('POST', '/api/openvidu/webhook', {
      body,
      headers: { Authorization: 'Bearer nope' },
    });
    assert.equal(wrong.status, 401);
    const ok = await s.call('POST', '/api/openvidu/webhook', {
      body: { event: 'mediaNodeStatusChanged', sessionId: 'zzz' },
      headers: { Authorization: 'Bearer whsec-test-123' },
    });
    assert.equal(ok.status, 200);
    const bad = await s.call('POST', '/api/openvidu/webhook', {
      body: '{nope',
      headers: { Authorization: 'Bearer whsec-test-123' },
    });
    assert.equal(bad.status, 400);
  });

  test('participant.left is audited with the reason; end closes the consult for everyone', async () => {
    const id = 'end-1';
    const { client } = await providerJoins(id);
    const p = await admittedPatient(id, 41);
    p.client.close();
    await waitFor('left', async () => (await auditActions(id)).includes('participant.left'));
    const end = await s.call('POST', `/api/consults/${id}/end`, { token: dr, body: {} });
    assert.equal(end.status, 200);
    await p.events.next('ended');
    const t = await s.call('POST', `/api/consults/${id}/token`, { token: dr, body: {} });
    assert.equal(t.status, 410);
    assert.equal((t.json as { error: { code: string } }).error.code, 'consult-ended');
    const entries = (
      (await s.call('GET', `/api/consults/${id}/audit`, { token: dr })).json as {
        entries: AuditEntry[];
      }
    ).entries;
    const joined = entries.find((e) => e.action === 'participant.joined');
    assert.ok(joined?.ip, 'join has an IP');
    assert.ok(entries.every((e) => e.at && e.actorId));
    p.events.close();
    client.close();
  });
});

describe('misc endpoints', () => {
  test('OpenAPI 3.1 document lists the endpoints and schemas', async () => {
    const r = await s.call('GET', '/api/openapi.json');
    assert.equal(r.status, 200);
    const doc = r.json as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    assert.equal(doc.openapi, '3.1.0');
    for (const p of [
      '/api/consults/{consultId}/token',
      '/api/consults/{consultId}/events',
      '/api/consults/{consultId}/recordings/{recordingId}/download',
      '/api/openvidu/webhook',
    ])
      assert.ok(doc.paths[p], p);
    for (const n of ['TokenResponse', 'WaitingResponse', 'RecordingInfo', 'ConsentState', 'Error'])
      assert.ok(doc.components.schemas[n], n);
    assert.ok(!r.text.includes(OV_SECRET));
  });

  test('health reports OpenVidu up', async () => {
    const r = await s.call('GET', '/health');
    assert.equal(r.status, 200);
    assert.equal((r.json as { openvidu: string }).openvidu, 'up');
  });

  test('validation errors: 400 invalid-request with fields', async () => {
    const r = await s.call('POST', '/api/consults/bad id!/token', { token: dr, body: {} });
    assert.equal(r.status, 400);
    const r2 = await s.call('POST', '/api/consults/v-1/recording-consent', {
      token: dr,
      body: { granted: 'yes' },
    });
    assert.equal(r2.status, 400);
    const e = r2.json as { error: { code: string; details: { fields: Record<string, string> } } };
    assert.equal(e.error.code, 'invalid-request');
    assert.ok(e.error.details.fields['granted']);
    const big = await s.call('POST', '/api/consults/v-1/token', {
      token: dr,
      body: { displayName: 'x'.repeat(20_000) },
    });
    assert.equal(big.status, 413);
  });

  test('rate limit: 429 with Retry-After', async () => {
    const stack = await startStack({
      rateLimit: { capacity: 2, refillPerSecond: 0.01 },
      waitingRoom: false,
    });
    try {
      const codes: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await stack.call('POST', '/api/consults/rl-1/token', { token: dr, body: {} });
        codes.push(r.status);
        if (r.status === 429) retryAfter = r.headers.get('retry-after');
      }
      assert.deepEqual(codes, [200, 200, 429, 429]);
      assert.ok(Number(retryAfter) >= 1);
    } finally {
      await stack.close();
    }
  });
});
