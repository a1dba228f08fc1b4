/**
 * Trust regressions: private chat messages stay private in the history, no OpenVidu token is
 * persisted or replayed and unused ones expire, event streams are capped and fanned out with one
 * query, unknown consults are not created by reading them, waiting and denied users see only their
 * own admission, and display names lose bidi overrides and invisible characters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { StoredChatMessage, TokenResponse } from '../../src/contract.js';
import type { Db } from './db.js';
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
  testDb,
  waitFor,
} from './test-support.js';

const OV_AUTH = `Basic ${Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')}`;

/** Counts the statements that read the event log. */
function countingDb(db: Db): Db & { eventReads: number } {
  const counted = {
    ...db,
    eventReads: 0,
    query<T>(sql: string, params?: unknown[]) {
      if (/^\s*select\b[\s\S]*\bfrom events\b/i.test(sql)) counted.eventReads++;
      return db.query<T>(sql, params);
    },
  };
  return counted;
}

let s: Stack;
let db: Db & { eventReads: number };
let dr: string;
before(async () => {
  db = countingDb(await testDb());
  s = await startStack({ db, heartbeatMs: 60_000, tokenTtlSec: 2 });
  dr = await doctor();
});
after(() => s.close());

const sse = (stack: Stack, consultId: string, token: string, lastEventId?: string) =>
  SseReader.open(`${stack.ts.url}/api/consults/${consultId}/events`, {
    Authorization: `Bearer ${token}`,
    ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}),
  });

/** Opens `GET …/events` and answers its status and, unless 200, its error code. */
async function streamAnswer(
  stack: Stack,
  consultId: string,
  token: string,
): Promise<{ status: number; code: string | undefined }> {
  const abort = new AbortController();
  const res = await fetch(`${stack.ts.url}/api/consults/${consultId}/events`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  if (res.status === 200) {
    abort.abort();
    return { status: 200, code: undefined };
  }
  const body = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, code: body.error?.code };
}

async function tokenFor(consultId: string, accessToken: string): Promise<TokenResponse> {
  const r = await s.call('POST', `/api/consults/${consultId}/token`, {
    token: accessToken,
    body: {},
  });
  assert.equal(r.status, 200, r.text);
  return asToken(r.json);
}

/** A patient who waited, was admitted, and asked for their token again. */
async function admitted(consultId: string, n: number) {
  const p = await patient(n);
  const w = await s.call('POST', `/api/consults/${consultId}/token`, { token: p, body: {} });
  assert.equal(w.status, 202, w.text);
  const a = await s.call('POST', `/api/consults/${consultId}/lobby/pat-${n}/admit`, {
    token: dr,
    body: {},
  });
  assert.equal(a.status, 200, a.text);
  return { p, token: await tokenFor(consultId, p) };
}

async function ovConnection(consultId: string, connectionId: string): Promise<number> {
  const r = await fetch(
    `${s.ov.server.url}/openvidu/api/sessions/${consultId}/connection/${connectionId}`,
    { headers: { Authorization: OV_AUTH } },
  );
  await r.body?.cancel();
  return r.status;
}

