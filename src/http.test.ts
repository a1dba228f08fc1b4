import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsultApi, resolveEndpoints } from './api.js';
import { ConsultError, type ConsultErrorCode } from './errors.js';
import { HttpClient, parseRetryAfter, type AuthProvider } from './http.js';
import { silentLogger } from './logger.js';
import { createFakePlatform } from './testing/fake-platform.js';
import { errorResponse, jsonResponse, type FakeHandler } from './testing/fake-fetch.js';
import { flushMicrotasks } from './testing/fake-clock.js';

const TOKEN_PATH = '/api/consults/c1/token';
const TOKEN = {
  token: 'wss://media?sessionId=c1&token=tok_1',
  consultId: 'c1',
  connectionId: 'con_1',
  role: 'patient',
  expiresAt: '2030-01-01T00:00:00Z',
  userId: 'u1',
};

function setup(handler: FakeHandler, auth?: AuthProvider, timeoutMs?: number) {
  const fake = createFakePlatform();
  fake.server.on('POST', TOKEN_PATH, handler);
  const http = new HttpClient({
    fetch: fake.platform.fetch,
    clock: fake.clock,
    logger: silentLogger,
    ...(auth !== undefined ? { auth } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    retry: { random: () => 0.5 },
  });
  const api = new ConsultApi('c1', http, resolveEndpoints({ tokenUrl: 'https://portal/api' }));
  return { ...fake, api };
}

/** Runs `promise` to completion while advancing the fake clock through every retry delay. */
async function settle<T>(
  clock: { runNext(): Promise<void>; pendingTimers: number },
  promise: Promise<T>,
) {
  let done = false;
  const result = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void result.then(() => (done = true));
  for (let i = 0; i < 50 && !done; i++) {
    await flushMicrotasks();
    if (!done && clock.pendingTimers > 0) await clock.runNext();
  }
  return result;
}

async function expectCode(
  promise: Promise<unknown>,
  code: ConsultErrorCode,
): Promise<ConsultError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConsultError, `not a ConsultError: ${String(error)}`);
  assert.equal(error.code, code);
  return error;
}

