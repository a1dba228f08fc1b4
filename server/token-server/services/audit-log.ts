/**
 * The audit trail: who did what in which consultation, from where. Every write goes through
 * {@link AuditLog.record}, which appends to the consultation's hash chain (`audit-chain.ts`);
 * {@link AuditLog.verify} checks it, and {@link AuditLog.purgeBefore} applies audit retention
 * without breaking it.
 */
import type { AuditEntry, ParticipantRole } from '../../../src/contract.js';
import type { Alongside, AuditRepository } from '../repositories/audit.js';
import type { ChainRow, ChainVerification } from './audit-chain.js';
import { PURGE_ANCHOR_ACTION, verifyChain } from './audit-chain.js';

/** Who acted: a user, or the server itself (`system`, e.g. a webhook). */
export interface Actor {
  id: string;
  role: ParticipantRole | 'system';
}

export interface AuditExtra {
  /** Writes that commit in the same statement as the entry (see `AuditRepository.audit`). */
  alongside?: Alongside;
  /** The user acted upon, when it is not the actor. */
  subjectId?: string;
  details?: Record<string, unknown>;
  /** The client IP (of the request, or as OpenVidu reported it). */
  ip?: string | undefined;
}

export const SYSTEM_ACTOR: Actor = { id: 'system', role: 'system' };

export class AuditLog {
  /** Per consultation, the last pending append: writes of one process queue instead of racing. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly rows: AuditRepository) {}

  async record(
    consultId: string,
    action: string,
    actor: Actor,
    extra: AuditExtra = {},
  ): Promise<void> {
    await this.append(consultId, action, actor, extra);
  }

  /** Appends one entry after the consultation's pending ones; resolves with the stored row. */
  append(
    consultId: string,
    action: string,
    actor: Actor,
    extra: AuditExtra = {},
  ): Promise<ChainRow> {
    const previous = this.tails.get(consultId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() =>
        this.rows.audit(
          {
            consultId,
            action,
            actorId: actor.id,
            actorRole: actor.role,
            ...(extra.subjectId !== undefined ? { subjectId: extra.subjectId } : {}),
            ...(extra.details ? { details: extra.details } : {}),
            ...(extra.ip ? { ip: extra.ip } : {}),
          },
          extra.alongside,
        ),
      );
    this.tails.set(consultId, next);
    const clear = (): void => {
      if (this.tails.get(consultId) === next) this.tails.delete(consultId);
    };
    next.then(clear, clear);
    return next;
  }

  /** The consultation's row was just created: its first entry need not read the chain's head. */
  consultCreated(consultId: string): void {
    this.rows.emptyChain(consultId);
  }

  /** The latest `limit` entries, oldest first. */
  entries(consultId: string, limit: number): Promise<AuditEntry[]> {
    return this.rows.auditEntries(consultId, limit);
  }

  /** The whole chain (`seq` order), e.g. for an export. */
  chain(consultId: string): Promise<ChainRow[]> {
    return this.rows.chain(consultId);
  }

  /** Checks a consultation's chain: edited rows, missing rows, broken links. */
  async verify(consultId: string): Promise<ChainVerification> {
    return verifyChain(consultId, await this.rows.chain(consultId));
  }

  /** Checks every consultation's chain. */
  async verifyAll(): Promise<ChainVerification[]> {
    const out: ChainVerification[] = [];
    for (const id of await this.rows.consultIds()) out.push(await this.verify(id));
    return out;
  }

  /** Seals the entries written before the chain existed (once, at start). */
  sealLegacy(): Promise<number> {
    return this.rows.sealLegacy();
  }

  /**
   * Deletes entries older than `cutoff`. A consultation whose entries are all older goes
   * entirely; otherwise its old prefix goes and an `audit.purged` anchor naming the last deleted
   * entry (`throughSeq`, `throughHash`) is appended first, so the rest still verifies.
   */
  async purgeBefore(cutoff: Date): Promise<number> {
    let deleted = 0;
    for (const x of await this.rows.expired(cutoff)) {
      const anchor = {
        details: {
          throughSeq: x.throughSeq,
          throughHash: x.throughHash,
          before: cutoff.toISOString(),
        },
      };
      if (!x.all) await this.append(x.consultId, PURGE_ANCHOR_ACTION, SYSTEM_ACTOR, anchor);
      deleted += await this.rows.deleteThrough(x.consultId, x.throughSeq);
      // An entry written meanwhile would otherwise start a chain nothing vouches for.
      if (x.all && (await this.rows.chain(x.consultId)).length > 0)
        await this.append(x.consultId, PURGE_ANCHOR_ACTION, SYSTEM_ACTOR, anchor);
    }
    return deleted;
  }
}
