/**
 * The waiting room. Patients and guests ask for a token and, when the consultation has a waiting
 * room, wait until a provider admits them (an `admitted` event for their eyes only, which carries
 * no token: they ask `POST …/token` again and get one) or denies them. Providers see the queue as
 * `lobby` events. No OpenVidu token is ever stored or sent as an event.
 */
import type {
  LobbyEntry,
  ParticipantRole,
  TokenResponse,
  WaitingResponse,
} from '../../../src/contract.js';
import type { AuthenticatedUser } from '../auth.js';
import { cleanDisplayName } from '../display-name.js';
import { ApiError, conflict } from '../errors.js';
import type { EventPublisher } from '../events.js';
import type { LobbyRepository } from '../repositories/lobby.js';
import type { UserRef } from '../store.js';
import type { AuditLog } from './audit-log.js';
import type { TokenService } from './tokens.js';

export interface LobbyServiceDeps {
  lobby: LobbyRepository;
  events: EventPublisher;
  audit: AuditLog;
  tokens: TokenService;
  /**
   * Sends an admitted user what they could not see while waiting (consent, the latest recording),
   * addressed to them alone, right after their `admitted` event.
   */
  catchUp?: (consultId: string, userId: string) => Promise<void>;
  /** Waiting room per consult (default: on for every consult). */
  waitingRoom: boolean | ((consultId: string) => boolean | Promise<boolean>);
}

/** A token, or a place in the queue. */
export type JoinResult = { token: TokenResponse } | { waiting: WaitingResponse };

export class LobbyService {
  constructor(private readonly deps: LobbyServiceDeps) {}

  private async hasWaitingRoom(consultId: string): Promise<boolean> {
    const w = this.deps.waitingRoom;
    return typeof w === 'function' ? await w(consultId) : w;
  }

  /**
   * The user's way in: a token for providers, for consults without a waiting room and for admitted
   * users; otherwise a place in the queue (403 `admission-denied` once denied).
   */
  async join(
    consultId: string,
    user: AuthenticatedUser,
    requestedName: string | undefined,
    ip: string | undefined,
  ): Promise<JoinResult> {
    const { lobby: rows, audit, tokens } = this.deps;
    const who: UserRef = {
      id: user.id,
      role: user.role,
      displayName:
        (user.displayName === user.id ? cleanDisplayName(requestedName) : undefined) ??
        user.displayName,
    };
    if (user.role !== 'provider' && (await this.hasWaitingRoom(consultId))) {
      const lobby = await rows.lobbyStatus(consultId, user.id);
      if (lobby?.status === 'denied')
        throw new ApiError(403, 'admission-denied', 'The provider declined admission.');
      if (lobby?.status !== 'admitted') {
        if (await rows.enterLobby(consultId, who)) {
          await audit.record(consultId, 'lobby.entered', user, { ip });
          await this.publishQueue(consultId);
        }
        const waiting = await rows.waiting(consultId);
        const index = waiting.findIndex((w) => w.userId === user.id);
        return {
          waiting: {
            status: 'waiting',
            consultId,
            ...(index >= 0 ? { position: index + 1 } : {}),
          },
        };
      }
    }
    return { token: await tokens.mint(consultId, who, user, ip) };
  }

  /** The people waiting, first come first. */
  waiting(consultId: string): Promise<LobbyEntry[]> {
    return this.deps.lobby.waiting(consultId);
  }

  /** Admits a waiting user and tells them alone; their next `POST …/token` answers 200. */
  async admit(
    consultId: string,
    userId: string,
    by: { id: string; role: ParticipantRole },
    ip: string | undefined,
  ): Promise<void> {
    const { lobby: rows, events, audit } = this.deps;
    const entry = await rows.decideLobby(consultId, userId, 'admitted');
    if (!entry) throw conflict('That person is not waiting.');
    await events.publish(consultId, 'admitted', { consultId, userId }, { userId });
    await this.deps.catchUp?.(consultId, userId);
    await audit.record(consultId, 'lobby.admitted', by, { subjectId: userId, ip });
    await this.publishQueue(consultId);
  }

  /** Denies a waiting user (the reason goes to them alone). */
  async deny(
    consultId: string,
    userId: string,
    reason: string | undefined,
    by: { id: string; role: ParticipantRole },
    ip: string | undefined,
  ): Promise<void> {
    const { lobby: rows, events, audit } = this.deps;
    const entry = await rows.decideLobby(consultId, userId, 'denied');
    if (!entry) throw conflict('That person is not waiting.');
    await events.publish(consultId, 'denied', reason ? { reason } : {}, { userId });
    await audit.record(consultId, 'lobby.denied', by, { subjectId: userId, ip });
    await this.publishQueue(consultId);
  }

  /** Tells the providers who is waiting now. */
  private async publishQueue(consultId: string): Promise<void> {
    await this.deps.events.publish(
      consultId,
      'lobby',
      { waiting: await this.deps.lobby.waiting(consultId) },
      { role: 'provider' },
    );
  }
}
