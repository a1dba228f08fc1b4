/**
 * Who is calling, and may they do this here: authentication of the request (the portal's JWTs or a
 * custom `authenticate`, plus demo tokens), the built-in role checks, the `authorize` hook and the
 * consultation's existence, in that order (401, 403, 403, 404).
 */
import type { AuthenticatedUser, Authenticate } from '../auth.js';
import { DemoAuth } from '../auth.js';
import { cleanDisplayName } from '../display-name.js';
import { ApiError, consultNotFound, forbidden, unauthorized } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Authorize, ConsultAction } from '../options.js';
import type { ConnectionRepository } from '../repositories/connections.js';
import type { ConsultRepository } from '../repositories/consults.js';
import type { LobbyRepository } from '../repositories/lobby.js';
import type { GuestIdentity } from './invites.js';
import { GUEST_CREDENTIAL_PREFIX } from './invites.js';

export interface AccessOptions {
  /** 403 unless the user is a provider. */
  providerOnly?: boolean;
  /** 404 unless the consultation exists. */
  mustExist?: boolean;
}

export interface AccessControlDeps {
  /** The configured authenticator (JWT or custom); undefined in demo-only mode. */
  primary: Authenticate | undefined;
  demo: DemoAuth | undefined;
  authorize: Authorize;
  consults: ConsultRepository;
  connections: ConnectionRepository;
  lobby: LobbyRepository;
  logger: Logger;
}

/** Resolves invited guests' session credentials (`ckg_…`). */
export type GuestResolver = (credential: string) => Promise<GuestIdentity | undefined>;

/**
 * What an invited guest may do: their own way in and what every participant may do. Everything
 * else (provider actions) is refused before the binding is asked.
 */
const GUEST_ACTIONS: ReadonlySet<ConsultAction> = new Set<ConsultAction>([
  'token',
  'events',
  'consent',
  'messages.read',
  'recording.read',
]);

/** Guests authenticated from an invite, and the consult each is bound to. */
const guestConsult = new WeakMap<AuthenticatedUser, string>();

/** The consult an invited guest is bound to; undefined for everyone else. */
export function guestBinding(user: AuthenticatedUser): string | undefined {
  return guestConsult.get(user);
}

export class AccessControl {
  /** Resolves invited guests' credentials; set once the invites service exists. */
  guests: GuestResolver | undefined;

  constructor(private readonly deps: AccessControlDeps) {}

  /** The user behind the request's access token; 401 otherwise. */
  async authenticate(request: Request): Promise<AuthenticatedUser> {
    const { demo, primary, logger } = this.deps;
    const { guests } = this;
    const bearer = request.headers.get('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (guests && bearer?.startsWith(GUEST_CREDENTIAL_PREFIX)) {
      // An invited guest: the invite is their binding to one consult (the portal never saw them).
      const guest = await guests(bearer);
      if (!guest) throw unauthorized('Invalid or expired guest session.');
      guestConsult.set(guest.user, guest.consultId);
      return guest.user;
    }
    try {
      const user =
        demo && (!primary || DemoAuth.looksLikeDemo(request))
          ? await demo.authenticate(request)
          : primary
            ? await primary(request)
            : null;
      if (!user) throw unauthorized();
      return { ...user, displayName: cleanDisplayName(user.displayName) ?? user.id };
    } catch (e) {
      if (e instanceof ApiError) throw e;
      const code = (e as { code?: unknown }).code;
      logger.debug('access token rejected', { code: typeof code === 'string' ? code : 'error' });
      throw unauthorized('Invalid or expired access token.');
    }
  }

  /**
   * Authenticates, then checks the role, the `authorize` hook (for an invited guest: their invite's
   * consult) and (optionally) the consult.
   */
  async check(
    request: Request,
    consultId: string,
    action: ConsultAction,
    opts: AccessOptions = {},
  ): Promise<AuthenticatedUser> {
    const user = await this.authenticate(request);
    if (opts.providerOnly && user.role !== 'provider')
      throw forbidden('Only providers may do this.');
    const bound = guestConsult.get(user);
    if (bound !== undefined) {
      if (bound !== consultId || !GUEST_ACTIONS.has(action))
        throw forbidden('Not allowed in this consultation.');
    } else if (!(await this.deps.authorize(user, consultId, action)))
      throw forbidden('Not allowed in this consultation.');
    if (opts.mustExist && !(await this.deps.consults.getConsult(consultId)))
      throw consultNotFound();
    return user;
  }

  /**
   * Whether an authenticated user may do `action` in `consultId` (the binding only; no role or
   * existence checks). Used where the consult is not in the request (the provider's queue).
   */
  async allowed(
    user: AuthenticatedUser,
    consultId: string,
    action: ConsultAction,
  ): Promise<boolean> {
    const bound = guestConsult.get(user);
    if (bound !== undefined) return bound === consultId && GUEST_ACTIONS.has(action);
    return await this.deps.authorize(user, consultId, action);
  }

  /** 404 unless the consultation exists. */
  async requireConsult(consultId: string): Promise<void> {
    if (!(await this.deps.consults.getConsult(consultId))) throw consultNotFound();
  }

  /**
   * 403 unless the user may see the consultation's recordings and consent: a provider, or a
   * participant (given a token, or admitted) who has not been denied.
   */
  async requireMember(consultId: string, user: AuthenticatedUser): Promise<void> {
    if (user.role === 'provider') return;
    const lobby = await this.deps.lobby.lobbyStatus(consultId, user.id);
    const member =
      lobby?.status === 'admitted' ||
      (lobby?.status !== 'denied' &&
        (await this.deps.connections.isParticipant(consultId, user.id)));
    if (!member) throw forbidden('Only participants of this consultation may see this.');
  }

  /** 403 unless the user holds a token of this consultation (has been a participant). */
  async requireParticipant(consultId: string, userId: string, message: string): Promise<void> {
    if (!(await this.deps.connections.isParticipant(consultId, userId))) throw forbidden(message);
  }
}
