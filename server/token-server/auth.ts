/**
 * Authentication of the portal's access tokens (bearer JWTs) with jose: a JWKS URL (OIDC,
 * SMART-on-FHIR) or a shared HS256 secret, with issuer/audience checks and a role mapping; or a
 * custom `authenticate(request)` hook. Demo mode (an explicit choice, never combined with these) has
 * built-in users and signs their tokens with a per-process random secret.
 *
 * Token hygiene: `exp` is required and a token may live at most `maxTokenAgeSec` (default 24 h);
 * `iss`/`aud` are required when configured; shared secrets are at least 32 bytes. Users are keyed
 * by issuer + `sub` (see `userKey`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { SignJWT, createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { ParticipantRole } from '../../src/contract.js';

/** Who is calling, as the token server knows it. */
export interface AuthenticatedUser {
  /**
   * Stable user key, unique across issuers: the JWT `sub` when exactly one issuer is accepted,
   * else `<issuer tag>:<sub>` (see `userKey`). Stored rows, admissions and consents use it.
   */
  id: string;
  /** The JWT `sub` (JWT auth and demo). */
  subject?: string;
  /** The JWT `iss` (JWT auth and demo; absent when the token has none). */
  issuer?: string;
  displayName: string;
  role: ParticipantRole;
  /** The verified claims (JWT auth only). */
  claims?: JWTPayload;
}

/** A custom authenticator: return the user, or `null` for 401. Throwing also answers 401. */
export type Authenticate = (
  request: Request,
) => AuthenticatedUser | null | Promise<AuthenticatedUser | null>;

export interface JwtAuthOptions {
  /** JWKS endpoint (OIDC `jwks_uri`); asymmetric algorithms only. */
  jwksUrl?: string;
  /** Shared secret for HS256/384/512 tokens. */
  secret?: string;
  /** Required `iss` (strongly recommended). */
  issuer?: string | string[];
  /** Required `aud` (strongly recommended). */
  audience?: string | string[];
  /** Claim holding the role (default `role`); values outside provider/patient/guest go through `roleMap`. */
  roleClaim?: string;
  /** Maps portal role names onto ours, e.g. `{ doctor: 'provider', nurse: 'provider' }`. */
  roleMap?: Record<string, ParticipantRole>;
  /** Claim holding the display name (default `name`, then `preferred_username`, then `sub`). */
  nameClaim?: string;
  /** Accepted clock skew in seconds (default 30). */
  clockToleranceSec?: number;
  /**
   * Longest accepted token lifetime in seconds (default 86400 = 24 h; env `AUTH_MAX_TOKEN_AGE`,
   * e.g. `86400`, `24h`, `90m`): a token whose `exp - iat`, or whose `exp` from now, exceeds it is
   * refused. `exp` is always required.
   */
  maxTokenAgeSec?: number;
}

/** Default of `JwtAuthOptions.maxTokenAgeSec`: 24 hours. */
export const DEFAULT_MAX_TOKEN_AGE_SEC = 24 * 3600;
/** Shortest accepted shared secret (HS256 needs a key of at least its 256-bit output). */
export const MIN_SECRET_BYTES = 32;

/** Throws a start-up error naming `what` when `secret` is shorter than `MIN_SECRET_BYTES`. */
export function checkSecretLength(secret: string, what: string): void {
  const bytes = new TextEncoder().encode(secret).length;
  if (bytes < MIN_SECRET_BYTES)
    throw new Error(
      `${what} is ${bytes} bytes; HS256 needs a secret of at least ${MIN_SECRET_BYTES} bytes. ` +
        'Generate a random one (e.g. `openssl rand -base64 48`) and give the portal the same value.',
    );
}

/**
 * The user key for `sub` from issuer `iss`. When the verifier accepts exactly one issuer the key is
 * the `sub` itself (unique already; keeps stored data as it was). Otherwise it is
 * `<12 hex digits of SHA-256(iss)>:<sub>`, so the same `sub` from two issuers are two users.
 */
export function userKey(sub: string, iss: string | undefined, singleIssuer: boolean): string {
  if (singleIssuer) return sub;
  const tag = createHash('sha256')
    .update(iss ?? '')
    .digest('hex')
    .slice(0, 12);
  return `${tag}:${sub}`;
}

const ROLES: ReadonlySet<string> = new Set(['provider', 'patient', 'guest']);
const ASYMMETRIC = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const SYMMETRIC = ['HS256', 'HS384', 'HS512'];

