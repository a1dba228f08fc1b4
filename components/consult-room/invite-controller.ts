/**
 * `InviteController`: lets `<consult-room invite="…">` serve an invited guest. It redeems the
 * invite secret once (`redeemInvite`, against the API base of `token-url`), then gives the room
 * the invite's consult id and the guest credential as `auth`, so the room builds its own session
 * as for anyone else: device check, waiting room, consent.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { redeemInvite, type AuthProvider } from '../../src/index.js';

/** The part of `<consult-room>` the controller reads and writes. */
export interface InviteHost extends ReactiveControllerHost {
  invite: string;
  tokenUrl: string | undefined;
  consultId: string;
  auth: AuthProvider | undefined;
}

/** The API base of a `token-url` (an API base, or a token URL template). */
export function apiBaseOf(tokenUrl: string): string {
  return tokenUrl.replace(/\/consults\/\{consultId\}\/token$/, '').replace(/\/+$/, '');
}

export class InviteController implements ReactiveController {
  private redeemed = '';

  constructor(
    private readonly host: InviteHost,
    private readonly onError: (error: unknown) => void,
  ) {
    host.addController(this);
  }

  hostUpdate(): void {
    const { invite, tokenUrl } = this.host;
    if (!invite || !tokenUrl || invite === this.redeemed) return;
    this.redeemed = invite;
    redeemInvite({ apiUrl: apiBaseOf(tokenUrl), secret: invite }).then(
      (guest) => {
        if (this.host.invite !== invite) return;
        this.host.auth = guest.accessToken;
        this.host.consultId = guest.consultId;
        this.host.requestUpdate();
      },
      (error: unknown) => {
        if (this.host.invite === invite) this.onError(error);
      },
    );
  }
}