describe('private chat messages (finding 1)', () => {
  test('history returns a private message only to its sender and recipients', async () => {
    const id = 'priv-1';
    const drToken = await tokenFor(id, dr);
    const drClient = await joinWith(s, drToken);
    const a = await admitted(id, 51);
    const b = await admitted(id, 52);
    const aClient = await joinWith(s, a.token);
    const bClient = await joinWith(s, b.token);
    const send = (
      c: typeof drClient,
      mid: string,
      text: string,
      to: string[] = [],
    ): Promise<unknown> =>
      c.call('sendMessage', {
        message: JSON.stringify({
          to,
          type: 'signal:chat',
          data: JSON.stringify({ v: 1, id: mid, text, sentAt: new Date().toISOString() }),
        }),
      });
    await send(drClient, 'b1', 'Hello everyone');
    await send(drClient, 'p1', 'Your results, privately', [a.token.connectionId]);
    await send(aClient, 'p2', 'Thanks doctor', [drToken.connectionId]);
    await send(bClient, 'b2', 'Hi all');
    // The guest got the broadcasts only, over the media server.
    await waitFor('b2 delivered', () =>
      aClient.notifications.some((n) => String(n.params['data']).includes('"b2"')),
    );
    assert.ok(!bClient.notifications.some((n) => String(n.params['data']).includes('"p1"')));

    const history = async (token: string): Promise<string[]> => {
      const r = await s.call('GET', `/api/consults/${id}/messages`, { token });
      assert.equal(r.status, 200, r.text);
      return (r.json as { messages: StoredChatMessage[] }).messages.map((m) => m.id);
    };
    await waitFor('all four stored', async () => (await history(dr)).length === 4);
    assert.deepEqual(await history(dr), ['b1', 'p1', 'p2', 'b2']);
    assert.deepEqual(await history(a.p), ['b1', 'p1', 'p2', 'b2']);
    assert.deepEqual(await history(b.p), ['b1', 'b2']);
    // A participant who joins later sees the broadcasts, not the private messages.
    const c = await admitted(id, 53);
    await joinWith(s, c.token);
    assert.deepEqual(await history(c.p), ['b1', 'b2']);
  });

  test('a webhook naming an unknown recipient connection stores the message for its sender only', async () => {
    const id = 'priv-2';
    const drToken = await tokenFor(id, dr);
    await joinWith(s, drToken);
    const a = await admitted(id, 54);
    await joinWith(s, a.token);
    const hook = await s.call('POST', '/api/openvidu/webhook', {
      headers: { Authorization: 'Bearer whsec-test-123' },
      body: {
        event: 'signalSent',
        sessionId: id,
        timestamp: Date.now(),
        from: drToken.connectionId,
        to: ['con_SOMEONEELSE'],
        type: 'chat',
        data: JSON.stringify({ v: 1, id: 'w1', text: 'x', sentAt: new Date().toISOString() }),
      },
    });
    assert.equal(hook.status, 200, hook.text);
    const mine = await s.call('GET', `/api/consults/${id}/messages`, { token: dr });
    assert.deepEqual(
      (mine.json as { messages: StoredChatMessage[] }).messages.map((m) => m.id),
      ['w1'],
    );
    const theirs = await s.call('GET', `/api/consults/${id}/messages`, { token: a.p });
    assert.deepEqual((theirs.json as { messages: StoredChatMessage[] }).messages, []);
  });
});

describe('OpenVidu tokens (finding 5)', () => {
  test('the admitted event carries no token, nothing stores one, and the patient asks again', async () => {
    const id = 'tok-admit-1';
    await tokenFor(id, dr);
    const p = await patient(61);
    assert.equal(
      (await s.call('POST', `/api/consults/${id}/token`, { token: p, body: {} })).status,
      202,
    );
    const events = await sse(s, id, p);
    await s.call('POST', `/api/consults/${id}/lobby/pat-61/admit`, { token: dr, body: {} });
    const ev = await events.next('admitted');
    assert.deepEqual(ev.data, { consultId: id, userId: 'pat-61' });
    // Replayed on a fresh stream, still without a token.
    const again = await sse(s, id, p);
    assert.deepEqual((await again.next('admitted')).data, { consultId: id, userId: 'pat-61' });
    events.close();
    again.close();
    const t = await tokenFor(id, p);
    assert.match(t.token, /token=tok_/);
    // No table holds an OpenVidu token.
    const tables = await s.ts.server
      .store()
      .db.query<{ table_name: string }>(
        `select table_name from information_schema.tables where table_schema = 'public'`,
      );
    for (const { table_name } of tables.rows) {
      const { rows } = await s.ts.server
        .store()
        .db.query<{ n: number }>(
          `select count(*)::int as n from ${table_name} t where t::text like '%tok\\_%'`,
        );
      assert.equal(rows[0]?.n, 0, `a token in ${table_name}`);
    }
  });

  test('an unused token is removed from OpenVidu at expiresAt; a used one stays', async () => {
    const id = 'tok-exp-1';
    const unused = await tokenFor(id, dr);
    const used = await tokenFor(id, await jwt({ sub: 'dr-2', role: 'provider', name: 'Dr. Two' }));
    await joinWith(s, used);
    assert.equal(await ovConnection(id, unused.connectionId), 200);
    const expiresIn = Date.parse(unused.expiresAt) - Date.now();
    assert.ok(expiresIn > 0 && expiresIn <= 2000, `expires in ${expiresIn} ms`);
    await waitFor(
      'unused connection gone',
      async () => (await ovConnection(id, unused.connectionId)) === 404,
      8000,
    );
    assert.ok(Date.now() >= Date.parse(unused.expiresAt), 'not before expiresAt');
    assert.equal(await ovConnection(id, used.connectionId), 200);
  });
});

