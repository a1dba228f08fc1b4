import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import type { LoginResponse } from '../../src/contract.js';
import { createTokenServer } from './app.js';
import { roleFromClaims, roleFromFhirUser } from './auth.js';
import { silentLogger } from './logger.js';
import type { Stack } from './test-support.js';
import {
  AUDIENCE,
  ISSUER,
  JWT_SECRET,
  asToken,
  doctor,
  jwt,
  patient,
  startStack,
} from './test-support.js';

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

describe('identity and token hygiene', () => {
  const OTHER_ISSUER = 'https://second-portal.test';
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (
    claims: Record<string, unknown>,
    set: (j: SignJWT) => SignJWT = (j) => j.setExpirationTime('1h'),
  ) =>
    set(
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(),
    ).sign(new TextEncoder().encode(JWT_SECRET));

  test('the same sub from two issuers is two users (admission does not carry over)', async () => {
    const s = await startStack({
      auth: { secret: JWT_SECRET, issuer: [ISSUER, OTHER_ISSUER], audience: AUDIENCE },
    });
    try {
      const path = '/api/consults/c-iss/token';
      const a = await jwt({ sub: 'pat-x', role: 'patient', name: 'Pat A' });
      const b = await jwt(
        { sub: 'pat-x', role: 'patient', name: 'Pat B' },
        { issuer: OTHER_ISSUER },
      );
      assert.equal((await s.call('POST', path, { token: a, body: {} })).status, 202);
      const d = await doctor();
      const lobby = await s.call('GET', '/api/consults/c-iss/lobby', { token: d });
      const waiting = (lobby.json as { waiting: { userId: string }[] }).waiting;
      assert.equal(waiting.length, 1);
      const keyA = waiting[0]?.userId as string;
      assert.match(keyA, /^[0-9a-f]{12}:pat-x$/);
      const admit = await s.call('POST', `/api/consults/c-iss/lobby/${keyA}/admit`, {
        token: d,
        body: {},
      });
      assert.equal(admit.status, 200, admit.text);
      const tokenA = await s.call('POST', path, { token: a, body: {} });
      assert.equal(tokenA.status, 200, tokenA.text);
      assert.equal(asToken(tokenA.json).userId, keyA);
      // Issuer B's pat-x is someone else: still waiting, under another key.
      const tokenB = await s.call('POST', path, { token: b, body: {} });
      assert.equal(tokenB.status, 202, tokenB.text);
      const after = await s.call('GET', '/api/consults/c-iss/lobby', { token: d });
      const keys = (after.json as { waiting: { userId: string }[] }).waiting.map((w) => w.userId);
      assert.equal(keys.length, 1);
      assert.notEqual(keys[0], keyA);
      assert.match(keys[0] as string, /:pat-x$/);
    } finally {
      await s.close();
    }
  });

  test('exp is required, and lifetimes over AUTH_MAX_TOKEN_AGE (default 24 h) are refused', async () => {
    const s = await startStack({ waitingRoom: false, noMediaServer: true });
    const code = async (t: string) =>
      (await s.call('GET', '/api/consults/c-exp/lobby', { token: t })).status;
    try {
      const claims = { sub: 'dr-e', role: 'provider' };
      assert.equal(await code(await sign(claims, (j) => j)), 401, 'no exp');
      assert.equal(
        await code(await sign(claims, (j) => j.setExpirationTime(now() + 25 * 3600))),
        401,
        'exp - iat = 25 h',
      );
      assert.equal(
        await code(
          await new SignJWT(claims)
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuer(ISSUER)
            .setAudience(AUDIENCE)
            .setExpirationTime(now() + 48 * 3600)
            .sign(new TextEncoder().encode(JWT_SECRET)),
        ),
        401,
        'no iat, exp 48 h ahead',
      );
      assert.equal(
        await code(await sign(claims, (j) => j.setExpirationTime(now() + 23 * 3600))),
        404,
        'a 23 h token is accepted (404: the consult does not exist)',
      );
    } finally {
      await s.close();
    }
    const short = await startStack({
      auth: undefined,
      env: {
        AUTH_JWT_SECRET: JWT_SECRET,
        AUTH_ISSUER: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_MAX_TOKEN_AGE: '10m',
      },
      noMediaServer: true,
    });
    try {
      const t = await sign({ sub: 'dr-e', role: 'provider' });
      assert.equal(
        (await short.call('GET', '/api/consults/c-exp/lobby', { token: t })).status,
        401,
        'a 1 h token over a 10 min cap',
      );
    } finally {
      await short.close();
    }
  });

  test('iss and aud are required when configured', async () => {
    const s = await startStack({ noMediaServer: true });
    try {
      const key = new TextEncoder().encode(JWT_SECRET);
      const base = () =>
        new SignJWT({ sub: 'dr-i', role: 'provider' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt()
          .setExpirationTime('1h');
      const noIss = await base().setAudience(AUDIENCE).sign(key);
      const noAud = await base().setIssuer(ISSUER).sign(key);
      for (const t of [noIss, noAud])
        assert.equal((await s.call('GET', '/api/consults/c-iss/lobby', { token: t })).status, 401);
    } finally {
      await s.close();
    }
  });

  test('HS256 secrets under 32 bytes fail at start, saying how to fix it', () => {
    const opts = { authorize: () => true, logger: silentLogger };
    assert.throws(
      () => createTokenServer({ ...opts, auth: { secret: 'short-secret' }, env: {} }),
      /AUTH_JWT_SECRET \(auth\.secret\) is 12 bytes; HS256 needs a secret of at least 32 bytes.*openssl rand/,
    );
    assert.throws(
      () => createTokenServer({ ...opts, env: { AUTH_JWT_SECRET: 'x'.repeat(31) } }),
      /is 31 bytes/,
    );
    assert.throws(
      () => createTokenServer({ logger: silentLogger, demo: { secret: 'demo' }, env: {} }),
      /CONSULT_KIT_DEMO_SECRET \(demo\.secret\) is 4 bytes/,
    );
    assert.throws(
      () =>
        createTokenServer({
          ...opts,
          env: { AUTH_JWT_SECRET: JWT_SECRET, AUTH_MAX_TOKEN_AGE: 'forever' },
        }),
      /AUTH_MAX_TOKEN_AGE must be a duration/,
    );
  });
});