describe('token requests', () => {
  it('should resolve a 200 answer to a token', async () => {
    const { api } = setup(() => jsonResponse(TOKEN));
    const result = await api.requestToken('Ann');
    assert.equal(result.status, 'token');
    assert.equal(result.status === 'token' && result.token.connectionId, 'con_1');
  });

  it('should resolve a 202 answer to the waiting room', async () => {
    const { api } = setup(() =>
      jsonResponse({ status: 'waiting', consultId: 'c1', position: 2 }, 202),
    );
    const result = await api.requestToken(undefined);
    assert.deepEqual(result, {
      status: 'waiting',
      waiting: { status: 'waiting', consultId: 'c1', position: 2 },
    });
  });

  it('should POST the display name to {base}/consults/{id}/token with the bearer token', async () => {
    const { api, server } = setup(() => jsonResponse(TOKEN), 'secret');
    await api.requestToken('Ann');
    const [request] = server.requestsTo(TOKEN_PATH, 'POST');
    assert.equal(request?.url, 'https://portal/api/consults/c1/token');
    assert.equal(request?.headers.authorization, 'Bearer secret');
    assert.deepEqual(request?.body, { displayName: 'Ann' });
  });

  const NON_RETRIED: ReadonlyArray<readonly [number, ConsultErrorCode]> = [
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'consult-not-found'],
    [409, 'conflict'],
    [500, 'server-error'],
    [400, 'unknown'],
  ];
  for (const [status, code] of NON_RETRIED) {
    it(`should map HTTP ${status} to ${code} without retrying`, async () => {
      const { api, server } = setup(() => errorResponse(status));
      const error = await expectCode(api.requestToken('Ann'), code);
      assert.equal(error.status, status);
      assert.equal(server.requestsTo(TOKEN_PATH).length, 1);
    });
  }

  const RETRIED: ReadonlyArray<readonly [number, ConsultErrorCode]> = [
    [429, 'rate-limited'],
    [502, 'server-error'],
    [503, 'server-error'],
    [504, 'server-error'],
  ];
  for (const [status, code] of RETRIED) {
    it(`should retry HTTP ${status} three times, then reject with ${code}`, async () => {
      const { api, server, clock } = setup(() => errorResponse(status));
      const outcome = await settle(clock, api.requestToken('Ann'));
      assert.equal(outcome.ok, false);
      await expectCode(Promise.reject(outcome.ok ? undefined : outcome.error), code);
      assert.equal(server.requestsTo(TOKEN_PATH).length, 4);
      assert.equal(clock.pendingTimers, 0);
    });
  }

  it('should back off exponentially with jitter between retries', async () => {
    const { api, server, clock } = setup(() => errorResponse(503));
    const start = clock.now();
    const times: number[] = [];
    server.on('POST', TOKEN_PATH, () => {
      times.push(clock.now() - start);
      return errorResponse(503);
    });
    await settle(clock, api.requestToken('Ann'));
    // base 500 ms doubling; equal jitter at random 0.5 → 3/4 of the capped delay.
    assert.deepEqual(times, [0, 375, 375 + 750, 375 + 750 + 1500]);
  });

  it('should succeed after a transient network error', async () => {
    let calls = 0;
    const { api, clock } = setup(() => {
      calls++;
      if (calls === 1) throw new TypeError('fetch failed');
      return jsonResponse(TOKEN);
    });
    const outcome = await settle(clock, api.requestToken('Ann'));
    assert.equal(outcome.ok, true);
    assert.equal(calls, 2);
  });

  it('should map a persistent network error to network-error', async () => {
    const { api, clock } = setup(() => {
      throw new TypeError('fetch failed');
    });
    const outcome = await settle(clock, api.requestToken('Ann'));
    assert.ok(!outcome.ok && outcome.error instanceof ConsultError);
    assert.equal(!outcome.ok && (outcome.error as ConsultError).code, 'network-error');
  });

  it('should honour Retry-After seconds on 429', async () => {
    const { api, server, clock } = setup(() => errorResponse(429));
    const start = clock.now();
    const times: number[] = [];
    let calls = 0;
    server.on('POST', TOKEN_PATH, () => {
      times.push(clock.now() - start);
      return ++calls === 1
        ? errorResponse(429, 'rate-limited', { 'retry-after': '7' })
        : jsonResponse(TOKEN);
    });
    const outcome = await settle(clock, api.requestToken('Ann'));
    assert.equal(outcome.ok, true);
    assert.deepEqual(times, [0, 7000]);
  });

  it('should not wait for a Retry-After beyond the cap', async () => {
    const { api, server } = setup(() =>
      errorResponse(429, 'rate-limited', { 'retry-after': '3600' }),
    );
    await expectCode(api.requestToken('Ann'), 'rate-limited');
    assert.equal(server.requestsTo(TOKEN_PATH).length, 1);
  });

  it('should time out a request that does not answer', async () => {
    const { api, clock } = setup(() => new Promise<Response>(() => undefined), undefined, 5000);
    const promise = api.requestToken('Ann');
    const check = expectCode(promise, 'timeout');
    await clock.advance(5000);
    await check;
    assert.equal(clock.pendingTimers, 0);
  });

  it('should reject invalid JSON with invalid-response', async () => {
    const { api } = setup(() => new Response('<html>', { status: 200 }));
    await expectCode(api.requestToken('Ann'), 'invalid-response');
  });

  it('should reject a 200 answer without a token with invalid-response', async () => {
    const { api } = setup(() => jsonResponse({ hello: 1 }));
    await expectCode(api.requestToken('Ann'), 'invalid-response');
  });

  it('should call the auth function once per request, retries included', async () => {
    let calls = 0;
    let attempts = 0;
    const { api, clock, server } = setup(
      () => (++attempts < 3 ? errorResponse(503) : jsonResponse(TOKEN)),
      () => `t${++calls}`,
    );
    const outcome = await settle(clock, api.requestToken('Ann'));
    assert.equal(outcome.ok, true);
    assert.equal(calls, 3);
    assert.deepEqual(
      server.requestsTo(TOKEN_PATH).map((r) => r.headers.authorization),
      ['Bearer t1', 'Bearer t2', 'Bearer t3'],
    );
  });

  it('should reject with aborted when aborted during the request', async () => {
    const { api, clock } = setup(() => new Promise<Response>(() => undefined));
    const controller = new AbortController();
    const promise = api.requestToken('Ann', controller.signal);
    await flushMicrotasks();
    controller.abort();
    await expectCode(promise, 'aborted');
    assert.equal(clock.pendingTimers, 0);
  });

  it('should reject with aborted when aborted during a backoff delay', async () => {
    const { api, clock, server } = setup(() => errorResponse(503));
    const controller = new AbortController();
    const promise = api.requestToken('Ann', controller.signal);
    for (let i = 0; i < 5 && clock.pendingTimers === 0; i++) await flushMicrotasks();
    assert.equal(clock.pendingTimers, 1, 'a backoff timer is pending');
    controller.abort();
    await expectCode(promise, 'aborted');
    assert.equal(clock.pendingTimers, 0);
    assert.equal(server.requestsTo(TOKEN_PATH).length, 1);
  });

  it('should reject at once when the signal is already aborted', async () => {
    const { api, server } = setup(() => jsonResponse(TOKEN));
    await expectCode(api.requestToken('Ann', AbortSignal.abort()), 'aborted');
    assert.equal(server.requestsTo(TOKEN_PATH).length, 0);
  });
});

describe('endpoint resolution', () => {
  const CASES = [
    {
      tokenUrl: 'https://p/api',
      token: 'https://p/api/consults/c%201/token',
      base: 'https://p/api',
    },
    {
      tokenUrl: 'https://p/api/',
      token: 'https://p/api/consults/c%201/token',
      base: 'https://p/api',
    },
    {
      tokenUrl: 'https://p/api/consults/{consultId}/token',
      token: 'https://p/api/consults/c%201/token',
      base: 'https://p/api',
    },
    { tokenUrl: 'https://p/tok?c={consultId}', token: 'https://p/tok?c=c%201', base: undefined },
  ] as const;
  for (const c of CASES) {
    it(`should resolve ${c.tokenUrl}`, () => {
      const endpoints = resolveEndpoints({ tokenUrl: c.tokenUrl });
      assert.equal(endpoints.token('c 1'), c.token);
      assert.equal(endpoints.base, c.base);
    });
  }

  it('should parse Retry-After dates and seconds', () => {
    assert.equal(parseRetryAfter('2', 0), 2000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(parseRetryAfter('soon', 0), undefined);
    assert.equal(parseRetryAfter(null, 0), undefined);
  });
});
