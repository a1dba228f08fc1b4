/**
 * A fresh event stream's starting point: the cursor (the newest event id when the stream opens)
 * and the snapshot of the state that goes with it. Events published while the stream is being set
 * up reach it once, through the event log, never a second time through the snapshot. Runs on
 * PGlite and, in the `unit (postgres)` tier, on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from './db.js';
import type { SseEvent, Stack } from './test-support.js';
import { SseReader, doctor, patient, startStack, testDb } from './test-support.js';

/** SQL a stream runs while it starts: its cursor, and the last step of reading where the user stands. */
const CURSOR = /select max\(id\) as id from events/;
const STANDING = /select 1 from participants where consult_id/;

interface Armed {
  sql: RegExp;
  consultId: string;
  hook: () => Promise<void>;
}

/**
 * The stack's database, with a hook that runs once, right after the next statement matching `sql`
 * for `consultId` answered and before its caller goes on.
 */
function queryHook(db: Db): { arm(armed: Armed): void; db: Db } {
  let armed: Armed | undefined;
  const wrapped: Db = {
    ...db,
    async query<T>(sql: string, params?: unknown[]) {
      const result = await db.query<T>(sql, params);
      const a = armed;
      if (a && a.sql.test(sql) && params?.[0] === a.consultId) {
        armed = undefined;
        await a.hook();
      }
      return result;
    },
  };
  return { db: wrapped, arm: (a) => (armed = a) };
}

/** The frames' ids in order never go back, and no event (id and name) arrives twice. */
function assertOnceInOrder(events: SseEvent[]): void {
  const ids = events.map((e) => Number(e.id));
  assert.deepEqual(
    ids,
    [...ids].sort((x, y) => x - y),
    `ids out of order: ${ids.join(' ')}`,
  );
  const keys = events.map((e) => `${e.id} ${e.event}`);
  assert.equal(new Set(keys).size, keys.length, `an event arrived twice: ${keys.join(', ')}`);
}

describe('a fresh event stream', () => {
  let s: Stack;
  let arm: ReturnType<typeof queryHook>['arm'];
  let dr: string;
  before(async () => {
    const hooked = queryHook(await testDb());
    arm = hooked.arm;
    s = await startStack({ db: hooked.db });
    dr = await doctor();
  });
  after(() => s?.close());

  async function admit(consultId: string, userId: string): Promise<void> {
    const r = await s.call('POST', `/api/consults/${consultId}/lobby/${userId}/admit`, {
      token: dr,
    });
    assert.equal(r.status, 200, r.text);
  }

  async function consentOfProvider(consultId: string): Promise<void> {
    const r = await s.call('POST', `/api/consults/${consultId}/recording-consent`, {
      token: dr,
      body: { granted: true },
    });
    assert.equal(r.status, 200, r.text);
  }

  /**
   * The provider admits the waiting patient `n` of consultation `id` when the patient's fresh stream
   * runs `sql`; the admission must arrive once, and the consent change after it must follow.
   */
  async function admitDuring(id: string, n: number, sql: RegExp): Promise<void> {
    assert.equal((await s.call('POST', `/api/consults/${id}/token`, { token: dr })).status, 200);
    const p = await patient(n);
    assert.equal((await s.call('POST', `/api/consults/${id}/token`, { token: p })).status, 202);
    arm({ sql, consultId: id, hook: () => admit(id, `pat-${n}`) });
    const stream = await SseReader.open(`${s.ts.url}/api/consults/${id}/events`, {
      Authorization: `Bearer ${p}`,
    });
    try {
      await stream.next('admitted');
      // The patient is a member now and sees consent changes; events arrive in id order, so a
      // second `admitted` would come before this one.
      await consentOfProvider(id);
      await stream.next('consent', (c: { entries: unknown[] }) => c.entries.length === 1);
      assert.equal(stream.named('admitted').length, 1, JSON.stringify(stream.events));
      assertOnceInOrder(stream.events);
    } finally {
      stream.close();
    }
  }

  test('an admission made while the patient’s stream starts arrives once, and later events follow', async () => {
    // The provider admits between the patient's stream reading its cursor and its snapshot.
    await admitDuring('fresh-admit-race', 31, CURSOR);
  });

  test('an admission made between reading where the patient stands and the cursor lets later events through', async () => {
    // Still waiting when the stream looks where the patient stands; admitted before its cursor.
    await admitDuring('fresh-admit-standing', 32, STANDING);
  });
});
