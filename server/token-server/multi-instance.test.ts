/**
 * Several token-server instances on one PostgreSQL (the scale-out path): migrations at start under
 * a lock, event fan-out across instances (LISTEN/NOTIFY, `Last-Event-ID` resume on any instance),
 * one OpenVidu session for concurrent first joins spread over instances, webhooks landing on any
 * instance, and graceful shutdown. Runs in the `unit (postgres)` tier (`TOKEN_SERVER_DB=postgres`);
 * on PGlite it is skipped, since an embedded database belongs to one process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { StoredChatMessage, TokenResponse } from '../../src/contract.js';
import type { TestServer } from '../dev-media-server/test-helpers.js';
import { RpcClient, startTestServer } from '../dev-media-server/test-helpers.js';
import { runTokenServerCli } from './cli.js';
import { MIGRATIONS } from './db.js';
import { openPostgresDb } from './db-postgres.js';
import type { RunningTokenServer } from './index.js';
import { EventRepository } from './repositories/events.js';
import { startTokenServer } from './index.js';
import type { CapturedLogger } from './test-support.js';
import {
  AUDIENCE,
  ISSUER,
  JWT_SECRET,
  OV_PLACEHOLDER,
  OV_SECRET,
  SseReader,
  WEBHOOK_SECRET,
  asToken,
  backend,
  captureLogger,
  doctor,
  jwt,
  patient,
  waitFor,
} from './test-support.js';
import type { TestPostgresDatabase } from './test-pg.js';
import { testPostgresDatabase } from './test-pg.js';

const skip = backend !== 'postgres' && 'PostgreSQL only (TOKEN_SERVER_DB=postgres)';

interface Instance {
  ts: RunningTokenServer;
  logs: CapturedLogger;
  call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown; text: string }>;
  events(consultId: string, token: string, lastEventId?: string): Promise<SseReader>;
}

interface Deployment {
  database: TestPostgresDatabase;
  instances: Instance[];
  ov: TestServer;
  close(): Promise<void>;
}

/** `n` token servers started together on one fresh database; OpenVidu webhooks go to the last one. */
async function deploy(n: number): Promise<Deployment> {
  const database = await testPostgresDatabase();
  const target = { url: 'http://127.0.0.1:1' };
  const rewrite: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return fetch(url.replace(OV_PLACEHOLDER, target.url), init);
  };
  const instances = await Promise.all(
    Array.from({ length: n }, async (): Promise<Instance> => {
      const logs = captureLogger();
      const ts = await startTokenServer({
        port: 0,
        openviduUrl: OV_PLACEHOLDER,
        openviduSecret: OV_SECRET,
        auth: { secret: JWT_SECRET, issuer: ISSUER, audience: AUDIENCE },
        demo: false,
        authorize: () => true,
        webhook: { secret: WEBHOOK_SECRET },
        databaseUrl: database.url,
        databasePoolSize: 4,
        logger: logs,
        fetch: rewrite,
        rateLimit: false,
        heartbeatMs: 200,
        drainTimeoutMs: 2000,
        env: {},
      });
      return {
        ts,
        logs,
        async call(method, path, token, body) {
          const res = await fetch(`${ts.url}${path}`, {
            method,
            headers: {
              Authorization: `Bearer ${token}`,
              ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          });
          const text = await res.text();
          return { status: res.status, text, json: text ? (JSON.parse(text) as unknown) : null };
        },
        events: (consultId, token, lastEventId) =>
          SseReader.open(`${ts.url}/api/consults/${consultId}/events`, {
            Authorization: `Bearer ${token}`,
            ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}),
          }),
      };
    }),
  );
  const ov = await startTestServer({
    secret: OV_SECRET,
    webhook: {
      url: `${instances[n - 1]?.ts.url}/api/openvidu/webhook`,
      headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
      retryBaseMs: 20,
    },
  });
  target.url = ov.server.url;
  return {
    database,
    instances,
    ov,
    async close() {
      for (const c of [...RpcClient.open_]) c.close();
      await ov.close();
      await Promise.all(instances.map((i) => i.ts.close()));
      await database.drop();
    },
  };
}

async function join(d: Deployment, token: TokenResponse): Promise<RpcClient> {
  const client = await RpcClient.open(d.ov.server, token.consultId);
  await client.call('joinRoom', {
    token: token.token,
    session: token.consultId,
    platform: 'Node test',
    sdkVersion: '2.32.2',
    metadata: '',
    secret: '',
    recorder: false,
    stt: false,
  });
  return client;
}

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
    assert.equal((admitted.data as TokenResponse).consultId, id);
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

describe('graceful shutdown of one instance', { skip }, () => {
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
