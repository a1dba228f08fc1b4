/**
 * Network impairment: the `--impair` parser, the rules' precedence (connection > session > server)
 * and the secret-protected REST API `/openvidu/api/dev/impairment`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliUsageError, parseDevServerArgs, runDevServerCli } from './cli.js';
import type { LinkImpairment } from './impairment.js';
import { ImpairmentError, ImpairmentRules, parseImpairment } from './impairment.js';
import type { TestServer } from './test-support.js';
import { api, startTestServer, waitFor } from './test-support.js';
import { untilAborted } from '../shared/cli-io.js';

const off: LinkImpairment = { lossPercent: 0, delayMs: 0, jitterMs: 0, rateKbps: 0 };

void describe('parseImpairment', () => {
  const GOOD: [string, Partial<LinkImpairment>][] = [
    ['loss=5%', { lossPercent: 5 }],
    ['loss=0.5%', { lossPercent: 0.5 }],
    ['delay=200ms', { delayMs: 200 }],
    ['delay=1.5s', { delayMs: 1500 }],
    ['jitter=30ms', { jitterMs: 30 }],
    ['rate=300kbit', { rateKbps: 300 }],
    ['rate=2mbit', { rateKbps: 2000 }],
    [
      'loss=5%,delay=200ms,jitter=30ms,rate=300kbit',
      { lossPercent: 5, delayMs: 200, jitterMs: 30, rateKbps: 300 },
    ],
    [' delay=10ms , loss=1% ', { delayMs: 10, lossPercent: 1 }],
  ];
  for (const [spec, expected] of GOOD) {
    void it(`parses "${spec}"`, () => {
      assert.deepEqual(parseImpairment(spec), { ...off, ...expected });
    });
  }

  const BAD: [string, RegExp][] = [
    ['', /knob=value/],
    ['loss=5', /loss takes a number with one of %/],
    ['loss=5 %', /loss takes/],
    ['loss=-5%', /loss takes/],
    ['loss=150%', /lossPercent must be at most 100/],
    ['delay=200', /delay takes a number with one of ms, s/],
    ['delay=abc', /delay takes/],
    ['rate=300', /rate takes/],
    ['rate=300kb', /rate takes/],
    ['speed=1ms', /unknown knob "speed"/],
    ['loss=1%,loss=2%', /"loss" is given twice/],
    ['loss=1%,', /knob=value/],
    ['delay=20000ms', /delayMs must be at most 10000/],
  ];
  for (const [spec, message] of BAD) {
    void it(`refuses "${spec}"`, () => {
      assert.throws(
        () => parseImpairment(spec),
        (e: unknown) => {
          assert.ok(e instanceof ImpairmentError);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  void it('is the --impair flag, failing at start with the flag named', () => {
    const { options } = parseDevServerArgs(['--impair', 'loss=8%,delay=250ms']);
    assert.deepEqual(options.impairment, { ...off, lossPercent: 8, delayMs: 250 });
    assert.throws(
      () => parseDevServerArgs(['--impair', 'loss=8']),
      (e: unknown) => e instanceof CliUsageError && /^--impair: "loss=8"/.test(e.message),
    );
  });
});

void describe('consult-kit dev-server --impair', () => {
  void it('refuses a bad spec before starting, naming the knob (exit code 2)', async () => {
    const err: string[] = [];
    const code = await runDevServerCli(['--port', '0', '--impair', 'loss=5,delay=200ms'], {
      err: (s) => void err.push(s),
    });
    assert.equal(code, 2);
    assert.match(err.join(''), /--impair: "loss=5": loss takes a number with one of %/);
  });

  void it('starts with the impairment, prints it and lists it over REST', async () => {
    const out: string[] = [];
    const abort = new AbortController();
    let info: { url: string; secret: string } | undefined;
    const dir = await mkdtemp(join(tmpdir(), 'ck-dms-'));
    const done = runDevServerCli(
      [
        '--port',
        '0',
        '--recordings-dir',
        dir,
        '--log-level',
        'error',
        '--impair',
        'loss=5%,rate=300kbit',
      ],
      {
        out: (s) => void out.push(s),
        err: () => undefined,
        untilStopped: untilAborted(abort.signal),
        onListening: (i) => (info = i),
      },
    );
    try {
      await waitFor('listening', () => info !== undefined);
      assert.match(out.join(''), /Impair: loss 5%, rate 300 kbit\/s on every connection/);
      const server = info as Parameters<typeof api>[0];
      const list = await api(server, 'GET', '/openvidu/api/dev/impairment');
      assert.deepEqual(list.json, {
        rules: [{ scope: 'server', lossPercent: 5, delayMs: 0, jitterMs: 0, rateKbps: 300 }],
      });
    } finally {
      abort.abort();
      assert.equal(await done, 0);
    }
  });
});

void describe('ImpairmentRules', () => {
  const sessions: Record<string, string> = { con_A: 'ses_1', con_B: 'ses_1', con_C: 'ses_2' };
  const a = { ...off, delayMs: 10 };
  const b = { ...off, lossPercent: 5 };
  const c = { ...off, rateKbps: 300 };

  void it('takes the connection rule, then the session rule, then the server rule', () => {
    const rules = new ImpairmentRules((id) => sessions[id]);
    assert.equal(rules.forEndpoint('str_CAM_abcd_con_A'), undefined);
    rules.set({}, a);
    rules.set({ sessionId: 'ses_1' }, b);
    rules.set({ connectionId: 'con_B' }, c);
    // A publisher is its own connection; a subscriber `sub<-pub` the receiving one.
    assert.deepEqual(rules.forEndpoint('str_CAM_abcd_con_A'), b);
    assert.deepEqual(rules.forEndpoint('con_B<-con_A'), c);
    assert.deepEqual(rules.forEndpoint('con_A<-con_B'), b);
    assert.deepEqual(rules.forEndpoint('con_C<-con_A'), a);
    rules.clear({ connectionId: 'con_B' });
    assert.deepEqual(rules.forEndpoint('con_B<-con_A'), b);
    rules.set({ sessionId: 'ses_1' }, off);
    assert.deepEqual(rules.forEndpoint('con_B<-con_A'), a);
    rules.clear({});
    assert.equal(rules.forEndpoint('con_B<-con_A'), undefined);
    assert.deepEqual(rules.list(), []);
  });

  void it('starts with the --impair rule for every connection', () => {
    const rules = new ImpairmentRules(() => undefined, b);
    assert.deepEqual(rules.forEndpoint('con_X<-con_Y'), b);
    assert.deepEqual(rules.list(), [{ scope: 'server', ...b }]);
  });
});

void describe('REST /openvidu/api/dev/impairment', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.close();
  });

  void it('needs the secret', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await fetch(`${t.server.url}/openvidu/api/dev/impairment`, { method });
      assert.equal(r.status, 401, method);
    }
  });

  void it('sets, lists and clears rules per server, session and connection', async () => {
    const session = await t.ov.createSession();
    const put = await api(t.server, 'PUT', '/openvidu/api/dev/impairment', {
      loss: 8,
      delayMs: 250,
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.json, {
      rules: [{ scope: 'server', lossPercent: 8, delayMs: 250, jitterMs: 0, rateKbps: 0 }],
    });
    const perSession = await api(t.server, 'PUT', '/openvidu/api/dev/impairment', {
      sessionId: session.sessionId,
      jitterMs: 30,
      rateKbps: 300,
    });
    assert.equal(perSession.status, 200);
    const perConnection = await api(t.server, 'PUT', '/openvidu/api/dev/impairment', {
      connectionId: 'con_Abc',
      loss: 2,
    });
    assert.equal(perConnection.status, 200);
    const list = await api(t.server, 'GET', '/openvidu/api/dev/impairment');
    assert.deepEqual(
      (list.json as { rules: { scope: string }[] }).rules.map((r) => r.scope),
      ['server', 'session', 'connection'],
    );
    const cleared = await api(
      t.server,
      'DELETE',
      `/openvidu/api/dev/impairment?sessionId=${session.sessionId}`,
    );
    assert.deepEqual(
      (cleared.json as { rules: { scope: string }[] }).rules.map((r) => r.scope),
      ['server', 'connection'],
    );
    await api(t.server, 'DELETE', '/openvidu/api/dev/impairment?connectionId=con_Abc');
    const last = await api(t.server, 'DELETE', '/openvidu/api/dev/impairment');
    assert.deepEqual(last.json, { rules: [] });
  });

  const BAD: [unknown, number, RegExp][] = [
    [{ loss: 'lots' }, 400, /loss must be a number/],
    [{ loss: 101 }, 400, /loss must be at most 100/],
    [{ delayMs: -1 }, 400, /delayMs must be a number ≥ 0/],
    [{ latency: 5 }, 400, /unknown field latency/],
    [{ sessionId: '../x', loss: 1 }, 400, /sessionId must be/],
    [{ sessionId: 'ses_nope', loss: 1 }, 404, /no session ses_nope/],
    [[1, 2], 400, /expected a JSON object/],
  ];
  for (const [body, status, message] of BAD) {
    void it(`answers ${status} to ${JSON.stringify(body)}`, async () => {
      const r = await api(t.server, 'PUT', '/openvidu/api/dev/impairment', body);
      assert.equal(r.status, status);
      const error = (r.json as { error: { code: string; message: string } }).error;
      assert.equal(error.code, status === 404 ? 'not-found' : 'bad-request');
      assert.match(error.message, message);
    });
  }
});
