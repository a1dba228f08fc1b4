/**
 * Test support for the token server: fast migrated PGlite databases, a full stack (token server +
 * the embedded dev media server with a fake media router), JWT minting, an SSE reader and condition
 * waits. Not shipped.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { SignJWT } from 'jose';
import type {
  AuditEntry,
  ParticipantRole,
  RecordingInfo,
  TokenResponse,
} from '../../src/contract.js';
import type { DevMediaServer } from '../dev-media-server/index.js';
import type { TestServer } from '../dev-media-server/test-support.js';
import { RpcClient, startTestServer } from '../dev-media-server/test-support.js';
import type { Db } from './db.js';
import { MIGRATIONS, migrate, pgliteDb } from './db.js';
import type { RunningTokenServer, StartTokenServerOptions } from './index.js';
import { startTokenServer } from './index.js';
import type { Logger } from './logger.js';
import { waitFor } from '../shared/test-support.js';
import { testPostgresDatabase } from './test-pg.js';

export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef';
export const ISSUER = 'https://portal.test';
export const AUDIENCE = 'consult-kit';
export const OV_SECRET = 'ov-test-secret-XYZ';
export const WEBHOOK_SECRET = 'whsec-test-123';
/** Placeholder OpenVidu URL the test fetch rewrites to the dev media server. */
export const OV_PLACEHOLDER = 'http://openvidu.invalid';

export { waitFor };

let template: Promise<Blob> | undefined;

/**
 * The database the suites run on: `TOKEN_SERVER_DB=postgres` selects a real PostgreSQL (each stack
 * gets its own database; see `test-pg.ts`), anything else the embedded PGlite.
 */
export const backend: 'pglite' | 'postgres' =
  process.env['TOKEN_SERVER_DB'] === 'postgres' ? 'postgres' : 'pglite';

/**
 * A migrated database for one stack: a fresh PostgreSQL database (`backend === 'postgres'`), else an
 * in-memory PGlite started from a dump of a freshly migrated one. The dump is cached in the temp
 * folder (keyed by the migrations), since creating PGlite from scratch takes 2-10 s.
 */
export async function testDb(): Promise<Db> {
  if (backend === 'postgres') return (await testPostgresDatabase()).open();
  const { PGlite: PGliteClass } = await import('@electric-sql/pglite');
  template ??= (async () => {
    const key = createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex').slice(0, 16);
    const file = join(tmpdir(), `consult-kit-token-server-db-${key}.tar`);
    try {
      return new Blob([await readFile(file)]);
    } catch {
      // not cached yet
    }
    const pg: PGlite = await PGliteClass.create();
    await migrate(pgliteDb(pg, false));
    const dump = await pg.dumpDataDir('none');
    await pg.close();
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.from(await dump.arrayBuffer()));
    await rename(tmp, file);
    return dump;
  })();
  const pg = await PGliteClass.create({ loadDataDir: await template });
  const db = pgliteDb(pg);
  await migrate(db);
  return db;
}

export interface Claims {
  sub: string;
  role?: string;
  name?: string;
  fhirUser?: string;
  [k: string]: unknown;
}

/** An HS256 access token as the portal would issue it. */
export async function jwt(
  claims: Claims,
  opts: { secret?: string; issuer?: string; audience?: string; expiresIn?: number | string } = {},
): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(opts.issuer ?? ISSUER)
    .setAudience(opts.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(opts.secret ?? JWT_SECRET));
}

export const doctor = (): Promise<string> =>
  jwt({ sub: 'dr-1', role: 'provider', name: 'Dr. One' });
export const patient = (n = 1): Promise<string> =>
  jwt({ sub: `pat-${n}`, role: 'patient', name: `Patient ${n}` });

export interface CapturedLogger extends Logger {
  lines: string[];
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const log =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}): void =>
      void lines.push(JSON.stringify({ level, msg, ...fields }));
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export interface Stack {
  ts: RunningTokenServer;
  ov: TestServer;
  logs: CapturedLogger;
  /** Calls the token server. */
  call(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; json: unknown; text: string }>;
  close(): Promise<void>;
}

export interface StackOptions extends StartTokenServerOptions {
  /** Skip the dev media server (OpenVidu calls then fail). */
  noMediaServer?: boolean;
}

