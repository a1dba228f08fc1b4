// Demo mode as an explicit choice, and the binding of users to consults (consult claim, the
// portal's HTTP callback, the authorize hook) that every non-demo server must have.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTokenServer } from './app.js';
import type { AuthorizeCallbackBody } from './authorize.js';
import { runTokenServerCli } from './cli.js';
import { silentLogger } from './logger.js';
import type { Stack } from './test-support.js';
import {
  AUDIENCE,
  ISSUER,
  JWT_SECRET,
  OV_SECRET,
  doctor,
  jwt,
  patient,
  startStack,
  testDb,
  waitFor,
} from './test-support.js';

const errorCode = (json: unknown): string | undefined =>
  (json as { error?: { code?: string } } | undefined)?.error?.code;

describe('demo mode is an explicit choice only', () => {
  test('JWT auth without NODE_ENV has no demo login (404), and the portal token still works', async () => {
    const s = await startStack({ demo: undefined, env: {} });
    try {
      const login = await s.call('POST', '/api/auth/login', {
        body: { username: 'doctor', password: 'doctor123' },
      });
      assert.equal(login.status, 404, login.text);
      const t = await s.call('POST', '/api/consults/c-nodemo/token', {
        token: await doctor(),
        body: {},
      });
      assert.equal(t.status, 200, t.text);
    } finally {
      await s.close();
    }
  });

  test('nothing configured and no NODE_ENV: refuses to start instead of falling back to demo', () => {
    assert.throws(
      () => createTokenServer({ openviduSecret: OV_SECRET, logger: silentLogger, env: {} }),
      /No authentication configured.*--demo, CONSULT_KIT_DEMO=1, demo: true/,
    );
  });

  test('demo combined with real auth fails at start, in code and from the environment', () => {
    const both = /Demo mode and real authentication are both configured/;
    assert.throws(
      () =>
        createTokenServer({
          demo: true,
          auth: { secret: JWT_SECRET },
          authorize: () => true,
          logger: silentLogger,
          env: {},
        }),
      both,
    );
    assert.throws(
      () =>
        createTokenServer({
          demo: true,
          authenticate: () => null,
          logger: silentLogger,
          env: {},
        }),
      both,
    );
    assert.throws(
      () =>
        createTokenServer({
          logger: silentLogger,
          env: {
            CONSULT_KIT_DEMO: '1',
            AUTH_JWT_SECRET: JWT_SECRET,
            AUTH_CONSULT_CLAIM: 'consult_id',
          },
        }),
      both,
    );
    assert.throws(
      () => createTokenServer({ logger: silentLogger, env: { CONSULT_KIT_DEMO: 'maybe' } }),
      /CONSULT_KIT_DEMO must be 1/,
    );
  });

  test('CONSULT_KIT_DEMO=1 turns demo on; the CLI refuses --demo with AUTH_JWT_SECRET', async () => {
    const db = await testDb();
    const ts = createTokenServer({ db, logger: silentLogger, env: { CONSULT_KIT_DEMO: '1' } });
    try {
      const res = await ts.fetch(
        new Request('http://ts.test/api/auth/login', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: 'doctor', password: 'doctor123' }),
        }),
      );
      assert.equal(res.status, 200);
    } finally {
      await ts.close();
      await db.close();
    }
    let err = '';
    const code = await runTokenServerCli(['--port', '0', '--demo'], {
      out: () => undefined,
      err: (t) => void (err += t),
      // Should the server start after all, stop it at once (the assertions then fail).
      untilStopped: Promise.resolve(),
      env: { AUTH_JWT_SECRET: JWT_SECRET, AUTH_CONSULT_CLAIM: 'consult_id' },
    });
    assert.equal(code, 1);
    assert.match(err, /Demo mode and real authentication are both configured/);
  });
});

