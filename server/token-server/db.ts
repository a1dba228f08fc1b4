/**
 * Storage. All SQL goes through the small {@link Db} interface and is plain PostgreSQL, so PGlite
 * (embedded, the default) and a real PostgreSQL server (`DATABASE_URL`, `db-postgres.ts` over `pg`)
 * are interchangeable. Statements are single and idempotent (`on conflict`, conditional updates), so
 * no multi-statement transaction is needed outside migrations.
 */
import type { PGlite } from '@electric-sql/pglite';
import { queryPrepared } from './pglite-statements.js';

export interface Db {
  /** Runs one statement with `$1…` parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Runs a multi-statement script without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * `LISTEN channel`; resolves to an unlisten function. Optional: without it events fan out
   * in-process only. With PostgreSQL (or PGlite) every instance sharing the database is notified.
   */
  listen?(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Runs `fn` on one dedicated connection (session-level advisory locks need their unlock on the
   * same connection). Optional: a single-connection database (PGlite) does not need it.
   */
  session?<T>(fn: (conn: Db) => Promise<T>): Promise<T>;
  /** The connection pool's counts, when there is one (PostgreSQL); for metrics. */
  stats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

interface Migration {
  version: number;
  sql: string;
}

/** Forward-only migrations; each runs once, in its own transaction. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
create table consults (
  id text primary key,
  created_at timestamptz not null default now(),
  ended_at timestamptz,
  ended_reason text,
  consent_requested_at timestamptz,
  consent_requested_by text
);
create table participants (
  consult_id text not null references consults(id),
  user_id text not null,
  display_name text not null,
  role text not null,
  first_token_at timestamptz not null default now(),
  primary key (consult_id, user_id)
);
create table connections (
  connection_id text primary key,
  consult_id text not null references consults(id),
  user_id text not null,
  display_name text not null,
  role text not null,
  created_at timestamptz not null default now(),
  joined_at timestamptz,
  left_at timestamptz
);
create index connections_consult on connections (consult_id, user_id);
create table lobby (
  consult_id text not null references consults(id),
  user_id text not null,
  display_name text not null,
  role text not null,
  status text not null,
  since timestamptz not null default now(),
  decided_at timestamptz,
  primary key (consult_id, user_id)
);
create table consents (
  consult_id text not null references consults(id),
  user_id text not null,
  display_name text not null,
  role text not null,
  granted boolean,
  answered_at timestamptz,
  primary key (consult_id, user_id)
);
create table recordings (
  recording_id text primary key,
  consult_id text not null references consults(id),
  status text not null,
  started_at timestamptz,
  stopped_at timestamptz,
  duration double precision,
  size bigint,
  reason text,
  name text,
  output_mode text,
  started_by text
);
create index recordings_consult on recordings (consult_id);
create table messages (
  consult_id text not null references consults(id),
  id text not null,
  connection_id text not null,
  sender_id text not null,
  sender_name text not null,
  sender_role text not null,
  text text not null,
  sent_at text not null,
  seq bigserial,
  primary key (consult_id, id)
);
create table audit (
  id bigserial primary key,
  consult_id text not null,
  action text not null,
  actor_id text not null,
  actor_role text,
  subject_id text,
  ip text,
  at timestamptz not null default now(),
  details jsonb
);
create index audit_consult on audit (consult_id, id);
create table events (
  id bigserial primary key,
  consult_id text not null,
  name text not null,
  data jsonb not null,
  audience_role text,
  audience_user text,
  created_at timestamptz not null default now()
);
create index events_consult on events (consult_id, id);
`,
  },
  {
    // The audit hash chain (numbered per consultation; existing rows are sealed at start, see
    // AuditRepository.sealLegacy), a server time on chat messages for retention, and erasure.
    version: 2,
    sql: `
alter table audit add column seq bigint;
alter table audit add column prev_hash text;
alter table audit add column hash text;
update audit a set seq = n.rn
  from (select id, row_number() over (partition by consult_id order by id) as rn from audit) n
 where a.id = n.id;
alter table audit alter column seq set not null;
create unique index audit_chain on audit (consult_id, seq);
create index audit_at on audit (at);
create table audit_legacy (through_id bigint not null);
insert into audit_legacy (through_id) select coalesce(max(id), 0) from audit;
alter table messages add column stored_at timestamptz not null default now();
create index messages_stored_at on messages (stored_at);
create index events_created_at on events (created_at);
alter table consults add column erased_at timestamptz;
`,
  },
  {
    // Private chat messages: the user ids a message was sent to; null for a broadcast.
    version: 3,
    sql: `alter table messages add column recipients text[];`,
  },
  {
    // The provider's queue (a waiting person's device check, and finding the consults anyone waits
    // in), and invited guests: invites and the guest sessions redeemed from them, secrets hashed.
    version: 4,
    sql: `
alter table lobby add column device_check jsonb;
create index lobby_waiting on lobby (consult_id) where status = 'waiting';
create table invites (
  id text primary key,
  consult_id text not null references consults(id),
  secret_hash text not null unique,
  display_name text not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  revoked_at timestamptz
);
create index invites_consult on invites (consult_id, created_at);
create table guest_sessions (
  credential_hash text primary key,
  invite_id text not null references invites(id),
  consult_id text not null,
  expires_at timestamptz not null
);
create index guest_sessions_invite on guest_sessions (invite_id);
`,
  },
];

/**
 * Applies pending migrations, serialised across instances by an advisory lock held on one
 * connection (so two instances starting together on a fresh database apply each version once).
 */
export async function migrate(db: Db): Promise<void> {
  const run = async (conn: Db): Promise<void> => {
    // Waiting for another instance's migrations is not a slow statement (statement_timeout).
    if (db.session) await conn.query('set statement_timeout = 0');
    await conn.query('select pg_advisory_lock(7413001)');
    try {
      await conn.exec(
        `create table if not exists schema_migrations (version integer primary key, applied_at timestamptz not null default now());`,
      );
      const { rows } = await conn.query<{ version: number }>(
        'select version from schema_migrations',
      );
      const applied = new Set(rows.map((r) => Number(r.version)));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await conn.exec(
          `begin;\n${m.sql}\ninsert into schema_migrations (version) values (${m.version});\ncommit;`,
        );
      }
    } finally {
      await conn.query('select pg_advisory_unlock(7413001)');
      if (db.session) await conn.query('reset statement_timeout');
    }
  };
  await (db.session ? db.session(run) : run(db));
}

/**
 * Wraps a PGlite instance as a {@link Db}. Statements with parameters run prepared
 * (`pglite-statements.ts`): PGlite is single-threaded WASM in this process, so what a statement
 * costs it is what every request waits for.
 */
export function pgliteDb(pg: PGlite, ownsInstance = true): Db {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      if (params.length > 0) {
        const prepared = await queryPrepared<T>(pg, sql, params);
        if (prepared) return prepared;
      }
      const r = await pg.query<T>(sql, params);
      return { rows: r.rows };
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
    async listen(channel: string, onPayload: (payload: string) => void) {
      return pg.listen(channel, onPayload);
    },
    async close() {
      if (ownsInstance && !pg.closed) await pg.close();
    },
  };
}

export interface PgliteOptions {
  /** Folder for the database; `undefined` keeps it in memory (tests, demos). */
  dataDir?: string;
  /** A dump from `PGlite#dumpDataDir()` to start from (fast test databases). */
  loadDataDir?: Blob | File;
}

/** Opens (and migrates) an embedded PGlite database. */
export async function openPgliteDb(options: PgliteOptions = {}): Promise<Db> {
  const { PGlite: PGliteClass } = await import('@electric-sql/pglite');
  const pg = await PGliteClass.create({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir !== undefined ? { loadDataDir: options.loadDataDir } : {}),
  });
  const db = pgliteDb(pg);
  await migrate(db);
  return db;
}
