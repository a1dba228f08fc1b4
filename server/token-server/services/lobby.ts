/**
 * The waiting room. Patients and guests ask for a token and, when the consultation has a waiting
 * room, wait until a provider admits them (an `admitted` event for their eyes only, which carries
 * no token: they ask `POST …/token` again and get one) or denies them. Providers see the queue as
 * `lobby` events. No OpenVidu token is ever stored or sent as an event.
 */
import type {
  DeviceCheckReport,
  LobbyEntry,
  ParticipantRole,
  RecordingNotice,
  TokenResponse,
  WaitingResponse,
} from '../../../src/contract.js';
import type { AuthenticatedUser } from '../auth.js';
import { cleanDisplayName } from '../display-name.js';
import { ApiError, conflict, consultEnded } from '../errors.js';
import type { EventPublisher } from '../events.js';
import type { MediaServer } from './media-server.js';
import type { ConnectionRepository } from '../repositories/connections.js';
import type { ConsultRepository } from '../repositories/consults.js';
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
  ov: MediaServer;
  consults: ConsultRepository;
  connections: ConnectionRepository;
  /** Waiting room per consult (default: on for every consult). */
  waitingRoom: boolean | ((consultId: string) => boolean | Promise<boolean>);
}

/** A token, or a place in the queue. */
export type JoinResult = { token: TokenResponse } | { waiting: WaitingResponse };

export class LobbyService {
  /** What a user joining now must know about a running recording (set by the recordings). */
  recordingNotice: (consultId: string, who: UserRef) => Promise<RecordingNotice | undefined> = () =>
    Promise.resolve(undefined);
  /** Whether a recording is running (told to people in the waiting room). */
  recordingActive: (consultId: string) => Promise<boolean> = () => Promise.resolve(false);

  constructor(private readonly deps: LobbyServiceDeps) {}

  /** A token, with the running-recording notice when there is one. */
  private async mint(
    consultId: string,
    who: UserRef,
    actor: { id: string; role: ParticipantRole },
    ip: string | undefined,
  ): Promise<TokenResponse> {
    const token = await this.deps.tokens.mint(consultId, who, actor, ip);
    const recording = await this.recordingNotice(consultId, who);
    return recording ? { ...token, recording } : token;
  }

  private async hasWaitingRoom(consultId: string): Promise<boolean> {
    const w = this.deps.waitingRoom;
    return typeof w === 'function' ? await w(consultId) : w;
  }

  /**
   * The user's way in: a token for providers, for consults without a waiting room and for admitted
   * users; otherwise a place in the queue. 403 `admission-denied` once denied or removed, with or
   * without a waiting room.
   */
  async join(
    consultId: string,
    user: AuthenticatedUser,
    requestedName: string | undefined,
    ip: string | undefined,
    deviceCheck?: DeviceCheckReport,
  ): Promise<JoinResult> {
    const { lobby: rows, audit } = this.deps;
    const who: UserRef = {
      id: user.id,
      role: user.role,
      displayName:
        (user.displayName === user.id ? cleanDisplayName(requestedName) : undefined) ??
        user.displayName,
    };
    const lobby = user.role === 'provider' ? undefined : await rows.lobbyStatus(consultId, user.id);
    if (lobby?.status === 'denied')
      throw new ApiError(403, 'admission-denied', 'The provider declined admission.');
    if (user.role !== 'provider' && (await this.hasWaitingRoom(consultId))) {
      if (lobby?.status !== 'admitted') {
        if (await rows.enterLobby(consultId, who, deviceCheck)) {
          await audit.record(consultId, 'lobby.entered', user, { ip });
          await this.publishQueue(consultId);
        }
        const waiting = await rows.waiting(consultId);
        const index = waiting.findIndex((w) => w.userId === user.id);
        const recording = await this.recordingActive(consultId);
        return {
          waiting: {
            status: 'waiting',
            consultId,
            ...(index >= 0 ? { position: index + 1 } : {}),
            ...(recording ? { recording } : {}),
          },
        };
      }
    }
    return { token: await this.mint(consultId, who, user, ip) };
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
    const { lobby: rows, events, audit, consults } = this.deps;
    if ((await consults.getConsult(consultId))?.endedAt) throw consultEnded();
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

  /**
   * Revokes admission (providers): the user is denied from now on (no new token, with or without a
   * waiting room), their OpenVidu connections are evicted, and they are told `denied` (`removed`).
   * Providers cannot be removed (409). A retry after an OpenVidu failure (503) finishes the job.
   */
  async remove(
    consultId: string,
    userId: string,
    by: { id: string; role: ParticipantRole },
    ip: string | undefined,
  ): Promise<void> {
    const { lobby: rows, events, audit, ov, connections } = this.deps;
    const known =
      (await connections.getParticipant(consultId, userId)) ??
      (await rows.waiting(consultId)).find((w) => w.userId === userId);
    const who: UserRef = known
      ? { id: userId, displayName: known.displayName, role: known.role }
      : { id: userId, displayName: userId, role: 'guest' };
    if (who.role === 'provider' || userId === by.id)
      throw conflict('Providers cannot be removed from a consultation.');
    const wasWaiting = (await rows.lobbyStatus(consultId, userId))?.status === 'waiting';
    if (await rows.denyUser(consultId, who)) {
      await audit.record(consultId, 'participant.removed', by, { subjectId: userId, ip });
      await events.publish(consultId, 'denied', { reason: 'removed' }, { userId });
      if (wasWaiting) await this.publishQueue(consultId);
    }
    for (const connectionId of await connections.openConnections(consultId, userId))
      await ov.destroyConnection(consultId, connectionId);
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