describe('event streams and what outsiders see (finding 10)', () => {
  test('GET …/events for an unknown consult creates nothing (404 unless a provider)', async () => {
    assert.deepEqual(await streamAnswer(s, 'made-up-xyz', await patient(70)), {
      status: 404,
      code: 'consult-not-found',
    });
    // A provider may watch the waiting room of a consult nobody joined yet; still nothing is created.
    assert.deepEqual(await streamAnswer(s, 'made-up-xyz', dr), { status: 200, code: undefined });
    assert.equal(await s.ts.server.store().getConsult('made-up-xyz'), undefined);
  });

  test('at most 5 streams per user and consult; the 6th answers 429 rate-limited', async () => {
    const id = 'cap-1';
    await tokenFor(id, dr);
    const p = await patient(71);
    await s.call('POST', `/api/consults/${id}/token`, { token: p, body: {} });
    const open = await Promise.all(Array.from({ length: 5 }, () => sse(s, id, p)));
    assert.deepEqual(
      open.map((o) => o.status),
      [200, 200, 200, 200, 200],
    );
    assert.deepEqual(await streamAnswer(s, id, p), { status: 429, code: 'rate-limited' });
    // Another user is not affected; a closed stream frees its slot.
    const other = await sse(s, id, dr);
    assert.equal(other.status, 200);
    other.close();
    open[0]?.close();
    let next: SseReader | undefined;
    await waitFor('a slot frees', async () => {
      next?.close();
      next = await sse(s, id, p);
      return next.status === 200;
    });
    next?.close();
    for (const o of open) o.close();
  });

  test('the per-user cap across consults is configurable', async () => {
    const stack = await startStack({ maxEventStreams: { perUser: 2 }, waitingRoom: false });
    try {
      for (const id of ['x-1', 'x-2', 'x-3'])
        await stack.call('POST', `/api/consults/${id}/token`, { token: dr, body: {} });
      const a = await sse(stack, 'x-1', dr);
      const b = await sse(stack, 'x-2', dr);
      const c = await streamAnswer(stack, 'x-3', dr);
      assert.deepEqual([a.status, b.status, c.status], [200, 200, 429]);
      a.close();
      b.close();
    } finally {
      await stack.close();
    }
  });

  test('one event reaches 12 streams with one read of the event log', async () => {
    const id = 'fan-1';
    await tokenFor(id, dr);
    const providers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => jwt({ sub: `fan-dr-${i}`, role: 'provider' })),
    );
    const streams = await Promise.all(providers.map((t) => sse(s, id, t)));
    await Promise.all(streams.map((r) => r.next('lobby')));
    const before = db.eventReads;
    await s.call('POST', `/api/consults/${id}/token`, { token: await patient(72), body: {} });
    await Promise.all(
      streams.map((r) => r.next('lobby', (d: { waiting: unknown[] }) => d.waiting.length === 1)),
    );
    const reads = db.eventReads - before;
    assert.ok(reads <= 2, `${reads} reads of the event log for one event`);
    for (const r of streams) r.close();
  });

  test('waiting and denied users get no consent list, no recordings', async () => {
    const id = 'outsider-1';
    const drToken = await tokenFor(id, dr);
    await joinWith(s, drToken);
    const a = await admitted(id, 81);
    const aEvents = await sse(s, id, a.p);
    await joinWith(s, a.token);
    await waitFor('both joined', async () => {
      const r = await s.call('GET', `/api/consults/${id}/audit`, { token: dr });
      const entries = (r.json as { entries: { action: string }[] }).entries;
      return entries.filter((e) => e.action === 'participant.joined').length === 2;
    });
    const w = await patient(82);
    assert.equal(
      (await s.call('POST', `/api/consults/${id}/token`, { token: w, body: {} })).status,
      202,
    );
    const wEvents = await sse(s, id, w);
    const start = await s.call('POST', `/api/consults/${id}/recordings`, { token: dr, body: {} });
    assert.equal(start.status, 412, start.text);
    await aEvents.next('consent');
    assert.equal((await s.call('GET', `/api/consults/${id}/recordings`, { token: w })).status, 403);
    await s.call('POST', `/api/consults/${id}/lobby/pat-82/deny`, { token: dr, body: {} });
    await wEvents.next('denied');
    assert.deepEqual(
      wEvents.events.map((e) => e.event),
      ['denied'],
    );
    // A fresh stream of the denied user: their denial, nothing else.
    const again = await sse(s, id, w);
    await again.next('denied');
    const answered = await s.call('POST', `/api/consults/${id}/recording-consent`, {
      token: a.p,
      body: { granted: true },
    });
    assert.equal(answered.status, 200, answered.text);
    await aEvents.next('recording');
    await s.call('POST', `/api/consults/${id}/end`, { token: dr, body: {} });
    await again.next('ended');
    assert.deepEqual(
      again.events.map((e) => e.event),
      ['denied', 'ended'],
    );
    assert.equal((await s.call('GET', `/api/consults/${id}/recordings`, { token: w })).status, 403);
    // A stranger who never asked for a token sees nothing of the consult either.
    const stranger = await s.call('GET', `/api/consults/${id}/recordings`, {
      token: await patient(83),
    });
    assert.equal(stranger.status, 403);
    assert.equal(
      (await s.call('GET', `/api/consults/${id}/recordings`, { token: a.p })).status,
      200,
    );
    for (const r of [aEvents, wEvents, again]) r.close();
  });
});

