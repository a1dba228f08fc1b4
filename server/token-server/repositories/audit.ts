/**
 * The audit trail rows, each chained to the previous one of its consultation by a hash
 * (`services/audit-chain.ts`).
 */
import type { AuditEntry } from '../../../src/contract.js';
import type { Db } from '../db.js';
import type { ChainFields, ChainRow } from '../services/audit-chain.js';
import { GENESIS_HASH, entryHash } from '../services/audit-chain.js';
import type { Row } from './rows.js';
import { iso, str } from './rows.js';

/** An entry to append (the repository sets `seq`, `at` and the hashes). */
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'>;

/** Attempts before giving up when other writers keep taking the next `seq`. */
const APPEND_ATTEMPTS = 20;
/** How long a remembered chain head is trusted (see `AuditRepository.heads`). */
const HEAD_TTL_MS = 60_000;
const MAX_CACHED_HEADS = 10_000;

/** Writes that commit in the same statement as an audit entry (see {@link AuditRepository.audit}). */
export interface Alongside {
  /** Data-modifying statements (`insert … on conflict …`), parameters numbered from `$1`. */
  ctes: string[];
  /** Their parameters, in `$1…` order across all of them. */
  params: unknown[];
}

function chainRowOf(r: Row): ChainRow {
  const details = r['details'];
  return {
    id: str(r['id']),
    consultId: str(r['consult_id']),
    seq: Number(r['seq']),
    action: str(r['action']),
    actorId: str(r['actor_id']),
    actorRole: typeof r['actor_role'] === 'string' ? r['actor_role'] : null,
    subjectId: typeof r['subject_id'] === 'string' ? r['subject_id'] : null,
    ip: typeof r['ip'] === 'string' ? r['ip'] : null,
    at: iso(r['at']) ?? '',
    details: details && typeof details === 'object' ? (details as Record<string, unknown>) : null,
    prevHash: typeof r['prev_hash'] === 'string' ? r['prev_hash'] : null,
    hash: typeof r['hash'] === 'string' ? r['hash'] : null,
  };
}

/** The public shape of a chained row. */
export function auditEntryOf(r: ChainRow): AuditEntry {
  return {
    id: r.id,
    consultId: r.consultId,
    action: r.action,
    actorId: r.actorId,
    ...(r.actorRole !== null
      ? { actorRole: r.actorRole as NonNullable<AuditEntry['actorRole']> }
      : {}),
    ...(r.subjectId !== null ? { subjectId: r.subjectId } : {}),
    ...(r.ip !== null ? { ip: r.ip } : {}),
    at: r.at,
    ...(r.details ? { details: r.details } : {}),
  };
}

export class AuditRepository {
  constructor(private readonly db: Db) {}

  /**
   * The last head this instance wrote or read, per consultation: the next append guesses from it
   * instead of reading the head first. A wrong guess costs nothing but a retry: the unique
   * `(consult_id, seq)` index refuses a `seq` another writer took. A guess can only be wrong the
   * other way (a `seq` that is free but not next) when entries were deleted from the end, which only
   * a retention purge does to a consultation whose entries are all older than the cutoff: so a head
   * is trusted for {@link HEAD_TTL_MS} only, and a purge through this repository forgets it.
   */
  private readonly heads = new Map<string, { seq: number; hash: string; at: number }>();

