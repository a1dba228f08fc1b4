/**
 * A consultation's lifecycle against the embedded dev media server: nothing gets in after `/end`
 * (410 `consult-ended`), `/end` closes the OpenVidu session before it marks the consult ended (and
 * a retry after an OpenVidu failure finishes the job), and a provider can remove a participant
 * (admission revoked, OpenVidu connection evicted, no new token, with or without a waiting room).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEntry, TokenResponse } from '../../src/contract.js';
import { startTestServer } from '../dev-media-server/test-support.js';
import type { Stack } from './test-support.js';
import {
  OV_PLACEHOLDER,
  OV_SECRET,
  SseReader,
  WEBHOOK_SECRET,
  asToken,
  doctor,
  joinWith,
  patient,
  startStack,
  waitFor,
} from './test-support.js';

let s: Stack;
let dr: string;
before(async () => {
  s = await startStack({ heartbeatMs: 200 });
  dr = await doctor();
});
after(() => s.close());

const code = (r: { json: unknown }): string | undefined =>
  (r.json as { error?: { code?: string } } | undefined)?.error?.code;

const sse = (stack: Stack, consultId: string, token: string) =>
  SseReader.open(`${stack.ts.url}/api/consults/${consultId}/events`, {
    Authorization: `Bearer ${token}`,
  });

async function tokenFor(stack: Stack, consultId: string, token: string): Promise<TokenResponse> {
  const r = await stack.call('POST', `/api/consults/${consultId}/token`, { token, body: {} });
  assert.equal(r.status, 200, r.text);
  return asToken(r.json);
}

async function auditOf(stack: Stack, consultId: string): Promise<AuditEntry[]> {
  const r = await stack.call('GET', `/api/consults/${consultId}/audit`, { token: dr });
  assert.equal(r.status, 200, r.text);
  return (r.json as { entries: AuditEntry[] }).entries;
}

/** Whether the dev media server has the session (its REST API, like the token server asks). */
async function sessionExists(ovUrl: string, id: string): Promise<boolean> {
  const r = await fetch(`${ovUrl}/openvidu/api/sessions/${id}`, {
    headers: {
      Authorization: `Basic ${Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')}`,
    },
  });
  await r.body?.cancel();
  return r.status === 200;
}

/** A patient who waited, was admitted and joined the OpenVidu session. */
async function admittedPatient(stack: Stack, consultId: string, n: number) {
  const p = await patient(n);
  const w = await stack.call('POST', `/api/consults/${consultId}/token`, { token: p, body: {} });
  assert.equal(w.status, 202, w.text);
  const events = await sse(stack, consultId, p);
  const a = await stack.call('POST', `/api/consults/${consultId}/lobby/pat-${n}/admit`, {
    token: dr,
    body: {},
  });
  assert.equal(a.status, 200, a.text);
  await events.next('admitted');
  const token = await tokenFor(stack, consultId, p);
  const client = await joinWith(stack, token);
  return { p, token, client, events };
}

describe('after the end', () => {
  test('token, admit and events answer 410 consult-ended; a waiting patient never gets in', async () => {
    const id = 'life-end-1';
    const drTok = await tokenFor(s, id, dr);
    const drClient = await joinWith(s, drTok);
    const p = await patient(51);
    const w = await s.call('POST', `/api/consults/${id}/token`, { token: p, body: {} });
    assert.equal(w.status, 202, w.text);
    const end = await s.call('POST', `/api/consults/${id}/end`, { token: dr, body: {} });
    assert.equal(end.status, 200, end.text);
    assert.equal(await sessionExists(s.ov.server.url, id), false);

    const admit = await s.call('POST', `/api/consults/${id}/lobby/pat-51/admit`, {
      token: dr,
      body: {},
    });
    assert.equal(admit.status, 410, admit.text);
    assert.equal(code(admit), 'consult-ended');
    // Admitting did not re-create the OpenVidu session.
    assert.equal(await sessionExists(s.ov.server.url, id), false);

    for (const who of [p, dr]) {
      const t = await s.call('POST', `/api/consults/${id}/token`, { token: who, body: {} });
      assert.equal(t.status, 410, t.text);
      assert.equal(code(t), 'consult-ended');
    }
    const ev = await fetch(`${s.ts.url}/api/consults/${id}/events`, {
      headers: { Authorization: `Bearer ${p}` },
    });
    assert.equal(ev.status, 410);
    assert.equal(((await ev.json()) as { error: { code: string } }).error.code, 'consult-ended');
    const again = await s.call('POST', `/api/consults/${id}/end`, { token: dr, body: {} });
    assert.equal(again.status, 200, 'ending twice is harmless');
    drClient.close();
  });

  test('/end closes the OpenVidu session first: a failed close answers 503 and a retry ends it', async () => {
    let failCloses = 1;
    let ovUrl = 'http://127.0.0.1:1';
    const stack0 = await startStack({
      noMediaServer: true,
      fetch: (input, init) => {
        const url =
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        if (
          failCloses > 0 &&
          init?.method === 'DELETE' &&
          /\/openvidu\/api\/sessions\/[^/]+$/.test(url)
        ) {
          failCloses--;
          return Promise.resolve(new Response('boom', { status: 500 }));
        }
        return fetch(url.replace(OV_PLACEHOLDER, ovUrl), init);
      },
    });
    const ov = await startTestServer({
      secret: OV_SECRET,
      webhook: {
        url: `${stack0.ts.url}/api/openvidu/webhook`,
        headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
        retryBaseMs: 20,
      },
    });
    ovUrl = ov.server.url;
    const stack: Stack = {
      ts: stack0.ts,
      logs: stack0.logs,
      call: stack0.call,
      ov,
      close: async () => {
        await ov.close();
        await stack0.close();
      },
    };
    try {
      const id = 'life-end-2';
      const client = await joinWith(stack, await tokenFor(stack, id, dr));
      const first = await stack.call('POST', `/api/consults/${id}/end`, { token: dr, body: {} });
      assert.equal(first.status, 503, first.text);
      assert.equal(code(first), 'openvidu-unavailable');
      // Not marked ended: the provider still gets a token, nobody was told `ended`.
      assert.equal(
        (await stack.call('POST', `/api/consults/${id}/token`, { token: dr, body: {} })).status,
        200,
      );
      assert.ok(!(await auditOf(stack, id)).some((e) => e.action === 'consult.ended'));
      const retry = await stack.call('POST', `/api/consults/${id}/end`, { token: dr, body: {} });
      assert.equal(retry.status, 200, retry.text);
      assert.equal(await sessionExists(ov.server.url, id), false);
      const after = await stack.call('POST', `/api/consults/${id}/token`, { token: dr, body: {} });
      assert.equal(after.status, 410);
      assert.equal(
        (await auditOf(stack, id)).filter((e) => e.action === 'consult.ended').length,
        1,
      );
      client.close();
    } finally {
      await stack.close();
    }
  });
});

