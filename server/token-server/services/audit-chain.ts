/**
 * The audit trail's hash chain, as pure functions: the canonical form of an entry, its hash, and
 * the check of a consultation's chain.
 *
 * Each consultation has its own chain. Entry `seq` n (1, 2, 3, …) stores `prevHash`, the hash of
 * entry n-1 (64 zeros for entry 1), and `hash` = SHA-256 (hex) of the canonical JSON of the entry:
 * `{ v: 1, consultId, seq, action, actorId, actorRole, subjectId, ip, at, details, prevHash }` with
 * object keys sorted at every level and absent fields as `null`. Editing a row breaks its hash;
 * deleting one leaves a gap in `seq` and a `prevHash` that matches nothing.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** The action of the anchor entry a retention purge appends before it deletes older entries. */
export const PURGE_ANCHOR_ACTION = 'audit.purged';

/** The fields a hash covers. */
export interface ChainFields {
  consultId: string;
  seq: number;
  action: string;
  actorId: string;
  actorRole: string | null;
  subjectId: string | null;
  ip: string | null;
  /** ISO 8601 with milliseconds (what PostgreSQL's `timestamptz` gives back unchanged). */
  at: string;
  details: Record<string, unknown> | null;
  prevHash: string;
}

/** A stored entry with its place in the chain. */
export interface ChainRow extends Omit<ChainFields, 'prevHash'> {
  id: string;
  prevHash: string | null;
  hash: string | null;
}

/** JSON with object keys sorted at every level; `undefined` members are left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const members = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${members.join(',')}}`;
}

/** The hash of an entry (only the fields of {@link ChainFields} count, whatever else `f` holds). */
export function entryHash(f: ChainFields): string {
  const { consultId, seq, action, actorId, actorRole, subjectId, ip, at, details, prevHash } = f;
  const covered = { v: 1, consultId, seq, action, actorId, actorRole, subjectId, ip, at, details };
  return createHash('sha256')
    .update(canonicalJson({ ...covered, prevHash }))
    .digest('hex');
}

export type ChainProblemKind =
  /** The row's content does not match its hash: it was edited. */
  | 'edited'
  /** Entries before this one are missing (a gap in `seq`, or the start is gone without an anchor). */
  | 'missing-before'
  /** `prevHash` does not match the previous entry's hash. */
  | 'broken-link'
  /** The row has no hash. */
  | 'unsealed';

export interface ChainProblem {
  /** The audit entry's id. */
  id: string;
  seq: number;
  problem: ChainProblemKind;
}

export interface ChainVerification {
  consultId: string;
  ok: boolean;
  /** Entries checked. */
  entries: number;
  /** The last entry's `seq` and hash: keep it outside the database to detect a cut-off tail. */
  head: { seq: number; hash: string } | null;
  /** Entries up to this `seq` were purged by retention (an anchor entry vouches for them); 0 if none. */
  purgedThrough: number;
  problems: ChainProblem[];
}

/** Checks one consultation's chain; `rows` in `seq` order. */
export function verifyChain(consultId: string, rows: readonly ChainRow[]): ChainVerification {
  const problems: ChainProblem[] = [];
  const sound = (r: ChainRow): boolean =>
    r.hash !== null && r.prevHash !== null && entryHash({ ...r, prevHash: r.prevHash }) === r.hash;
  const first = rows[0];
  let purgedThrough = 0;
  if (first && first.seq !== 1) {
    // A purge appends an anchor naming the last entry it deleted; it must vouch for the start.
    const anchor = rows.find(
      (r) =>
        r.action === PURGE_ANCHOR_ACTION &&
        sound(r) &&
        r.details?.['throughSeq'] === first.seq - 1 &&
        r.details['throughHash'] === first.prevHash,
    );
    if (anchor) purgedThrough = first.seq - 1;
  }
  let prev: ChainRow | undefined;
  for (const r of rows) {
    let problem: ChainProblemKind | undefined;
    if (r.hash === null || r.prevHash === null) problem = 'unsealed';
    else if (!sound(r)) problem = 'edited';
    else if (prev ? r.seq !== prev.seq + 1 : r.seq !== 1 && purgedThrough !== r.seq - 1)
      problem = 'missing-before';
    else if (prev ? r.prevHash !== prev.hash : r.seq === 1 && r.prevHash !== GENESIS_HASH)
      problem = 'broken-link';
    if (problem) problems.push({ id: r.id, seq: r.seq, problem });
    prev = r;
  }
  const last = rows.at(-1);
  return {
    consultId,
    ok: problems.length === 0,
    entries: rows.length,
    head: last?.hash ? { seq: last.seq, hash: last.hash } : null,
    purgedThrough,
    problems,
  };
}