describe('display names (finding 10)', () => {
  test('bidi overrides and zero-width characters are stripped from every name input', async () => {
    const named = await jwt({ sub: 'zed-1', role: 'provider', name: 'Dr. Zed \u202E(provider)' });
    assert.equal((await tokenFor('names-1', named)).displayName, 'Dr. Zed (provider)');
    const anon = await jwt({ sub: 'anon-2', role: 'provider' });
    const r = await s.call('POST', '/api/consults/names-1/token', {
      token: anon,
      body: { displayName: 'Ann\u200B \u2066Lee\u2069' },
    });
    assert.equal(asToken(r.json).displayName, 'Ann Lee');
    const empty = await s.call('POST', '/api/consults/names-1/token', {
      token: anon,
      body: { displayName: '\u200B\u202E\u200D' },
    });
    assert.equal(empty.status, 400, empty.text);
    // The waiting room shows the cleaned name.
    const p = await jwt({ sub: 'pat-zed', role: 'patient', name: 'Pat\u202E Zed' });
    await s.call('POST', '/api/consults/names-1/token', { token: p, body: {} });
    const lobby = await s.call('GET', '/api/consults/names-1/lobby', { token: dr });
    assert.deepEqual(
      (lobby.json as { waiting: { displayName: string }[] }).waiting.map((e) => e.displayName),
      ['Pat Zed'],
    );
  });
});
