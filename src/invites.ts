/**
 * Invited guests: the guest's page exchanges the invite secret from its link for a guest
 * credential bound to one consultation (`POST {api}/invites/redeem`, no portal account). The
 * credential is then the `auth` of an ordinary client, and the consult id is the invite's.
 * @packageDocumentation
 */
import type { InviteRedemption } from './contract.js';
import type { Platform } from './platform.js';

/** Options of {@link redeemInvite}. @public */
export interface RedeemInviteOptions {
  /** The token server's API base, e.g. `https://portal.example/api`. */
  apiUrl: string;
  /** The invite secret from the link the provider sent. */
  secret: string;
  fetch?: typeof fetch;
  platform?: Platform;
  signal?: AbortSignal;
}

/**
 * Redeems a guest invite, once. Resolves with the consult id, the guest credential (use it as
 * `auth`) and the guest's name; rejects with `invite-invalid` (`details.reason`: `used`,
 * `expired`, `revoked`, `not-found`) or the usual request codes.
 * @example
 * ```ts
 * const secret = new URLSearchParams(location.hash.slice(1)).get('invite') ?? '';
 * const guest = await redeemInvite({ apiUrl: '/api', secret });
 * const client = createConsultClient({ tokenUrl: '/api', auth: guest.accessToken });
 * const session = await client.join(guest.consultId);
 * ```
 * @public
 */
export async function redeemInvite(options: RedeemInviteOptions): Promise<InviteRedemption> {
  if (typeof options?.secret !== 'string' || options.secret === '')
    throw new TypeError('redeemInvite needs the invite secret');
  // Loaded on demand: only a guest's page redeems an invite.
  const { redeem } = await import('./invite-redeem.js');
  return redeem(options);
}
