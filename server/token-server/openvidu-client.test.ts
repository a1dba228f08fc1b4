/**
 * The OpenVidu client's own limits, with `fetch` injected: at most MAX_CONCURRENT_REQUESTS calls in
 * flight (the rest wait their turn, and a wait that outlasts its timeout gives up without ever
 * calling), and one more try only when the connection was refused.
 */
import assert from 'node:assert/strict';
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
