/**
 * Several token-server instances on one PostgreSQL (the scale-out path): migrations at start under
 * a lock, event fan-out across instances (LISTEN/NOTIFY, `Last-Event-ID` resume on any instance,
 * ids visible in order, LISTEN reconnect), one OpenVidu session for concurrent first joins spread
 * over instances, webhooks landing on any instance. Runs in the `unit (postgres)` tier
 * (`TOKEN_SERVER_DB=postgres`); on PGlite it is skipped, since an embedded database belongs to one
 * process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { StoredChatMessage } from '../../src/contract.js';
import { MIGRATIONS } from './db.js';
import { openPostgresDb } from './db-postgres.js';
import { EventRepository } from './repositories/events.js';
import type { Deployment, Instance } from './test-deployment.js';
import { deploy, join, skip } from './test-deployment.js';
import { OV_SECRET, asToken, doctor, jwt, patient, waitFor } from './test-support.js';

// One visible skipped test on PGlite (a skipped suite would not show in the counts).
if (skip) test('many token-server instances on one PostgreSQL', { skip }, () => undefined);

describe('many token-server instances on one PostgreSQL', { skip }, () => {
  let d: Deployment;
  let a: Instance;
  let b: Instance;
  let dr: string;
  before(async () => {
    d = await deploy(2);
    [a, b] = d.instances as [Instance, Instance];
    dr = await doctor();
  });
  after(() => d?.close());

  test('two instances starting together on a fresh database apply each migration once', async () => {
    const client = new pg.Client({ connectionString: d.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number; n: string }>(
        'select version, count(*) as n from schema_migrations group by version order by version',
      );
      assert.deepEqual(
        rows.map((r) => [Number(r.version), Number(r.n)]),
        MIGRATIONS.map((m) => [m.version, 1]),
      );
    } finally {
      await client.end();
    }
    for (const i of [a, b]) assert.equal((await fetch(`${i.ts.url}/health`)).status, 200);
  });

  test('an admission on B reaches the patient on A; Last-Event-ID resumes on B with nothing lost or doubled', async () => {
    const id = 'mi-lobby';
    assert.equal((await b.call('POST', `/api/consults/${id}/token`, dr, {})).status, 200);
    const p = await patient(1);
    const drEvents = await b.events(id, dr);
    await drEvents.next('lobby');
    assert.equal((await a.call('POST', `/api/consults/${id}/token`, p, {})).status, 202);
    const pA = await a.events(id, p);
    // The provider's stream on B sees the patient who entered the waiting room through A.
    await drEvents.next('lobby', (x: { waiting: unknown[] }) => x.waiting.length === 1);
    const admit = await b.call('POST', `/api/consults/${id}/lobby/pat-1/admit`, dr, {});
    assert.equal(admit.status, 200, admit.text);
    const admitted = await pA.next('admitted');
    assert.equal((admitted.data as { consultId: string }).consultId, id);
    // The admitted event carries no token: the patient asks again (on A), as the SDK does.
    assert.equal((await a.call('POST', `/api/consults/${id}/token`, p, {})).status, 200);
    // Resume on B from the admission: later events arrive once each, in order, none repeated.
    pA.close();
    const lastId = admitted.id as string;
    await a.call('POST', `/api/consults/${id}/recording-consent`, p, { granted: true });
    await b.call('POST', `/api/consults/${id}/recording-consent`, dr, { granted: true });
    const pB = await b.events(id, p, lastId);
    await pB.next('consent', (c: { entries: unknown[] }) => c.entries.length === 2);
    assert.ok(pB.events.every((e) => Number(e.id) > Number(lastId)));
    const ids = pB.events.map((e) => Number(e.id));
    assert.deepEqual(
      ids,
      [...new Set(ids)].sort((x, y) => x - y),
    );
    assert.equal(pB.named('admitted').length, 0);
    pB.close();
    drEvents.close();
  });

  test('events published concurrently on both instances reach a stream once each, in id order', async () => {
    const id = 'mi-burst';
    await a.call('POST', `/api/consults/${id}/token`, dr, {});
    const streams = [await a.events(id, dr), await b.events(id, dr)];
    for (const s of streams) await s.next('lobby');
    const patients = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        jwt({ sub: `burst-${i}`, role: 'patient', name: `B${i}` }),
      ),
    );
    await Promise.all(
      patients.map((p, i) => (i % 2 ? a : b).call('POST', `/api/consults/${id}/token`, p, {})),
    );
    for (const s of streams) {
      await s.next('lobby', (x: { waiting: unknown[] }) => x.waiting.length === 10);
      const ids = s.events.slice(1).map((e) => Number(e.id));
      assert.deepEqual(
        ids,
        [...new Set(ids)].sort((x, y) => x - y),
      );
      s.close();
    }
  });

  test('a dropped LISTEN connection reconnects and its streams catch up', async () => {
    const id = 'mi-relisten';
    await b.call('POST', `/api/consults/${id}/token`, dr, {});
    const drA = await a.events(id, dr);
    await drA.next('lobby');
    const admin = new pg.Client({ connectionString: d.database.url });
    await admin.connect();
    try {
      const listening = `select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'`;
      const cut = await admin.query(`select pg_terminate_backend(pid) from (${listening}) l`);
      assert.equal(cut.rowCount, 2);
      // Published through B while the instances' LISTEN connections are gone or coming back.
      assert.equal(
        (await b.call('POST', `/api/consults/${id}/token`, await patient(21), {})).status,
        202,
      );
      await drA.next('lobby', (x: { waiting: unknown[] }) => x.waiting.length === 1, 10_000);
      await waitFor('both LISTEN connections back', async () => {
        return (await admin.query(listening)).rowCount === 2;
      });
      assert.equal(
        (await b.call('POST', `/api/consults/${id}/token`, await patient(22), {})).status,
        202,
      );
      await drA.next('lobby', (x: { waiting: unknown[] }) => x.waiting.length === 2);
    } finally {
      await admin.end();
      drA.close();
    }
  });

  test("a consult's event ids become visible in order: a later insert waits for an earlier open one", async () => {
    const db = await openPostgresDb({ url: d.database.url, poolSize: 2, migrate: false });
    const events = new EventRepository(db);
    const open = new pg.Client({ connectionString: d.database.url });
    await open.connect();
    try {
      // An insert whose transaction has not committed yet (a slow instance)...
      await open.query('begin');
      const first = await open.query<{ id: number }>(
        `with lock as (select pg_advisory_xact_lock(7413002, hashtext($1)))
         insert into events (consult_id, name, data) select $1, 'ended', '{}'::jsonb from lock returning id`,
        ['mi-order'],
      );
      // ...makes the next insert for the same consult wait, so no reader can see the later id first.
      const second = events.insertEvent('mi-order', 'ended', {}, {});
      await waitFor('the second insert waits on the consult lock', async () => {
        const { rows } = await db.query(
          `select 1 from pg_stat_activity where datname = current_database()
             and wait_event_type = 'Lock' and wait_event = 'advisory'`,
        );
        return rows.length === 1;
      });
      assert.equal(
        (await events.eventsAfter('mi-order', 0, { id: 'x', role: 'provider' })).length,
        0,
      );
      // Other consults are not held up.
      await events.insertEvent('mi-order-other', 'ended', {}, {});
      await open.query('commit');
      const secondId = await second;
      assert.ok(secondId > Number(first.rows[0]?.id));
      const seen = await events.eventsAfter('mi-order', 0, { id: 'x', role: 'provider' });
      assert.deepEqual(
        seen.map((e) => e.id),
        [Number(first.rows[0]?.id), secondId],
      );
    } finally {
      await open.end();
      await db.close();
    }
  });

  test('8 concurrent first joins spread over two instances create one OpenVidu session', async () => {
    const id = 'mi-race';
    const tokens = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        jwt({ sub: `doc-${i}`, role: 'provider', name: `D${i}` }),
      ),
    );
    const answers = await Promise.all(
      tokens.map((t, i) => (i % 2 ? a : b).call('POST', `/api/consults/${id}/token`, t, {})),
    );
    assert.deepEqual(
      answers.map((r) => r.status),
      Array(8).fill(200),
    );
    const res = await fetch(`${d.ov.server.url}/openvidu/api/sessions?pendingConnections=true`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')}`,
      },
    });
    const list = (await res.json()) as {
      content: { id: string; connections: { numberOfElements: number } }[];
    };
    const race = list.content.filter((x) => x.id === id);
    assert.equal(race.length, 1);
    assert.equal(race[0]?.connections.numberOfElements, 8);
    const created = [...a.logs.lines, ...b.logs.lines].filter(
      (l) => l.includes('openvidu session created') && l.includes(id),
    );
    assert.equal(created.length, 1);
  });

  test('OpenVidu webhooks landing on B serve chat history and audit on A', async () => {
    const id = 'mi-webhook';
    const r = await a.call('POST', `/api/consults/${id}/token`, dr, {});
    const client = await join(d, asToken(r.json));
    await client.call('sendMessage', {
      message: JSON.stringify({
        to: [],
        type: 'signal:chat',
        data: JSON.stringify({ v: 1, id: 'w1', text: 'hello', sentAt: new Date().toISOString() }),
      }),
    });
    await waitFor('chat stored through B, read on A', async () => {
      const m = await a.call('GET', `/api/consults/${id}/messages`, dr);
      return (m.json as { messages: StoredChatMessage[] }).messages.some((x) => x.id === 'w1');
    });
    await waitFor('participant.joined audited through B, read on A', async () => {
      const m = await a.call('GET', `/api/consults/${id}/audit`, dr);
      return JSON.stringify(m.json).includes('participant.joined');
    });
    client.close();
  });
});
