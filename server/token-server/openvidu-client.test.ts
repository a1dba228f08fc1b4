/**
 * The OpenVidu client's own limits, with `fetch` injected: at most MAX_CONCURRENT_REQUESTS calls in
 * flight (the rest wait their turn, and a wait that outlasts its timeout gives up without ever
 * calling), and one more try only when the connection was refused. Then the same limits over the
 * default transport (`node:http`) against a real server on loopback: bounded and reused
 * connections, timeouts of the answer and of its body, failures that are not sent again.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../shared/test-support.js';
import {
  MAX_CONCURRENT_REQUESTS,
  OpenViduClient,
  OpenViduUnavailableError,
} from './openvidu-client.js';

/** A fetch whose calls stay open until the test answers them; counts what is in flight. */
function heldFetch() {
  const held: Array<{ url: string; answer: () => void }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const calls: string[] = [];
  const fakeFetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push(url);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<Response>((resolve, reject) => {
      const done = (): void => {
        inFlight--;
      };
      init?.signal?.addEventListener('abort', () => {
        done();
        reject(init.signal?.reason as Error);
      });
      held.push({
        url,
        answer: () => {
          done();
          resolve(new Response('{}', { status: 200 }));
        },
      });
    });
  }) as typeof globalThis.fetch;
  return {
    fetch: fakeFetch,
    held,
    calls,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
  };
}

const refused = (): Error =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
  });

