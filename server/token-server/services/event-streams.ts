/**
 * The open Server-Sent Event streams. A fresh stream starts with the state its user may see (their
 * own admission or denial, or the queue for providers; consent; the latest recording; the end),
 * then follows the event log; a resumed one (`Last-Event-ID`) only follows the log.
 *
 * What a user sees depends on where they stand: providers and participants (given a token, or
 * admitted) see consent and recordings; everyone else (waiting, denied, or never asked) sees only
 * their own `admitted` / `denied` and `ended`. A stream follows its user's `admitted` and `denied`
 * events as they pass. Streams are capped per user and consult and per user overall (429).
 */
import type { AuthenticatedUser } from '../auth.js';
import { ApiError } from '../errors.js';
import type { EventHub, SseStream } from '../events.js';
import { openSseStream } from '../events.js';
import type { Logger } from '../logger.js';
import type { EventRow, Store } from '../store.js';
import { publicRecording } from '../store.js';
import type { ConsentService } from './consent.js';

/** Limits on open event streams (per instance). */
export interface EventStreamLimits {
  /** Streams one user may hold in one consultation (default 5). */
  perUserPerConsult?: number;
  /** Streams one user may hold across consultations (default 20). */
  perUser?: number;
}

export interface EventStreamsDeps {
  hub: EventHub;
  store: Store;
  consent: ConsentService;
  logger: Logger;
  /** SSE heartbeat interval in ms. */
  heartbeatMs: number;
  limits?: EventStreamLimits | undefined;
}

/** What a user may see of a consultation's events. */
type Standing = 'member' | 'outsider';

/** Events an outsider (waiting, denied, never admitted) sees: only their own fate. */
const OUTSIDER_EVENTS = new Set(['admitted', 'denied', 'ended']);

export class EventStreams {
  private readonly streams = new Set<SseStream>();
  /** Open streams per `user` and per `user|consult`. */
  private readonly counts = new Map<string, number>();

  constructor(private readonly deps: EventStreamsDeps) {}

  /** Streams open now on this instance. */
  get openCount(): number {
    return this.streams.size;
  }

  /**
   * Opens a stream for `user` (429 `rate-limited` beyond the caps); it ends when `signal` aborts
   * or on {@link closeAll}.
   */
  async open(
    consultId: string,
    user: AuthenticatedUser,
    lastEventId: number | undefined,
    signal: AbortSignal,
  ): Promise<Response> {
    const { hub, store, logger, heartbeatMs } = this.deps;
    const keys = [`u|${user.id}`, `c|${consultId}|${user.id}`];
    const perUser = this.deps.limits?.perUser ?? 20;
    const perConsult = this.deps.limits?.perUserPerConsult ?? 5;
    if ((this.counts.get(keys[0] as string) ?? 0) >= perUser)
      throw new ApiError(429, 'rate-limited', 'Too many open event streams.');
    if ((this.counts.get(keys[1] as string) ?? 0) >= perConsult)
      throw new ApiError(429, 'rate-limited', 'Too many open event streams in this consultation.');
    for (const k of keys) this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const k of keys) {
        const n = (this.counts.get(k) ?? 1) - 1;
        if (n <= 0) this.counts.delete(k);
        else this.counts.set(k, n);
      }
    };
    let standing: Standing;
    try {
      standing = await this.standing(consultId, user);
    } catch (e) {
      release();
      throw e;
    }
    const stream = openSseStream({
      hub,
      store,
      consultId,
      user,
      lastEventId,
      // Where the user stands is read again after the cursor: an admission or denial between the
      // first read and the cursor is in the snapshot, and the filter must agree with it.
      snapshot: async (cursor) => {
        standing = await this.standing(consultId, user);
        return this.snapshot(consultId, user, standing, cursor);
      },
      filter: (e) => {
        if (user.role === 'provider') return true;
        if (e.name === 'admitted') standing = 'member';
        if (e.name === 'denied') standing = 'outsider';
        return standing === 'member' || OUTSIDER_EVENTS.has(e.name);
      },
      heartbeatMs,
      logger,
      onClose: () => {
        this.streams.delete(stream);
        release();
      },
    });
    this.streams.add(stream);
    signal.addEventListener('abort', () => stream.close(), { once: true });
    return stream.response;
  }

  /** Ends every stream; `retryMs` tells clients to reconnect that soon (to another instance). */
  closeAll(retryMs?: number): void {
    for (const s of [...this.streams]) s.close(retryMs);
  }

  private async standing(consultId: string, user: AuthenticatedUser): Promise<Standing> {
    if (user.role === 'provider') return 'member';
    const { store } = this.deps;
    const lobby = await store.lobbyStatus(consultId, user.id);
    if (lobby?.status === 'denied') return 'outsider';
    if (lobby?.status === 'admitted') return 'member';
    return (await store.isParticipant(consultId, user.id)) ? 'member' : 'outsider';
  }

  /** The current state as events, all tagged with the stream's starting cursor. */
  private async snapshot(
    consultId: string,
    user: AuthenticatedUser,
    standing: Standing,
    cursor: number,
  ): Promise<EventRow[]> {
    const { store, consent } = this.deps;
    const out: EventRow[] = [];
    if (user.role !== 'provider') {
      const lobby = await store.lobbyStatus(consultId, user.id);
      if (
        lobby &&
        lobby.status !== 'waiting' &&
        !(await store.hasJoinedSince(consultId, user.id, lobby.decidedAt))
      ) {
        // Only a decision the cursor has passed: a later one arrives from the event log (a second
        // copy here would reach the user twice). Tagged with the cursor like the rest, so the
        // stream's ids never go back and a resume starts after the cursor.
        const last = await store.lastEventFor(consultId, user.id, ['admitted', 'denied']);
        if (last && last.id <= cursor) out.push({ ...last, id: cursor });
      }
    } else {
      out.push({ id: cursor, name: 'lobby', data: { waiting: await store.waiting(consultId) } });
    }
    if (standing === 'member') {
      const state = await consent.state(consultId);
      if (state.requested || state.entries.length > 0)
        out.push({ id: cursor, name: 'consent', data: state });
      const latest = (await store.listRecordings(consultId))[0];
      if (latest) out.push({ id: cursor, name: 'recording', data: publicRecording(latest) });
    }
    const consult = await store.getConsult(consultId);
    if (consult?.endedAt)
      out.push({ id: cursor, name: 'ended', data: { reason: consult.endedReason ?? 'ended' } });
    return out;
  }
}