  /**
   * Appends an entry to its consultation's chain. Correct with several writers on one PostgreSQL
   * too: the unique `(consult_id, seq)` index lets only one of two writers that read the same head
   * insert; the other reads the new head and tries again.
   *
   * `alongside` runs other writes in the same statement (data-modifying CTEs, numbered from `$1`
   * in their own SQL), so they and the entry commit together or not at all; they must be
   * idempotent, as a retry runs them again.
   */
  async audit(e: NewAuditEntry, alongside?: Alongside): Promise<ChainRow> {
    const offset = 11;
    const ctes = alongside
      ? `with ${alongside.ctes
          .map(
            (sql, i) =>
              `w${i} as (${sql.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`)})`,
          )
          .join(', ')} `
      : '';
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const head = attempt === 0 ? this.cachedHead(e.consultId) : undefined;
      const known = head ?? (await this.readHead(e.consultId));
      const fields: ChainFields = {
        consultId: e.consultId,
        seq: known ? known.seq + 1 : 1,
        action: e.action,
        actorId: e.actorId,
        actorRole: e.actorRole ?? null,
        subjectId: e.subjectId ?? null,
        ip: e.ip ?? null,
        at: new Date().toISOString(),
        // A JSON round trip gives the same value the database will hand back.
        details: e.details
          ? (JSON.parse(JSON.stringify(e.details)) as Record<string, unknown>)
          : null,
        prevHash: known ? known.hash : GENESIS_HASH,
      };
      const hash = entryHash(fields);
      // Inserted only when no entry at or past this `seq` exists: a guessed head (cached, or an
      // empty chain for a consultation just created) that is behind the real one inserts nothing
      // and is read again, even where `seq` itself is free (a purged prefix, see `emptyChain`).
      const { rows } = await this.db.query(
        `${ctes}insert into audit (consult_id, seq, action, actor_id, actor_role, subject_id, ip, at, details, prev_hash, hash)
         select $1, $2::bigint, $3, $4, $5, $6, $7, $8::timestamptz, $9::jsonb, $10, $11
          where not exists (select 1 from audit where consult_id = $1 and seq >= $2::bigint)
         on conflict (consult_id, seq) do nothing returning id`,
        [
          fields.consultId,
          fields.seq,
          fields.action,
          fields.actorId,
          fields.actorRole,
          fields.subjectId,
          fields.ip,
          fields.at,
          fields.details ? JSON.stringify(fields.details) : null,
          fields.prevHash,
          hash,
          ...(alongside?.params ?? []),
        ],
      );
      const id = rows[0]?.['id'];
      if (id !== undefined) {
        this.remember(e.consultId, fields.seq, hash);
        return { ...fields, id: str(id), hash };
      }
      this.heads.delete(e.consultId);
    }
    throw new Error('audit append: too many concurrent writers');
  }

  /**
   * The consultation was just created (its row did not exist): its chain is presumably empty, so
   * its first append guesses `seq` 1 instead of reading the head first. A wrong guess (entries
   * written under that id before its row existed) inserts nothing and is read again (see `audit`).
   */
  emptyChain(consultId: string): void {
    if (!this.heads.has(consultId)) this.remember(consultId, 0, GENESIS_HASH);
  }

  private cachedHead(consultId: string): { seq: number; hash: string } | undefined {
    const h = this.heads.get(consultId);
    if (h && Date.now() - h.at < HEAD_TTL_MS) return h;
    if (h) this.heads.delete(consultId);
    return undefined;
  }

  private async readHead(consultId: string): Promise<{ seq: number; hash: string } | undefined> {
    const { rows } = await this.db.query(
      'select seq, hash from audit where consult_id = $1 order by seq desc limit 1',
      [consultId],
    );
    const r = rows[0];
    return r ? { seq: Number(r['seq']), hash: str(r['hash']) } : undefined;
  }

  private remember(consultId: string, seq: number, hash: string): void {
    this.heads.delete(consultId);
    this.heads.set(consultId, { seq, hash, at: Date.now() });
    // Oldest first (insertion order): keep the map bounded.
    if (this.heads.size > MAX_CACHED_HEADS)
      this.heads.delete(this.heads.keys().next().value as string);
  }

  async auditEntries(consultId: string, limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.db.query(
      'select * from (select * from audit where consult_id = $1 order by seq desc limit $2) a order by seq',
      [consultId, limit],
    );
    return rows.map((r) => auditEntryOf(chainRowOf(r)));
  }

  /** The whole chain of a consultation, in `seq` order. */
  async chain(consultId: string): Promise<ChainRow[]> {
    const { rows } = await this.db.query('select * from audit where consult_id = $1 order by seq', [
      consultId,
    ]);
    return rows.map(chainRowOf);
  }

  /** Every consultation with audit entries. */
  async consultIds(): Promise<string[]> {
    const { rows } = await this.db.query(
      'select distinct consult_id from audit order by consult_id',
    );
    return rows.map((r) => str(r['consult_id']));
  }

  /**
   * Seals the rows written before the chain existed (migration 2 numbered them but could not hash
   * them): only rows up to the id recorded by the migration, so an unsealed row written later stays
   * a finding.
   */
  async sealLegacy(): Promise<number> {
    const { rows } = await this.db.query(
      `select * from audit where hash is null and id <= (select coalesce(max(through_id), 0) from audit_legacy)
       order by consult_id, seq`,
    );
    let sealed = 0;
    for (const r of rows.map(chainRowOf)) {
      const { rows: prev } = await this.db.query(
        'select hash from audit where consult_id = $1 and seq = $2',
        [r.consultId, r.seq - 1],
      );
      const prevHash = r.seq === 1 ? GENESIS_HASH : str(prev[0]?.['hash']);
      const hash = entryHash({ ...r, prevHash });
      await this.db.query(
        'update audit set prev_hash = $2, hash = $3 where id = $1 and hash is null',
        [r.id, prevHash, hash],
      );
      sealed++;
    }
    return sealed;
  }

  /**
   * Consultations with entries older than `cutoff`: the last old `seq` (with its hash), and
   * whether every entry of the consultation is old.
   */
  async expired(
    cutoff: Date,
  ): Promise<{ consultId: string; throughSeq: number; throughHash: string; all: boolean }[]> {
    const { rows } = await this.db.query(
      `select o.consult_id, o.through_seq, a.hash as through_hash,
              not exists (select 1 from audit n where n.consult_id = o.consult_id and n.at >= $1) as all_old
         from (select consult_id, max(seq) as through_seq from audit where at < $1 group by consult_id) o
         join audit a on a.consult_id = o.consult_id and a.seq = o.through_seq
        order by o.consult_id`,
      [cutoff.toISOString()],
    );
    return rows.map((r) => ({
      consultId: str(r['consult_id']),
      throughSeq: Number(r['through_seq']),
      throughHash: str(r['through_hash']),
      all: r['all_old'] === true,
    }));
  }

  /** Deletes a consultation's entries up to `throughSeq`. */
  async deleteThrough(consultId: string, throughSeq: number): Promise<number> {
    this.heads.delete(consultId);
    const { rows } = await this.db.query(
      'delete from audit where consult_id = $1 and seq <= $2 returning id',
      [consultId, throughSeq],
    );
    return rows.length;
  }
}
