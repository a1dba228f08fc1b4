/**
 * Operations: readiness (`GET /ready`), request ids, Prometheus metrics (`GET /metrics`), and the
 * token path's single-statement writes (participant, connection and audit row commit together).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from './db.js';
import { createTokenServer } from './app.js';
import type { Stack } from './test-support.js';
import { OV_SECRET, WEBHOOK_SECRET, backend, doctor, startStack, testDb } from './test-support.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef-0123456789';

interface ErrorJson {
  error: { code: string; details?: Record<string, string> };
}

describe('GET /ready', () => {
  let s: Stack;
  let failDb = false;
  let ovDown = false;
  before(async () => {
    const inner = await testDb();
    // The database and OpenVidu can be made to fail on demand (failure injection).
    const db: Db = {
      ...inner,
      query: (sql, params) =>
        failDb ? Promise.reject(new Error('connection refused')) : inner.query(sql, params),
      close: () => inner.close(),
    };
    s = await startStack({
      db,
      fetch: (input, init) => {
        if (ovDown) return Promise.reject(new TypeError('fetch failed'));
        const url =
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        return fetch(url.replace('http://openvidu.invalid', s.ov.server.url), init);
      },
    });
  });
  after(() => s.close());

  test('200 when the database and OpenVidu answer', async () => {
    const r = await s.call('GET', '/ready');
    assert.equal(r.status, 200, r.text);
    const body = r.json as { status: string; database: string; openvidu: string };
    assert.deepEqual([body.status, body.database, body.openvidu], ['ready', 'up', 'up']);
  });

  test('503 openvidu-unavailable when OpenVidu does not answer; /health stays 200', async () => {
    ovDown = true;
    try {
      const r = await s.call('GET', '/ready');
      assert.equal(r.status, 503);
      const e = (r.json as ErrorJson).error;
      assert.equal(e.code, 'openvidu-unavailable');
      assert.deepEqual(e.details, { database: 'up', openvidu: 'down' });
      assert.equal((await s.call('GET', '/health')).status, 200);
    } finally {
      ovDown = false;
    }
  });

  test('503 internal when the database does not answer', async () => {
    failDb = true;
    try {
      const r = await s.call('GET', '/ready');
      assert.equal(r.status, 503);
      const e = (r.json as ErrorJson).error;
      assert.equal(e.code, 'internal');
      assert.deepEqual(e.details, { database: 'down', openvidu: 'up' });
    } finally {
      failDb = false;
    }
    assert.equal((await s.call('GET', '/ready')).status, 200);
  });
});

describe('request ids', () => {
  let s: Stack;
  let dr: string;
  before(async () => {
    dr = await doctor();
    s = await startStack({ waitingRoom: false });
  });
  after(() => s.close());

  test('a sane incoming X-Request-Id is echoed and logged with the route pattern', async () => {
    const r = await s.call('POST', '/api/consults/rid-1/token', {
      token: dr,
      body: {},
      headers: { 'X-Request-Id': 'lb-7f3a.42:x_y' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('x-request-id'), 'lb-7f3a.42:x_y');
    const line = s.logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['msg'] === 'request' && l['requestId'] === 'lb-7f3a.42:x_y');
    assert.ok(line, 'a request log line carries the id');
    assert.equal(line['route'], '/api/consults/:consultId/token');
    // No names in the request log (the doctor's display name is "Dr. One").
    assert.ok(!s.logs.lines.some((l) => l.includes('Dr. One')));
  });

  test('a missing or insane X-Request-Id is replaced by a new UUID', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const given of [undefined, '', 'has space', 'x'.repeat(129), 'quote"', 'semi;colon']) {
      const r = await s.call(
        'GET',
        '/health',
        given === undefined ? {} : { headers: { 'X-Request-Id': given } },
      );
      const id = r.headers.get('x-request-id') ?? '';
      assert.match(id, uuid, `for ${JSON.stringify(given)}`);
    }
  });

  test('every answer says nosniff and no-store (unless it has its own Cache-Control)', async () => {
    const answers = [
      await s.call('POST', '/api/consults/hdr-1/token', { token: dr, body: {} }),
      await s.call('POST', '/api/consults/hdr-1/token', { body: {} }),
      await s.call('GET', '/api/nothing-here'),
      await s.call('GET', '/health'),
    ];
    assert.deepEqual(
      answers.map((r) => [
        r.status,
        r.headers.get('x-content-type-options'),
        r.headers.get('cache-control'),
      ]),
      [
        [200, 'nosniff', 'no-store'],
        [401, 'nosniff', 'no-store'],
        [404, 'nosniff', 'no-store'],
        [200, 'nosniff', 'no-store'],
      ],
    );
    // An event stream is an answer its handler builds: it keeps its own Cache-Control and gets
    // the rest.
    const abort = new AbortController();
    const stream = await fetch(`${s.ts.url}/api/consults/hdr-1/events`, {
      headers: { Authorization: `Bearer ${dr}`, 'X-Request-Id': 'sse-1' },
      signal: abort.signal,
    });
    abort.abort();
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get('content-type')?.split(';')[0], 'text/event-stream');
    assert.equal(stream.headers.get('cache-control'), 'no-cache, no-transform');
    assert.equal(stream.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(stream.headers.get('x-request-id'), 'sse-1');
  });

  test('error answers carry the id too', async () => {
    const r = await s.call('POST', '/api/consults/rid-2/token', {
      body: {},
      headers: { 'X-Request-Id': 'err-1' },
    });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('x-request-id'), 'err-1');
  });
});

describe('GET /metrics', () => {
  test('off by default: 404; a METRICS_TOKEN under 32 bytes fails at start', async () => {
    const s = await startStack({ noMediaServer: true });
    try {
      const r = await s.call('GET', '/metrics');
      assert.equal(r.status, 404);
      assert.equal((r.json as ErrorJson).error.code, 'not-found');
    } finally {
      await s.close();
    }
    assert.throws(
      () =>
        createTokenServer({
          demo: true,
          env: { METRICS_TOKEN: 'short' },
          logger: { debug() {}, info() {}, warn() {}, error() {} },
        }),
      /METRICS_TOKEN .* at least 32/,
    );
  });

  describe('with METRICS_TOKEN', () => {
    let s: Stack;
    let dr: string;
    before(async () => {
      dr = await doctor();
      s = await startStack({ waitingRoom: false, env: { METRICS_TOKEN } });
    });
    after(() => s.close());

    test('401 without the token, 200 with it', async () => {
      assert.equal((await s.call('GET', '/metrics')).status, 401);
      assert.equal((await s.call('GET', '/metrics', { token: 'wrong' })).status, 401);
      const r = await s.call('GET', '/metrics', { token: METRICS_TOKEN });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    });

    test('counts tokens, request latency by route pattern (no ids), SSE streams, webhook lag', async () => {
      const consultId = 'metrics-consult-4242';
      const t = await s.call('POST', `/api/consults/${consultId}/token`, { token: dr, body: {} });
      assert.equal(t.status, 200, t.text);
      const stream = await fetch(`${s.ts.url}/api/consults/${consultId}/events`, {
        headers: { Authorization: `Bearer ${dr}` },
      });
      assert.equal(stream.status, 200);
      // A webhook about an event that happened 1.5 s ago.
      const hook = await s.call('POST', '/api/openvidu/webhook', {
        headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
        body: { event: 'sessionCreated', sessionId: consultId, timestamp: Date.now() - 1500 },
      });
      assert.equal(hook.status, 200, hook.text);
      try {
        const text = (await s.call('GET', '/metrics', { token: METRICS_TOKEN })).text;
        assert.match(text, /^consultkit_tokens_issued_total\{role="provider"\} 1$/m);
        assert.match(
          text,
          /^consultkit_http_request_duration_seconds_count\{method="POST",route="\/api\/consults\/:consultId\/token",status="200"\} 1$/m,
        );
        assert.match(text, /^consultkit_sse_streams 1$/m);
        const lagSum = /^consultkit_webhook_lag_seconds_sum ([\d.]+)$/m.exec(text);
        assert.ok(lagSum && Number(lagSum[1]) >= 1.5, `webhook lag sum ${lagSum?.[1]}`);
        assert.match(text, /^consultkit_process_cpu_seconds_total /m);
        assert.ok(!text.includes(consultId), 'no consultation id in any label');
        if (backend === 'postgres')
          assert.match(text, /^consultkit_db_pool_connections\{state="total"\} \d+$/m);
        else assert.ok(!text.includes('consultkit_db_pool_connections{'));
      } finally {
        await stream.body?.cancel();
      }
    });
  });
});

describe('token path', () => {
  let s: Stack;
  let dr: string;
  const statements: string[] = [];
  const ovCalls: string[] = [];
  before(async () => {
    dr = await doctor();
    const inner = await testDb();
    const db: Db = {
      ...inner,
      query: (sql, params) => {
        statements.push(sql);
        return inner.query(sql, params);
      },
      close: () => inner.close(),
    };
    s = await startStack({
      db,
      waitingRoom: false,
      fetch: (input, init) => {
        const url =
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        ovCalls.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
        return fetch(url.replace('http://openvidu.invalid', s.ov.server.url), init);
      },
    });
  });
  after(() => s.close());

  test('a repeat token: one OpenVidu call (no session create) and three statements', async () => {
    const first = await s.call('POST', '/api/consults/tp-1/token', { token: dr, body: {} });
    assert.equal(first.status, 200, first.text);
    statements.length = 0;
    ovCalls.length = 0;
    const again = await s.call('POST', '/api/consults/tp-1/token', { token: dr, body: {} });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(ovCalls, ['POST /openvidu/api/sessions/tp-1/connection']);
    // Open the consult; participant + connection + audit row; the running-recording check.
    assert.equal(statements.length, 3, statements.join('\n---\n'));
  });

  test('a session closed behind its back is created again (404, then create)', async () => {
    const ov = s.ov.server;
    const auth = `Basic ${Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')}`;
    const del = await fetch(`${ov.url}/openvidu/api/sessions/tp-1`, {
      method: 'DELETE',
      headers: { Authorization: auth },
    });
    assert.equal(del.status, 204);
    ovCalls.length = 0;
    const r = await s.call('POST', '/api/consults/tp-1/token', { token: dr, body: {} });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(ovCalls, [
      'POST /openvidu/api/sessions/tp-1/connection',
      'POST /openvidu/api/sessions',
      'POST /openvidu/api/sessions/tp-1/connection',
    ]);
  });

  test('the participant, the connection and the audit row of a token are stored together', async () => {
    const r = await s.call('POST', '/api/consults/tp-2/token', { token: dr, body: {} });
    const { connectionId } = r.json as { connectionId: string };
    const sql = (text: string, p: unknown[]) => s.ts.server.store().db.query(text, p);
    const conn = await sql('select user_id from connections where connection_id = $1', [
      connectionId,
    ]);
    assert.equal(conn.rows[0]?.['user_id'], 'dr-1');
    const part = await sql('select 1 from participants where consult_id = $1', ['tp-2']);
    assert.equal(part.rows.length, 1);
    const audit = await sql(
      `select action from audit where consult_id = $1 and details->>'connectionId' = $2`,
      ['tp-2', connectionId],
    );
    assert.deepEqual(
      audit.rows.map((x) => x['action']),
      ['token.issued'],
    );
  });

  test('two writers guessing the chain head from their last append still form one valid chain', async () => {
    const { AuditRepository } = await import('./repositories/audit.js');
    const { verifyChain } = await import('./services/audit-chain.js');
    const db = s.ts.server.store().db;
    const a = new AuditRepository(db);
    const b = new AuditRepository(db);
    const entry = {
      consultId: 'tp-chain',
      action: 'test.entry',
      actorId: 'x',
      actorRole: 'provider' as const,
    };
    // Each remembers its own last head, which the other makes stale every time.
    for (let i = 0; i < 6; i++) await (i % 2 === 0 ? a : b).audit(entry);
    const v = verifyChain('tp-chain', await a.chain('tp-chain'));
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    assert.equal(v.entries, 6);
  });
});
