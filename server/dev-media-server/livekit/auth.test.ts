import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { AccessToken } from 'livekit-server-sdk';
import { LiveKitAuthError, verifyJoinToken } from './auth.js';

const credentials = { apiKey: 'devkey', apiSecret: 'secret' };

async function token(
  grant: Record<string, unknown>,
  options: { key?: string; secret?: string; ttl?: string } = {},
): Promise<string> {
  const at = new AccessToken(options.key ?? 'devkey', options.secret ?? 'secret', {
    identity: 'alice',
    name: 'Alice',
    metadata: '{"role":"provider"}',
    attributes: { lang: 'en' },
    ...(options.ttl ? { ttl: options.ttl } : {}),
  });
  at.addGrant(grant);
  return at.toJwt();
}

void describe('verifyJoinToken', () => {
  void it('reads identity, name, metadata, attributes and the grant (defaults as LiveKit)', async () => {
    const grant = await verifyJoinToken(
      await token({ roomJoin: true, room: 'r1', canPublishData: false }),
      credentials,
    );
    assert.deepEqual(grant, {
      identity: 'alice',
      room: 'r1',
      name: 'Alice',
      metadata: '{"role":"provider"}',
      attributes: { lang: 'en' },
      canPublish: true,
      canSubscribe: true,
      canPublishData: false,
      canUpdateOwnMetadata: false,
      hidden: false,
      recorder: false,
    });
  });

  void it('refuses a wrong secret, a wrong key, no roomJoin, no room, an expired token and junk', async () => {
    const cases: [Promise<string>, RegExp][] = [
      [token({ roomJoin: true, room: 'r' }, { secret: 'other' }), /invalid token/],
      [token({ roomJoin: true, room: 'r' }, { key: 'otherkey' }), /unknown API key/],
      [token({ room: 'r', canPublish: true }), /no roomJoin grant/],
      [token({ roomJoin: true }), /no room in the grant/],
      [Promise.resolve('not.a.jwt'), /invalid token/],
      [Promise.resolve(''), /no access token/],
    ];
    for (const [pending, reason] of cases) {
      await assert.rejects(verifyJoinToken(await pending, credentials), (error: unknown) => {
        assert.ok(error instanceof LiveKitAuthError);
        assert.equal(error.status, 401);
        assert.match(error.message, reason);
        return true;
      });
    }
    const expired = await new SignJWT({ video: { roomJoin: true, room: 'r' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('devkey')
      .setSubject('alice')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode('secret'));
    await assert.rejects(verifyJoinToken(expired, credentials), /token is expired/);
  });

  void it('refuses another algorithm than HS256', async () => {
    const hs512 = await new SignJWT({ video: { roomJoin: true, room: 'r' } })
      .setProtectedHeader({ alg: 'HS512' })
      .setIssuer('devkey')
      .setSubject('alice')
      .sign(new TextEncoder().encode('secret'));
    await assert.rejects(verifyJoinToken(hs512, credentials), /invalid token/);
  });
});
