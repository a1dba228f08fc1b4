/**
 * Seeded, deterministic fuzzing: generated malformed paths, headers and bodies against every
 * endpoint (with the dev media server behind). No answer may be a 5xx, and every error answer must
 * be the contract's `{ error: { code, message } }`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Stack } from './test-support.js';
import { WEBHOOK_SECRET, doctor, jwt, patient, startStack } from './test-support.js';
import { seededRandom } from '../shared/random.js';

const SEED = 0x5eed_c0de;
const CASES = 400;

let s: Stack;
let tokens: string[] = [];
before(async () => {
  s = await startStack({ heartbeatMs: 60_000 });
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","role":"provider"}').toString('base64url')}.`;
  tokens = [
    await doctor(),
    await patient(1),
    await jwt({ sub: 'g', role: 'guest' }),
    none,
    'not.a.jwt',
    '',
    'a'.repeat(3000),
    await jwt({ sub: '', role: 'provider' }),
    await jwt({ sub: 'x'.repeat(500), role: 'provider', name: '\u0000\u202e' }),
  ];
  // Give the fuzzer a consult with state to poke at.
  await s.call('POST', '/api/consults/fz-1/token', { token: tokens[0] as string, body: {} });
  await s.call('POST', '/api/consults/fz-1/token', { token: tokens[1] as string, body: {} });
});
after(() => s.close());

test(`fuzz: ${CASES} seeded malformed requests never answer 5xx`, async (t) => {
  const rnd = seededRandom(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const int = (n: number) => Math.floor(rnd() * n);
  const randomString = (max: number): string => {
    const alphabet = [
      'a',
      'Z',
      '0',
      '-',
      '_',
      '~',
      '.',
      '/',
      '%',
      '%2F',
      '%00',
      '..',
      ' ',
      '\u00e9',
      '\u{1F600}',
      '"',
      "'",
      '<',
      '>',
      '\\',
      '?',
      '#',
      '&',
      '=',
      '+',
      '\n',
    ];
    let out = '';
    const len = int(max);
    for (let i = 0; i < len; i++) out += pick(alphabet);
    return out;
  };
  const ids = [
    'fz-1',
    'fz-1',
    'fz-1',
    'pat-1',
    'fz-2',
    '',
    'a'.repeat(101),
    'a'.repeat(100),
    '..',
    '%2e%2e',
    'x%2Fy',
    '%00',
    'ok~1',
    'ünï',
    '%F0%9F%98%80',
  ];
  const id = () => (rnd() < 0.7 ? pick(ids) : encodeURIComponent(randomString(30)));
  const routes: [string, () => string][] = [
    ['POST', () => `/api/consults/${id()}/token`],
    ['GET', () => `/api/consults/${id()}/events`],
    ['GET', () => `/api/consults/${id()}/lobby`],
    ['POST', () => `/api/consults/${id()}/lobby/${id()}/admit`],
    ['POST', () => `/api/consults/${id()}/lobby/${id()}/deny`],
    ['POST', () => `/api/consults/${id()}/recording-consent`],
    ['POST', () => `/api/consults/${id()}/recordings`],
    ['GET', () => `/api/consults/${id()}/recordings`],
    ['GET', () => `/api/consults/${id()}/recordings/${id()}`],
    ['DELETE', () => `/api/consults/${id()}/recordings/${id()}`],
    ['POST', () => `/api/consults/${id()}/recordings/${id()}/stop`],
    ['GET', () => `/api/consults/${id()}/recordings/${id()}/download`],
    [
      'GET',
      () =>
        `/api/consults/${id()}/messages?limit=${pick(['1', '0', '-1', 'abc', '1e9', '', '5000'])}`,
    ],
    ['GET', () => `/api/consults/${id()}/audit?limit=${pick(['10', 'x', '99999'])}`],
    ['POST', () => `/api/consults/${id()}/end`],
    ['POST', () => '/api/openvidu/webhook'],
    ['POST', () => '/api/auth/login'],
    ['GET', () => '/api/openapi.json'],
    ['GET', () => '/health'],
    ['GET', () => `/${randomString(20)}`],
  ];

  const jsonValue = (depth: number): unknown => {
    switch (int(depth > 3 ? 6 : 9)) {
      case 0:
        return null;
      case 1:
        return rnd() < 0.5;
      case 2:
        return pick([0, -1, 1e308, Number.MAX_SAFE_INTEGER, 3.14]);
      case 3:
        return randomString(50);
      case 4:
        return 'x'.repeat(int(30_000));
      case 5:
        return pick([{}, [], '']);
      case 6:
        return Array.from({ length: int(5) }, () => jsonValue(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        const keys = [
          'granted',
          'displayName',
          'reason',
          'username',
          'password',
          'event',
          'sessionId',
          'connectionId',
          'from',
          'type',
          'data',
          'status',
          'id',
          '__proto__',
          'constructor',
          randomString(8),
        ];
        for (let i = 0; i < int(6); i++) o[pick(keys)] = jsonValue(depth + 1);
        return o;
      }
    }
  };
  const bodies = [
    () => undefined,
    () => '{}',
    () => '{}',
    () => JSON.stringify({ granted: rnd() < 0.5 }),
    () => JSON.stringify({ reason: 'r' }),
    () => JSON.stringify(jsonValue(0)),
    () => '{"granted":',
    () => '\u0000\u0001\u0002',
    () => 'a=b&c=d',
    () => JSON.stringify({ granted: pick([true, false, 'true', 1, null]) }),
    () => JSON.stringify({ displayName: jsonValue(3) }),
    () =>
      JSON.stringify({
        event: pick([
          'signalSent',
          'participantJoined',
          'participantLeft',
          'recordingStatusChanged',
          'x',
        ]),
        sessionId: pick(['fz-1', randomString(10), 5, null]),
        connectionId: jsonValue(2),
        from: jsonValue(2),
        type: pick(['chat', 'signal:chat', null, 3]),
        data: pick([
          JSON.stringify({ v: 1, id: 'z', text: 'hi', sentAt: 'now' }),
          '{',
          jsonValue(2),
        ]),
        id: pick(['fz-1', 'fz-1~1', randomString(10)]),
        status: pick(['started', 'stopped', 'ready', 'failed', 'bogus', null]),
        size: jsonValue(2),
      }),
  ];
  const methods = ['GET', 'POST', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'];
  const contentTypes = [
    'application/json',
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    '',
    'application/x-www-form-urlencoded',
  ];

  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let skipped = 0;
  for (let i = 0; i < CASES; i++) {
    const [routeMethod, makePath] = pick(routes);
    const method = rnd() < 0.8 ? routeMethod : pick(methods);
    const path = makePath();
    const headers: Record<string, string> = {};
    if (rnd() < 0.85) {
      const t = pick(tokens);
      headers['Authorization'] =
        rnd() < 0.5
          ? `Bearer ${pick(tokens.slice(0, 3))}`
          : pick([`Bearer ${t}`, `bearer ${t}`, t, `Bearer  ${t} x`, `Basic ${t}`]);
    }
    if (path.startsWith('/api/openvidu') && rnd() < 0.7)
      headers['Authorization'] = `Bearer ${WEBHOOK_SECRET}`;
    const ct = rnd() < 0.5 ? 'application/json' : pick(contentTypes);
    if (ct) headers['Content-Type'] = ct;
    if (rnd() < 0.2)
      headers['Last-Event-ID'] = pick(['0', '-1', 'abc', '99999999999999999999', '1']);
    if (rnd() < 0.2)
      headers['Range'] = pick(['bytes=0-', 'bytes=-5', 'bytes=5-1', 'pages=1', 'bytes=0-1,3-4']);
    if (rnd() < 0.1) headers['X-Forwarded-For'] = randomString(20).replace(/[^\x20-\x7e]/g, '');
    const body = method === 'GET' || method === 'HEAD' ? undefined : pick(bodies)();
    const controller = new AbortController();
    let res: Response;
    try {
      res = await fetch(`${s.ts.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: controller.signal,
      });
    } catch (e) {
      // Node's fetch refuses some URLs/headers client-side; that is not the server's answer.
      if (e instanceof TypeError) {
        skipped++;
        continue;
      }
      throw e;
    }
    const type = res.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream') || type.startsWith('video/')) {
      controller.abort();
    } else {
      const text = await res.text();
      if (res.status >= 400 && method !== 'HEAD') {
        try {
          const j = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
          if (typeof j.error?.code !== 'string' || typeof j.error.message !== 'string')
            failures.push(
              `#${i} ${method} ${path}: error body without code/message: ${text.slice(0, 100)}`,
            );
        } catch {
          failures.push(
            `#${i} ${method} ${path}: non-JSON error body ${res.status}: ${text.slice(0, 100)}`,
          );
        }
      }
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) failures.push(`#${i} ${method} ${path} → ${res.status}`);
  }
  assert.deepEqual(failures, []);
  t.diagnostic(
    `statuses ${JSON.stringify([...statuses].sort((a, b) => a[0] - b[0]))}, skipped ${skipped}`,
  );
  assert.ok(skipped < CASES / 10, `${skipped} cases refused by fetch`);
  assert.ok(statuses.size >= 6, 'the fuzzer reaches many kinds of answers');
  const errors = s.logs.lines.filter((l) => l.includes('"level":"error"'));
  assert.deepEqual(errors, []);
  const health = await s.call('GET', '/health');
  assert.equal((health.json as { openvidu: string }).openvidu, 'up');
});
