/**
 * Invited guests. A provider creates an invite for one consult (a name, an expiry, single use);
 * the answer carries a random secret, stored only as its SHA-256 hash. The guest's page redeems
 * the secret once (`POST /api/invites/redeem`, no portal account) for a guest session credential
 * (`ckg_…`, also stored hashed) that authenticates as the user `invite:<inviteId>`, role `guest`,
 * in that one consult only. From there the guest goes the way every patient goes: the token
 * endpoint (the waiting room), admission, consent, removal.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CreateInviteResponse, InviteInfo, InviteRedemption } from '../../../src/contract.js';
import type { AuthenticatedUser } from '../auth.js';
import { ApiError, consultEnded } from '../errors.js';
import type { ConsultRepository } from '../repositories/consults.js';
import type { InviteRepository } from '../repositories/invites.js';
import { publicInvite } from '../repositories/invites.js';
import { DEFAULT_INVITE_TTL_SEC } from '../schemas-queue-invites.js';
import type { Actor, AuditLog } from './audit-log.js';

/** Prefix of guest session credentials (so they are told apart from the portal's JWTs). */
export const GUEST_CREDENTIAL_PREFIX = 'ckg_';
/** How long a redeemed guest session lasts (4 hours; capped by nothing else). */
export const GUEST_SESSION_TTL_SEC = 4 * 3600;
/** Prefix of the user key of a guest: `invite:<inviteId>`. */
export const GUEST_USER_PREFIX = 'invite:';

export interface InviteServiceDeps {
  invites: InviteRepository;
  consults: ConsultRepository;
  audit: AuditLog;
  now?: () => number;
}

/** A guest's authenticated identity and the one consult it is bound to. */
export interface GuestIdentity {
  user: AuthenticatedUser;
  consultId: string;
}

const hash = (secret: string): string => createHash('sha256').update(secret).digest('hex');
const random = (bytes: number): string => randomBytes(bytes).toString('base64url');

export const inviteGone = (status: InviteInfo['status'] | 'not-found'): ApiError => {
  switch (status) {
    case 'used':
      return new ApiError(410, 'invite-used', 'This invitation has already been used.', {
        details: { reason: 'used' },
      });
    case 'expired':
      return new ApiError(410, 'invite-expired', 'This invitation has expired.', {
        details: { reason: 'expired' },
      });
    case 'revoked':
      return new ApiError(410, 'invite-revoked', 'This invitation was revoked.', {
        details: { reason: 'revoked' },
      });
    default:
      return new ApiError(404, 'invite-not-found', 'No such invitation.', {
        details: { reason: 'not-found' },
      });
  }
};

export class InviteService {
  private readonly now: () => number;

  constructor(private readonly deps: InviteServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async create(
    consultId: string,
    displayName: string,
    expiresInSec: number | undefined,
    by: Actor,
    ip: string | undefined,
  ): Promise<CreateInviteResponse> {
    if ((await this.deps.consults.getConsult(consultId))?.endedAt) throw consultEnded();
    const secret = `cki_${random(32)}`;
    const row = await this.deps.invites.create({
      inviteId: `inv_${random(12)}`,
      consultId,
      secretHash: hash(secret),
      displayName,
      createdBy: by.id,
      expiresAt: new Date(this.now() + (expiresInSec ?? DEFAULT_INVITE_TTL_SEC) * 1000),
    });
    await this.deps.audit.record(consultId, 'invite.created', by, {
      subjectId: GUEST_USER_PREFIX + row.inviteId,
      details: { inviteId: row.inviteId, expiresAt: row.expiresAt },
      ip,
    });
    return { invite: publicInvite(row, this.now()), secret };
  }

  async list(consultId: string): Promise<InviteInfo[]> {
    const now = this.now();
    return (await this.deps.invites.list(consultId)).map((r) => publicInvite(r, now));
  }

  /** Revokes an invite (404 unknown; revoking twice answers the revoked invite). */
  async revoke(
    consultId: string,
    inviteId: string,
    by: Actor,
    ip: string | undefined,
  ): Promise<InviteInfo> {
    const revoked = await this.deps.invites.revoke(consultId, inviteId);
    if (revoked)
      await this.deps.audit.record(consultId, 'invite.revoked', by, {
        subjectId: GUEST_USER_PREFIX + inviteId,
        details: { inviteId },
        ip,
      });
    const row = revoked ?? (await this.deps.invites.get(consultId, inviteId));
    if (!row) throw inviteGone('not-found');
    return publicInvite(row, this.now());
  }

  /** Exchanges an invite secret for a guest session credential, once. */
  async redeem(secret: string, ip: string | undefined): Promise<InviteRedemption> {
    const credential = GUEST_CREDENTIAL_PREFIX + random(32);
    const expiresAt = new Date(this.now() + GUEST_SESSION_TTL_SEC * 1000);
    const row = await this.deps.invites.redeem(hash(secret), hash(credential), expiresAt);
    if (!row) {
      const known = await this.deps.invites.bySecret(hash(secret));
      const status = known ? publicInvite(known, this.now()).status : 'not-found';
      if (known)
        await this.deps.audit.record(
          known.consultId,
          'invite.rejected',
          { id: GUEST_USER_PREFIX + known.inviteId, role: 'guest' },
          { details: { inviteId: known.inviteId, reason: status }, ip },
        );
      throw inviteGone(status === 'active' ? 'used' : status);
    }
    const user = { id: GUEST_USER_PREFIX + row.inviteId, role: 'guest' as const };
    await this.deps.audit.record(row.consultId, 'invite.redeemed', user, {
      details: { inviteId: row.inviteId },
      ip,
    });
    return {
      consultId: row.consultId,
      accessToken: credential,
      expiresAt: expiresAt.toISOString(),
      user: { ...user, displayName: row.displayName },
    };
  }

  /** The guest behind a `ckg_…` credential, or undefined (expired, revoked, unknown). */
  async authenticate(credential: string): Promise<GuestIdentity | undefined> {
    const session = await this.deps.invites.session(hash(credential));
    if (!session) return undefined;
    return {
      consultId: session.consultId,
      user: {
        id: GUEST_USER_PREFIX + session.inviteId,
        displayName: session.displayName,
        role: 'guest',
      },
    };
  }
}