/** Token server (port 0) + dev media server (fake media router) sending webhooks to it. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const logs = captureLogger();
  const target: { url: string } = { url: 'http://127.0.0.1:1' };
  const rewrite: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return fetch(url.replace(OV_PLACEHOLDER, target.url), init);
  };
  const { noMediaServer, ...rest } = options;
  const db = options.db ?? (await testDb());
  const ts = await startTokenServer({
    port: 0,
    ...(options.mediaBackend === 'livekit' ? {} : { openviduUrl: OV_PLACEHOLDER }),
    openviduSecret: OV_SECRET,
    auth: { secret: JWT_SECRET, issuer: ISSUER, audience: AUDIENCE },
    demo: false,
    // An explicit allow-all binding: these stacks test everything but authorization (auth.test.ts
    // and authorize.test.ts pass their own, or `authorize: undefined` to have none).
    authorize: () => true,
    webhook: { secret: WEBHOOK_SECRET },
    db,
    logger: logs,
    fetch: rewrite,
    rateLimit: { capacity: 1000, refillPerSecond: 1000 },
    env: {},
    ...rest,
  });
  let ov: TestServer | undefined;
  if (!noMediaServer) {
    ov = await startTestServer({
      secret: OV_SECRET,
      webhook: {
        url: `${ts.url}/api/openvidu/webhook`,
        headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
        retryBaseMs: 20,
      },
    });
    target.url = ov.server.url;
  }
  const call: Stack['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers['Authorization'] = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['Content-Type'] ??= 'application/json';
    const res = await fetch(`${ts.url}${path}`, {
      method,
      headers,
      ...(opts.body !== undefined
        ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }
        : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
  return {
    ts,
    get ov(): TestServer {
      if (!ov) throw new Error('no media server in this stack');
      return ov;
    },
    logs,
    call,
    async close() {
      for (const c of [...RpcClient.open_]) c.close();
      if (ov) await ov.close();
      await ts.close();
      // An open PGlite keeps the process alive.
      await db.close();
    },
  };
}

/** Joins the OpenVidu session with a token from the token server (raw JSON-RPC, like the browser). */
export function joinWith(stack: Stack, token: TokenResponse): Promise<RpcClient> {
  return joinOpenVidu(stack.ov.server, token, { ping: true });
}

/** `joinRoom` on the dev media server `server` with a token-server token (optionally pinging first). */
export async function joinOpenVidu(
  server: DevMediaServer,
  token: TokenResponse,
  options: { ping?: boolean } = {},
): Promise<RpcClient> {
  const client = await RpcClient.open(server, token.consultId);
  if (options.ping) await client.call('ping', { interval: 5000 });
  await client.call('joinRoom', {
    token: token.token,
    session: token.consultId,
    platform: 'Node test',
    sdkVersion: '2.32.2',
    metadata: '',
    secret: '',
    recorder: false,
    stt: false,
  });
  return client;
}

export function asToken(json: unknown): TokenResponse {
  const t = json as TokenResponse;
  assert.equal(typeof t?.token, 'string', `not a token: ${JSON.stringify(json)}`);
  return t;
}

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: unknown;
}

/** A raw fetch-stream SSE reader. */
export class SseReader {
  readonly events: SseEvent[] = [];
  comments = 0;
  status = 0;
  ended = false;
  private readonly abort = new AbortController();

  private constructor() {}

  static async open(url: string, headers: Record<string, string>): Promise<SseReader> {
    const r = new SseReader();
    const res = await fetch(url, {
      headers: { Accept: 'text/event-stream', ...headers },
      signal: r.abort.signal,
    });
    r.status = res.status;
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      r.ended = true;
      return r;
    }
    void r.read(res.body);
    return r;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          this.parse(block);
        }
      }
    } catch {
      // aborted
    } finally {
      this.ended = true;
    }
  }

  private parse(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    let any = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else continue;
      any = true;
    }
    if (!any || data.length === 0) return;
    this.events.push({ id, event, data: JSON.parse(data.join('\n')) as unknown });
  }

  named(event: string): SseEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  async next(
    event: string,
    pred: (data: never) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<SseEvent> {
    let found: SseEvent | undefined;
    await waitFor(
      `SSE event ${event}`,
      () =>
        (found = this.events.find((e) => e.event === event && pred(e.data as never))) !== undefined,
      timeoutMs,
    );
    return found as SseEvent;
  }

  close(): void {
    this.abort.abort();
  }
}

export const PARTICIPANT_ROLES: ParticipantRole[] = ['provider', 'patient', 'guest'];

/** A consultation's audit entries, read as `token` (a provider) through the API. */
export async function auditEntriesOf(
  stack: Stack,
  consultId: string,
  token: string,
): Promise<AuditEntry[]> {
  const r = await stack.call('GET', `/api/consults/${consultId}/audit`, { token });
  assert.equal(r.status, 200, r.text);
  return (r.json as { entries: AuditEntry[] }).entries;
}

/**
 * A consultation with one `ready` recording, made by the provider whose bearer token is `token`
 * (joined through the dev media server, recorded, stopped); resolves with its id.
 */
export async function readyRecording(
  stack: Stack,
  consultId: string,
  token: string,
): Promise<string> {
  const t = await stack.call('POST', `/api/consults/${consultId}/token`, { token, body: {} });
  assert.equal(t.status, 200, t.text);
  const client = await joinWith(stack, asToken(t.json));
  await waitFor('joined', async () =>
    (await auditEntriesOf(stack, consultId, token)).some((e) => e.action === 'participant.joined'),
  );
  const path = `/api/consults/${consultId}/recordings`;
  const start = await stack.call('POST', path, { token, body: {} });
  assert.equal(start.status, 201, start.text);
  const { recordingId } = start.json as RecordingInfo;
  const stop = await stack.call('POST', `${path}/${recordingId}/stop`, { token, body: {} });
  assert.equal(stop.status, 200, stop.text);
  await waitFor('ready', async () => {
    const r = await stack.call('GET', `${path}/${recordingId}`, { token });
    return (r.json as RecordingInfo).status === 'ready';
  });
  client.close();
  return recordingId;
}
