import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsultError } from './errors.js';
import { redeemInvite } from './invites.js';
import { jsonResponse } from './testing/fake-fetch.js';
import { createFakePlatform } from './testing/fake-platform.js';

const REDEEMED = {
  consultId: 'c1',
  accessToken: 'ckg_abc',
  expiresAt: '2030-01-01T00:00:00Z',
  user: { id: 'invite:inv_1', displayName: 'Ana', role: 'guest' },
};

describe('redeemInvite', () => {
  it('should POST the secret to {api}/invites/redeem without a bearer and resolve the credential', async () => {
    const { platform, server } = createFakePlatform();
    server.on('POST', '/api/invites/redeem', () => jsonResponse(REDEEMED));
    const r = await redeemInvite({ apiUrl: 'https://portal.test/api/', secret: 'cki_s', platform });
    assert.deepEqual(r, REDEEMED);
    const [request] = server.requestsTo('/api/invites/redeem', 'POST');
    assert.deepEqual(request?.body, { secret: 'cki_s' });
    assert.equal(request?.headers.authorization, undefined);
  });

  it('should reject used, expired, revoked and unknown invites with invite-invalid and the reason', async () => {
    for (const [status, code, reason] of [
      [410, 'invite-used', 'used'],
      [410, 'invite-expired', 'expired'],
      [410, 'invite-revoked', 'revoked'],
      [404, 'invite-not-found', 'not-found'],
    ] as const) {
      const { platform, server } = createFakePlatform();
      server.on('POST', '/api/invites/redeem', () =>
        jsonResponse({ error: { code, message: 'm', details: { reason } } }, status),
      );
      const error = await redeemInvite({ apiUrl: '/api', secret: 's', platform }).catch(
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConsultError);
      assert.equal(error.code, 'invite-invalid', code);
      assert.equal(error.recoverable, false);
      assert.deepEqual(error.details, { reason });
    }
  });

  it('should reject an answer without a credential with invalid-response, and a blank secret with TypeError', async () => {
    const { platform, server } = createFakePlatform();
    server.on('POST', '/api/invites/redeem', () => jsonResponse({}));
    await assert.rejects(
      redeemInvite({ apiUrl: '/api', secret: 's', platform }),
      (e: ConsultError) => e.code === 'invalid-response',
    );
    await assert.rejects(redeemInvite({ apiUrl: '/api', secret: '', platform }), TypeError);
  });
});