/** SMART-on-FHIR `fhirUser` → role: Practitioner → provider, Patient → patient, RelatedPerson → guest. */
export function roleFromFhirUser(fhirUser: unknown): ParticipantRole | undefined {
  if (typeof fhirUser !== 'string') return undefined;
  // Either a relative reference (`Practitioner/123`) or an absolute URL ending in one.
  const m = /(?:^|\/)(Practitioner|PractitionerRole|Patient|RelatedPerson)\/[^/]+$/.exec(fhirUser);
  switch (m?.[1]) {
    case 'Practitioner':
    case 'PractitionerRole':
      return 'provider';
    case 'Patient':
      return 'patient';
    case 'RelatedPerson':
      return 'guest';
    default:
      return undefined;
  }
}

/** Role from the claims: the role claim (through `roleMap`), else SMART's `fhirUser`. */
export function roleFromClaims(
  claims: JWTPayload,
  options: Pick<JwtAuthOptions, 'roleClaim' | 'roleMap'> = {},
): ParticipantRole | undefined {
  const raw = claims[options.roleClaim ?? 'role'];
  const values = Array.isArray(raw) ? raw : [raw];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const mapped = options.roleMap?.[v];
    if (mapped) return mapped;
    if (ROLES.has(v)) return v as ParticipantRole;
  }
  return roleFromFhirUser(claims['fhirUser']);
}

function singleIssuer(issuer: string | string[] | undefined): boolean {
  return typeof issuer === 'string' || (Array.isArray(issuer) && issuer.length === 1);
}

function userFromClaims(
  claims: JWTPayload,
  options: JwtAuthOptions,
  oneIssuer: boolean,
): AuthenticatedUser | null {
  const role = roleFromClaims(claims, options);
  if (typeof claims.sub !== 'string' || claims.sub === '' || !role) return null;
  const id = userKey(claims.sub, claims.iss, oneIssuer);
  const nameClaim = options.nameClaim ? claims[options.nameClaim] : undefined;
  const name = [nameClaim, claims['name'], claims['preferred_username']].find(
    (v): v is string => typeof v === 'string' && v.trim() !== '',
  );
  // Without a name the key stands in (the token endpoint then takes the requested display name).
  return {
    id,
    subject: claims.sub,
    ...(claims.iss !== undefined ? { issuer: claims.iss } : {}),
    displayName: (name ?? id).slice(0, 100),
    role,
    claims,
  };
}

/** Refuses tokens that live longer than `maxAgeSec` (by `exp - iat`, or by `exp` from now). */
function checkLifetime(claims: JWTPayload, maxAgeSec: number, toleranceSec: number): void {
  const exp = claims.exp as number;
  const now = Math.floor(Date.now() / 1000);
  const tooLong =
    exp - now > maxAgeSec + toleranceSec ||
    (typeof claims.iat === 'number' && exp - claims.iat > maxAgeSec);
  if (tooLong)
    throw Object.assign(new Error('token lifetime exceeds the maximum'), {
      code: 'ERR_TOKEN_TOO_LONG_LIVED',
    });
}

/** How long a verified access token is remembered at most (also never past its `exp`). */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
const MAX_VERIFIED_TOKENS = 10_000;

