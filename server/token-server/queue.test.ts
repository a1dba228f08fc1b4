/**
 * The providers' queue across consults (`GET /api/queue`, `GET /api/queue/events`): who waits
 * where, with their device check; only consults the binding allows; live changes within a second;
 * a resumed stream starts from the whole queue; provider-only; audited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LobbyEntry, QueueEntry } from '../../src/contract.js';
import type { Stack } from './test-support.js';
import { SseReader, auditEntriesOf, doctor, jwt, patient, startStack } from './test-support.js';

let s: Stack;
let dr: string;
before(async () => {
  // Dr. One may act in every consult except those starting with `other-`.
  s = await startStack({
    heartbeatMs: 200,
    authorize: (user, consultId) => user.role !== 'provider' || !consultId.startsWith('other-'),
  });
  dr = await doctor();
});
after(() => s.close());

const queueEvents = (token: string, lastEventId?: string) =>
  SseReader.open(`${s.ts.url}/api/queue/events`, {
    Authorization: `Bearer ${token}`,
    ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}),
  });

async function startsWaiting(consultId: string, n: number, body: unknown = {}): Promise<string> {
  const p = await patient(n);
  const r = await s.call('POST', `/api/consults/${consultId}/token`, { token: p, body });
  assert.equal(r.status, 202, r.text);
  return p;
}

const queue = async (): Promise<QueueEntry[]> => {
  const r = await s.call('GET', '/api/queue', { token: dr });
  assert.equal(r.status, 200, r.text);
  return (r.json as { waiting: QueueEntry[] }).waiting;
};

describe('provider queue', () => {
  test('lists everyone waiting in the consults the provider may act on, oldest first, with their device check', async () => {
    await startsWaiting('q-list-a', 1, {
      deviceCheck: { camera: 'denied', microphone: 'ok' },
    });
    await startsWaiting('q-list-b', 2);
    await startsWaiting('other-q-list', 3);
    const waiting = (await queue()).filter((w) => w.consultId.includes('q-list'));
    assert.deepEqual(
      waiting.map((w) => [w.consultId, w.userId, w.displayName, w.role]),
      [
        ['q-list-a', 'pat-1', 'Patient 1', 'patient'],
        ['q-list-b', 'pat-2', 'Patient 2', 'patient'],
      ],
    );
    assert.deepEqual(waiting[0]?.deviceCheck, { camera: 'denied', microphone: 'ok' });
    assert.equal(waiting[1]?.deviceCheck, undefined);
    assert.ok(!Number.isNaN(Date.parse(waiting[0]?.since ?? '')));
    // The consult's own lobby shows the same device check.
    const lobby = await s.call('GET', '/api/consults/q-list-a/lobby', { token: dr });
    assert.deepEqual((lobby.json as { waiting: LobbyEntry[] }).waiting[0]?.deviceCheck, {
      camera: 'denied',
      microphone: 'ok',
    });
  });

  test('refuses an invalid device check with invalid-request', async () => {
    const p = await patient(9);
    const r = await s.call('POST', '/api/consults/q-bad/token', {
      token: p,
      body: { deviceCheck: { camera: 'great', microphone: 'ok' } },
    });
    assert.equal(r.status, 400, r.text);
    assert.equal((r.json as { error: { code: string } }).error.code, 'invalid-request');
  });

  test('answers 401 without a token and 403 to patients, list and stream alike', async () => {
    assert.equal((await s.call('GET', '/api/queue')).status, 401);
    const p = await patient(4);
    const list = await s.call('GET', '/api/queue', { token: p });
    assert.equal(list.status, 403);
    assert.equal((list.json as { error: { code: string } }).error.code, 'forbidden');
    const stream = await queueEvents(p);
    assert.equal(stream.status, 403);
  });

  test('streams the queue, then a patient starting to wait in another consult within a second, then their admission', async () => {
    const stream = await queueEvents(dr);
    assert.equal(stream.status, 200);
    const first = await stream.next('queue');
    assert.ok(first.id !== undefined);
    const started = Date.now();
    const p = await startsWaiting('q-live', 5);
    const waits = await stream.next(
      'queue-consult',
      (d: { consultId: string; waiting: LobbyEntry[] }) =>
        d.consultId === 'q-live' && d.waiting.length === 1,
      1000,
    );
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.equal((waits.data as { waiting: LobbyEntry[] }).waiting[0]?.displayName, 'Patient 5');
    // Admitted through the consult's lobby endpoint: the consult leaves the queue.
    const admit = await s.call('POST', '/api/consults/q-live/lobby/pat-5/admit', {
      token: dr,
      body: {},
    });
    assert.equal(admit.status, 200, admit.text);
    await stream.next(
      'queue-consult',
      (d: { consultId: string; waiting: LobbyEntry[] }) =>
        d.consultId === 'q-live' && d.waiting.length === 0,
    );
    // A consult the binding refuses never shows, and other events (a second request) repeat nothing.
    await startsWaiting('other-q-live', 6);
    await s.call('POST', '/api/consults/q-live/token', { token: p, body: {} });
    const probe = await startsWaiting('q-live-2', 7);
    assert.ok(probe);
    await stream.next('queue-consult', (d: { consultId: string }) => d.consultId === 'q-live-2');
    const consults = stream
      .named('queue-consult')
      .map((e) => (e.data as { consultId: string }).consultId);
    assert.ok(!consults.includes('other-q-live'), consults.join());
    assert.equal(consults.filter((c) => c === 'q-live').length, 2, consults.join());
    stream.close();
  });

  test('a stream resumed with Last-Event-ID starts again from the whole queue', async () => {
    await startsWaiting('q-resume', 8);
    const one = await queueEvents(dr);
    const snap = await one.next('queue');
    one.close();
    const two = await queueEvents(dr, snap.id);
    const again = await two.next('queue');
    const ids = (again.data as { waiting: QueueEntry[] }).waiting.map((w) => w.consultId);
    assert.ok(ids.includes('q-resume'), ids.join());
    two.close();
  });

  test('a consult that ends leaves the queue', async () => {
    await startsWaiting('q-end', 10);
    const stream = await queueEvents(dr);
    await stream.next('queue', (d: { waiting: QueueEntry[] }) =>
      d.waiting.some((w) => w.consultId === 'q-end'),
    );
    const end = await s.call('POST', '/api/consults/q-end/end', { token: dr, body: {} });
    assert.equal(end.status, 200, end.text);
    await stream.next(
      'queue-consult',
      (d: { consultId: string; waiting: unknown[] }) =>
        d.consultId === 'q-end' && d.waiting.length === 0,
    );
    assert.ok(!(await queue()).some((w) => w.consultId === 'q-end'));
    stream.close();
  });

  test('audits each consult whose waiting people a provider is shown (queue.read)', async () => {
    await startsWaiting('q-audit', 11);
    await queue();
    const entries = await auditEntriesOf(s, 'q-audit', dr);
    const read = entries.filter((e) => e.action === 'queue.read');
    assert.ok(read.length >= 1);
    assert.equal(read[0]?.actorId, 'dr-1');
  });

  test('a provider the binding allows nowhere sees an empty queue', async () => {
    const stranger = await jwt({ sub: 'dr-2', role: 'provider', name: 'Dr. Two' });
    const local = await startStack({
      noMediaServer: true,
      authorize: (user) => user.id !== 'dr-2',
    });
    try {
      const p = await patient(12);
      await local.call('POST', '/api/consults/q-none/token', { token: p, body: {} });
      const r = await local.call('GET', '/api/queue', { token: stranger });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { waiting: [] });
    } finally {
      await local.close();
    }
  });
});