describe('removing a participant', () => {
  test('evicts the connection, tells the user, audits, and no new token is issued', async () => {
    const id = 'life-rm-1';
    const drClient = await joinWith(s, await tokenFor(s, id, dr));
    const pat = await admittedPatient(s, id, 61);
    await waitFor('patient joined', async () =>
      (await auditOf(s, id)).some(
        (e) => e.action === 'participant.joined' && e.actorId === 'pat-61',
      ),
    );
    const byPatient = await s.call('POST', `/api/consults/${id}/participants/dr-1/remove`, {
      token: pat.p,
      body: {},
    });
    assert.equal(byPatient.status, 403, 'patients cannot remove anyone');
    const provider = await s.call('POST', `/api/consults/${id}/participants/dr-1/remove`, {
      token: dr,
      body: {},
    });
    assert.equal(provider.status, 409, 'providers cannot be removed');

    const r = await s.call('POST', `/api/consults/${id}/participants/pat-61/remove`, {
      token: dr,
      body: {},
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { userId: 'pat-61', status: 'removed' });
    // OpenVidu evicted the connection (openvidu-browser sees forceDisconnectByServer).
    await waitFor('evicted', () =>
      pat.client.notifications.some(
        (n) =>
          n.method === 'participantEvicted' && n.params['connectionId'] === pat.token.connectionId,
      ),
    );
    const gone = pat.client.notifications.find((n) => n.method === 'participantEvicted');
    assert.equal(gone?.params['reason'], 'forceDisconnectByServer');
    await pat.events.next('denied', (d: { reason?: string }) => d.reason === 'removed');

    const t = await s.call('POST', `/api/consults/${id}/token`, { token: pat.p, body: {} });
    assert.equal(t.status, 403, t.text);
    assert.equal(code(t), 'admission-denied');
    const removed = (await auditOf(s, id)).find((e) => e.action === 'participant.removed');
    assert.equal(removed?.actorId, 'dr-1');
    assert.equal(removed?.subjectId, 'pat-61');
    // Removing again is harmless (and not audited twice).
    const twice = await s.call('POST', `/api/consults/${id}/participants/pat-61/remove`, {
      token: dr,
      body: {},
    });
    assert.equal(twice.status, 200);
    assert.equal(
      (await auditOf(s, id)).filter((e) => e.action === 'participant.removed').length,
      1,
    );
    pat.events.close();
    drClient.close();
  });

  test('a removal holds without a waiting room, and a waiting patient can be removed too', async () => {
    const stack = await startStack({ waitingRoom: false });
    try {
      const id = 'life-rm-2';
      const p = await patient(62);
      const client = await joinWith(stack, await tokenFor(stack, id, p));
      const r = await stack.call('POST', `/api/consults/${id}/participants/pat-62/remove`, {
        token: dr,
        body: {},
      });
      assert.equal(r.status, 200, r.text);
      await waitFor('evicted', () =>
        client.notifications.some((n) => n.method === 'participantEvicted'),
      );
      const t = await stack.call('POST', `/api/consults/${id}/token`, { token: p, body: {} });
      assert.equal(t.status, 403, t.text);
      assert.equal(code(t), 'admission-denied');
    } finally {
      await stack.close();
    }

    const id = 'life-rm-3';
    await tokenFor(s, id, dr);
    const p = await patient(63);
    const w = await s.call('POST', `/api/consults/${id}/token`, { token: p, body: {} });
    assert.equal(w.status, 202);
    const r = await s.call('POST', `/api/consults/${id}/participants/pat-63/remove`, {
      token: dr,
      body: {},
    });
    assert.equal(r.status, 200, r.text);
    const lobby = await s.call('GET', `/api/consults/${id}/lobby`, { token: dr });
    assert.deepEqual(lobby.json, { waiting: [] });
    const t = await s.call('POST', `/api/consults/${id}/token`, { token: p, body: {} });
    assert.equal(t.status, 403);
  });
});