/**
 * Access tokens verified lately, so a client's next requests skip the signature check (an HMAC or
 * RSA/ECDSA verification through WebCrypto, the largest CPU cost of authentication). An entry
 * lives until the token's `exp` or {@link VERIFIED_TOKEN_TTL_MS}, whichever is first; so a key
 * removed from the JWKS stops being honoured within that minute. Bounded (oldest dropped first).
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { user: AuthenticatedUser | null; until: number }>();

  get(token: string): AuthenticatedUser | null | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    if (Date.now() < e.until) return e.user;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, user: AuthenticatedUser | null, expSec: number | undefined): void {
    const until = Math.min(
      Date.now() + VERIFIED_TOKEN_TTL_MS,
      typeof expSec === 'number' ? expSec * 1000 : 0,
    );
    if (until <= Date.now()) return;
    this.entries.set(token, { user, until });
    if (this.entries.size > MAX_VERIFIED_TOKENS)
      this.entries.delete(this.entries.keys().next().value as string);
  }
}

export function bearerToken(request: Request): string | undefined {
  const h = request.headers.get('authorization');
  if (!h) return undefined;
  const m = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(h);
  return m?.[1];
}

/** Builds an authenticator verifying JWTs (JWKS or shared secret). */
export function jwtAuthenticator(options: JwtAuthOptions): Authenticate {
  if (!options.jwksUrl && !options.secret)
    throw new Error('JWT auth needs auth.jwksUrl or auth.secret');
  if (!options.jwksUrl && options.secret !== undefined)
    checkSecretLength(options.secret, 'AUTH_JWT_SECRET (auth.secret)');
  const maxAge = options.maxTokenAgeSec ?? DEFAULT_MAX_TOKEN_AGE_SEC;
  if (!(maxAge > 0))
    throw new Error(
      'auth.maxTokenAgeSec (AUTH_MAX_TOKEN_AGE) must be a positive number of seconds',
    );
  const tolerance = options.clockToleranceSec ?? 30;
  const oneIssuer = singleIssuer(options.issuer);
  const key: Uint8Array | JWTVerifyGetKey = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5000 })
    : new TextEncoder().encode(options.secret);
  const algorithms = options.jwksUrl ? ASYMMETRIC : SYMMETRIC;
  const verifyOptions = {
    algorithms,
    clockTolerance: tolerance,
    requiredClaims: [
      'exp',
      'sub',
      ...(options.issuer !== undefined ? ['iss'] : []),
      ...(options.audience !== undefined ? ['aud'] : []),
    ],
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  };
  const verified = new VerifiedTokens();
  return async (request) => {
    const token = bearerToken(request);
    if (!token) return null;
    const known = verified.get(token);
    if (known !== undefined) return known;
    const { payload } =
      key instanceof Uint8Array
        ? await jwtVerify(token, key, verifyOptions)
        : await jwtVerify(token, key, verifyOptions);
    checkLifetime(payload, maxAge, tolerance);
    const user = userFromClaims(payload, options, oneIssuer);
    verified.set(token, user, payload.exp);
    return user;
  };
}

export interface DemoUser {
  username: string;
  password: string;
  id: string;
  displayName: string;
  role: ParticipantRole;
}

export const DEMO_USERS: readonly DemoUser[] = [
  {
    username: 'doctor',
    password: 'doctor123',
    id: 'doctor',
    displayName: 'Dr. Demo',
    role: 'provider',
  },
  {
    username: 'patient',
    password: 'patient123',
    id: 'patient',
    displayName: 'Pat Demo',
    role: 'patient',
  },
];

export const DEMO_ISSUER = 'consult-kit-demo';
export const DEMO_AUDIENCE = 'consult-kit';

/** Demo login: fixed users, HS256 tokens signed with `secret` (random per process by default). */
export class DemoAuth {
  readonly secret: Uint8Array;
  readonly authenticate: Authenticate;

  constructor(
    secret: string | undefined,
    private readonly ttlSec = 3600,
    readonly users: readonly DemoUser[] = DEMO_USERS,
  ) {
    if (secret) checkSecretLength(secret, 'CONSULT_KIT_DEMO_SECRET (demo.secret)');
    this.secret = secret ? new TextEncoder().encode(secret) : new Uint8Array(randomBytes(32));
    const verified = new VerifiedTokens();
    this.authenticate = async (request) => {
      const token = bearerToken(request);
      if (!token) return null;
      const known = verified.get(token);
      if (known !== undefined) return known;
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        issuer: DEMO_ISSUER,
        audience: DEMO_AUDIENCE,
        requiredClaims: ['exp', 'sub'],
      });
      const user = userFromClaims(payload, {}, true);
      verified.set(token, user, payload.exp);
      return user;
    };
  }

  /** Checks the credentials (constant time); `undefined` when wrong. */
  find(username: string, password: string): DemoUser | undefined {
    const user = this.users.find((u) => u.username === username);
    const expected = Buffer.from(user?.password ?? 'x'.repeat(password.length || 1));
    const given = Buffer.from(password);
    const same = expected.length === given.length && timingSafeEqual(expected, given);
    return user && same ? user : undefined;
  }

  async issue(user: DemoUser): Promise<{ accessToken: string; expiresAt: string }> {
    const exp = Math.floor(Date.now() / 1000) + this.ttlSec;
    const accessToken = await new SignJWT({ role: user.role, name: user.displayName })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(DEMO_ISSUER)
      .setAudience(DEMO_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.secret);
    return { accessToken, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** True when the (unverified) token claims to come from the demo issuer. */
  static looksLikeDemo(request: Request): boolean {
    const token = bearerToken(request);
    if (!token) return false;
    try {
      return decodeJwt(token).iss === DEMO_ISSUER;
    } catch {
      return false;
    }
  }
}
