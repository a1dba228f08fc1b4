/**
 * A real PostgreSQL server as the token server's {@link Db}, through the `pg` driver (an optional
 * peer dependency, loaded only when `DATABASE_URL` is set): a connection pool for statements,
 * dedicated pool connections for migrations (`session`, so the advisory lock and its unlock share
 * one connection), and one extra connection per LISTEN channel that reconnects after a drop.
 * Rows come back in PGlite's shapes (`int8` as a number, `jsonb` parsed, `timestamptz` as a Date),
 * so the repositories do not know which database they talk to.
 */
import type PgNamespace from 'pg';
import type { Db } from './db.js';
import { migrate } from './db.js';
import type { Logger } from './logger.js';

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database?…` (env `DATABASE_URL`). */
  url: string;
  /** Largest number of pooled connections (env `DATABASE_POOL_SIZE`, default 10). */
  poolSize?: number;
  /** Per-statement limit in ms (env `DATABASE_STATEMENT_TIMEOUT_MS`, default 10000; 0 = none). */
  statementTimeoutMs?: number;
  /** Pool and LISTEN connection errors go here (never the URL's password). */
  logger?: Logger;
  /** Run the migrations after connecting (default true). */
  migrate?: boolean;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
/** Sent by the LISTEN connection after it reconnected: every stream should re-read its cursor. */
export const RECONNECTED_PAYLOAD = '*';

/** Checks a `DATABASE_URL`; returns it or throws a message that names the problem (never the password). */
export function parseDatabaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      'DATABASE_URL is not a URL; expected postgres://user:password@host:5432/database',
    );
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new Error(
      `DATABASE_URL must start with postgres:// or postgresql:// (got ${u.protocol}//…)`,
    );
  if (!u.hostname && !u.searchParams.get('host'))
    throw new Error(
      'DATABASE_URL names no host; expected postgres://user:password@host:5432/database',
    );
  return url;
}

/** `host:port/database`, for messages and logs. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `${host}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

type PgModule = typeof PgNamespace;

async function loadPg(): Promise<PgModule> {
  try {
    const mod = (await import('pg')) as PgModule & { default?: PgModule };
    return mod.default ?? mod;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND')
      throw new Error(
        'DATABASE_URL needs the PostgreSQL driver, which is not installed: npm install pg@8',
        { cause: e },
      );
    throw e;
  }
}

const INT8_OID = 20;

/** The pool (and the settings a LISTEN client shares with it), checked to answer. */
async function openPool(pg: PgModule, url: string, where: string, options: PostgresOptions) {
  const logger = options.logger;
  const statementTimeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID
        ? (v: string) => Number(v)
        : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
  };
  const clientConfig = {
    connectionString: url,
    application_name: 'consult-kit-token-server',
    connectionTimeoutMillis: 10_000,
    // Notice a silently dropped connection (the LISTEN one above all) within minutes, not hours.
    keepAlive: true,
    types,
  };
  const pool = new pg.Pool({
    ...clientConfig,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
  });
  // An idle pooled connection that dies (server restart) emits here; the pool replaces it.
  pool.on('error', (e) => logger?.warn('postgres pool connection lost', { error: e.message }));
  try {
    await pool.query('select 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new Error(
      `cannot connect to PostgreSQL at ${where}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  return { pool, clientConfig };
}

/** Opens a pool on `options.url`, checks it answers, and (by default) runs the migrations. */
export async function openPostgresDb(options: PostgresOptions): Promise<Db> {
  const url = parseDatabaseUrl(options.url);
  const where = describeDatabaseUrl(url);
  const pg = await loadPg();
  const logger = options.logger;
  const { pool, clientConfig } = await openPool(pg, url, where, options);

  const listeners = new Set<{ stop(): Promise<void> }>();
  let closed = false;

  const wrap = (q: {
    query: (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;
  }): Db => ({
    async query<T>(sql: string, params: unknown[] = []) {
      const r = await q.query(sql, params);
      return { rows: r.rows as T[] };
    },
    async exec(sql: string) {
      await q.query(sql);
    },
    async close() {
      // a session is released by `session()`
    },
  });

  const db: Db = {
    ...wrap(pool),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async exec(sql: string) {
      // A multi-statement script must run on one connection (simple query protocol).
      const client = await pool.connect();
      try {
        await client.query(sql);
      } finally {
        client.release();
      }
    },
    async session<T>(fn: (conn: Db) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken = false;
      try {
        return await fn(wrap(client));
      } catch (e) {
        broken = true;
        throw e;
      } finally {
        // A failed session may hold a lock or an open transaction: destroy its connection.
        client.release(broken);
      }
    },
    async listen(channel: string, onPayload: (payload: string) => void) {
      let client: InstanceType<PgModule['Client']> | undefined;
      let stopped = false;
      let retry: ReturnType<typeof setTimeout> | undefined;
      let delay = 100;
      const connect = async (again: boolean): Promise<void> => {
        const c = new pg.Client(clientConfig);
        c.on('notification', (m) => {
          if (m.channel === channel) onPayload(m.payload ?? '');
        });
        c.on('error', (e) => {
          logger?.warn('postgres LISTEN connection lost', { error: e.message });
          schedule();
        });
        c.on('end', () => schedule());
        client = c;
        await c.connect();
        await c.query(`listen ${JSON.stringify(channel)}`);
        delay = 100;
        // Notifications sent while disconnected are gone: every stream re-reads after its cursor.
        if (again) onPayload(RECONNECTED_PAYLOAD);
      };
      const schedule = (): void => {
        if (stopped || closed || retry) return;
        const old = client;
        client = undefined;
        old?.removeAllListeners('end');
        void old?.end().catch(() => undefined);
        retry = setTimeout(() => {
          retry = undefined;
          connect(true).catch((e: unknown) => {
            logger?.warn('postgres LISTEN reconnect failed', {
              error: e instanceof Error ? e.message : String(e),
            });
            delay = Math.min(delay * 2, 5000);
            schedule();
          });
        }, delay);
        retry.unref?.();
      };
      try {
        await connect(false);
      } catch (e) {
        stopped = true;
        if (retry) clearTimeout(retry);
        await client?.end().catch(() => undefined);
        throw e;
      }
      const handle = {
        async stop() {
          stopped = true;
          if (retry) clearTimeout(retry);
          listeners.delete(handle);
          const c = client;
          client = undefined;
          c?.removeAllListeners('end');
          await c?.end().catch(() => undefined);
        },
      };
      listeners.add(handle);
      return () => handle.stop();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const l of [...listeners]) await l.stop();
      await pool.end();
    },
  };

  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw new Error(
        `migrating PostgreSQL at ${where} failed: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }
  return db;
}
