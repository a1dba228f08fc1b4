/**
 * The waiting room and the lobby of a session. Owns the wait for admission (the `admitted` and
 * `denied` events, and a token re-check once the stream opens), the lobby list (`state.lobby`,
 * `lobbyChanged`) with the providers' actions on it (admit, deny, remove), and the token server's
 * event stream itself: the waiting room needs it first, and the rest of the call reuses it, so the
 * events it does not own (recording, consent, end) go to the session through `onEvent`.
 * @packageDocumentation
 */
import { parseLobby, type ConsultApi, type TokenResult } from './api.js';
import type { TokenResponse } from './contract.js';
import { ConsultError } from './errors.js';
import type { Logger } from './logger.js';
import type { Platform } from './platform.js';
import type { ServerEvents } from './server-events.js';
import type { StateStore } from './store.js';
import { abortable } from './timers.js';
import type { SessionEventMap, SessionState } from './types.js';

/** What the waiting room needs from its session. @internal */
export interface WaitingRoomContext {
  api: ConsultApi;
  platform: Platform;
  logger: Logger;
  /** Backoff of the event stream (tests make it predictable). */
  random?: () => number;
  store: StateStore<SessionState>;
  emit<K extends keyof SessionEventMap>(event: K, detail: SessionEventMap[K]): void;
  /** Aborted when the session ends. */
  lifetime: AbortSignal;
  /** Asks the token server for a token again (with the session's name and device check). */
  requestToken(signal: AbortSignal): Promise<TokenResult>;
  /** A server event the waiting room does not handle. */
  onEvent(name: string, data: unknown): void;
  reportError(error: ConsultError): void;
  /** Throws invalid-state unless connected. */
  requireConnected(action: string): void;
}

/** @internal */
export class WaitingRoom {
  private readonly ctx: WaitingRoomContext;
  private events: ServerEvents | undefined;
  private eventsRequested = false;
  private admission:
    { resolve(token: TokenResponse): void; reject(error: ConsultError): void } | undefined;

  constructor(ctx: WaitingRoomContext) {
    this.ctx = ctx;
  }

  /** Resolves with the token once admitted; rejects when denied, on a stream failure or abort. */
  waitForAdmission(signal: AbortSignal): Promise<TokenResponse> {
    const waiting = new Promise<TokenResponse>((resolve, reject) => {
      this.admission = { resolve, reject };
    });
    if (!this.ctx.api.eventsUrl()) {
      this.admission?.reject(
        ConsultError.invalidState(
          'The waiting room needs the token server event stream (tokenUrl or eventsUrl).',
        ),
      );
    }
    this.startEvents();
    return abortable(waiting, signal).finally(() => {
      this.admission = undefined;
    });
  }

  /** Opens the token server's event stream (once; nothing without an events URL). */
  startEvents(): void {
    if (this.eventsRequested) return;
    const { api, platform, logger, random, lifetime } = this.ctx;
    const url = api.eventsUrl();
    if (!url) return;
    this.eventsRequested = true;
    // Loaded on demand (with @microsoft/fetch-event-source) so pages that only import the SDK do
    // not pay for it; see the size budgets in docs/architecture.md.
    import('./server-events.js').then(
      ({ ServerEvents }) => {
        if (lifetime.aborted) return;
        this.events = new ServerEvents({
          url,
          fetch: platform.fetch,
          clock: platform.clock,
          logger,
          headers: () => api.authHeaders(),
          onEvent: (name, data) => this.handleEvent(name, data),
          onOpen: () => this.handleOpen(),
          onFatal: (error) => {
            if (this.admission) this.admission.reject(error);
            else if (error.code === 'consult-ended') this.ctx.onEvent('ended', {});
            else this.ctx.reportError(error);
          },
          ...(random ? { random } : {}),
        });
        this.events.start();
      },
      (error: unknown) => {
        const failure = ConsultError.from(error, 'network-error');
        if (this.admission) this.admission.reject(failure);
        else this.ctx.reportError(failure);
      },
    );
  }

  /** Stops the event stream and abandons a wait in progress. */
  close(): void {
    this.events?.stop();
    this.admission?.reject(ConsultError.aborted());
  }

  /** A provider's action on the lobby (or on a participant, for `remove`). */
  async act(userId: string, action: 'admit' | 'deny' | 'remove', reason?: string): Promise<void> {
    if (typeof userId !== 'string' || userId === '')
      throw new TypeError('userId must be a non-empty string');
    this.ctx.requireConnected(action);
    if (action === 'remove' && this.ctx.store.state.role !== 'provider')
      throw new ConsultError('forbidden', 'Only providers may remove participants.');
    try {
      await this.ctx.api.lobby(userId, action, reason);
    } catch (error) {
      throw ConsultError.from(error);
    }
  }

  /** While waiting, re-ask for the token once the stream is open: an admission that happened
   * before the stream connected would otherwise be missed. */
  private handleOpen(): void {
    const admission = this.admission;
    if (!admission) return;
    this.ctx.requestToken(this.ctx.lifetime).then(
      (result) => {
        if (result.status === 'token') admission.resolve(result.token);
      },
      (error: unknown) => this.ctx.logger.debug('token re-check while waiting failed', { error }),
    );
  }

  private handleEvent(name: string, data: unknown): void {
    switch (name) {
      case 'admitted': {
        // The event carries no token (the server never stores one): ask for it again, which
        // answers 200 now that the caller is admitted.
        const admission = this.admission;
        if (!admission) return;
        this.ctx.requestToken(this.ctx.lifetime).then(
          (result) => {
            if (result.status === 'token') admission.resolve(result.token);
            else this.ctx.logger.debug('admitted, but the token server still says waiting');
          },
          (error: unknown) => admission.reject(ConsultError.from(error, 'network-error')),
        );
        return;
      }
      case 'denied': {
        const reason =
          typeof data === 'object' && data !== null
            ? (data as { reason?: unknown }).reason
            : undefined;
        const given = typeof reason === 'string' && reason ? reason : undefined;
        // The reason also goes in `details`, where <consult-room>'s denied screen reads it.
        this.admission?.reject(
          new ConsultError('admission-denied', given ?? 'Admission was denied.', {
            recoverable: false,
            ...(given !== undefined ? { details: { reason: given } } : {}),
          }),
        );
        return;
      }
      case 'lobby': {
        const lobby = parseLobby(data);
        this.ctx.store.update((s) => ({ ...s, lobby }));
        this.ctx.emit('lobbyChanged', { lobby });
        return;
      }
      default:
        this.ctx.onEvent(name, data);
    }
  }
}