describe('OpenViduClient', () => {
  // The client's timers are unref'd and the fake calls hold no socket: keep the loop alive.
  let keepAlive: ReturnType<typeof setInterval>;
  before(() => {
    keepAlive = setInterval(() => undefined, 1000);
  });
  after(() => clearInterval(keepAlive));

  test(`keeps at most ${MAX_CONCURRENT_REQUESTS} calls in flight; the others wait their turn`, async () => {
    const f = heldFetch();
    const client = new OpenViduClient({ url: 'http://ov.test', secret: 's', fetch: f.fetch });
    const total = MAX_CONCURRENT_REQUESTS * 2 + 5;
    const answers = Array.from({ length: total }, (_, i) =>
      client.request('GET', `/call/${i}`, 'test call', { timeoutMs: 10_000 }),
    );
    await waitFor('the first calls to start', () => f.held.length === MAX_CONCURRENT_REQUESTS);
    // Nothing else starts while every slot is taken.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(f.calls.length, MAX_CONCURRENT_REQUESTS);
    let answered = 0;
    while (answered < total) {
      await waitFor('a waiting call to start', () => f.held.length > answered);
      (f.held[answered] as { answer: () => void }).answer();
      answered++;
    }
    const responses = await Promise.all(answers);
    assert.equal(responses.length, total);
    assert.equal(f.maxInFlight(), MAX_CONCURRENT_REQUESTS);
    // First come, first served.
    assert.deepEqual(
      f.calls,
      Array.from({ length: total }, (_, i) => `http://ov.test/call/${i}`),
    );
  });

  test('a call whose timeout passes while it waits for a slot fails without calling', async () => {
    const f = heldFetch();
    const client = new OpenViduClient({ url: 'http://ov.test', secret: 's', fetch: f.fetch });
    const busy = Array.from({ length: MAX_CONCURRENT_REQUESTS }, (_, i) =>
      client.request('GET', `/busy/${i}`, 'busy call', { timeoutMs: 10_000 }),
    );
    await waitFor('every slot to be taken', () => f.held.length === MAX_CONCURRENT_REQUESTS);
    await assert.rejects(
      client.request('GET', '/late', 'late call', { timeoutMs: 50 }),
      (e: unknown) =>
        e instanceof OpenViduUnavailableError && /late call timed out/.test(e.message),
    );
    const next = client.request('GET', '/next', 'next call', { timeoutMs: 10_000 });
    for (const h of f.held.slice(0, MAX_CONCURRENT_REQUESTS)) h.answer();
    await Promise.all(busy);
    await waitFor('the next call to start', () => f.held.length === MAX_CONCURRENT_REQUESTS + 1);
    (f.held[MAX_CONCURRENT_REQUESTS] as { answer: () => void }).answer();
    assert.equal((await next).status, 200);
    // The call that gave up never reached the media server, and took no slot with it: every
    // slot is free again.
    assert.equal(f.calls.includes('http://ov.test/late'), false);
    assert.equal(f.inFlight(), 0);
    const again = Array.from({ length: MAX_CONCURRENT_REQUESTS }, (_, i) =>
      client.request('GET', `/again/${i}`, 'again', { timeoutMs: 10_000 }),
    );
    await waitFor(
      () => `${MAX_CONCURRENT_REQUESTS} calls in flight (${f.inFlight()})`,
      () => f.inFlight() === MAX_CONCURRENT_REQUESTS,
      2000,
    );
    for (const h of f.held.slice(MAX_CONCURRENT_REQUESTS + 1)) h.answer();
    await Promise.all(again);
  });

  const retryCases: { name: string; failures: Array<() => Error>; calls: number; ok: boolean }[] = [
    { name: 'a refused connection is tried once more', failures: [refused], calls: 2, ok: true },
    {
      name: 'refused twice: unavailable after two tries',
      failures: [refused, refused],
      calls: 2,
      ok: false,
    },
    {
      name: 'a reset connection is not sent again (the media server may have acted on it)',
      failures: [
        () =>
          new TypeError('fetch failed', {
            cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
          }),
      ],
      calls: 1,
      ok: false,
    },
  ];
  for (const c of retryCases) {
    test(c.name, async () => {
      let calls = 0;
      const fetch = (() => {
        const failure = c.failures[calls++];
        return failure
          ? Promise.reject(failure())
          : Promise.resolve(new Response('{}', { status: 200 }));
      }) as typeof globalThis.fetch;
      const client = new OpenViduClient({ url: 'http://ov.test', secret: 's', fetch });
      const answer = client.request('POST', '/openvidu/api/sessions', 'createSession', {
        body: {},
      });
      if (c.ok) assert.equal((await answer).status, 200);
      else
        await assert.rejects(
          answer,
          (e: unknown) =>
            e instanceof OpenViduUnavailableError && /createSession failed/.test(e.message),
        );
      assert.equal(calls, c.calls);
    });
  }
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback HTTP server whose answers the test writes; counts requests and connections. */
async function loopbackServer(handler: Handler): Promise<{
  url: string;
  server: Server;
  requests: string[];
  connections: () => number;
  inFlight: () => number;
  maxInFlight: () => number;
  close(): Promise<void>;
}> {
  const requests: string[] = [];
  let connections = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => inFlight--);
    handler(req, res);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    requests,
    connections: () => connections,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const answerJson = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

const unavailable =
  (pattern: RegExp) =>
  (e: unknown): boolean =>
    e instanceof OpenViduUnavailableError && pattern.test(e.message);

describe('OpenViduClient over node:http', () => {
  test(`opens at most ${MAX_CONCURRENT_REQUESTS} connections and reuses them`, async () => {
    const held: ServerResponse[] = [];
    const srv = await loopbackServer((req, res) => {
      assert.equal(req.headers.authorization, `Basic ${btoa('OPENVIDUAPP:s')}`);
      held.push(res);
    });
    const client = new OpenViduClient({ url: srv.url, secret: 's', timeoutMs: 10_000 });
    try {
      const total = MAX_CONCURRENT_REQUESTS * 2 + 5;
      const sessions = Array.from({ length: total }, (_, i) => client.getSession(`s${i}`));
      await waitFor('the first calls to arrive', () => held.length === MAX_CONCURRENT_REQUESTS);
      let answered = 0;
      while (answered < total) {
        await waitFor('a waiting call to arrive', () => held.length > answered);
        // Arrival order across sockets is the network's: each answer names what was asked.
        const res = held[answered] as ServerResponse;
        const asked = /sessions\/([^?]+)/.exec(res.req.url ?? '')?.[1];
        answerJson(res, 200, { sessionId: asked });
        answered++;
      }
      const got = await Promise.all(sessions);
      assert.deepEqual(
        got.map((g) => g?.sessionId),
        Array.from({ length: total }, (_, i) => `s${i}`),
      );
      assert.equal(srv.maxInFlight(), MAX_CONCURRENT_REQUESTS);
      assert.ok(srv.connections() <= MAX_CONCURRENT_REQUESTS, `${srv.connections()} connections`);
      // One call after another: the kept-alive connections carry them, none is opened.
      const before = srv.connections();
      for (let i = 0; i < 5; i++) {
        const next = client.getSession(`again${i}`);
        await waitFor('the call to arrive', () => held.length === total + i + 1);
        answerJson(held[total + i] as ServerResponse, 404, {});
        assert.equal(await next, undefined);
      }
      assert.equal(srv.connections(), before);
    } finally {
      client.close();
      await srv.close();
    }
  });

  test("an idle connection is closed by the client before the server's keep-alive timeout", async () => {
    const srv = await loopbackServer((_req, res) => answerJson(res, 200, { sessionId: 's' }));
    // Node's server announces `Keep-Alive: timeout=2` and closes an idle connection after 2 s.
    srv.server.keepAliveTimeout = 2000;
    const closed: Array<{ byClient: boolean }> = [];
    srv.server.on('connection', (socket) => {
      let byClient = false;
      socket.on('end', () => (byClient = true));
      socket.on('close', () => closed.push({ byClient }));
    });
    const client = new OpenViduClient({ url: srv.url, secret: 's' });
    try {
      assert.equal((await client.getSession('s'))?.sessionId, 's');
      await waitFor('the idle connection to close', () => closed.length === 1, 5000);
      // The client hung up first (the server saw its end): a request written on that connection
      // could not have met the server's close.
      assert.deepEqual(closed, [{ byClient: true }]);
    } finally {
      client.close();
      await srv.close();
    }
  });

  test('a call times out when the answer, or the rest of its body, does not come', async () => {
    const srv = await loopbackServer((req, res) => {
      if (req.url?.startsWith('/openvidu/api/sessions/half')) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
        res.write('{"sessionId":');
      }
      // Anything else: no answer at all.
    });
    const client = new OpenViduClient({ url: srv.url, secret: 's', timeoutMs: 200 });
    try {
      await assert.rejects(client.getSession('silent'), unavailable(/getSession timed out/));
      await assert.rejects(client.getSession('half'), unavailable(/getSession: timed out/));
      assert.equal(srv.requests.length, 2);
    } finally {
      client.close();
      await srv.close();
    }
  });

  test('5xx and dropped connections are unavailable, and are not sent again', async () => {
    const srv = await loopbackServer((req, res) => {
      if (req.url === '/openvidu/api/sessions') answerJson(res, 503, {});
      else req.socket.destroy();
    });
    const client = new OpenViduClient({ url: srv.url, secret: 's' });
    try {
      await assert.rejects(client.createSession('c'), unavailable(/answered 503 to createSession/));
      await assert.rejects(client.getSession('c'), unavailable(/getSession failed/));
      assert.deepEqual(srv.requests, [
        'POST /openvidu/api/sessions',
        'GET /openvidu/api/sessions/c?pendingConnections=false',
      ]);
    } finally {
      client.close();
      await srv.close();
    }
  });

  test('a refused connection fails (not a timeout)', async () => {
    const srv = await loopbackServer(() => undefined);
    const url = srv.url;
    await srv.close();
    const client = new OpenViduClient({ url, secret: 's', timeoutMs: 10_000 });
    try {
      await assert.rejects(client.createSession('c'), unavailable(/createSession failed/));
    } finally {
      client.close();
    }
  });

  test('a recording download is streamed with its status and headers', async () => {
    const file = 'x'.repeat(100_000);
    const srv = await loopbackServer((req, res) => {
      assert.equal(req.headers.range, 'bytes=10-');
      res.writeHead(206, { 'Content-Type': 'video/mp4', 'Content-Range': 'bytes 10-99999/100000' });
      res.end(file.slice(10));
    });
    const client = new OpenViduClient({ url: srv.url, secret: 's', timeoutMs: 50 });
    try {
      const res = await client.openRecordingFile('r', 'r.mp4', { Range: 'bytes=10-' });
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), 'bytes 10-99999/100000');
      // Read after the call's timeout: a download is not cut off by it.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await res.text()).length, file.length - 10);
      assert.deepEqual(srv.requests, ['GET /openvidu/recordings/r/r.mp4']);
    } finally {
      client.close();
      await srv.close();
    }
  });
});
