/**
 * Invited guests: a provider creates, lists and revokes invites; the guest redeems the secret once
 * for a credential bound to that consult, waits, is admitted as `guest` under the provider's
 * name, consents, is removed and cannot come back; used, expired, revoked and unknown invites fail
 * with their codes; secrets are stored hashed and never logged; every step is audited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  ConsentState,
  CreateInviteResponse,
  InviteInfo,
  InviteRedemption,
  LobbyEntry,
  TokenResponse,
} from '../../src/contract.js';
import type { Stack } from './test-support.js';
import {
  SseReader,
  asToken,
  auditEntriesOf,
  doctor,
  joinWith,
  patient,
  startStack,
} from './test-support.js';

let s: Stack;
let dr: string;
before(async () => {
  s = await startStack({ heartbeatMs: 200 });
  dr = await doctor();
});
after(() => s.close());

const code = (json: unknown): string => (json as { error: { code: string } }).error.code;

async function invite(consultId: string, body: unknown = { displayName: 'Ana (interpreter)' }) {
  const r = await s.call('POST', `/api/consults/${consultId}/invites`, { token: dr, body });
  assert.equal(r.status, 201, r.text);
  return r.json as CreateInviteResponse;
}

async function redeem(secret: string) {
  return s.call('POST', '/api/invites/redeem', { body: { secret } });
}

describe('invited guests', () => {
  test('a guest redeems once, waits under the given name, is admitted as guest, consents, is removed and cannot come back', async () => {
    const id = 'inv-flow';
    const drToken = await s.call('POST', `/api/consults/${id}/token`, { token: dr, body: {} });
    const drRpc = await joinWith(s, asToken(drToken.json));
    const { invite: created, secret } = await invite(id);
    assert.equal(created.status, 'active');
    assert.equal(created.role, 'guest');
    assert.match(secret, /^cki_/);

    const r = await redeem(secret);
    assert.equal(r.status, 200, r.text);
    const guest = r.json as InviteRedemption;
    assert.equal(guest.consultId, id);
    assert.deepEqual(guest.user, {
      id: `invite:${created.inviteId}`,
      displayName: 'Ana (interpreter)',
      role: 'guest',
    });
    const g = guest.accessToken;

    // The guest waits like a patient; the name they ask for does not replace the provider's.
    const wait = await s.call('POST', `/api/consults/${id}/token`, {
      token: g,
      body: { displayName: 'Someone else', deviceCheck: { camera: 'ok', microphone: 'ok' } },
    });
    assert.equal(wait.status, 202, wait.text);
    const lobby = await s.call('GET', `/api/consults/${id}/lobby`, { token: dr });
    const entry = (lobby.json as { waiting: LobbyEntry[] }).waiting[0];
    assert.deepEqual(
      [entry?.userId, entry?.displayName, entry?.role],
      [guest.user.id, 'Ana (interpreter)', 'guest'],
    );
    const events = await SseReader.open(`${s.ts.url}/api/consults/${id}/events`, {
      Authorization: `Bearer ${g}`,
    });
    const admit = await s.call(
      'POST',
      `/api/consults/${id}/lobby/${encodeURIComponent(guest.user.id)}/admit`,
      { token: dr, body: {} },
    );
    assert.equal(admit.status, 200, admit.text);
    await events.next('admitted');
    const tok = await s.call('POST', `/api/consults/${id}/token`, { token: g, body: {} });
    assert.equal(tok.status, 200, tok.text);
    assert.equal((tok.json as TokenResponse).role, 'guest');
    const rpc = await joinWith(s, asToken(tok.json));

    // Consent is asked of the guest like of everyone.
    const consent = await s.call('POST', `/api/consults/${id}/recording-consent`, {
      token: g,
      body: { granted: true },
    });
    assert.equal(consent.status, 200, consent.text);
    const state = consent.json as ConsentState;
    assert.ok(state.entries.some((e) => e.userId === guest.user.id && e.granted === true));

    // Removed: no token any more, and the used link cannot be redeemed again.
    const remove = await s.call(
      'POST',
      `/api/consults/${id}/participants/${encodeURIComponent(guest.user.id)}/remove`,
      { token: dr, body: {} },
    );
    assert.equal(remove.status, 200, remove.text);
    await events.next('denied');
    const again = await s.call('POST', `/api/consults/${id}/token`, { token: g, body: {} });
    assert.equal(again.status, 403, again.text);
    assert.equal(code(again.json), 'admission-denied');
    const reuse = await redeem(secret);
    assert.equal(reuse.status, 410, reuse.text);
    assert.equal(code(reuse.json), 'invite-used');

    const actions = (await auditEntriesOf(s, id, dr)).map((e) => e.action);
    for (const a of [
      'invite.created',
      'invite.redeemed',
      'lobby.entered',
      'lobby.admitted',
      'participant.removed',
      'invite.rejected',
    ])
      assert.ok(actions.includes(a), `${a} in ${actions.join()}`);
    events.close();
    rpc.close();
    drRpc.close();
  });

  test('a guest credential works in its own consult only, and for no provider action', async () => {
    const { secret } = await invite('inv-bound');
    const g = ((await redeem(secret)).json as InviteRedemption).accessToken;
    const other = await s.call('POST', '/api/consults/inv-elsewhere/token', { token: g, body: {} });
    assert.equal(other.status, 403, other.text);
    assert.equal(code(other.json), 'forbidden');
    for (const [method, path] of [
      ['GET', '/api/consults/inv-bound/lobby'],
      ['POST', '/api/consults/inv-bound/invites'],
      ['GET', '/api/queue'],
      ['GET', '/api/consults/inv-bound/audit'],
    ] as const) {
      const r = await s.call(method, path, {
        token: g,
        ...(method === 'POST' ? { body: { displayName: 'x' } } : {}),
      });
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    }
    const forged = await s.call('POST', '/api/consults/inv-bound/token', {
      token: 'ckg_not-a-real-credential',
      body: {},
    });
    assert.equal(forged.status, 401);
  });

  test('only providers create, list and revoke invites', async () => {
    const p = await patient(1);
    const r = await s.call('POST', '/api/consults/inv-roles/invites', {
      token: p,
      body: { displayName: 'x' },
    });
    assert.equal(r.status, 403, r.text);
    assert.equal(
      (await s.call('GET', '/api/consults/inv-roles/invites', { token: p })).status,
      403,
    );
    assert.equal((await s.call('GET', '/api/consults/inv-roles/invites')).status, 401);
  });

  test('lists invites with their status and never the secret; revoking ends the guest session', async () => {
    const id = 'inv-list';
    const a = await invite(id, { displayName: 'Family member', expiresInSec: 3600 });
    const b = await invite(id, { displayName: 'Second opinion' });
    const g = ((await redeem(a.secret)).json as InviteRedemption).accessToken;
    const list = await s.call('GET', `/api/consults/${id}/invites`, { token: dr });
    assert.equal(list.status, 200, list.text);
    assert.ok(!list.text.includes(a.secret) && !list.text.includes(b.secret));
    const invites = (list.json as { invites: InviteInfo[] }).invites;
    assert.deepEqual(
      invites.map((i) => [i.displayName, i.status]),
      [
        ['Family member', 'used'],
        ['Second opinion', 'active'],
      ],
    );
    const revoke = await s.call('DELETE', `/api/consults/${id}/invites/${a.invite.inviteId}`, {
      token: dr,
    });
    assert.equal(revoke.status, 200, revoke.text);
    assert.equal((revoke.json as InviteInfo).status, 'revoked');
    const after = await s.call('POST', `/api/consults/${id}/token`, { token: g, body: {} });
    assert.equal(after.status, 401, after.text);
    await s.call('DELETE', `/api/consults/${id}/invites/${b.invite.inviteId}`, { token: dr });
    const revoked = await redeem(b.secret);
    assert.equal(revoked.status, 410);
    assert.equal(code(revoked.json), 'invite-revoked');
    const missing = await s.call('DELETE', `/api/consults/${id}/invites/inv_doesnotexist00`, {
      token: dr,
    });
    assert.equal(missing.status, 404);
    assert.equal(code(missing.json), 'invite-not-found');
    const actions = (await auditEntriesOf(s, id, dr)).map((e) => e.action);
    assert.equal(actions.filter((x) => x === 'invite.revoked').length, 2);
  });

  test('expired and unknown invites fail with their codes', async () => {
    const { invite: inv, secret } = await invite('inv-expiry');
    await s.ts.server
      .store()
      .db.query("update invites set expires_at = now() - interval '1 second' where id = $1", [
        inv.inviteId,
      ]);
    const expired = await redeem(secret);
    assert.equal(expired.status, 410);
    assert.equal(code(expired.json), 'invite-expired');
    const unknown = await redeem('cki_nothing');
    assert.equal(unknown.status, 404);
    assert.equal(code(unknown.json), 'invite-not-found');
    const bad = await s.call('POST', '/api/consults/inv-expiry/invites', {
      token: dr,
      body: { displayName: 'x', expiresInSec: 30 * 24 * 3600 },
    });
    assert.equal(bad.status, 400);
  });

  test('stores invite secrets and guest credentials only hashed and never logs them', async () => {
    const { secret } = await invite('inv-hash');
    const g = ((await redeem(secret)).json as InviteRedemption).accessToken;
    await s.call('POST', '/api/consults/inv-hash/token', { token: g, body: {} });
    const db = s.ts.server.store().db;
    const dump = JSON.stringify([
      (await db.query('select * from invites')).rows,
      (await db.query('select * from guest_sessions')).rows,
      (await db.query('select * from audit')).rows,
    ]);
    for (const secretText of [secret, g]) {
      assert.ok(!dump.includes(secretText), 'secret in the database');
      assert.ok(!s.logs.lines.some((l) => l.includes(secretText)), 'secret in the logs');
    }
  });
});
