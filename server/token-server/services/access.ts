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

export class AccessControl {
  constructor(private readonly deps: AccessControlDeps) {}

  /** The user behind the request's access token; 401 otherwise. */
  async authenticate(request: Request): Promise<AuthenticatedUser> {
    const { demo, primary, logger } = this.deps;
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

  /** Authenticates, then checks the role, the `authorize` hook and (optionally) the consult. */
  async check(
    request: Request,
    consultId: string,
    action: ConsultAction,
    opts: AccessOptions = {},
  ): Promise<AuthenticatedUser> {
    const user = await this.authenticate(request);
    if (opts.providerOnly && user.role !== 'provider')
      throw forbidden('Only providers may do this.');
    if (!(await this.deps.authorize(user, consultId, action)))
      throw forbidden('Not allowed in this consultation.');
    if (opts.mustExist && !(await this.deps.consults.getConsult(consultId)))
      throw consultNotFound();
    return user;
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
