/**
 * `POST /api/precheck` against the embedded dev media server: two tokens of a throwaway session that
 * both join, no recording, no consultation, audited in the precheck chain; callers without an
 * access token limited per IP; the session closed after its lifetime.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PrecheckTokenResponse, TokenResponse } from '../../src/contract.js';
import { PRECHECK_AUDIT_CHAIN } from './services/precheck.js';
import type { Stack } from './test-support.js';
import { OV_SECRET, joinOpenVidu, patient, startStack, waitFor } from './test-support.js';

const basic = `Basic ${Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')}`;

function ovGet(s: Stack, path: string): Promise<Response> {
  return fetch(`${s.ov.server.url}/openvidu/api/${path}`, { headers: { Authorization: basic } });
}

/** The token in the shape `joinOpenVidu` takes (it only reads the token and the session id). */
function asJoin(r: PrecheckTokenResponse, token: string): TokenResponse {
  return {
    token,
    consultId: r.precheckId,
    connectionId: '',
    role: 'patient',
    expiresAt: r.expiresAt,
  };
}

void describe('POST /api/precheck', () => {
  let s: Stack;
  before(async () => {
    s = await startStack({
      precheck: { ttlSec: 4, anonymousRateLimit: { capacity: 2, refillPerSecond: 0.001 } },
    });
  });
  after(() => s.close());

  void test('gives a caller without an access token two tokens of one session that both join', async () => {
    const r = await s.call('POST', '/api/precheck', { body: {} });
    assert.equal(r.status, 200, r.text);
    const body = r.json as PrecheckTokenResponse;
    assert.match(body.precheckId, /^precheck_[0-9a-f]{32}$/);
    assert.notEqual(body.publisherToken, body.subscriberToken);
    assert.ok(Date.parse(body.expiresAt) > Date.now());
    const a = await joinOpenVidu(s.ov.server, asJoin(body, body.publisherToken));
    const b = await joinOpenVidu(s.ov.server, asJoin(body, body.subscriberToken));
    const session = (await (await ovGet(s, `sessions/${body.precheckId}`)).json()) as {
      connections: { content: { record: boolean; status: string }[] };
    };
    assert.deepEqual(
      session.connections.content.map((c) => [c.status, c.record]),
      [
        ['active', false],
        ['active', false],
      ],
    );
    a.close();
    b.close();
    // No consultation: nothing in the consult table, the entry sits in the precheck chain only.
    assert.equal(await s.ts.server.store().getConsult(body.precheckId), undefined);
    const audit = await s.ts.server.store().auditTrail.chain(PRECHECK_AUDIT_CHAIN);
    const entry = audit.find((e) => JSON.stringify(e.details).includes(body.precheckId));
    assert.equal(entry?.action, 'precheck.started');
    assert.equal(entry?.actorId, 'anonymous');
  });

  void test('closes the session after its lifetime', async () => {
    const r = await s.call('POST', '/api/precheck', { token: await patient(7), body: {} });
    assert.equal(r.status, 200, r.text);
    const { precheckId } = r.json as PrecheckTokenResponse;
    assert.equal((await ovGet(s, `sessions/${precheckId}`)).status, 200);
    await waitFor(
      'the test session to close',
      async () => (await ovGet(s, `sessions/${precheckId}`)).status === 404,
      15_000,
    );
  });

  void test('records a signed-in caller by id', async () => {
    const r = await s.call('POST', '/api/precheck', { token: await patient(8), body: {} });
    assert.equal(r.status, 200, r.text);
    const { precheckId } = r.json as PrecheckTokenResponse;
    const audit = await s.ts.server.store().auditTrail.chain(PRECHECK_AUDIT_CHAIN);
    const entry = audit.find((e) => JSON.stringify(e.details).includes(precheckId));
    assert.equal(entry?.actorId, 'pat-8');
  });

  void test('answers 401 to an invalid access token rather than treating it as anonymous', async () => {
    const r = await s.call('POST', '/api/precheck', { token: 'not-a-jwt', body: {} });
    assert.equal(r.status, 401, r.text);
    assert.equal((r.json as { error: { code: string } }).error.code, 'unauthorized');
  });

  void test('answers 400 to an unknown body field', async () => {
    const r = await s.call('POST', '/api/precheck', { token: await patient(9), body: { x: 1 } });
    assert.equal(r.status, 400, r.text);
  });

  void test('limits callers without an access token per IP (429, Retry-After)', async () => {
    // The first test above used one of the two anonymous tests in the burst.
    const second = await s.call('POST', '/api/precheck', { body: {} });
    assert.equal(second.status, 200, second.text);
    const third = await s.call('POST', '/api/precheck', { body: {} });
    assert.equal(third.status, 429, third.text);
    assert.equal((third.json as { error: { code: string } }).error.code, 'rate-limited');
    assert.ok(Number(third.headers.get('retry-after')) >= 1);
    // Signed-in callers have their own budget.
    const signed = await s.call('POST', '/api/precheck', { token: await patient(10), body: {} });
    assert.equal(signed.status, 200, signed.text);
  });
});

void describe('POST /api/precheck configured', () => {
  void test('requires an access token with anonymous: false', async () => {
    const s = await startStack({ precheck: { anonymous: false } });
    try {
      const r = await s.call('POST', '/api/precheck', { body: {} });
      assert.equal(r.status, 401, r.text);
      const ok = await s.call('POST', '/api/precheck', { token: await patient(1), body: {} });
      assert.equal(ok.status, 200, ok.text);
    } finally {
      await s.close();
    }
  });

  void test('has no route with precheck: false', async () => {
    const s = await startStack({ precheck: false, noMediaServer: true });
    try {
      const r = await s.call('POST', '/api/precheck', { body: {} });
      assert.equal(r.status, 404, r.text);
    } finally {
      await s.close();
    }
  });

  void test('answers 503 when the media server is unreachable, and leaves no session behind', async () => {
    const s = await startStack({ noMediaServer: true });
    try {
      const r = await s.call('POST', '/api/precheck', { body: {} });
      assert.equal(r.status, 503, r.text);
      assert.equal((r.json as { error: { code: string } }).error.code, 'openvidu-unavailable');
    } finally {
      await s.close();
    }
  });
});
