/**
 * Starting and stopping token-server instances on PostgreSQL: graceful shutdown (503, SSE `retry:`,
 * drain), an instance dying behind a round-robin load balancer mid-call, the CLI's `--database-url`,
 * bad settings, pool size and statement timeout. `unit (postgres)` tier only (see
 * multi-instance.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { runTokenServerCli } from './cli.js';
import { openPostgresDb } from './db-postgres.js';
import { startTokenServer } from './index.js';
import type { Instance } from './test-deployment.js';
import { deploy, join, roundRobinProxy, skip } from './test-deployment.js';
import { SseReader, asToken, captureLogger, doctor, patient, waitFor } from './test-support.js';
import { testPostgresDatabase } from './test-pg.js';

// One visible skipped test on PGlite (a skipped suite would not show in the counts).
if (skip) test('starting and stopping instances on PostgreSQL', { skip }, () => undefined);

describe('starting and stopping an instance', { skip }, () => {
  test('streams are told to retry and end, new requests get 503, the patient resumes on the other instance', async () => {
    const d = await deploy(2);
    try {
      const [a, b] = d.instances as [Instance, Instance];
      const id = 'mi-shutdown';
      const dr = await doctor();
      const p = await patient(7);
      await b.call('POST', `/api/consults/${id}/token`, dr, {});
      await a.call('POST', `/api/consults/${id}/token`, p, {});
      // A raw read of the stream on A, to see the `retry:` line.
      const res = await fetch(`${a.ts.url}/api/consults/${id}/events`, {
        headers: { Authorization: `Bearer ${p}`, Accept: 'text/event-stream' },
      });
      const text = (async () => {
        let out = '';
        const decoder = new TextDecoder();
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return out;
          out += decoder.decode(value, { stream: true });
        }
      })();
      const closing = a.ts.close();
      // A request still arriving (on a kept-alive connection) is refused with a retry hint.
      const refused = await a.ts.server.fetch(new Request(`${a.ts.url}/health`));
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'internal');
      const raw = await text;
      assert.match(raw, /retry: 500\n\n$/);
      await closing;
      await assert.rejects(fetch(`${a.ts.url}/health`));
      // Meanwhile the provider admits on B; the patient reconnects to B and gets the admission.
      assert.equal(
        (await b.call('POST', `/api/consults/${id}/lobby/pat-7/admit`, dr, {})).status,
        200,
      );
      const resumed = await b.events(id, p, '0');
      await resumed.next('admitted');
      resumed.close();
    } finally {
      await d.close();
    }
  });

  test('the CLI runs on PostgreSQL with --database-url and stops cleanly', async () => {
    const database = await testPostgresDatabase();
    let out = '';
    let stop!: () => void;
    const untilStopped = new Promise<void>((r) => (stop = r));
    const done = runTokenServerCli(
      ['--port', '0', '--demo', '--log-level', 'warn', '--database-url', database.url],
      {
        out: (t) => void (out += t),
        err: (t) => void (out += t),
        env: { OPENVIDU_URL: 'http://127.0.0.1:1', DATABASE_POOL_SIZE: '2' },
        untilStopped,
      },
    );
    try {
      await waitFor('listening line', () => /listening on (http:\/\/\S+)/.test(out), 30_000);
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1] as string;
      const login = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'doctor', password: 'doctor123' }),
      });
      assert.equal(login.status, 200);
    } finally {
      stop();
      assert.equal(await done, 0, out);
      await database.drop();
    }
  });

  test('a bad DATABASE_URL fails at start with a clear message', async () => {
    await assert.rejects(
      startTokenServer({ port: 0, demo: true, databaseUrl: 'mysql://x', env: {} }),
      /DATABASE_URL must start with postgres:\/\//,
    );
    await assert.rejects(
      startTokenServer({
        port: 0,
        demo: true,
        databaseUrl: 'postgres://nobody:secret-pw@127.0.0.1:1/none',
        env: {},
        logger: captureLogger(),
      }),
      (e: Error) =>
        /cannot connect to PostgreSQL at 127\.0\.0\.1:1\/none/.test(e.message) &&
        !e.message.includes('secret-pw'),
    );
  });
});

describe('PostgreSQL settings', { skip }, () => {
  test('pool size and statement timeout apply; migrations ignore the timeout', async () => {
    const database = await testPostgresDatabase();
    const db = await openPostgresDb({ url: database.url, poolSize: 2, statementTimeoutMs: 300 });
    try {
      await assert.rejects(db.query('select pg_sleep(2)'), /statement timeout/);
      // Five concurrent statements share the two pooled connections.
      const pids = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const { rows } = await db.query<{ pid: number }>(
            'select pg_backend_pid() as pid, pg_sleep(0.05)',
          );
          return rows[0]?.pid;
        }),
      );
      assert.ok(new Set(pids).size <= 2, `pids: ${pids.join(',')}`);
      // A migration run waiting on the lock held elsewhere is not cut by the statement timeout.
      const holder = new pg.Client({ connectionString: database.url });
      await holder.connect();
      await holder.query('select pg_advisory_lock(7413001)');
      const second = openPostgresDb({ url: database.url, poolSize: 1, statementTimeoutMs: 100 });
      await waitFor('the second migration run waits on the lock', async () => {
        const { rows } = await db.query(
          `select 1 from pg_stat_activity where datname = current_database()
             and wait_event_type = 'Lock' and wait_event = 'advisory'`,
        );
        return rows.length === 1;
      });
      await waitFor('past the statement timeout', async () => {
        const { rows } = await db.query<{ waited: boolean }>(
          `select bool_or(now() - query_start > interval '400 milliseconds') as waited
             from pg_stat_activity where datname = current_database() and wait_event = 'advisory'`,
        );
        return rows[0]?.waited === true;
      });
      await holder.query('select pg_advisory_unlock(7413001)');
      await holder.end();
      await (await second).close();
    } finally {
      await db.close();
      await database.drop();
    }
  });
});

describe('behind a round-robin load balancer', { skip }, () => {
  test('instance A dies mid-call; the patient resumes on B with Last-Event-ID, nothing lost or doubled', async () => {
    const d = await deploy(2);
    const lb = await roundRobinProxy(d.instances.map((i) => i.ts.url));
    try {
      const id = 'mi-lb';
      const dr = await doctor();
      const p = await patient(9);
      const call = async (method: string, path: string, token: string, body?: unknown) => {
        const res = await fetch(`${lb.url}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
      };
      const events = (token: string, lastEventId?: string) =>
        SseReader.open(`${lb.url}/api/consults/${id}/events`, {
          Authorization: `Bearer ${token}`,
          ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}),
        });
      // Waiting room across instances: provider and patient land on different instances.
      const drToken = asToken((await call('POST', `/api/consults/${id}/token`, dr, {})).json);
      const drClient = await join(d, drToken);
      assert.equal((await call('POST', `/api/consults/${id}/token`, p, {})).status, 202);
      const first = await events(p); // the third request: instance A
      assert.equal(
        (await call('POST', `/api/consults/${id}/lobby/pat-9/admit`, dr, {})).status,
        200,
      );
      await first.next('admitted');
      // The admitted event carries no token: the patient asks again, as the SDK does.
      const patientToken = asToken((await call('POST', `/api/consults/${id}/token`, p, {})).json);
      const patientClient = await join(d, patientToken);
      // Mid-call, instance A dies: its streams drop without a goodbye.
      lb.kill(0);
      await waitFor('the stream on A dropped', () => first.ended);
      const seen = first.events.map((e) => Number(e.id));
      // Meanwhile (on B) consent is asked and both answer.
      assert.equal(
        (await call('POST', `/api/consults/${id}/recording-consent`, dr, { granted: true })).status,
        200,
      );
      assert.equal(
        (await call('POST', `/api/consults/${id}/recording-consent`, p, { granted: true })).status,
        200,
      );
      const resumed = await events(p, String(Math.max(...seen)));
      await resumed.next('consent', (c: { entries: unknown[] }) => c.entries.length === 2);
      const ids = resumed.events.map((e) => Number(e.id));
      assert.ok(
        ids.every((x) => x > Math.max(...seen)),
        'nothing doubled',
      );
      assert.deepEqual(
        ids,
        [...new Set(ids)].sort((x, y) => x - y),
      );
      // Nothing lost: every event the patient may see is in what the two streams delivered.
      const client = new pg.Client({ connectionString: d.database.url });
      await client.connect();
      const { rows } = await client.query<{ id: string }>(
        `select id from events where consult_id = $1 and (audience_user is null or audience_user = 'pat-9')
           and (audience_role is null or audience_role = 'patient') order by id`,
        [id],
      );
      await client.end();
      assert.deepEqual(
        [...new Set([...seen.filter((x) => x > 0), ...ids])],
        rows.map((r) => Number(r.id)),
      );
      resumed.close();
      drClient.close();
      patientClient.close();
    } finally {
      await lb.close();
      await d.close();
    }
  });
});
