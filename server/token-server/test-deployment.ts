/**
 * Test support for several token-server instances on one PostgreSQL: a deployment of `n` instances
 * on a fresh database with one dev media server, and a round-robin proxy that can cut an instance
 * off as if it crashed. Not shipped.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TokenResponse } from '../../src/contract.js';
import type { TestServer } from '../dev-media-server/test-support.js';
import { RpcClient, startTestServer } from '../dev-media-server/test-support.js';
import type { RunningTokenServer } from './index.js';
import { startTokenServer } from './index.js';
import type { CapturedLogger } from './test-support.js';
import {
  AUDIENCE,
  ISSUER,
  JWT_SECRET,
  OV_PLACEHOLDER,
  OV_SECRET,
  SseReader,
  WEBHOOK_SECRET,
  backend,
  captureLogger,
  joinOpenVidu,
} from './test-support.js';
import type { TestPostgresDatabase } from './test-pg.js';
import { testPostgresDatabase } from './test-pg.js';

/** The reason these suites skip on PGlite (an embedded database belongs to one process). */
export const skip = backend !== 'postgres' && 'PostgreSQL only (TOKEN_SERVER_DB=postgres)';

export interface Instance {
  ts: RunningTokenServer;
  logs: CapturedLogger;
  call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown; text: string }>;
  events(consultId: string, token: string, lastEventId?: string): Promise<SseReader>;
}

export interface Deployment {
  database: TestPostgresDatabase;
  instances: Instance[];
  ov: TestServer;
  close(): Promise<void>;
}

/** `n` token servers started together on one fresh database; OpenVidu webhooks go to the last one. */
export async function deploy(n: number): Promise<Deployment> {
  const database = await testPostgresDatabase();
  const target = { url: 'http://127.0.0.1:1' };
  const rewrite: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return fetch(url.replace(OV_PLACEHOLDER, target.url), init);
  };
  const instances = await Promise.all(
    Array.from({ length: n }, async (): Promise<Instance> => {
      const logs = captureLogger();
      const ts = await startTokenServer({
        port: 0,
        openviduUrl: OV_PLACEHOLDER,
        openviduSecret: OV_SECRET,
        auth: { secret: JWT_SECRET, issuer: ISSUER, audience: AUDIENCE },
        demo: false,
        authorize: () => true,
        webhook: { secret: WEBHOOK_SECRET },
        databaseUrl: database.url,
        databasePoolSize: 4,
        logger: logs,
        fetch: rewrite,
        rateLimit: false,
        heartbeatMs: 200,
        drainTimeoutMs: 2000,
        env: {},
      });
      return {
        ts,
        logs,
        async call(method, path, token, body) {
          const res = await fetch(`${ts.url}${path}`, {
            method,
            headers: {
              Authorization: `Bearer ${token}`,
              ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          });
          const text = await res.text();
          return { status: res.status, text, json: text ? (JSON.parse(text) as unknown) : null };
        },
        events: (consultId, token, lastEventId) =>
          SseReader.open(`${ts.url}/api/consults/${consultId}/events`, {
            Authorization: `Bearer ${token}`,
            ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}),
          }),
      };
    }),
  );
  const ov = await startTestServer({
    secret: OV_SECRET,
    webhook: {
      url: `${instances[n - 1]?.ts.url}/api/openvidu/webhook`,
      headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
      retryBaseMs: 20,
    },
  });
  target.url = ov.server.url;
  return {
    database,
    instances,
    ov,
    async close() {
      for (const c of [...RpcClient.open_]) c.close();
      await ov.close();
      await Promise.all(instances.map((i) => i.ts.close()));
      await database.drop();
    },
  };
}

export function join(d: Deployment, token: TokenResponse): Promise<RpcClient> {
  return joinOpenVidu(d.ov.server, token);
}

/** A round-robin HTTP proxy over the instances; `kill(i)` cuts instance i off as if it crashed. */
export async function roundRobinProxy(targets: string[]): Promise<{
  url: string;
  kill(i: number): void;
  close(): Promise<void>;
}> {
  const dead = new Set<number>();
  const open = new Map<number, Set<Socket>>();
  let next = 0;
  const server = createServer((req, res) => {
    const live = targets.map((_, i) => i).filter((i) => !dead.has(i));
    const i = live[next++ % live.length] as number;
    const target = new URL(targets[i] as string);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    // The client's side of the connection: cut when its instance dies.
    const socket = req.socket;
    let set = open.get(i);
    if (!set) open.set(i, (set = new Set()));
    set.add(socket);
    res.once('close', () => set.delete(socket));
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    kill(i) {
      dead.add(i);
      for (const s of open.get(i) ?? []) s.destroy();
      open.delete(i);
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
