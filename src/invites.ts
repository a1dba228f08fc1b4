/**
 * Invited guests: the guest's page exchanges the invite secret from its link for a guest
 * credential bound to one consultation (`POST {api}/invites/redeem`, no portal account). The
 * credential is then the `auth` of an ordinary client, and the consult id is the invite's.
 * @packageDocumentation
 */
import type { InviteRedemption } from './contract.js';
import { ConsultError } from './errors.js';
import { HttpClient } from './http.js';
import { silentLogger } from './logger.js';
import { browserPlatform, type Platform } from './platform.js';

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
  const platform = options.platform ?? browserPlatform();
  const http = new HttpClient({
    fetch: options.fetch ?? platform.fetch,
    clock: platform.clock,
    logger: silentLogger,
  });
  const { data } = await http.request(`${options.apiUrl.replace(/\/+$/, '')}/invites/redeem`, {
    method: 'POST',
    body: { secret: options.secret },
    signal: options.signal,
    notFoundCode: 'invite-invalid',
  });
  const r = data as Partial<InviteRedemption> | null;
  if (typeof r?.accessToken !== 'string' || typeof r.consultId !== 'string' || !r.user)
    throw new ConsultError('invalid-response', 'The token server answered without a credential.');
  return r as InviteRedemption;
}
