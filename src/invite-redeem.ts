/**
 * The request itself, loaded on demand by {@link redeemInvite}.
 * @packageDocumentation
 */
import type { InviteRedemption } from './contract.js';
import { ConsultError } from './errors.js';
import { HttpClient } from './http.js';
import type { RedeemInviteOptions } from './invites.js';
import { silentLogger } from './logger.js';
import { browserPlatform } from './platform.js';

/** @internal */
export async function redeem(options: RedeemInviteOptions): Promise<InviteRedemption> {
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