describe('binding users to consults', () => {
  test('without a binding the server refuses to start, naming all three ways', async () => {
    const names = [/AUTH_CONSULT_CLAIM/, /AUTHORIZE_URL/, /authorize\(user, consultId, action\)/];
    let message = '';
    try {
      createTokenServer({ auth: { secret: JWT_SECRET }, logger: silentLogger, env: {} });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const n of names) assert.match(message, n);
    let err = '';
    const code = await runTokenServerCli(['--port', '0'], {
      out: () => undefined,
      err: (t) => void (err += t),
      // Should the server start after all, stop it at once (the assertions then fail).
      untilStopped: Promise.resolve(),
      env: { AUTH_JWT_SECRET: JWT_SECRET },
    });
    assert.equal(code, 1);
    for (const n of names) assert.match(err, n);
  });

  describe('consult claim (AUTH_CONSULT_CLAIM)', () => {
    let s: Stack;
    before(async () => {
      s = await startStack({
        authorize: undefined,
        waitingRoom: false,
        env: { AUTH_CONSULT_CLAIM: 'consult_id' },
      });
    });
    after(() => s.close());

    const token = (consultId: string, claim: unknown) =>
      jwt({ sub: 'pat-c', role: 'patient', name: 'Pat C', consult_id: claim }).then((t) =>
        s.call('POST', `/api/consults/${consultId}/token`, { token: t, body: {} }),
      );

    test('a string claim allows that consult only', async () => {
      assert.equal((await token('claim-1', 'claim-1')).status, 200);
      const other = await token('claim-2', 'claim-1');
      assert.equal(other.status, 403);
      assert.equal(errorCode(other.json), 'forbidden');
    });

    test('an array claim allows each listed consult; no claim allows none', async () => {
      assert.equal((await token('claim-4', ['claim-3', 'claim-4'])).status, 200);
      assert.equal((await token('claim-5', ['claim-3', 'claim-4'])).status, 403);
      const none = await s.call('POST', '/api/consults/claim-1/token', {
        token: await patient(7),
        body: {},
      });
      assert.equal(none.status, 403);
    });

    test('the claim binds providers too, on every consult endpoint', async () => {
      const d = await jwt({ sub: 'dr-c', role: 'provider', consult_id: 'claim-1' });
      assert.equal((await s.call('GET', '/api/consults/claim-1/lobby', { token: d })).status, 200);
      for (const path of ['lobby', 'audit', 'recordings', 'messages'])
        assert.equal(
          (await s.call('GET', `/api/consults/claim-9/${path}`, { token: d })).status,
          403,
          path,
        );
    });
  });

  describe('HTTP callback (AUTHORIZE_URL)', () => {
    const calls: { body: AuthorizeCallbackBody; headers: IncomingHttpHeaders }[] = [];
    let answer: (body: AuthorizeCallbackBody) => number | 'hang' = () => 204;
    const portal = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as AuthorizeCallbackBody;
        calls.push({ body, headers: req.headers });
        const status = answer(body);
        if (status === 'hang') return; // never answers: the token server times out
        res.writeHead(status).end();
      });
    });
    let url = '';
    let s: Stack;
    before(async () => {
      await new Promise<void>((r) => portal.listen(0, '127.0.0.1', () => r()));
      url = `http://127.0.0.1:${(portal.address() as AddressInfo).port}/authorize`;
      s = await startStack({
        authorize: undefined,
        waitingRoom: false,
        env: {
          AUTHORIZE_URL: url,
          AUTHORIZE_TIMEOUT_MS: '300',
          AUTHORIZE_CACHE_MS: '60000',
          AUTHORIZE_SECRET: 'callback-secret-1',
        },
      });
    });
    after(async () => {
      await s.close();
      portal.closeAllConnections();
      await new Promise<void>((r) => portal.close(() => r()));
    });

    test('POSTs { user, consultId, action } with the secret; 2xx allows and is cached', async () => {
      answer = (b) => (b.consultId.startsWith('cb-ok') ? 204 : 403);
      calls.length = 0;
      const d = await doctor();
      const r = await s.call('POST', '/api/consults/cb-ok-1/token', { token: d, body: {} });
      assert.equal(r.status, 200, r.text);
      assert.equal(calls.length, 1);
      assert.deepEqual(calls[0]?.body, {
        user: {
          id: 'dr-1',
          subject: 'dr-1',
          issuer: ISSUER,
          role: 'provider',
          displayName: 'Dr. One',
        },
        consultId: 'cb-ok-1',
        action: 'token',
      });
      assert.equal(calls[0]?.headers.authorization, 'Bearer callback-secret-1');
      assert.equal(calls[0]?.headers['content-type'], 'application/json');
      assert.equal(
        (await s.call('POST', '/api/consults/cb-ok-1/token', { token: d, body: {} })).status,
        200,
      );
      assert.equal(calls.length, 1, 'the second identical question came from the cache');
    });

    test('any other answer denies (403); 5xx denies and is asked again', async () => {
      const d = await doctor();
      const no = await s.call('POST', '/api/consults/cb-no-1/token', { token: d, body: {} });
      assert.equal(no.status, 403);
      assert.equal(errorCode(no.json), 'forbidden');
      answer = () => 500;
      calls.length = 0;
      for (let i = 0; i < 2; i++)
        assert.equal(
          (await s.call('GET', '/api/consults/cb-err-1/lobby', { token: d })).status,
          403,
        );
      assert.equal(calls.length, 2, '5xx answers are not cached');
      answer = () => 302;
      assert.equal(
        (await s.call('GET', '/api/consults/cb-redirect/lobby', { token: d })).status,
        403,
      );
    });

    test('a timeout fails closed: 503 authorization-unavailable within the timeout', async () => {
      answer = () => 'hang';
      const started = Date.now();
      const r = await s.call('POST', '/api/consults/cb-slow-1/token', {
        token: await doctor(),
        body: {},
      });
      assert.equal(r.status, 503, r.text);
      assert.equal(errorCode(r.json), 'authorization-unavailable');
      assert.equal(r.headers.get('retry-after'), '5');
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
      assert.ok(s.logs.lines.some((l) => l.includes('authorization callback failed')));
    });

    test('the cache expires: a changed answer applies after AUTHORIZE_CACHE_MS', async () => {
      const short = await startStack({
        authorize: undefined,
        waitingRoom: false,
        authorizeUrl: { url, cacheTtlMs: 200 },
        noMediaServer: true,
      });
      try {
        answer = () => 200;
        const d = await doctor();
        const list = () => short.call('GET', '/api/consults/cb-ttl/recordings', { token: d });
        assert.equal((await list()).status, 404, 'allowed (the consult does not exist yet)');
        answer = () => 403;
        assert.equal((await list()).status, 404, 'still the cached "yes"');
        await waitFor('the cached answer to expire', async () => (await list()).status === 403);
      } finally {
        await short.close();
      }
    });

    test('a network error fails closed with 503', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const down = await startStack({
        authorize: undefined,
        authorizeUrl: `http://127.0.0.1:${port}/authorize`,
        noMediaServer: true,
      });
      try {
        const r = await down.call('POST', '/api/consults/cb-down/token', {
          token: await doctor(),
          body: {},
        });
        assert.equal(r.status, 503);
        assert.equal(errorCode(r.json), 'authorization-unavailable');
      } finally {
        await down.close();
      }
    });

    test('a bad AUTHORIZE_URL fails at start', () => {
      assert.throws(
        () =>
          createTokenServer({
            auth: { secret: JWT_SECRET },
            logger: silentLogger,
            env: { AUTHORIZE_URL: 'portal.example/authorize' },
          }),
        /AUTHORIZE_URL \(authorizeUrl\) is not a URL/,
      );
    });
  });

  test('several bindings: every one must allow', async () => {
    const s = await startStack({
      consultClaim: 'consult_id',
      authorize: (_u, consultId) => consultId !== 'both-2',
      waitingRoom: false,
    });
    try {
      const t = await jwt({ sub: 'dr-b', role: 'provider', consult_id: ['both-1', 'both-2'] });
      const call = (id: string) =>
        s.call('POST', `/api/consults/${id}/token`, { token: t, body: {} });
      assert.equal((await call('both-1')).status, 200);
      assert.equal((await call('both-2')).status, 403, 'the hook said no');
      assert.equal((await call('both-3')).status, 403, 'the claim said no');
    } finally {
      await s.close();
    }
  });

  test('the CLI binds with AUTH_CONSULT_CLAIM alone', async () => {
    let out = '';
    let stop!: () => void;
    const untilStopped = new Promise<void>((r) => (stop = r));
    const done = runTokenServerCli(['--port', '0', '--log-level', 'warn'], {
      out: (t) => void (out += t),
      err: (t) => void (out += t),
      env: {
        OPENVIDU_URL: 'http://127.0.0.1:1',
        OPENVIDU_SECRET: 'cli-secret-abc',
        AUTH_JWT_SECRET: JWT_SECRET,
        AUTH_ISSUER: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_CONSULT_CLAIM: 'consult_id',
      },
      untilStopped,
    });
    await waitFor('listening line', () => /listening on (http:\/\/\S+)/.test(out), 30_000);
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1] as string;
    const t = await jwt({ sub: 'p', role: 'patient', consult_id: 'cli-1' });
    const res = await fetch(`${url}/api/consults/cli-2/events`, {
      headers: { Authorization: `Bearer ${t}` },
    });
    await res.body?.cancel();
    assert.equal(res.status, 403);
    stop();
    assert.equal(await done, 0);
  });
});
