import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import type { LoginResponse } from '../../src/contract.js';
import { roleFromClaims, roleFromFhirUser } from './auth.js';
import type { Stack } from './test-support.js';
import { AUDIENCE, ISSUER, asToken, doctor, jwt, patient, startStack } from './test-support.js';

describe('role mapping', () => {
  test('SMART fhirUser maps Practitioner/Patient/RelatedPerson', () => {
    assert.equal(roleFromFhirUser('Practitioner/123'), 'provider');
    assert.equal(roleFromFhirUser('https://fhir.example.org/r4/Practitioner/abc'), 'provider');
    assert.equal(roleFromFhirUser('Patient/9'), 'patient');
    assert.equal(roleFromFhirUser('RelatedPerson/7'), 'guest');
    assert.equal(roleFromFhirUser('Device/1'), undefined);
    assert.equal(roleFromFhirUser(42), undefined);
  });
  test('role claim wins, roleMap translates, unknown roles fall back to fhirUser', () => {
    assert.equal(roleFromClaims({ role: 'patient', fhirUser: 'Practitioner/1' }), 'patient');
    assert.equal(
      roleFromClaims({ role: 'doctor' }, { roleMap: { doctor: 'provider' } }),
      'provider',
    );
    assert.equal(roleFromClaims({ roles: ['x', 'guest'] }, { roleClaim: 'roles' }), 'guest');
    assert.equal(roleFromClaims({ role: 'admin', fhirUser: 'Patient/1' }), 'patient');
    assert.equal(roleFromClaims({ role: 'admin' }), undefined);
  });
});

describe('401/403 matrix (HS256 shared secret)', () => {
  let s: Stack;
  before(async () => {
    s = await startStack({
      authorize: (_user, consultId) => !consultId.startsWith('forbidden-'),
    });
  });
  after(() => s.close());

  const tokenPath = '/api/consults/c-auth/token';

  test('no token → 401 unauthorized', async () => {
    const r = await s.call('POST', tokenPath, { body: {} });
    assert.equal(r.status, 401);
    assert.equal((r.json as { error: { code: string } }).error.code, 'unauthorized');
  });

  test('bad signature → 401', async () => {
    const t = await jwt(
      { sub: 'x', role: 'provider' },
      { secret: 'another-secret-entirely-000000' },
    );
    assert.equal((await s.call('POST', tokenPath, { token: t, body: {} })).status, 401);
  });

  test('alg none → 401', async () => {
    const t = new UnsecuredJWT({ sub: 'x', role: 'provider' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .encode();
    assert.equal((await s.call('POST', tokenPath, { token: t, body: {} })).status, 401);
  });

  test('expired → 401', async () => {
    const t = await jwt(
      { sub: 'x', role: 'provider' },
      { expiresIn: Math.floor(Date.now() / 1000) - 3600 },
    );
    assert.equal((await s.call('POST', tokenPath, { token: t, body: {} })).status, 401);
  });

  test('wrong issuer / wrong audience → 401', async () => {
    const a = await jwt({ sub: 'x', role: 'provider' }, { issuer: 'https://evil.test' });
    const b = await jwt({ sub: 'x', role: 'provider' }, { audience: 'someone-else' });
    assert.equal((await s.call('POST', tokenPath, { token: a, body: {} })).status, 401);
    assert.equal((await s.call('POST', tokenPath, { token: b, body: {} })).status, 401);
  });

  test('a token without a usable role → 401', async () => {
    const t = await jwt({ sub: 'x', role: 'admin' });
    assert.equal((await s.call('POST', tokenPath, { token: t, body: {} })).status, 401);
  });

  test('malformed Authorization headers → 401', async () => {
    for (const h of ['Bearer', 'Basic abc', 'Bearer a.b', 'Bearer ' + 'x'.repeat(5000)]) {
      const r = await s.call('POST', tokenPath, { headers: { Authorization: h }, body: {} });
      assert.equal(r.status, 401, h.slice(0, 20));
    }
  });

  test('patient on provider-only endpoints → 403 forbidden', async () => {
    const p = await patient(1);
    await s.call('POST', tokenPath, { token: p, body: {} }); // creates the consult (waiting room)
    for (const [method, path] of [
      ['GET', '/api/consults/c-auth/lobby'],
      ['POST', '/api/consults/c-auth/lobby/pat-1/admit'],
      ['POST', '/api/consults/c-auth/lobby/pat-1/deny'],
      ['POST', '/api/consults/c-auth/recordings'],
      ['POST', '/api/consults/c-auth/recordings/c-auth/stop'],
      ['DELETE', '/api/consults/c-auth/recordings/c-auth'],
      ['GET', '/api/consults/c-auth/recordings/c-auth/download'],
      ['GET', '/api/consults/c-auth/audit'],
      ['POST', '/api/consults/c-auth/end'],
    ] as const) {
      const r = await s.call(method, path, {
        token: p,
        ...(method === 'POST' ? { body: {} } : {}),
      });
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
      assert.equal((r.json as { error: { code: string } }).error.code, 'forbidden');
    }
  });

  test('authorize hook says no → 403 on every consult endpoint', async () => {
    const d = await doctor();
    for (const [method, path] of [
      ['POST', '/api/consults/forbidden-1/token'],
      ['GET', '/api/consults/forbidden-1/events'],
      ['GET', '/api/consults/forbidden-1/lobby'],
      ['GET', '/api/consults/forbidden-1/messages'],
      ['GET', '/api/consults/forbidden-1/recordings'],
      ['POST', '/api/consults/forbidden-1/recording-consent'],
    ] as const) {
      const body = path.endsWith('consent') ? { granted: true } : {};
      const r = await s.call(method, path, { token: d, ...(method === 'POST' ? { body } : {}) });
      assert.equal(r.status, 403, `${method} ${path}`);
    }
  });

  test('unknown consult on provider endpoints → 404 consult-not-found', async () => {
    const r = await s.call('GET', '/api/consults/never-seen/lobby', { token: await doctor() });
    assert.equal(r.status, 404);
    assert.equal((r.json as { error: { code: string } }).error.code, 'consult-not-found');
  });

  test('a valid provider token gets an OpenVidu token', async () => {
    const r = await s.call('POST', tokenPath, { token: await doctor(), body: {} });
    assert.equal(r.status, 200, r.text);
    const t = asToken(r.json);
    assert.equal(t.role, 'provider');
    assert.equal(t.userId, 'dr-1');
    assert.equal(t.displayName, 'Dr. One');
  });
});

describe('JWKS verification (local JWKS on 127.0.0.1) and SMART fhirUser', () => {
  let s: Stack;
  let jwks: ReturnType<typeof createServer>;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  const kid = 'test-key-1';

  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const pub = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ keys: [pub] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
    const port = (jwks.address() as AddressInfo).port;
    s = await startStack({
      auth: {
        jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        issuer: 'https://ehr.test',
        audience: 'consult-kit',
      },
      waitingRoom: false,
    });
  });
  after(async () => {
    await s.close();
    await new Promise<void>((r) => jwks.close(() => r()));
  });

  const sign = (claims: Record<string, unknown>, key = privateKey, iss = 'https://ehr.test') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(String(claims['sub'] ?? 'u'))
      .setIssuer(iss)
      .setAudience('consult-kit')
      .setExpirationTime('5m')
      .sign(key);

  test('fhirUser Practitioner → provider (MODERATOR), Patient → patient, RelatedPerson → guest', async () => {
    const cases = [
      ['Practitioner/p1', 'provider'],
      ['Patient/x9', 'patient'],
      ['RelatedPerson/r2', 'guest'],
    ] as const;
    for (const [fhirUser, role] of cases) {
      const t = await sign({ sub: fhirUser.replace('/', '-'), fhirUser, name: 'Someone' });
      const r = await s.call('POST', '/api/consults/c-jwks/token', { token: t, body: {} });
      assert.equal(r.status, 200, r.text);
      assert.equal(asToken(r.json).role, role);
    }
  });

  test('a token signed by a key not in the JWKS → 401; wrong issuer → 401', async () => {
    const a = await sign({ sub: 'u', role: 'provider' }, otherKey);
    const b = await sign({ sub: 'u', role: 'provider' }, privateKey, 'https://other.test');
    assert.equal(
      (await s.call('POST', '/api/consults/c-jwks/token', { token: a, body: {} })).status,
      401,
    );
    assert.equal(
      (await s.call('POST', '/api/consults/c-jwks/token', { token: b, body: {} })).status,
      401,
    );
  });

  test('HS256 tokens are refused when a JWKS is configured (no algorithm confusion)', async () => {
    const t = await jwt({ sub: 'u', role: 'provider' }, { issuer: 'https://ehr.test' });
    assert.equal(
      (await s.call('POST', '/api/consults/c-jwks/token', { token: t, body: {} })).status,
      401,
    );
  });
});

