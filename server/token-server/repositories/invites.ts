/**
 * Guest invites and the guest sessions redeemed from them. Only SHA-256 hashes of the invite
 * secret and of the session credential are stored; the secrets themselves exist only in the
 * answers that hand them out.
 */
import type { InviteInfo } from '../../../src/contract.js';
import type { Db } from '../db.js';
import type { Row } from './rows.js';
import { iso, str } from './rows.js';

/** An invite row, with what redeeming needs to know. */
export interface InviteRow {
  inviteId: string;
  consultId: string;
  displayName: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | undefined;
  revokedAt: string | undefined;
}

/** A live guest session: the invite it came from and its one consult. */
export interface GuestSessionRow {
  inviteId: string;
  consultId: string;
  displayName: string;
  expiresAt: string;
}

const COLUMNS =
  'id, consult_id, display_name, created_by, created_at, expires_at, used_at, revoked_at';

function inviteRow(r: Row): InviteRow {
  return {
    inviteId: str(r['id']),
    consultId: str(r['consult_id']),
    displayName: str(r['display_name']),
    createdBy: str(r['created_by']),
    createdAt: iso(r['created_at']) ?? '',
    expiresAt: iso(r['expires_at']) ?? '',
    usedAt: iso(r['used_at']),
    revokedAt: iso(r['revoked_at']),
  };
}

/** The public view of an invite at `now`. */
export function publicInvite(row: InviteRow, now: number): InviteInfo {
  const status: InviteInfo['status'] = row.revokedAt
    ? 'revoked'
    : row.usedAt
      ? 'used'
      : Date.parse(row.expiresAt) <= now
        ? 'expired'
        : 'active';
  return {
    inviteId: row.inviteId,
    consultId: row.consultId,
    role: 'guest',
    displayName: row.displayName,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    status,
    ...(row.usedAt ? { usedAt: row.usedAt } : {}),
    ...(row.revokedAt ? { revokedAt: row.revokedAt } : {}),
  };
}

export class InviteRepository {
  constructor(private readonly db: Db) {}

  async create(invite: {
    inviteId: string;
    consultId: string;
    secretHash: string;
    displayName: string;
    createdBy: string;
    expiresAt: Date;
  }): Promise<InviteRow> {
    const { rows } = await this.db.query(
      `insert into invites (id, consult_id, secret_hash, display_name, created_by, expires_at)
       values ($1, $2, $3, $4, $5, $6) returning ${COLUMNS}`,
      [
        invite.inviteId,
        invite.consultId,
        invite.secretHash,
        invite.displayName,
        invite.createdBy,
        invite.expiresAt.toISOString(),
      ],
    );
    return inviteRow(rows[0] as Row);
  }

  async list(consultId: string): Promise<InviteRow[]> {
    const { rows } = await this.db.query(
      `select ${COLUMNS} from invites where consult_id = $1 order by created_at, id`,
      [consultId],
    );
    return rows.map(inviteRow);
  }

  async get(consultId: string, inviteId: string): Promise<InviteRow | undefined> {
    const { rows } = await this.db.query(
      `select ${COLUMNS} from invites where consult_id = $1 and id = $2`,
      [consultId, inviteId],
    );
    return rows[0] ? inviteRow(rows[0]) : undefined;
  }

  async bySecret(secretHash: string): Promise<InviteRow | undefined> {
    const { rows } = await this.db.query(`select ${COLUMNS} from invites where secret_hash = $1`, [
      secretHash,
    ]);
    return rows[0] ? inviteRow(rows[0]) : undefined;
  }

  /** Revokes an invite and ends its guest sessions; the row when it was not revoked before. */
  async revoke(consultId: string, inviteId: string): Promise<InviteRow | undefined> {
    const { rows } = await this.db.query(
      `update invites set revoked_at = now() where consult_id = $1 and id = $2 and revoked_at is null
       returning ${COLUMNS}`,
      [consultId, inviteId],
    );
    await this.db.query('delete from guest_sessions where invite_id = $1', [inviteId]);
    return rows[0] ? inviteRow(rows[0]) : undefined;
  }

  /**
   * Marks an active invite used and stores the guest session's credential hash, in one
   * statement so two concurrent redemptions cannot both win. The invite when this call won.
   */
  async redeem(
    secretHash: string,
    credentialHash: string,
    sessionExpiresAt: Date,
  ): Promise<InviteRow | undefined> {
    const { rows } = await this.db.query(
      `with used as (
         update invites set used_at = now()
         where secret_hash = $1 and used_at is null and revoked_at is null and expires_at > now()
         returning ${COLUMNS}
       ), session as (
         insert into guest_sessions (credential_hash, invite_id, consult_id, expires_at)
         select $2, id, consult_id, $3 from used
       )
       select * from used`,
      [secretHash, credentialHash, sessionExpiresAt.toISOString()],
    );
    return rows[0] ? inviteRow(rows[0]) : undefined;
  }

  /** The live session behind a credential hash (not expired, invite not revoked). */
  async session(credentialHash: string): Promise<GuestSessionRow | undefined> {
    const { rows } = await this.db.query(
      `select s.invite_id, s.consult_id, s.expires_at, i.display_name from guest_sessions s
       join invites i on i.id = s.invite_id
       where s.credential_hash = $1 and s.expires_at > now() and i.revoked_at is null`,
      [credentialHash],
    );
    const r = rows[0];
    return r
      ? {
          inviteId: str(r['invite_id']),
          consultId: str(r['consult_id']),
          displayName: str(r['display_name']),
          expiresAt: iso(r['expires_at']) ?? '',
        }
      : undefined;
  }
}
