/**
 * PostgreSQL for the token-server tests: the cluster `scripts/test.mjs` started
 * (`TOKEN_SERVER_PG_URL`), else a throwaway one started for this process (`scripts/pg-cluster.mjs`)
 * and removed when it exits. Each stack gets its own database, dropped when the stack closes, so
 * test files stay independent. Not shipped.
 */
import pg from 'pg';
import { startPgCluster } from '../../scripts/pg-cluster.mjs';
import type { Db } from './db.js';
import type { PostgresOptions } from './db-postgres.js';
import { openPostgresDb } from './db-postgres.js';

let admin: Promise<string> | undefined;

/** The superuser URL of the test cluster (starts one on first use when none was given). */
export function pgAdminUrl(): Promise<string> {
  admin ??= (async () => {
    const given = process.env['TOKEN_SERVER_PG_URL'];
    if (given) return given;
    const cluster = await startPgCluster();
    process.once('exit', () => cluster.stop());
    return cluster.url;
  })();
  return admin;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: await pgAdminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let counter = 0;

export interface TestPostgresDatabase {
  /** `postgres://…/<this database>`. */
  url: string;
  /** Opens (and migrates) a pool on it; closing the last one opened drops the database. */
  open(options?: Omit<PostgresOptions, 'url'>): Promise<Db>;
  /** Drops it (open pools are cut). */
  drop(): Promise<void>;
}

/** Creates an empty database on the test cluster. */
export async function testPostgresDatabase(): Promise<TestPostgresDatabase> {
  const name = `ck_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await adminQuery(`create database ${name}`);
  const u = new URL(await pgAdminUrl());
  u.pathname = `/${name}`;
  const url = u.href;
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    await adminQuery(`drop database if exists ${name} with (force)`);
  };
  return {
    url,
    drop,
    async open(options = {}) {
      const db = await openPostgresDb({ url, poolSize: 5, ...options });
      return {
        ...db,
        async close() {
          await db.close();
          await drop();
        },
      };
    },
  };
}