describe('demo mode and the authenticate hook', () => {
  test('demo login issues HS256 tokens for doctor/patient; wrong password → 401', async () => {
    const s = await startStack({ demo: true, auth: undefined });
    try {
      const bad = await s.call('POST', '/api/auth/login', {
        body: { username: 'doctor', password: 'nope' },
      });
      assert.equal(bad.status, 401);
      const ok = await s.call('POST', '/api/auth/login', {
        body: { username: 'doctor', password: 'doctor123' },
      });
      assert.equal(ok.status, 200);
      const login = ok.json as LoginResponse;
      assert.deepEqual(login.user, { id: 'doctor', displayName: 'Dr. Demo', role: 'provider' });
      const t = await s.call('POST', '/api/consults/demo-1/token', {
        token: login.accessToken,
        body: {},
      });
      assert.equal(t.status, 200, t.text);
      assert.equal(asToken(t.json).displayName, 'Dr. Demo');
      const p = await s.call('POST', '/api/auth/login', {
        body: { username: 'patient', password: 'patient123' },
      });
      assert.equal((p.json as LoginResponse).user.role, 'patient');
    } finally {
      await s.close();
    }
  });

  test('demo is off in production unless enabled; login then 404', async () => {
    const s = await startStack({
      demo: undefined,
      env: { NODE_ENV: 'production', OPENVIDU_SECRET: 'x' },
    });
    try {
      const r = await s.call('POST', '/api/auth/login', {
        body: { username: 'doctor', password: 'doctor123' },
      });
      assert.equal(r.status, 404);
    } finally {
      await s.close();
    }
  });

  test('custom authenticate hook', async () => {
    const s = await startStack({
      auth: undefined,
      authenticate: (req) =>
        req.headers.get('x-user') === 'nurse'
          ? { id: 'nurse-1', displayName: 'Nurse', role: 'provider' }
          : null,
    });
    try {
      const ok = await s.call('POST', '/api/consults/hook-1/token', {
        headers: { 'x-user': 'nurse' },
        body: {},
      });
      assert.equal(ok.status, 200, ok.text);
      const no = await s.call('POST', '/api/consults/hook-1/token', { body: {} });
      assert.equal(no.status, 401);
    } finally {
      await s.close();
    }
  });
});
