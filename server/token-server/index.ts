/**
 * The ConsultKit reference token server.
 *
 * @example
 * ```ts
 * const server = await startTokenServer({ port: 0, openviduUrl, openviduSecret });
 * console.log(server.url); // http://127.0.0.1:54321
 * await server.close();
 * ```
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { TokenServer } from './app.js';
import { createTokenServer } from './app.js';
import type { TokenServerOptions } from './options.js';

export { createTokenServer, mapRecordingStatus } from './app.js';
export type { TokenServer } from './app.js';
export type {
  Authorize,
  AuthorizeUrlOptions,
  ConsultAction,
  DemoOptions,
  TokenServerOptions,
  WebhookAuthOptions,
} from './options.js';
export type { AuthenticatedUser, Authenticate, DemoUser, JwtAuthOptions } from './auth.js';
export type { AuthorizeCallbackBody } from './authorize.js';
export { DEMO_USERS, roleFromClaims, roleFromFhirUser } from './auth.js';
export type { PurgeReport, RetentionOptions } from './services/retention.js';
export type { Db } from './db.js';
export { migrate, openPgliteDb, pgliteDb } from './db.js';
export type { Logger, LogLevel } from './logger.js';
export { createJsonLogger, silentLogger } from './logger.js';
export { OpenViduClient } from './openvidu-client.js';

export interface StartTokenServerOptions extends TokenServerOptions {
  /** TCP port (env `PORT`, default 3000); 0 picks a free one. */
  port?: number;
  /** Interface to bind (env `HOST`, default `127.0.0.1`). */
  host?: string;
}

export interface RunningTokenServer {
  /** e.g. `http://127.0.0.1:3000`. */
  url: string;
  port: number;
  server: TokenServer;
  close(): Promise<void>;
}

/** Starts the token server on Node; resolves once it listens and the database is ready. */
export async function startTokenServer(
  options: StartTokenServerOptions = {},
): Promise<RunningTokenServer> {
  const env = options.env ?? process.env;
  const server = createTokenServer(options);
  await server.ready();
  const port = options.port ?? (env['PORT'] !== undefined ? Number(env['PORT']) : 3000);
  const host = options.host ?? env['HOST'] ?? '127.0.0.1';
  let address: AddressInfo | undefined;
  const http = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: server.fetch, port, hostname: host }, (info) => {
      address = info;
      resolve(s);
    });
    s.once('error', reject);
  });
  const bound = address?.port ?? port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    server,
    close() {
      closing ??= (async () => {
        // Stop accepting connections first, then let the token server drain (streams told to
        // reconnect elsewhere, requests in flight finished), then cut what is left.
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        if ('closeIdleConnections' in http) http.closeIdleConnections();
        await server.close();
        if ('closeAllConnections' in http) http.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
